//! XML layouts: an XML document's mapping as a layout file (fogd-ref-2.md §3.2), loaded and checked here.
//!
//! A layout names the document's namespace and root element and, per record, the element that holds it (the root
//! itself, `"."`, or a child of the root), how often it occurs, and its fields: each an element path below the
//! record element (`"Period/Fran"`) or an attribute of it, with a kind (`text`, `date`, `datetime`, `amount`,
//! `code`), the facets of its simple type and the domain value ([`Source`]) it carries. The order of the fields is
//! the order of the elements in the document (an `xs:sequence`). See [`super`] for what the reader checks.
//!
//! Loading collects every problem as a [`LayoutProblem`] (file, record = its element, field, message), as for
//! fixed-width layouts, so `fogd layout check` lists them all at once.

use crate::formats::layout::{LayoutProblem, LayoutRole, Scope};
use crate::formats::source::Source;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// The kind of an XML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XmlKind {
    /// `xs:string` (whitespace preserved), with optional length and pattern facets.
    Text,
    /// `xs:date`: `YYYY-MM-DD`.
    Date,
    /// `xs:dateTime`: `YYYY-MM-DDThh:mm:ss`.
    DateTime,
    /// An amount in kronor with two decimals and a point (`2500.00`), read as öre.
    Amount,
    /// A code from the field's set (an `xs:string` enumeration).
    Code,
}

impl XmlKind {
    /// The name used in layout files.
    pub fn as_str(self) -> &'static str {
        match self {
            XmlKind::Text => "text",
            XmlKind::Date => "date",
            XmlKind::DateTime => "datetime",
            XmlKind::Amount => "amount",
            XmlKind::Code => "code",
        }
    }

    fn parse(s: &str) -> Option<XmlKind> {
        [
            XmlKind::Text,
            XmlKind::Date,
            XmlKind::DateTime,
            XmlKind::Amount,
            XmlKind::Code,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A `pattern` facet: a regular expression matched against the whole value (XSD patterns are anchored at both
/// ends). Written in the syntax of the `regex` crate; keep to the part XSD shares with it (character classes,
/// quantifiers, alternation).
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written in the layout.
    pub text: String,
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles `text`, anchored.
    pub fn new(text: &str) -> Result<Pattern, String> {
        regex::Regex::new(&format!("^(?:{text})$"))
            .map(|regex| Pattern {
                text: text.to_string(),
                regex,
            })
            .map_err(|e| format!("pattern {text:?} does not compile: {e}"))
    }

    /// True when the whole value matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.text == other.text
    }
}

/// One field of an XML record.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlFieldDef {
    /// Field name (`malnummer`): the name `fogd inspect` prints.
    pub name: String,
    /// Element path below the record element (`["Period", "Fran"]`); empty for an attribute.
    pub path: Vec<String>,
    /// The attribute of the record element, for attribute fields.
    pub attribute: Option<String>,
    pub kind: XmlKind,
    /// The domain value it carries.
    pub source: Source,
    /// Text: least length in characters.
    pub min_length: Option<usize>,
    /// Text: greatest length in characters.
    pub max_length: Option<usize>,
    /// Text: a pattern the whole value matches.
    pub pattern: Option<Pattern>,
    /// Code: domain name → code as written.
    pub codes: BTreeMap<String, String>,
    /// May be absent (`minOccurs="0"`, `use="optional"`).
    pub optional: bool,
    /// What the field means, for people (`fogd layout doc`).
    pub note: Option<String>,
}

impl XmlFieldDef {
    /// The path as written in the layout (`Period/Fran`, or `@utgava`).
    pub fn path_text(&self) -> String {
        match &self.attribute {
            Some(a) => format!("@{a}"),
            None => self.path.join("/"),
        }
    }

    /// The domain name of a written code.
    pub fn name_for(&self, code: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|(_, c)| c.as_str() == code)
            .map(|(n, _)| n.as_str())
    }
}

/// One step of a record's content model, compiled from the field paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A container element opens: its name is `path[depth]` of field `field`; `close` is the index of its
    /// [`Step::Close`]; `optional` when every field inside is.
    Open {
        field: usize,
        depth: usize,
        close: usize,
        optional: bool,
    },
    /// A leaf element: field `field`.
    Leaf { field: usize },
    /// The container opened by step `open` closes.
    Close { open: usize },
}

/// One record type: an element of the document and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlRecordDef {
    /// The element: `"."` for the root, else the local name of a child of the root.
    pub element: String,
    /// Human name.
    pub name: String,
    /// [`Scope::FileHead`] (document values) or [`Scope::Entry`] (one per case).
    pub scope: Scope,
    /// Least occurrences.
    pub min_occurs: u64,
    /// Most occurrences (`None`: unbounded).
    pub max_occurs: Option<u64>,
    /// Fields: attributes first, then elements in document order.
    pub fields: Vec<XmlFieldDef>,
    pub(crate) steps: Vec<Step>,
}

impl XmlRecordDef {
    /// True for the root record.
    pub fn is_root(&self) -> bool {
        self.element == "."
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&XmlFieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field carrying `source`.
    pub fn field_for(&self, source: Source) -> Option<&XmlFieldDef> {
        self.fields.iter().find(|f| f.source == source)
    }

    /// The element name of a step (containers and leaves).
    pub(crate) fn step_name(&self, step: Step) -> &str {
        let (field, depth) = match step {
            Step::Open { field, depth, .. } => (field, depth),
            Step::Leaf { field } => (field, usize::MAX),
            Step::Close { open } => match self.steps.get(open) {
                Some(Step::Open { field, depth, .. }) => (*field, *depth),
                _ => return "",
            },
        };
        let path = &self.fields[field].path;
        path.get(depth)
            .or(path.last())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Bounds on what the reader accepts from one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Most bytes in a document (memory is bounded by this and the records kept).
    pub max_bytes: u64,
    /// Most records (elements mapped to records) in a document.
    pub max_records: u64,
    /// Deepest element nesting accepted (the reader never recurses; this bounds its stack).
    pub max_depth: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_bytes: 256 * 1024 * 1024,
            max_records: 1_000_000,
            max_depth: 32,
        }
    }
}

/// A checked XML layout.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlLayout {
    /// Layout name (`lub`).
    pub name: String,
    /// Edition (`FOGD-REF-2`).
    pub edition: String,
    /// What the document is.
    pub role: LayoutRole,
    /// Namespace of every element (empty: no namespace).
    pub namespace: String,
    /// Local name of the root element.
    pub root: String,
    /// File-name pattern: `{ik}` the intressentkod, `{date}` a date `YYYY-MM-DD`.
    pub file_name: String,
    /// Bounds.
    pub limits: XmlLimits,
    /// Record types, in document order (the root record, if any, first).
    pub records: Vec<XmlRecordDef>,
}

impl XmlLayout {
    /// Loads and checks an XML layout from TOML text; `file` names it in problems.
    pub fn from_toml(text: &str, file: &str) -> Result<XmlLayout, Vec<LayoutProblem>> {
        let raw: RawXmlLayout = toml::from_str(text).map_err(|e| {
            vec![LayoutProblem {
                file: file.to_string(),
                record: None,
                field: None,
                message: format!("not a valid XML layout file: {}", e.to_string().trim()),
            }]
        })?;
        check(raw, file)
    }

    /// The root record, when the layout maps attributes of the root.
    pub fn root_record(&self) -> Option<(usize, &XmlRecordDef)> {
        self.records.iter().enumerate().find(|(_, r)| r.is_root())
    }

    /// The record types below the root, in document order, with their indices.
    pub fn child_records(&self) -> impl Iterator<Item = (usize, &XmlRecordDef)> {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_root())
    }

    /// The file name for `intressentkod` and `date`.
    pub fn file_name_for(&self, intressentkod: &str, date: chrono::NaiveDate) -> String {
        self.file_name
            .replace("{ik}", intressentkod)
            .replace("{date}", &date.format("%Y-%m-%d").to_string())
    }

    /// The intressentkod and (when the pattern has one) the date a file name holds, when it fits the pattern.
    pub fn match_file_name(&self, name: &str) -> Option<(String, Option<chrono::NaiveDate>)> {
        let mut intressentkod = None;
        let mut date = None;
        let mut rest = name;
        let mut pattern = self.file_name.as_str();
        while !pattern.is_empty() {
            if let Some(p) = pattern.strip_prefix("{ik}") {
                // The intressentkod ends where the literal after it starts (or with the name).
                let next_lit = p.split('{').next().unwrap_or("");
                let n = if next_lit.is_empty() {
                    rest.len()
                } else {
                    rest.find(next_lit)?
                };
                if n == 0 || n > 8 || !rest[..n].chars().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                intressentkod = Some(rest[..n].to_string());
                rest = &rest[n..];
                pattern = p;
            } else if let Some(p) = pattern.strip_prefix("{date}") {
                let d = rest.get(..10)?;
                date = Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?);
                rest = &rest[10..];
                pattern = p;
            } else {
                // A literal up to the next placeholder (at least one character, so the loop always advances).
                let lit_len = pattern
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| *c == '{')
                    .map_or(pattern.len(), |(i, _)| i);
                rest = rest.strip_prefix(&pattern[..lit_len])?;
                pattern = &pattern[lit_len..];
            }
        }
        (rest.is_empty()).then_some(())?;
        Some((intressentkod?, date))
    }

    /// The deepest nesting of the mapping: root, record element, field path.
    pub fn depth(&self) -> usize {
        self.records
            .iter()
            .map(|r| {
                let own = usize::from(!r.is_root());
                1 + own + r.fields.iter().map(|f| f.path.len()).max().unwrap_or(0)
            })
            .max()
            .unwrap_or(1)
    }
}

/// True when a layout file's text declares `format = "xml"` (the dispatch between the two kinds of layout file).
pub fn is_xml_layout(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("format").and_then(|v| v.as_str()).map(|f| f == "xml"))
        .unwrap_or(false)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawXmlLayout {
    name: String,
    edition: String,
    role: String,
    format: String,
    encoding: String,
    #[serde(default)]
    namespace: String,
    root: String,
    file_name: String,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    records: Vec<RawXmlRecord>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_bytes: Option<u64>,
    max_records: Option<u64>,
    max_depth: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawXmlRecord {
    element: String,
    name: String,
    scope: String,
    #[serde(default)]
    min_occurs: Option<u64>,
    #[serde(default)]
    max_occurs: Option<toml::Value>,
    fields: Vec<RawXmlField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawXmlField {
    name: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    attribute: Option<String>,
    kind: String,
    source: String,
    #[serde(default)]
    min_length: Option<usize>,
    #[serde(default)]
    max_length: Option<usize>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    codes: BTreeMap<String, String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    note: Option<String>,
}

/// An XML name as the mapping uses it: no prefix (namespaces come from the layout), no path separator.
fn name_ok(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Compiles the fields' element paths (checked: no path twice, no leaf that is also a container) into
/// open/leaf/close steps.
fn compile_steps(fields: &[XmlFieldDef]) -> Vec<Step> {
    let mut steps = Vec::new();
    // Open containers: (depth, step index).
    let mut open: Vec<usize> = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if f.attribute.is_some() || f.path.is_empty() {
            continue;
        }
        let container = &f.path[..f.path.len() - 1];
        let common = cur
            .iter()
            .zip(container)
            .take_while(|(a, b)| **a == b.as_str())
            .count();
        while cur.len() > common {
            cur.pop();
            if let Some(o) = open.pop() {
                steps.push(Step::Close { open: o });
            }
        }
        for (depth, name) in container.iter().enumerate().skip(common) {
            open.push(steps.len());
            steps.push(Step::Open {
                field: i,
                depth,
                close: 0,
                optional: true,
            });
            cur.push(name.as_str());
        }
        steps.push(Step::Leaf { field: i });
    }
    while let Some(o) = open.pop() {
        steps.push(Step::Close { open: o });
    }
    // Link each open to its close, and mark it required when a required leaf lies inside.
    let mut links = Vec::new();
    for (ci, s) in steps.iter().enumerate() {
        if let Step::Close { open } = s {
            let required = steps[*open..ci].iter().any(|x| match x {
                Step::Leaf { field } => !fields[*field].optional,
                _ => false,
            });
            links.push((*open, ci, !required));
        }
    }
    for (o, c, opt) in links {
        if let Step::Open {
            close, optional, ..
        } = &mut steps[o]
        {
            *close = c;
            *optional = opt;
        }
    }
    steps
}

fn check(raw: RawXmlLayout, file: &str) -> Result<XmlLayout, Vec<LayoutProblem>> {
    let mut problems = Vec::new();
    let mut p = |record: Option<&str>, field: Option<&str>, message: String| {
        problems.push(LayoutProblem {
            file: file.to_string(),
            record: record.map(str::to_string),
            field: field.map(str::to_string),
            message,
        });
    };
    if raw.name.trim().is_empty() {
        p(None, None, "name is empty".into());
    }
    if raw.format != "xml" {
        p(
            None,
            None,
            format!(
                "format {:?}: an XML layout says format = \"xml\"",
                raw.format
            ),
        );
    }
    if !raw.encoding.eq_ignore_ascii_case("UTF-8") {
        p(
            None,
            None,
            format!("encoding {:?} is not supported (only UTF-8)", raw.encoding),
        );
    }
    let role = match LayoutRole::parse(&raw.role) {
        Some(LayoutRole::Transaction | LayoutRole::Missiv) | None => {
            p(
                None,
                None,
                format!(
                    "role {:?} is not an inbound document role ({})",
                    raw.role,
                    LayoutRole::ALL[2..]
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            LayoutRole::Lub
        }
        Some(r) => r,
    };
    if !name_ok(&raw.root) {
        p(
            None,
            None,
            format!("root {:?} is not an element name (no prefix)", raw.root),
        );
    }
    let other_braces = raw
        .file_name
        .replace("{ik}", "")
        .replace("{date}", "")
        .contains(['{', '}']);
    if raw.file_name.matches("{ik}").count() != 1
        || raw.file_name.matches("{date}").count() > 1
        || other_braces
    {
        p(
            None,
            None,
            format!(
                "file_name {:?} must hold {{ik}} once, {{date}} at most once and no other placeholder",
                raw.file_name
            ),
        );
    }
    let defaults = XmlLimits::default();
    let limits = XmlLimits {
        max_bytes: raw.limits.max_bytes.unwrap_or(defaults.max_bytes),
        max_records: raw.limits.max_records.unwrap_or(defaults.max_records),
        max_depth: raw.limits.max_depth.unwrap_or(defaults.max_depth),
    };
    if limits.max_bytes == 0 || limits.max_records == 0 || !(1..=256).contains(&limits.max_depth) {
        p(
            None,
            None,
            "limits: max_bytes and max_records must be at least 1, max_depth within 1..=256".into(),
        );
    }
    if raw.records.is_empty() {
        p(None, None, "needs at least one record".into());
    }
    let mut records = Vec::new();
    let mut elements = HashSet::new();
    for (ri, rr) in raw.records.iter().enumerate() {
        let rc = Some(rr.element.as_str());
        let is_root = rr.element == ".";
        if is_root && ri != 0 {
            p(rc, None, "the root record (\".\") must come first".into());
        }
        if !is_root && !name_ok(&rr.element) {
            p(
                rc,
                None,
                "element must be \".\" (the root) or the local name of a child of the root".into(),
            );
        }
        if !elements.insert(rr.element.clone()) {
            p(rc, None, "element used by two records".into());
        }
        let scope = match Scope::parse(&rr.scope) {
            Some(s @ (Scope::FileHead | Scope::Entry)) => s,
            _ => {
                p(
                    rc,
                    None,
                    format!("scope {:?}: an XML record is file_head or entry", rr.scope),
                );
                continue;
            }
        };
        let min_occurs = rr.min_occurs.unwrap_or(1);
        let max_occurs = match &rr.max_occurs {
            None => Some(1),
            Some(toml::Value::String(s)) if s == "unbounded" => None,
            Some(toml::Value::Integer(n)) if *n >= 1 => u64::try_from(*n).ok(),
            Some(other) => {
                p(
                    rc,
                    None,
                    format!("max_occurs {other} is not a number ≥ 1 or \"unbounded\""),
                );
                Some(1)
            }
        };
        if max_occurs.is_some_and(|m| m < min_occurs) {
            p(rc, None, "min_occurs is greater than max_occurs".into());
        }
        if is_root && (min_occurs != 1 || max_occurs != Some(1)) {
            p(rc, None, "the root occurs exactly once".into());
        }
        let mut fields: Vec<XmlFieldDef> = Vec::new();
        let mut names = HashSet::new();
        let mut paths = HashSet::new();
        for rf in &rr.fields {
            let fname = Some(rf.name.as_str());
            if !names.insert(rf.name.clone()) {
                p(rc, fname, "field name used twice in the record".into());
            }
            let Some(kind) = XmlKind::parse(&rf.kind) else {
                p(
                    rc,
                    fname,
                    format!(
                        "kind {:?} is not one of text, date, datetime, amount, code",
                        rf.kind
                    ),
                );
                continue;
            };
            let (path, attribute) = match (&rf.path, &rf.attribute) {
                (Some(path), None) => {
                    let segs: Vec<String> = path.split('/').map(str::to_string).collect();
                    if !segs.iter().all(|s| name_ok(s)) {
                        p(
                            rc,
                            fname,
                            format!("path {path:?} is not element names separated by /"),
                        );
                        continue;
                    }
                    (segs, None)
                }
                (None, Some(a)) if name_ok(a) => (Vec::new(), Some(a.clone())),
                (None, Some(a)) => {
                    p(rc, fname, format!("attribute {a:?} is not a name"));
                    continue;
                }
                _ => {
                    p(rc, fname, "needs exactly one of path and attribute".into());
                    continue;
                }
            };
            let key = match &attribute {
                Some(a) => format!("@{a}"),
                None => path.join("/"),
            };
            if !paths.insert(key.clone()) {
                p(rc, fname, format!("{key} is mapped twice in the record"));
            }
            if let Some(other) = fields.iter().find_map(|f| {
                let (short, long) = if f.path.len() < path.len() {
                    (&f.path, &path)
                } else {
                    (&path, &f.path)
                };
                (attribute.is_none()
                    && f.attribute.is_none()
                    && short.len() < long.len()
                    && long[..short.len()] == short[..])
                    .then(|| f.path.join("/"))
            }) {
                p(
                    rc,
                    fname,
                    format!("{key} and {other}: one element would be both a leaf and a container"),
                );
            }
            let source = match Source::parse(&rf.source) {
                Some(s) => {
                    if !s.category().allowed_in(scope) {
                        p(
                            rc,
                            fname,
                            format!(
                                "source {:?} cannot fill a field of a {} record",
                                rf.source, rr.scope
                            ),
                        );
                    }
                    s
                }
                None => {
                    p(rc, fname, format!("unknown source {:?}", rf.source));
                    continue;
                }
            };
            let pattern = match &rf.pattern {
                Some(t) if kind == XmlKind::Text => match Pattern::new(t) {
                    Ok(pat) => Some(pat),
                    Err(m) => {
                        p(rc, fname, m);
                        None
                    }
                },
                Some(_) => {
                    p(rc, fname, "pattern only applies to text fields".into());
                    None
                }
                None => None,
            };
            if kind != XmlKind::Text && (rf.min_length.is_some() || rf.max_length.is_some()) {
                p(
                    rc,
                    fname,
                    "min_length/max_length only apply to text fields".into(),
                );
            }
            if let (Some(a), Some(b)) = (rf.min_length, rf.max_length) {
                if a > b {
                    p(rc, fname, "min_length is greater than max_length".into());
                }
            }
            if kind == XmlKind::Code {
                if rf.codes.is_empty() {
                    p(rc, fname, "a code field needs codes".into());
                }
                let mut written = HashSet::new();
                for (n, c) in &rf.codes {
                    if c.is_empty() || !written.insert(c.as_str()) {
                        p(
                            rc,
                            fname,
                            format!("code {n} = {c:?} is empty or written twice"),
                        );
                    }
                }
            } else if !rf.codes.is_empty() {
                p(rc, fname, "codes only apply to code fields".into());
            }
            fields.push(XmlFieldDef {
                name: rf.name.clone(),
                path,
                attribute,
                kind,
                source,
                min_length: rf.min_length,
                max_length: rf.max_length,
                pattern,
                codes: rf.codes.clone(),
                optional: rf.optional,
                note: rf.note.clone(),
            });
        }
        if is_root && fields.iter().any(|f| f.attribute.is_none()) {
            p(
                rc,
                None,
                "the root record maps attributes only; elements below the root are records of their own".into(),
            );
        }
        // Attributes first, then elements in document order (what the reader yields).
        fields.sort_by_key(|f| f.attribute.is_none());
        let steps = compile_steps(&fields);
        records.push(XmlRecordDef {
            element: rr.element.clone(),
            name: rr.name.clone(),
            scope,
            min_occurs,
            max_occurs,
            fields,
            steps,
        });
    }
    let layout = XmlLayout {
        name: raw.name,
        edition: raw.edition,
        role,
        namespace: raw.namespace,
        root: raw.root,
        file_name: raw.file_name,
        limits,
        records,
    };
    if layout.depth() > layout.limits.max_depth {
        p(
            None,
            None,
            format!(
                "the mapping nests {} deep, more than limits.max_depth {}",
                layout.depth(),
                layout.limits.max_depth
            ),
        );
    }
    if problems.is_empty() {
        Ok(layout)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LUB: &str = include_str!("../../../layouts/fogd-ref-2/lub.toml");
    const DELRED: &str = include_str!("../../../layouts/fogd-ref-2/delred.toml");

    #[test]
    fn delred_compiles_to_a_nested_sequence() {
        let l = XmlLayout::from_toml(DELRED, "delred.toml").unwrap();
        let r = &l.records[2];
        assert_eq!(r.element, "Redovisning");
        let shape: Vec<String> = r
            .steps
            .iter()
            .map(|s| match s {
                Step::Open { optional, .. } => {
                    format!("<{}{}", r.step_name(*s), if *optional { "?" } else { "" })
                }
                Step::Leaf { .. } => r.step_name(*s).to_string(),
                Step::Close { .. } => format!("/{}", r.step_name(*s)),
            })
            .collect();
        assert_eq!(
            shape.join(" "),
            "Malnummer Handlingsref <Period Fran Till /Period Utredning Redovisat AvdragnaAvgifter Aterstar"
        );
        assert_eq!(l.depth(), 4);
        assert_eq!(r.max_occurs, None);
    }

    #[test]
    fn file_names() {
        let l = XmlLayout::from_toml(LUB, "lub.toml").unwrap();
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(l.file_name_for("ABC", d), "2026-11-30_ABC_LUB_01.xml");
        assert_eq!(
            l.match_file_name("2026-11-30_ABC_LUB_01.xml"),
            Some(("ABC".to_string(), Some(d)))
        );
        assert_eq!(l.match_file_name("2026-11-30_ABC_LUB_02.xml"), None);
        assert_eq!(l.match_file_name("2026-11-31_ABC_LUB_01.xml"), None);
        assert_eq!(l.match_file_name("2026-11-30__LUB_01.xml"), None);
        assert_eq!(l.match_file_name("2026-11-30_ÅÄÖ_LUB_01.xml"), None);
        assert_eq!(l.match_file_name("2026-11-30"), None);
        let odd = XmlLayout::from_toml(&LUB.replace("{date}_{ik}_LUB", "{ik}_{x}_LUB"), "odd.toml")
            .unwrap_err();
        assert!(odd[0].message.contains("no other placeholder"), "{odd:?}");
        assert!(is_xml_layout(LUB));
        assert!(!is_xml_layout("name = \"x\"\nformat = \"fixed\""));
    }

    #[test]
    fn reports_every_problem_with_record_and_field() {
        let text = DELRED
            .replace("path = \"Period/Fran\"", "path = \"Period/Fr an\"")
            .replace(
                "kind = \"amount\", source = \"entry.paid_out\"",
                "kind = \"money\", source = \"entry.paid_out\"",
            )
            .replace(
                "source = \"entry.remaining\"",
                "source = \"entry.remainder\"",
            )
            .replace("source = \"file.created\"", "source = \"entry.date\"")
            .replace("pattern = \"[A-Z0-9]{1,3}\"", "pattern = \"[A-Z\"");
        let p = XmlLayout::from_toml(&text, "x.toml").unwrap_err();
        let has = |rec: &str, field: &str, needle: &str| {
            p.iter().any(|q| {
                q.record.as_deref() == Some(rec)
                    && q.field.as_deref() == Some(field)
                    && q.message.contains(needle)
            })
        };
        assert!(
            has("Redovisning", "period_fran", "not element names"),
            "{p:#?}"
        );
        assert!(has("Redovisning", "redovisat", "kind \"money\""), "{p:#?}");
        assert!(has("Redovisning", "aterstar", "unknown source"), "{p:#?}");
        assert!(
            has("Huvud", "skapad", "cannot fill a field of a file_head"),
            "{p:#?}"
        );
        assert!(has("Huvud", "intressentkod", "does not compile"), "{p:#?}");
        assert_eq!(p.len(), 5, "{p:#?}");
        let p = XmlLayout::from_toml("name = ", "bad.toml").unwrap_err();
        assert!(p[0].message.contains("not a valid XML layout file"));
    }

    #[test]
    fn structural_rules() {
        let two = DELRED.replace("element = \"Huvud\"", "element = \"Redovisning\"");
        let p = XmlLayout::from_toml(&two, "x.toml").unwrap_err();
        assert!(
            p.iter()
                .any(|q| q.message.contains("element used by two records")),
            "{p:#?}"
        );
        let deep = DELRED.replace("max_depth = 32", "max_depth = 3");
        let p = XmlLayout::from_toml(&deep, "x.toml").unwrap_err();
        assert!(
            p.iter().any(|q| q.message.contains("nests 4 deep")),
            "{p:#?}"
        );
        let dup = DELRED.replace("path = \"Period/Till\"", "path = \"Period/Fran\"");
        let p = XmlLayout::from_toml(&dup, "x.toml").unwrap_err();
        assert!(
            p.iter().any(|q| q.message.contains("mapped twice")),
            "{p:#?}"
        );
        let leaf = DELRED.replace("path = \"Period/Till\"", "path = \"Malnummer/Till\"");
        let p = XmlLayout::from_toml(&leaf, "x.toml").unwrap_err();
        assert!(
            p.iter()
                .any(|q| q.message.contains("both a leaf and a container")),
            "{p:#?}"
        );
    }
}
