//! What the XML reader gives: records of fields (as the fixed-width parser gives), and its problems, each with
//! the element path and rule.

use super::layout::{XmlLayout, XmlRecordDef};
use super::value::XmlRule;
use crate::formats::codec::Value;
use crate::formats::source::Source;
use serde::Serialize;

/// One problem with a document: where (line, element path, record, field) and which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XmlError {
    /// 1-based line of the element (of its start tag's end) or text, when known.
    pub line: Option<u64>,
    /// Element path: `/Delredovisning/Redovisning[2]/Redovisat`, `/Loneutmatningsbeslut/@utgava`.
    pub path: String,
    /// The record's element, when in a record.
    pub record: Option<String>,
    /// The field's name, when the problem is in a field.
    pub field: Option<String>,
    /// The rule broken.
    pub rule: XmlRule,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}, ")?,
            None => write!(f, "document, ")?,
        }
        write!(
            f,
            "{}",
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            }
        )?;
        if let Some(x) = &self.field {
            write!(f, " (field {x})")?;
        }
        write!(f, ": {} [{}]", self.message, self.rule.as_str())
    }
}

/// A document that breaks its mapping, refused whole: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct XmlReadError(pub Vec<XmlError>);

/// One field as read: the text as written and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlField {
    /// Index of the field in its record type.
    pub field: usize,
    /// The text as written (entities resolved; attribute values as normalised by XML).
    pub text: String,
    /// The value: [`Value::Text`], [`Value::Code`] (the domain name), [`Value::Date`], [`Value::DateTime`] or
    /// [`Value::Amount`] (öre).
    pub value: Value<'static>,
}

/// One record as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlRecord {
    /// 1-based line of the record element's start tag.
    pub line: u64,
    /// Index of the record type in the layout.
    pub def: usize,
    /// Element path: `/Delredovisning/Redovisning[2]`.
    pub path: String,
    /// Fields present, in layout order (an optional field that is absent is left out).
    pub fields: Vec<XmlField>,
}

impl XmlRecord {
    /// The record type.
    pub fn def<'l>(&self, layout: &'l XmlLayout) -> Option<&'l XmlRecordDef> {
        layout.records.get(self.def)
    }

    /// The record's element name (the root's for the root record): what `fogd inspect` prints as its code.
    pub fn code(&self, layout: &XmlLayout) -> String {
        match self.def(layout) {
            Some(d) if d.is_root() => layout.root.clone(),
            Some(d) => d.element.clone(),
            None => String::new(),
        }
    }

    /// Every field as (name, text as written), in layout order.
    pub fn fields(&self, layout: &XmlLayout) -> Vec<(String, String)> {
        let Some(def) = self.def(layout) else {
            return Vec::new();
        };
        self.fields
            .iter()
            .filter_map(|f| Some((def.fields.get(f.field)?.name.clone(), f.text.clone())))
            .collect()
    }

    /// The value of the field carrying `source`, when present.
    pub fn value(&self, layout: &XmlLayout, source: Source) -> Option<&Value<'static>> {
        let def = self.def(layout)?;
        self.fields
            .iter()
            .find(|f| def.fields.get(f.field).is_some_and(|d| d.source == source))
            .map(|f| &f.value)
    }
}

/// Counts of a document read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct XmlSummary {
    /// Records read (root and head records included).
    pub records: u64,
    /// Entry records read (one per case).
    pub entries: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Errors beyond [`MAX_ERRORS`](crate::formats::parse::MAX_ERRORS) not kept.
    pub errors_suppressed: u64,
}

/// A document read whole: its records and every problem (for `fogd inspect`, which shows both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlParsed {
    /// The layout's name.
    pub layout: String,
    /// Its edition.
    pub edition: String,
    /// The records, in document order (those read before a structural problem stopped the reading).
    pub records: Vec<XmlRecord>,
    /// Every problem (at most [`MAX_ERRORS`](crate::formats::parse::MAX_ERRORS)).
    pub errors: Vec<XmlError>,
    /// Counts.
    pub summary: XmlSummary,
}
