//! The XML builder: records → a document, by the same [`XmlLayout`] the reader uses (the simulator sends these).
//!
//! Every value is written in its field's lexical form and checked with the reader's own rules
//! ([`super::value::write_value`]), and record occurrences follow the layout, so what is built reads back to the
//! same values and validates against the schema the layout mirrors. The layout is UTF-8, indented by two spaces,
//! like Kronofogden's samples.

use super::layout::{Step, XmlLayout, XmlRecordDef};
use super::record::XmlRecord;
use super::value::{write_value, XmlRule};
use crate::formats::codec::Value;
use crate::formats::layout::Scope;
use crate::formats::source::Source;

/// Why a document could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlBuildError {
    /// A value does not fit its field.
    #[error("{path} (field {field}): {message} [{}]", .rule.as_str())]
    Value {
        /// Element path of the value.
        path: String,
        /// The field.
        field: String,
        /// The rule broken.
        rule: XmlRule,
        /// What is wrong.
        message: String,
    },
    /// Records are not in the layout's order or number.
    #[error("record {record}: {message}")]
    Occurs {
        /// The record's element.
        record: String,
        /// What is wrong.
        message: String,
    },
}

/// Text content: `&`, `<`, `>` as entities, and CR as a character reference (a parser turns a literal CR into LF).
/// Hand-written rather than `quick_xml::escape::partial_escape`, which leaves CR as is (so the value would not read
/// back the same), and it writes into the document's buffer with no intermediate `Cow` per value. `formats` may not
/// share `shs`'s escaper (ARCHITECTURE.md layering), hence the second small one.
fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Attribute values: as text, plus `"` and the white space a parser would normalise to spaces.
fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            c => escape_text(c.encode_utf8(&mut [0; 4]), out),
        }
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

struct Writer<'l> {
    layout: &'l XmlLayout,
    out: String,
}

impl<'l> Writer<'l> {
    fn new(layout: &'l XmlLayout) -> Self {
        Writer {
            layout,
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// The lexical forms of a record's fields (None: an optional field left out).
    fn texts(
        &self,
        def: &XmlRecordDef,
        path: &str,
        value: &dyn Fn(usize) -> Value<'static>,
    ) -> Result<Vec<Option<String>>, XmlBuildError> {
        def.fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                write_value(f, &value(i)).map_err(|p| XmlBuildError::Value {
                    path: format!("{path}/{}", f.path_text()),
                    field: f.name.clone(),
                    rule: p.rule,
                    message: p.message,
                })
            })
            .collect()
    }

    fn attributes(&mut self, def: &XmlRecordDef, texts: &[Option<String>]) {
        for (f, t) in def.fields.iter().zip(texts) {
            if let (Some(a), Some(t)) = (&f.attribute, t) {
                self.out.push(' ');
                self.out.push_str(a);
                self.out.push_str("=\"");
                escape_attr(t, &mut self.out);
                self.out.push('"');
            }
        }
    }

    fn root_start(&mut self, root: Option<(&XmlRecordDef, Vec<Option<String>>)>) {
        self.out.push('<');
        self.out.push_str(&self.layout.root);
        if !self.layout.namespace.is_empty() {
            self.out.push_str(" xmlns=\"");
            let ns = self.layout.namespace.clone();
            escape_attr(&ns, &mut self.out);
            self.out.push('"');
        }
        if let Some((def, texts)) = root {
            self.attributes(def, &texts);
        }
        self.out.push_str(">\n");
    }

    fn record(&mut self, def: &XmlRecordDef, texts: &[Option<String>]) {
        indent(&mut self.out, 1);
        self.out.push('<');
        self.out.push_str(&def.element);
        self.attributes(def, texts);
        self.out.push_str(">\n");
        let present = |from: usize, to: usize| {
            def.steps[from..to].iter().any(|s| match s {
                Step::Leaf { field } => texts[*field].is_some(),
                _ => false,
            })
        };
        let mut level = 2;
        let mut i = 0;
        while let Some(&step) = def.steps.get(i) {
            let name = def.step_name(step);
            match step {
                Step::Open { close, .. } => {
                    if !present(i, close) {
                        i = close + 1;
                        continue;
                    }
                    indent(&mut self.out, level);
                    self.out.push('<');
                    self.out.push_str(name);
                    self.out.push_str(">\n");
                    level += 1;
                }
                Step::Leaf { field } => {
                    if let Some(t) = &texts[field] {
                        indent(&mut self.out, level);
                        self.out.push('<');
                        self.out.push_str(name);
                        self.out.push('>');
                        escape_text(t, &mut self.out);
                        self.out.push_str("</");
                        self.out.push_str(name);
                        self.out.push_str(">\n");
                    }
                }
                Step::Close { .. } => {
                    level -= 1;
                    indent(&mut self.out, level);
                    self.out.push_str("</");
                    self.out.push_str(name);
                    self.out.push_str(">\n");
                }
            }
            i += 1;
        }
        indent(&mut self.out, 1);
        self.out.push_str("</");
        self.out.push_str(&def.element);
        self.out.push_str(">\n");
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.push_str("</");
        self.out.push_str(&self.layout.root);
        self.out.push_str(">\n");
        self.out.into_bytes()
    }
}

fn occurs_error(def: &XmlRecordDef, n: u64) -> Option<XmlBuildError> {
    let too_few = n < def.min_occurs;
    let too_many = def.max_occurs.is_some_and(|m| n > m);
    (too_few || too_many).then(|| XmlBuildError::Occurs {
        record: def.element.clone(),
        message: format!(
            "{n} given; the layout takes {}..{}",
            def.min_occurs,
            def.max_occurs
                .map_or("unbounded".to_string(), |m| m.to_string())
        ),
    })
}

/// Builds a document: the root record and the head records take their values from `head`, and every entry record
/// type is written once per item of `entries`, with values from `entry`. Values are [`Value`]s as the reader
/// gives them: [`Value::Text`], [`Value::Code`] (the domain name; a code as written in [`Value::Text`] also
/// works), [`Value::Date`], [`Value::DateTime`], [`Value::Amount`] (öre); [`Value::None`] leaves an optional
/// field out and is an error in a required one.
pub fn build_document<'a, E>(
    layout: &XmlLayout,
    head: impl Fn(Source) -> Value<'a>,
    entries: &[E],
    entry: impl Fn(&E, Source) -> Value<'a>,
) -> Result<Vec<u8>, XmlBuildError> {
    let owned = |v: Value<'a>| -> Value<'static> {
        match v {
            Value::Text(t) => Value::Text(t.into_owned().into()),
            Value::Code(c) => Value::Code(c.into_owned().into()),
            Value::None => Value::None,
            Value::Num(n) => Value::Num(n),
            Value::Amount(a) => Value::Amount(a),
            Value::Date(d) => Value::Date(d),
            Value::Time(t) => Value::Time(t),
            Value::DateTime(d) => Value::DateTime(d),
        }
    };
    let mut w = Writer::new(layout);
    let root_path = format!("/{}", layout.root);
    let root = match layout.root_record() {
        Some((_, def)) => {
            let texts = w.texts(def, &root_path, &|i| owned(head(def.fields[i].source)))?;
            Some((def, texts))
        }
        None => None,
    };
    w.root_start(root);
    for (_, def) in layout.child_records() {
        let path = format!("{root_path}/{}", def.element);
        match def.scope {
            Scope::Entry => {
                if let Some(e) = occurs_error(def, entries.len() as u64) {
                    return Err(e);
                }
                for (n, item) in entries.iter().enumerate() {
                    let path = if def.max_occurs == Some(1) {
                        path.clone()
                    } else {
                        format!("{path}[{}]", n + 1)
                    };
                    let texts =
                        w.texts(def, &path, &|i| owned(entry(item, def.fields[i].source)))?;
                    w.record(def, &texts);
                }
            }
            _ => {
                if let Some(e) = occurs_error(def, 1) {
                    return Err(e);
                }
                let texts = w.texts(def, &path, &|i| owned(head(def.fields[i].source)))?;
                w.record(def, &texts);
            }
        }
    }
    Ok(w.finish())
}

/// Builds a document from records as [`super::read_xml`] gives them (in document order): build → read gives the
/// same records' values back.
pub fn build_from_records(
    layout: &XmlLayout,
    records: &[XmlRecord],
) -> Result<Vec<u8>, XmlBuildError> {
    let mut w = Writer::new(layout);
    let value_of = |r: &XmlRecord, i: usize| -> Value<'static> {
        r.fields
            .iter()
            .find(|f| f.field == i)
            .map_or(Value::None, |f| f.value.clone())
    };
    let mut rest = records;
    let root_path = format!("/{}", layout.root);
    let root = match layout.root_record() {
        Some((idx, def)) => {
            let Some((first, tail)) = rest.split_first().filter(|(r, _)| r.def == idx) else {
                return Err(XmlBuildError::Occurs {
                    record: ".".into(),
                    message: "the root record must come first".into(),
                });
            };
            rest = tail;
            Some((def, w.texts(def, &root_path, &|i| value_of(first, i))?))
        }
        None => None,
    };
    w.root_start(root);
    for (idx, def) in layout.child_records() {
        let n = rest.iter().take_while(|r| r.def == idx).count();
        if let Some(e) = occurs_error(def, n as u64) {
            return Err(e);
        }
        for (k, r) in rest[..n].iter().enumerate() {
            let path = if def.max_occurs == Some(1) {
                format!("{root_path}/{}", def.element)
            } else {
                format!("{root_path}/{}[{}]", def.element, k + 1)
            };
            let texts = w.texts(def, &path, &|i| value_of(r, i))?;
            w.record(def, &texts);
        }
        rest = &rest[n..];
    }
    if let Some(r) = rest.first() {
        return Err(XmlBuildError::Occurs {
            record: layout
                .records
                .get(r.def)
                .map_or_else(|| r.def.to_string(), |d| d.element.clone()),
            message: "out of the layout's order".into(),
        });
    }
    Ok(w.finish())
}
