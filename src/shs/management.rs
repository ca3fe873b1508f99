//! The `shs.management` document (shs.md §6, DTD `shs-management-1.2.dtd`): the data part of `confirm` and `error`
//! messages.

use super::codes::ShsErrorCode;
use super::xml::{self, DocError};
use super::{format_time, parse_time};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

const DOC: &str = "shs.management";

/// What a management document says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManagementKind {
    /// `<confirmation/>`: the receiver acknowledged the message.
    Confirmation,
    /// `<error errorcode=… errorinfo=…/>`.
    Error {
        /// The code as written (compare with [`ShsErrorCode::parse`]).
        code: String,
        /// `errorinfo`.
        info: Option<String>,
    },
}

/// A management document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Management {
    /// `corr.id` of the message it concerns.
    pub corr_id: String,
    /// `content.id` of the message it concerns.
    pub content_id: String,
    /// `datetime` (date-only accepted on read).
    pub datetime: Option<NaiveDateTime>,
    /// Confirmation or error.
    pub kind: ManagementKind,
    /// `appinfo` entries (name, text).
    pub appinfo: Vec<(String, String)>,
}

impl Management {
    /// A confirmation for the message with these ids.
    pub fn confirmation(corr_id: &str, content_id: &str, at: NaiveDateTime) -> Self {
        Self {
            corr_id: corr_id.into(),
            content_id: content_id.into(),
            datetime: Some(at),
            kind: ManagementKind::Confirmation,
            appinfo: Vec::new(),
        }
    }

    /// An error report for the message with these ids; `info` defaults to Axel's text for the code.
    pub fn error(
        corr_id: &str,
        content_id: &str,
        at: NaiveDateTime,
        code: ShsErrorCode,
        info: Option<&str>,
    ) -> Self {
        Self {
            corr_id: corr_id.into(),
            content_id: content_id.into(),
            datetime: Some(at),
            kind: ManagementKind::Error {
                code: code.as_str().into(),
                info: Some(info.unwrap_or(code.default_info()).to_string()),
            },
            appinfo: Vec::new(),
        }
    }

    /// The error code, when this is an error document.
    pub fn error_code(&self) -> Option<ShsErrorCode> {
        match &self.kind {
            ManagementKind::Error { code, .. } => Some(ShsErrorCode::parse(code)),
            ManagementKind::Confirmation => None,
        }
    }

    /// Writes the document as ISO-8859-1 XML with the DOCTYPE.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut o = xml::prolog(DOC, "shs-management-1.2.dtd");
        o.push_str("<shs.management version=\"1.2\"");
        xml::push_attr(&mut o, "corr.id", Some(&self.corr_id));
        xml::push_attr(&mut o, "content.id", Some(&self.content_id));
        o.push_str(">\n    <datetime>");
        o.push_str(&self.datetime.map(format_time).unwrap_or_default());
        o.push_str("</datetime>\n");
        let (open, close) = match &self.kind {
            ManagementKind::Confirmation => ("    <confirmation".to_string(), "confirmation"),
            ManagementKind::Error { code, info } => {
                let mut s = "    <error".to_string();
                xml::push_attr(&mut s, "errorcode", Some(code));
                xml::push_attr(&mut s, "errorinfo", info.as_deref());
                (s, "error")
            }
        };
        o.push_str(&open);
        if self.appinfo.is_empty() {
            o.push_str("/>\n");
        } else {
            o.push_str(">\n");
            for (k, v) in &self.appinfo {
                o.push_str("        <appinfo");
                xml::push_attr(&mut o, "name", Some(k));
                o.push('>');
                o.push_str(&xml::escape(v));
                o.push_str("</appinfo>\n");
            }
            o.push_str("    </");
            o.push_str(close);
            o.push_str(">\n");
        }
        o.push_str("</shs.management>\n");
        xml::to_latin1(&o)
    }

    /// Reads a management document tolerantly (date-only `datetime` allowed).
    pub fn parse(bytes: &[u8]) -> Result<Management, DocError> {
        let root = xml::parse_tree(bytes, DOC)?;
        let req = |a: &str| {
            root.attr(a)
                .map(|s| s.trim().to_string())
                .ok_or_else(|| DocError::Missing {
                    doc: DOC,
                    what: format!("attribute {a}"),
                })
        };
        let datetime = match root.child("datetime") {
            None => None,
            Some(d) => {
                let t = d.text_trim();
                Some(parse_time(&t).ok_or_else(|| DocError::BadValue {
                    doc: DOC,
                    what: "datetime".into(),
                    value: t.clone(),
                    rule: "expected yyyy-MM-ddTHH:mm:ss or yyyy-MM-dd".into(),
                })?)
            }
        };
        let (kind, holder) = if let Some(c) = root.child("confirmation") {
            (ManagementKind::Confirmation, c)
        } else if let Some(e) = root.child("error") {
            let code = e.attr("errorcode").ok_or_else(|| DocError::Missing {
                doc: DOC,
                what: "attribute error/@errorcode".into(),
            })?;
            (
                ManagementKind::Error {
                    code: code.trim().to_string(),
                    info: e.attr("errorinfo").map(str::to_string),
                },
                e,
            )
        } else {
            return Err(DocError::Missing {
                doc: DOC,
                what: "element <confirmation> or <error>".into(),
            });
        };
        Ok(Management {
            corr_id: req("corr.id")?,
            content_id: req("content.id")?,
            datetime,
            kind,
            appinfo: holder
                .children("appinfo")
                .map(|a| (a.attr("name").unwrap_or("").to_string(), a.text.clone()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let at = parse_time("2024-05-03T06:05:00").unwrap();
        let c = Management::confirmation("a", "b", at);
        assert_eq!(Management::parse(&c.to_xml()).unwrap(), c);
        let mut e = Management::error("a", "b", at, ShsErrorCode::MissingAgreement, None);
        e.appinfo.push(("felkod".into(), "0010 å".into()));
        let back = Management::parse(&e.to_xml()).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.error_code(), Some(ShsErrorCode::MissingAgreement));
    }

    #[test]
    fn neither_confirmation_nor_error_is_refused() {
        let e = Management::parse(b"<shs.management corr.id=\"a\" content.id=\"b\"><datetime>2013-06-17</datetime></shs.management>")
            .unwrap_err();
        assert!(e.to_string().contains("confirmation"), "{e}");
    }
}
