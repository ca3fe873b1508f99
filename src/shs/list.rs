//! The `shs.message-list` document (shs.md §5, DTD `shs-message-list-1.2.01.dtd`): what a delivery-service list
//! call returns.

use super::label::{DataRef, SequenceType, Status};
use super::xml::{self, DocError};
use super::{format_time, parse_time};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

const DOC: &str = "shs.message-list";

/// One `message` entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// `tx.id`.
    pub tx_id: String,
    /// `corr.id`.
    pub corr_id: Option<String>,
    /// `content.id`.
    pub content_id: Option<String>,
    /// `timestamp` (Axel: the label `datetime`).
    pub timestamp: Option<NaiveDateTime>,
    /// `size` in bytes, when the node fills it in.
    pub size: Option<u64>,
    /// `originator`.
    pub originator: Option<String>,
    /// `from` (URN form).
    pub from: Option<String>,
    /// `to` (URN form).
    pub to: Option<String>,
    /// `end-recipient`.
    pub end_recipient: Option<String>,
    /// `product` (URN form).
    pub product: Option<String>,
    /// `sequence-type`.
    pub sequence_type: SequenceType,
    /// `status`.
    pub status: Status,
    /// `meta` entries.
    pub meta: Vec<(String, String)>,
    /// `subject`.
    pub subject: Option<String>,
    /// `data` entries.
    pub data: Vec<DataRef>,
}

/// A message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MessageList {
    /// The entries, in the node's order.
    pub messages: Vec<ListEntry>,
}

impl MessageList {
    /// Writes the list as ISO-8859-1 XML with the DOCTYPE (`version="1.2"`).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut o = xml::prolog(DOC, "shs-message-list-1.2.01.dtd");
        o.push_str("<shs.message-list version=\"1.2\">\n");
        for m in &self.messages {
            o.push_str("    <message");
            xml::push_attr(&mut o, "tx.id", Some(&m.tx_id));
            xml::push_attr(&mut o, "corr.id", m.corr_id.as_deref());
            xml::push_attr(&mut o, "content.id", m.content_id.as_deref());
            let ts = m.timestamp.map(format_time).unwrap_or_default();
            xml::push_attr(&mut o, "timestamp", Some(&ts));
            xml::push_attr(&mut o, "size", m.size.map(|s| s.to_string()).as_deref());
            xml::push_attr(&mut o, "originator", m.originator.as_deref());
            xml::push_attr(&mut o, "from", m.from.as_deref());
            xml::push_attr(&mut o, "to", m.to.as_deref());
            xml::push_attr(&mut o, "end-recipient", m.end_recipient.as_deref());
            xml::push_attr(&mut o, "product", m.product.as_deref());
            xml::push_attr(&mut o, "sequence-type", Some(m.sequence_type.as_str()));
            xml::push_attr(&mut o, "status", Some(m.status.as_str()));
            o.push_str(">\n");
            for (k, v) in &m.meta {
                o.push_str("        <meta");
                xml::push_attr(&mut o, "name", Some(k));
                o.push('>');
                o.push_str(&xml::escape(v));
                o.push_str("</meta>\n");
            }
            if let Some(s) = &m.subject {
                o.push_str("        <subject>");
                o.push_str(&xml::escape(s));
                o.push_str("</subject>\n");
            }
            for d in &m.data {
                d.push_xml(&mut o, "        ");
            }
            o.push_str("    </message>\n");
        }
        o.push_str("</shs.message-list>\n");
        xml::to_latin1(&o)
    }

    /// Reads a list tolerantly (1.2 `shs.message-list`; a bad `timestamp` is an error naming the entry).
    pub fn parse(bytes: &[u8]) -> Result<MessageList, DocError> {
        let root = xml::parse_tree(bytes, DOC)?;
        let mut messages = Vec::new();
        for (i, m) in root.children("message").enumerate() {
            let what = |a: &str| format!("message[{}]/@{a}", i + 1);
            let tx_id = m
                .attr("tx.id")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| DocError::Missing {
                    doc: DOC,
                    what: what("tx.id"),
                })?;
            let seq = m.attr("sequence-type").unwrap_or("");
            let sequence_type = SequenceType::parse(seq).ok_or_else(|| DocError::BadValue {
                doc: DOC,
                what: what("sequence-type"),
                value: seq.into(),
                rule: "event, request, reply or adm".into(),
            })?;
            let status = m.attr("status").and_then(Status::parse).unwrap_or_default();
            let timestamp = match m.attr("timestamp") {
                None => None,
                Some(t) => Some(parse_time(t).ok_or_else(|| DocError::BadValue {
                    doc: DOC,
                    what: what("timestamp"),
                    value: t.into(),
                    rule: "expected yyyy-MM-ddTHH:mm:ss".into(),
                })?),
            };
            let s = |a: &str| m.attr(a).map(str::to_string);
            messages.push(ListEntry {
                tx_id,
                corr_id: s("corr.id"),
                content_id: s("content.id"),
                timestamp,
                size: m.attr("size").and_then(|v| v.trim().parse().ok()),
                originator: s("originator"),
                from: s("from"),
                to: s("to"),
                end_recipient: s("end-recipient"),
                product: s("product"),
                sequence_type,
                status,
                meta: m
                    .children("meta")
                    .map(|e| (e.attr("name").unwrap_or("").to_string(), e.text.clone()))
                    .collect(),
                subject: m.child("subject").map(|e| e.text.clone()),
                data: m
                    .children("data")
                    .map(|d| DataRef {
                        datapart_type: d.attr("datapartType").unwrap_or("").to_string(),
                        filename: d.attr("filename").map(str::to_string),
                        no_of_bytes: d.attr("no-of-bytes").and_then(|v| v.parse().ok()),
                        no_of_records: d.attr("no-of-records").and_then(|v| v.parse().ok()),
                    })
                    .collect(),
            });
        }
        Ok(MessageList { messages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let l = MessageList {
            messages: vec![ListEntry {
                tx_id: "9c0e7b52-6a1d-4f3e-b2c8-7d5a4e3f2b10".into(),
                corr_id: Some("9c0e7b52-6a1d-4f3e-b2c8-7d5a4e3f2b10".into()),
                content_id: Some("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()),
                timestamp: parse_time("2024-05-03T06:00:12"),
                size: Some(10),
                originator: None,
                from: Some("urn:X-shs:2021000001".into()),
                to: Some("urn:X-shs:5599999991".into()),
                end_recipient: None,
                product: Some("urn:X-shs:confirm".into()),
                sequence_type: SequenceType::Adm,
                status: Status::Test,
                meta: vec![("k".into(), "v".into())],
                subject: Some("Bekräftelse".into()),
                data: vec![DataRef {
                    datapart_type: "confirm".into(),
                    filename: Some("confirm.xml".into()),
                    no_of_bytes: None,
                    no_of_records: None,
                }],
            }],
        };
        assert_eq!(MessageList::parse(&l.to_xml()).unwrap(), l);
        assert_eq!(
            MessageList::parse(&MessageList::default().to_xml())
                .unwrap()
                .messages
                .len(),
            0
        );
    }
}
