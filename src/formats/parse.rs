//! The generic parser: bytes → records → fields for any layout, verifying record length, line endings, allowed
//! characters, posttyp codes, order (head first, tail last, case structure), field kinds and the control fields
//! (antal_poster, antal_handlingar, TOT-BEL, per-case counts).
//!
//! [`parse_reader`] streams from a `BufRead` (memory independent of file size: one record buffer, a bounded error
//! list); [`parse_file`] wraps it for a slice and keeps the records. Records are split with `nom` (a fixed-width
//! `take` per field). Bad input never panics: every problem is a [`ParseError`] that says where.

use super::codec::{decode_field, FieldProblem, Value};
use super::felkod::ErrorClass;
use super::layout::{FieldKind, Layout, LineEnding, RecordDef, Scope};
use super::source::Source;
use serde::Serialize;
use std::io::BufRead;

/// At most this many errors are kept per file; the rest are counted in [`ParseSummary::errors_suppressed`].
pub const MAX_ERRORS: usize = 1000;

/// One problem found in a file, with where it is and its machine-readable class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// 1-based line (record) number, when the problem is in a record.
    pub line: Option<u64>,
    /// Record code, when known.
    pub record: Option<String>,
    /// Field name, when the problem is in a field.
    pub field: Option<String>,
    /// The reference (wire name `handlingsref`) of the case the record belongs to, when in a case.
    #[serde(rename = "handlingsref")]
    pub reference: Option<String>,
    /// The class (maps to a felkod through the felkod table).
    pub class: ErrorClass,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}")?;
        } else {
            write!(f, "file")?;
        }
        if let Some(r) = &self.record {
            write!(f, ", record {r}")?;
        }
        if let Some(x) = &self.field {
            write!(f, ", field {x}")?;
        }
        if let Some(h) = &self.reference {
            write!(f, " (case {h})")?;
        }
        write!(f, ": {} [{}]", self.message, self.class.as_str())
    }
}

/// One record as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRecord {
    /// 1-based line number.
    pub line: u64,
    /// Index of the record type in the layout, when known.
    pub def: Option<usize>,
    /// The record's bytes (without the line ending).
    pub bytes: Vec<u8>,
}

impl ParsedRecord {
    /// The record type.
    pub fn def<'l>(&self, layout: &'l Layout) -> Option<&'l RecordDef> {
        self.def.and_then(|i| layout.records.get(i))
    }

    /// The posttyp as written.
    pub fn code(&self, layout: &Layout) -> String {
        let r = layout.code_start.saturating_sub(1)
            ..layout.code_start.saturating_sub(1) + layout.code_length;
        crate::domain::text::decode_latin1(self.bytes.get(r).unwrap_or(&[]))
    }

    /// Every field as written (trimmed), in layout order; fields beyond a short record are left out.
    pub fn fields(&self, layout: &Layout) -> Vec<(String, String)> {
        let Some(def) = self.def(layout) else {
            return Vec::new();
        };
        def.fields
            .iter()
            .filter_map(|f| {
                let raw = self.bytes.get(f.range())?;
                Some((
                    f.name.clone(),
                    crate::domain::text::decode_latin1(raw).trim().to_string(),
                ))
            })
            .collect()
    }

    /// The decoded value of the field filled from `source` (the first such field), if present and valid.
    pub fn value(&self, layout: &Layout, source: Source) -> Option<Value<'static>> {
        let f = self.def(layout)?.field_for(source)?;
        decode_field(f, self.bytes.get(f.range())?).ok()
    }

    /// The decoded values of every field filled from `source` (e.g. the D and T parts of `file.created`).
    pub fn values(&self, layout: &Layout, source: Source) -> Vec<Value<'static>> {
        let Some(def) = self.def(layout) else {
            return Vec::new();
        };
        def.fields
            .iter()
            .filter(|f| f.source == Some(source))
            .filter_map(|f| decode_field(f, self.bytes.get(f.range())?).ok())
            .collect()
    }
}

/// Counts and totals of a parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseSummary {
    /// Records read.
    pub records: u64,
    /// Cases (case-opening records) read.
    pub cases: u64,
    /// Sum of the layout's total fields.
    pub total: i128,
    /// Bytes read.
    pub bytes: u64,
    /// Errors beyond [`MAX_ERRORS`] not kept.
    pub errors_suppressed: u64,
}

/// A parsed file: its records and every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    /// The layout's name.
    pub layout: String,
    /// Its edition.
    pub edition: String,
    /// The records, in file order.
    pub records: Vec<ParsedRecord>,
    /// Every problem (at most [`MAX_ERRORS`]).
    pub errors: Vec<ParseError>,
    /// Counts.
    pub summary: ParseSummary,
}

impl ParsedFile {
    /// True when no problem was found.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Parses a whole file held in memory.
pub fn parse_file(layout: &Layout, bytes: &[u8]) -> ParsedFile {
    let mut records = Vec::new();
    let (errors, summary) = match parse_reader(layout, bytes, |r| records.push(r.clone())) {
        Ok(x) => x,
        Err(e) => (vec![unreadable(e)], ParseSummary::default()),
    };
    ParsedFile {
        layout: layout.name.clone(),
        edition: layout.edition.clone(),
        records,
        errors,
        summary,
    }
}

fn unreadable(e: std::io::Error) -> ParseError {
    ParseError {
        line: None,
        record: None,
        field: None,
        reference: None,
        class: ErrorClass::Unreadable,
        message: format!("cannot read: {e}"),
    }
}

/// Reads lines of at most `max` bytes (longer lines are read to their end but only `max` bytes kept).
struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max: usize,
    bytes: u64,
}

struct Line {
    /// Length of the line as found (may exceed what is kept).
    full_len: usize,
    /// The last byte before the `\n` (or before the end of the file).
    last: Option<u8>,
    /// The line ended with `\n`.
    terminated: bool,
}

impl<R: BufRead> LineReader<R> {
    fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        self.buf.clear();
        let mut full_len = 0usize;
        let mut last = None;
        loop {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                return Ok((full_len > 0).then_some(Line {
                    full_len,
                    last,
                    terminated: false,
                }));
            }
            let (chunk, found) = match avail.iter().position(|&b| b == b'\n') {
                Some(p) => (p, true),
                None => (avail.len(), false),
            };
            if chunk > 0 {
                last = avail.get(chunk - 1).copied();
            }
            let room = self.max.saturating_sub(self.buf.len()).min(chunk);
            self.buf.extend_from_slice(&avail[..room]);
            full_len += chunk;
            let consumed = chunk + usize::from(found);
            self.inner.consume(consumed);
            self.bytes += consumed as u64;
            if found {
                return Ok(Some(Line {
                    full_len,
                    last,
                    terminated: true,
                }));
            }
        }
    }
}

struct CaseAcc {
    reference: Vec<u8>,
    line: u64,
    declared_debtors: Option<u64>,
    declared_claims: Option<u64>,
    debtors: u64,
    claims: u64,
    rank: u8,
}

/// The order and control checker, fed one record at a time.
struct Validator<'l> {
    layout: &'l Layout,
    errors: Vec<ParseError>,
    suppressed: u64,
    records: u64,
    cases: u64,
    total: i128,
    seen_head: bool,
    seen_tail: bool,
    case: Option<CaseAcc>,
    in_entries: bool,
    opener: Option<usize>,
    first_debtor_def: Option<usize>,
    first_further_def: Option<usize>,
    first_claim_def: Option<usize>,
    has_first_debtor_in_case: bool,
    has_tail: bool,
}

impl<'l> Validator<'l> {
    fn new(layout: &'l Layout) -> Self {
        let first = |s: Scope| layout.records.iter().position(|r| r.scope == s);
        Validator {
            layout,
            errors: Vec::new(),
            suppressed: 0,
            records: 0,
            cases: 0,
            total: 0,
            seen_head: false,
            seen_tail: false,
            case: None,
            in_entries: false,
            opener: first(Scope::Case),
            first_debtor_def: first(Scope::Debtor),
            first_further_def: first(Scope::FurtherDebtor),
            first_claim_def: first(Scope::Claim),
            has_first_debtor_in_case: layout.records_of(Scope::Case).any(|r| {
                r.field_for(Source::FirstDebtorId).is_some()
                    || r.field_for(Source::FirstDebtorName).is_some()
            }),
            has_tail: layout.tail().is_some(),
        }
    }

    fn push(
        &mut self,
        line: Option<u64>,
        record: Option<&str>,
        field: Option<&str>,
        class: ErrorClass,
        message: String,
    ) {
        if self.errors.len() >= MAX_ERRORS {
            self.suppressed += 1;
            return;
        }
        let reference = match class {
            ErrorClass::RecordLength
            | ErrorClass::LineEnding
            | ErrorClass::Character
            | ErrorClass::UnknownRecord => None,
            _ => self.case.as_ref().map(|c| {
                crate::domain::text::decode_latin1(&c.reference)
                    .trim()
                    .to_string()
            }),
        };
        self.errors.push(ParseError {
            line,
            record: record.map(str::to_string),
            field: field.map(str::to_string),
            reference,
            class,
            message,
        });
    }

    fn close_case(&mut self) {
        let Some(c) = self.case.take() else { return };
        let reference = crate::domain::text::decode_latin1(&c.reference)
            .trim()
            .to_string();
        let debtors = c.debtors
            + u64::from(
                self.has_first_debtor_in_case && self.first_further_def.is_some() && c.debtors > 0,
            );
        let checks = [
            (c.declared_debtors, debtors, "debtors"),
            (c.declared_claims, c.claims, "claims"),
        ];
        for (declared, found, what) in checks {
            if let Some(d) = declared {
                if d != found {
                    if self.errors.len() >= MAX_ERRORS {
                        self.suppressed += 1;
                        continue;
                    }
                    self.errors.push(ParseError {
                        line: Some(c.line),
                        record: self
                            .opener
                            .and_then(|i| self.layout.records.get(i))
                            .map(|r| r.code.clone()),
                        field: None,
                        reference: Some(reference.clone()),
                        class: ErrorClass::CaseCounts,
                        message: format!("the case declares {d} {what} but has {found}"),
                    });
                }
            }
        }
    }

    /// Checks one record; returns the index of its record type when known.
    fn feed(
        &mut self,
        line_no: u64,
        rec: &[u8],
        full_len: usize,
        ending_problem: Option<&str>,
    ) -> Option<usize> {
        let layout = self.layout;
        self.records += 1;
        if let Some(m) = ending_problem {
            self.push(
                Some(line_no),
                None,
                None,
                ErrorClass::LineEnding,
                m.to_string(),
            );
        }
        if full_len != layout.record_length {
            self.push(
                Some(line_no),
                None,
                None,
                ErrorClass::RecordLength,
                format!(
                    "record is {full_len} characters long, expected {}",
                    layout.record_length
                ),
            );
        }
        if let Some(pos) = rec.iter().position(|&b| !layout.allows(b)) {
            self.push(
                Some(line_no),
                None,
                None,
                ErrorClass::Character,
                format!(
                    "byte 0x{:02X} at column {} is not an allowed character",
                    rec[pos],
                    pos + 1
                ),
            );
        }
        let code_range = layout.code_start - 1..layout.code_start - 1 + layout.code_length;
        let Some((idx, def)) = rec.get(code_range.clone()).and_then(|c| layout.record(c)) else {
            let code = crate::domain::text::decode_latin1(rec.get(code_range).unwrap_or(rec));
            self.push(
                Some(line_no),
                Some(&code),
                None,
                ErrorClass::UnknownRecord,
                format!("unknown posttyp {code:?}"),
            );
            if self.records == 1 {
                self.seen_head = true;
            }
            return None;
        };
        let code = def.code.as_str();
        // Order.
        if self.seen_tail {
            self.push(
                Some(line_no),
                Some(code),
                None,
                ErrorClass::Order,
                "record after the tail record".into(),
            );
        }
        match def.scope {
            Scope::FileHead => {
                if self.records != 1 {
                    self.push(
                        Some(line_no),
                        Some(code),
                        None,
                        ErrorClass::Order,
                        "head record not first".into(),
                    );
                }
                self.seen_head = true;
            }
            Scope::FileTail => {
                self.close_case();
                self.seen_tail = true;
            }
            _ => {
                if !self.seen_head {
                    self.push(
                        Some(line_no),
                        Some(code),
                        None,
                        ErrorClass::Order,
                        "the file does not start with the head record".into(),
                    );
                    self.seen_head = true;
                }
            }
        }
        let rank = def.scope.rank();
        match def.scope {
            Scope::Case if Some(idx) == self.opener => {
                self.close_case();
                self.cases += 1;
                let reference = def
                    .field_for(Source::CaseReference)
                    .and_then(|f| rec.get(f.range()))
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                self.case = Some(CaseAcc {
                    reference,
                    line: line_no,
                    declared_debtors: None,
                    declared_claims: None,
                    debtors: 0,
                    claims: 0,
                    rank,
                });
            }
            Scope::Entry => {
                if self.case.is_some() {
                    self.push(
                        Some(line_no),
                        Some(code),
                        None,
                        ErrorClass::Order,
                        "entry record inside a case".into(),
                    );
                }
                self.in_entries = true;
            }
            Scope::FileHead | Scope::FileTail => {}
            _ => {
                let mut order_problem = None;
                match self.case.as_mut() {
                    None => {
                        order_problem =
                            Some("record outside a case (no case record before it)".to_string())
                    }
                    Some(c) => {
                        let back_ok = c.rank == 4 && rank == 3;
                        if rank < c.rank && !back_ok {
                            order_problem = Some(format!(
                                "{:?} record after a deeper record of the case",
                                def.scope
                            ));
                        }
                        c.rank = rank;
                        if let Some(f) = def.field_for(Source::CaseReference) {
                            if let Some(r) = rec.get(f.range()) {
                                if r != c.reference.as_slice() {
                                    order_problem = Some(format!(
                                        "handlingsref {:?} differs from its case's",
                                        crate::domain::text::decode_latin1(r).trim()
                                    ));
                                }
                            }
                        }
                        if Some(idx) == self.first_debtor_def || Some(idx) == self.first_further_def
                        {
                            c.debtors += 1;
                        }
                        if Some(idx) == self.first_claim_def {
                            c.claims += 1;
                        }
                    }
                }
                if let Some(m) = order_problem {
                    self.push(Some(line_no), Some(code), None, ErrorClass::Order, m);
                }
            }
        }
        // Fields.
        for (i, f) in def.fields.iter().enumerate() {
            let Some(raw) = rec.get(f.range()) else {
                continue;
            };
            let checked = match f.kind {
                FieldKind::A => {
                    if f.required && raw.iter().all(|&b| b == b' ') {
                        Err(FieldProblem {
                            class: ErrorClass::MandatoryEmpty,
                            message: "is empty".into(),
                        })
                    } else {
                        Ok(Value::None)
                    }
                }
                FieldKind::C => {
                    let want = f.value.as_deref().unwrap_or("").as_bytes();
                    if raw.starts_with(want)
                        && raw[want.len().min(raw.len())..].iter().all(|&b| b == b' ')
                    {
                        Ok(Value::None)
                    } else {
                        decode_field(f, raw)
                    }
                }
                _ => decode_field(f, raw),
            };
            match checked {
                Err(p) => self.push(Some(line_no), Some(code), Some(&f.name), p.class, p.message),
                Ok(v) => {
                    if def.total_fields.contains(&i) {
                        if let Value::Amount(a) = v {
                            self.total += i128::from(a);
                        }
                    }
                    if f.control {
                        self.control(line_no, def, &f.name, f.source, &v);
                    }
                }
            }
        }
        Some(idx)
    }

    fn control(
        &mut self,
        line_no: u64,
        def: &RecordDef,
        field: &str,
        source: Option<Source>,
        v: &Value<'_>,
    ) {
        let num = match v {
            Value::Num(n) => i128::from(*n),
            Value::Amount(a) => i128::from(*a),
            _ => return,
        };
        let (expected, class) = match source {
            Some(Source::ControlRecordCount) => (i128::from(self.records), ErrorClass::RecordCount),
            Some(Source::ControlCaseCount) => (i128::from(self.cases), ErrorClass::CaseCount),
            Some(Source::ControlTotal) => (self.total, ErrorClass::Total),
            Some(Source::ControlDebtorCount) => {
                if let Some(c) = self.case.as_mut() {
                    c.declared_debtors = u64::try_from(num).ok();
                }
                return;
            }
            Some(Source::ControlClaimCount) => {
                if let Some(c) = self.case.as_mut() {
                    c.declared_claims = u64::try_from(num).ok();
                }
                return;
            }
            _ => return,
        };
        if def.scope == Scope::FileTail && expected != num {
            self.push(
                Some(line_no),
                Some(&def.code),
                Some(field),
                class,
                format!("says {num}, the file has {expected}"),
            );
        }
    }

    fn finish(mut self, last_line: u64) -> (Vec<ParseError>, u64, u64, i128, u64) {
        self.close_case();
        if self.records == 0 {
            self.push(
                None,
                None,
                None,
                ErrorClass::Order,
                "the file is empty (no head record)".into(),
            );
        } else if self.has_tail && !self.seen_tail {
            let code = self.layout.tail().map(|t| t.code.clone());
            self.push(
                Some(last_line),
                code.as_deref(),
                None,
                ErrorClass::Order,
                "no tail record at the end of the file (truncated?)".into(),
            );
        }
        (
            self.errors,
            self.suppressed,
            self.records,
            self.total,
            self.cases,
        )
    }
}

/// Streams a file from `reader`, calling `on_record` for every record; returns the problems and the counts.
/// Memory use is one record buffer plus at most [`MAX_ERRORS`] errors, whatever the file's size.
pub fn parse_reader<R: BufRead>(
    layout: &Layout,
    reader: R,
    mut on_record: impl FnMut(&ParsedRecord),
) -> std::io::Result<(Vec<ParseError>, ParseSummary)> {
    let ending_len = layout.line_ending.bytes().len();
    let mut lines = LineReader {
        inner: reader,
        buf: Vec::with_capacity(layout.record_length + 2),
        max: layout.record_length + ending_len,
        bytes: 0,
    };
    let mut v = Validator::new(layout);
    let mut line_no = 0u64;
    let mut rec = ParsedRecord {
        line: 0,
        def: None,
        bytes: Vec::with_capacity(layout.record_length + 2),
    };
    while let Some(line) = lines.next_line()? {
        line_no += 1;
        let mut full_len = line.full_len;
        let mut content: &[u8] = &lines.buf;
        let mut ending_problem = None;
        let has_cr = line.last == Some(b'\r');
        match (layout.line_ending, line.terminated) {
            (_, false) => ending_problem = Some("the last record has no line ending"),
            (LineEnding::CrLf, true) if !has_cr => {
                ending_problem = Some("line ends with LF without CR")
            }
            (LineEnding::Lf, true) if has_cr => {
                ending_problem = Some("line ends with CR LF, the layout says LF")
            }
            _ => {}
        }
        if has_cr && (line.terminated || layout.line_ending == LineEnding::CrLf) {
            if content.len() == full_len {
                content = &content[..content.len() - 1];
            }
            full_len -= 1;
        }
        let def = v.feed(line_no, content, full_len, ending_problem);
        rec.line = line_no;
        rec.def = def;
        rec.bytes.clear();
        rec.bytes.extend_from_slice(content);
        on_record(&rec);
    }
    let bytes = lines.bytes;
    let (errors, suppressed, records, total, cases) = v.finish(line_no);
    Ok((
        errors,
        ParseSummary {
            records,
            cases,
            total,
            bytes,
            errors_suppressed: suppressed,
        },
    ))
}

/// Splits a record into its fields' raw bytes with nom (`take` per field, in column order); fields beyond the
/// record's end are left out. Used by `fogd inspect` and tests to show the record as the layout sees it.
pub fn split_fields<'a>(def: &'a RecordDef, rec: &'a [u8]) -> Vec<(&'a str, &'a [u8])> {
    use nom::bytes::complete::take;
    let mut fields: Vec<_> = def.fields.iter().collect();
    fields.sort_by_key(|f| f.start);
    let mut out = Vec::with_capacity(fields.len());
    let mut pos = 0usize;
    let mut rest = rec;
    for f in fields {
        let skip = (f.start - 1).saturating_sub(pos);
        let r: nom::IResult<&[u8], &[u8]> = take(skip)(rest);
        let Ok((after_gap, _)) = r else { break };
        let r: nom::IResult<&[u8], &[u8]> = take(f.length)(after_gap);
        let Ok((after, value)) = r else { break };
        out.push((f.name.as_str(), value));
        rest = after;
        pos = f.start - 1 + f.length;
    }
    out
}
