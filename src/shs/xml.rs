//! Shared XML plumbing for the SHS documents: decoding by the XML declaration's charset, a tiny element tree for
//! tolerant reading (quick-xml), and an ISO-8859-1 writer that escapes and uses character references for anything
//! outside Latin-1.
//!
//! Every SHS document fogd reads (label, message list, management) goes through [`parse_tree`], which bounds what a
//! peer can make it build: at most [`MAX_DEPTH`] nested elements and [`MAX_ELEMENTS`] elements in all, so a hostile
//! document is refused with an error instead of exhausting memory or the stack (the tree is built with an explicit
//! stack, not recursion, and is never deeper than [`MAX_DEPTH`], so dropping it recurses at most that deep).
//! quick-xml expands no entities beyond the five predefined ones and reads no DTD, so there is no XXE or entity
//! expansion either.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Why an SHS XML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// The bytes are not well-formed XML (or not in the declared charset).
    #[error("{doc}: not well-formed XML: {message}")]
    Xml {
        /// Which document (`shs.label`, …).
        doc: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The root element is not the expected one.
    #[error("{doc}: root element is <{found}>, expected <{doc}>")]
    WrongRoot {
        /// Expected root.
        doc: &'static str,
        /// Found root.
        found: String,
    },
    /// A required element or attribute is missing.
    #[error("{doc}: missing {what}")]
    Missing {
        /// Which document.
        doc: &'static str,
        /// What is missing (`attribute tx.id`, `element <product>` …).
        what: String,
    },
    /// A value is not allowed.
    #[error("{doc}: {what} has bad value {value:?}: {rule}")]
    BadValue {
        /// Which document.
        doc: &'static str,
        /// The element or attribute.
        what: String,
        /// The value found.
        value: String,
        /// The rule broken.
        rule: String,
    },
}

/// Deepest element nesting accepted. SHS documents nest four deep at most (`shs.label/history/comment`).
pub const MAX_DEPTH: usize = 32;
/// Most elements accepted in one document. A message list of Axel's largest page (200 entries) with a few `meta`
/// and `data` each holds a few thousand.
pub const MAX_ELEMENTS: usize = 100_000;

/// A parsed element: name, attributes in document order, child elements and the concatenated text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The attribute value by exact name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    /// All children with this name.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text trimmed.
    pub fn text_trim(&self) -> String {
        self.text.trim().to_string()
    }
}

/// The charset named in the XML declaration (`encoding="…"`), if any.
pub(crate) fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(200))?;
    let head: String = head.iter().map(|&b| b as char).collect();
    let start = head.find("<?xml")?;
    let end = head[start..].find("?>")? + start;
    let decl = &head[start..end];
    let pos = decl.find("encoding")?;
    let rest = decl[pos + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = rest[1..].split(quote).next()?;
    Some(value.trim().to_string())
}

/// Decodes document bytes by the charset of their XML declaration (UTF-8 when none is declared), whatever a MIME
/// header said (shs.md §3: Axel's fixtures declare ISO-8859-1 in XML but UTF-8 in MIME). A UTF-8 BOM is dropped.
pub(crate) fn decode(bytes: &[u8], doc: &'static str) -> Result<String, DocError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let charset = declared_charset(bytes).unwrap_or_else(|| "UTF-8".into());
    let lower = charset.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" | "iso_8859-1"
    ) {
        return Ok(bytes.iter().map(|&b| b as char).collect());
    }
    let enc =
        encoding_rs::Encoding::for_label(charset.as_bytes()).ok_or_else(|| DocError::Xml {
            doc,
            message: format!("unknown charset {charset:?} in the XML declaration"),
        })?;
    let (text, _, had_errors) = enc.decode(bytes);
    if had_errors {
        return Err(DocError::Xml {
            doc,
            message: format!("bytes are not valid {charset}"),
        });
    }
    Ok(text.into_owned())
}

/// Parses decoded text into an element tree and checks the root name.
pub(crate) fn parse_tree(bytes: &[u8], doc: &'static str) -> Result<Element, DocError> {
    let text = decode(bytes, doc)?;
    let mut reader = Reader::from_str(&text);
    let xml_err = |e: &dyn std::fmt::Display, pos: u64| DocError::Xml {
        doc,
        message: format!("at byte {pos}: {e}"),
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| xml_err(&e, pos))?;
        if let Event::Start(_) | Event::Empty(_) = ev {
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(DocError::Xml {
                    doc,
                    message: format!("at byte {pos}: more than {MAX_ELEMENTS} elements"),
                });
            }
            if stack.len() >= MAX_DEPTH {
                return Err(DocError::Xml {
                    doc,
                    message: format!("at byte {pos}: elements nested deeper than {MAX_DEPTH}"),
                });
            }
        }
        match ev {
            Event::Start(s) | Event::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(DocError::Xml {
                    doc,
                    message: "content after the root element".into(),
                });
            }
            Event::Start(s) => {
                stack.push(element_from(&s, doc)?);
            }
            Event::Empty(s) => {
                let el = element_from(&s, doc)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| DocError::Xml {
                    doc,
                    message: "unbalanced end tag".into(),
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.unescape().map_err(|e| xml_err(&e, pos))?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(DocError::Xml {
            doc,
            message: format!(
                "document ends inside <{}>",
                stack.last().map(|e| e.name.as_str()).unwrap_or("")
            ),
        });
    }
    let root = root.ok_or_else(|| DocError::Xml {
        doc,
        message: "no root element".into(),
    })?;
    if root.name != doc {
        return Err(DocError::WrongRoot {
            doc,
            found: root.name,
        });
    }
    Ok(root)
}

fn element_from(
    s: &quick_xml::events::BytesStart<'_>,
    doc: &'static str,
) -> Result<Element, DocError> {
    let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| DocError::Xml {
            doc,
            message: format!("in <{name}>: {e}"),
        })?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| DocError::Xml {
                doc,
                message: format!("in <{name}> attribute {key}: {e}"),
            })?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Escapes text for an attribute value or element content. Hand-written rather than `quick_xml::escape::escape`:
/// that escapes only `& < > ' "`, while a value here must also keep its tab, LF and CR through a reader's
/// attribute-value and line-end normalisation, so those become character references (`escape_keeps_white_space`).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes a document string as ISO-8859-1; characters outside Latin-1 become numeric character references, so
/// the bytes always match the declaration.
pub(crate) fn to_latin1(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let cp = c as u32;
        if cp <= 0xFF {
            out.push(cp as u8);
        } else {
            out.extend_from_slice(format!("&#{cp};").as_bytes());
        }
    }
    out
}

/// The XML declaration and DOCTYPE fogd writes (no `standalone`, shs.md §12).
pub(crate) fn prolog(root: &str, dtd: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE {root} SYSTEM \"{dtd}\">\n")
}

/// Appends ` name="value"` when `value` is present.
pub(crate) fn push_attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape(v));
        out.push('"');
    }
}

/// Validates an NMTOKEN (ids written as UUIDs are always fine).
pub(crate) fn is_nmtoken(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_white_space() {
        let v = "a\tb\nc\rd & <e> \"f\" 'g'";
        let e = escape(v);
        // No literal tab, LF or CR left for a reader to normalise; quick-xml's escape leaves them (why ours stays).
        assert!(!e.contains(['\t', '\n', '\r']), "{e}");
        assert!(quick_xml::escape::escape(v).contains(['\t', '\n', '\r']));
        let doc = format!("<a x=\"{e}\">{e}</a>");
        let tree = parse_tree(doc.as_bytes(), "a").unwrap();
        assert_eq!(tree.attr("x"), Some(v));
        assert_eq!(tree.text, v);
    }

    #[test]
    fn charset_from_declaration() {
        assert_eq!(
            declared_charset(
                b"<?xml version=\"1.0\" encoding='ISO-8859-1' standalone=\"yes\"?><a/>"
            )
            .as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(declared_charset(b"<a/>"), None);
        let s = decode(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe5\xe4\xf6</a>",
            "a",
        )
        .unwrap();
        assert!(s.ends_with("<a>åäö</a>"));
        assert!(decode(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xe5</a>",
            "a"
        )
        .is_err());
    }

    #[test]
    fn latin1_with_char_refs() {
        assert_eq!(to_latin1("å€"), b"\xe5&#8364;".to_vec());
    }

    #[test]
    fn tree_errors_are_clear() {
        let e = parse_tree(b"<a><b></a>", "a").unwrap_err();
        assert!(matches!(e, DocError::Xml { .. }), "{e}");
        let e = parse_tree(b"<x/>", "a").unwrap_err();
        assert!(e.to_string().contains("root element is <x>"), "{e}");
        let e = parse_tree(b"<a><b>", "a").unwrap_err();
        assert!(e.to_string().contains("ends inside"), "{e}");
    }

    #[test]
    fn depth_and_element_count_are_bounded() {
        let deep = |n: usize| {
            let mut d = String::from("<a>");
            d.push_str(&"<b>".repeat(n));
            d.push_str(&"</b>".repeat(n));
            d.push_str("</a>");
            d
        };
        assert!(parse_tree(deep(MAX_DEPTH - 1).as_bytes(), "a").is_ok());
        let e = parse_tree(deep(MAX_DEPTH).as_bytes(), "a").unwrap_err();
        assert!(e.to_string().contains("nested deeper than"), "{e}");
        // Far deeper than any stack would take, unclosed: refused at the limit, no overflow.
        let e = parse_tree("<b>".repeat(1_000_000).as_bytes(), "a").unwrap_err();
        assert!(e.to_string().contains("nested deeper than"), "{e}");
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        let e = parse_tree(wide.as_bytes(), "a").unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
    }
}
