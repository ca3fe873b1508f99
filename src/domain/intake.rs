//! Reading intake files (intake.md §2), pure and bytes in: JSON array, a single JSON object, JSON Lines and CSV
//! become [`SourceRecord`]s, one per case, each with the line it came from.
//!
//! Problems of the file as a whole (unreadable encoding, no header, unknown columns, broken JSON structure) are a
//! [`ReadError`]; problems of one record (a JSON syntax or type error in one element, a CSV row with the wrong
//! number of fields, rows of one case that disagree on a case-level column) are [`ReadIssue`]s attached to that
//! record, so one bad record never blocks the others.
//!
//! Readings of gaps in the spec, kept here:
//! - Encoding: a UTF-8 BOM is dropped; valid UTF-8 is read as UTF-8, anything else as Windows-1252 (a superset of
//!   printable ISO-8859-1). Bytes Windows-1252 leaves undefined, NUL bytes and UTF-16 are refused.
//! - CSV: besides the columns of intake.md §2, the columns in [`CASE_COLUMNS`] and [`CLAIM_COLUMNS`] carry the
//!   fields of the other kinds (follow-ups, verkställighet, fordringsanmälan); `reduction_amount` is the
//!   nedsättning's `amount` (the plain `amount` column is the claim's). Rows with the same `reference` form one case
//!   even when not adjacent; case-level columns must be equal (or empty) on every row of the case.
//!   Debtor columns `debtor_*` are the first debtor, `debtor2_*` … `debtor9_*` further ones.

use super::case::{
    CaseInput, ChangeInput, ClaimInput, DebtorInput, InterestInput, PartyInput, TitleInput,
};
use std::borrow::Cow;
use std::collections::HashMap;

/// Case-level CSV columns besides the debtor columns (they must agree on every row of a case).
pub const CASE_COLUMNS: &[&str] = &[
    "reference",
    "kind",
    "intressentkod",
    "creditor_id",
    "creditor_name",
    "agent_id",
    "agent_name",
    "customer_number",
    "promissory_note",
    "concerns",
    "malnummer",
    "date",
    "reason",
    "reduction_amount",
    "claim_index",
    "change_kind",
    "change_amount",
    "change_until",
    "title_kind",
    "title_reference",
    "title_date",
    "debt_restructuring_case",
];

/// Claim-level CSV columns (one claim per row).
pub const CLAIM_COLUMNS: &[&str] = &[
    "claim_kind",
    "amount",
    "due_date",
    "invoice_number",
    "basis",
    "interest_kind",
    "interest_rate",
    "interest_from",
    "accrued_interest",
    "costs",
];

/// Debtor fields; a column is `debtor_<field>` (first debtor) or `debtor<N>_<field>` for N = 2…9.
pub const DEBTOR_FIELDS: &[&str] = &[
    "id",
    "name",
    "care_of",
    "street",
    "postal_code",
    "city",
    "country",
    "phone",
    "email",
];

/// Most debtors a CSV row can carry through suffixed columns.
pub const MAX_CSV_DEBTORS: usize = 9;

/// A text encoding of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM is allowed).
    Utf8,
    /// Windows-1252 (printable ISO-8859-1 plus € and typographic quotes in 0x80–0x9F).
    Windows1252,
    /// ISO-8859-1 by code point.
    Latin1,
}

impl Encoding {
    /// Parses an `--encoding` name: `utf-8`, `windows-1252`/`cp1252`, `iso-8859-1`/`latin1`.
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "win-1252" => Some(Encoding::Windows1252),
            "iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" => Some(Encoding::Latin1),
            _ => None,
        }
    }

    /// The usual name.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Latin1 => "iso-8859-1",
        }
    }
}

/// The shape of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// `[ {…}, {…} ]`.
    JsonArray,
    /// One `{…}`.
    JsonObject,
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row.
    Csv,
}

impl SourceFormat {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::JsonArray => "json",
            SourceFormat::JsonObject => "json",
            SourceFormat::JsonLines => "jsonl",
            SourceFormat::Csv => "csv",
        }
    }
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// Bytes that are not text in the (given or detected) encoding.
    #[error("line {line}: {message}")]
    Encoding {
        /// 1-based line of the first bad byte.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The JSON structure is broken (outside any single record).
    #[error("line {line}: {message}")]
    JsonStructure {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The CSV has no header row.
    #[error("line {line}: no header row; the first line must name the columns (reference, kind, …), found {found:?}")]
    MissingHeader {
        /// The line read as the header (1-based; the first that is not empty).
        line: usize,
        /// That line as found.
        found: String,
    },
    /// Header columns that fogd does not know.
    #[error("line {line}: unknown column(s) {}; known columns are {}", .columns.join(", "), .known)]
    UnknownColumns {
        /// The header's line (1-based).
        line: usize,
        /// The unknown names.
        columns: Vec<String>,
        /// The known names, for the message.
        known: String,
    },
    /// A column named twice.
    #[error("line {line}: column {column:?} appears more than once")]
    DuplicateColumn {
        /// The header's line (1-based).
        line: usize,
        /// The column's name.
        column: String,
    },
    /// The CSV reader failed on the header.
    #[error("line {line}: {message}")]
    Csv {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A problem of one record found while reading (before validation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadIssue {
    /// 1-based line.
    pub line: usize,
    /// The field (CSV column or JSON path), empty for the record as a whole.
    pub field: String,
    /// The rule, e.g. `json.syntax`, `csv.field_count`, `csv.conflict`.
    pub rule: String,
    /// The offending value, if any.
    pub value: Option<String>,
    /// A sentence for the operator.
    pub message: String,
}

/// One case as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// 1-based line where the case starts (first CSV row, or the JSON value's first line).
    pub line: usize,
    /// CSV: the line of each claim's row, in claim order (empty for JSON).
    pub claim_lines: Vec<usize>,
    /// The case, when it could be read.
    pub input: Option<CaseInput>,
    /// Problems found while reading; any makes the case invalid.
    pub read_issues: Vec<ReadIssue>,
    /// The format it came from (decides how [`SourceRecord::locate`] names fields).
    pub format: SourceFormat,
}

impl SourceRecord {
    /// Where a validation issue at JSON `path` lies in the source: the line and the field name to show (the CSV
    /// column for CSV, the JSON path otherwise).
    pub fn locate(&self, path: &str) -> (usize, String) {
        if self.format != SourceFormat::Csv {
            return (self.line, path.to_string());
        }
        csv_locate(path, self.line, &self.claim_lines)
    }

    /// The reference as given, if any (for error output even when the case is unreadable).
    pub fn reference(&self) -> Option<&str> {
        self.input
            .as_ref()
            .and_then(|i| i.reference.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

fn csv_locate(path: &str, line: usize, claim_lines: &[usize]) -> (usize, String) {
    let index_of = |p: &str, prefix: &str| -> Option<(usize, String)> {
        let rest = p.strip_prefix(prefix)?;
        let close = rest.find(']')?;
        let idx: usize = rest[..close].parse().ok()?;
        let tail = rest[close + 1..].trim_start_matches('.').to_string();
        Some((idx, tail))
    };
    if let Some((i, tail)) = index_of(path, "claims[") {
        let l = claim_lines.get(i).copied().unwrap_or(line);
        let col = match tail.as_str() {
            "kind" => "claim_kind".to_string(),
            "" => "claim_kind".to_string(),
            t if t.starts_with("interest.") => format!("interest_{}", &t["interest.".len()..]),
            "interest" => "interest_kind".to_string(),
            t => t.to_string(),
        };
        return (l, col);
    }
    if let Some((i, tail)) = index_of(path, "debtors[") {
        let tail = if tail.is_empty() {
            "id".to_string()
        } else {
            tail
        };
        let col = if i == 0 {
            format!("debtor_{tail}")
        } else {
            format!("debtor{}_{tail}", i + 1)
        };
        return (line, col);
    }
    let col = match path {
        "debtors" => "debtor_id".to_string(),
        "claims" => "claim_kind".to_string(),
        "amount" => "reduction_amount".to_string(),
        "creditor" => "creditor_id".to_string(),
        "title" => "title_kind".to_string(),
        "change" => "change_kind".to_string(),
        p => p.replace('.', "_"),
    };
    (line, col)
}

/// A decoded input file, ready to yield its records.
#[derive(Debug)]
pub struct Source<'a> {
    /// The detected shape.
    pub format: SourceFormat,
    /// The encoding used.
    pub encoding: Encoding,
    text: Cow<'a, str>,
}

fn line_of(text: &[u8], offset: usize) -> usize {
    let end = offset.min(text.len());
    text[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Decodes `bytes` (given or detected encoding, see the module doc) and detects the format. CSV headers are
/// checked here, so a file with unknown columns fails before anything is imported.
pub fn open_source(bytes: &[u8], forced: Option<Encoding>) -> Result<Source<'_>, ReadError> {
    let (text, encoding) = decode(bytes, forced)?;
    let trimmed = text.trim_start();
    let format = match trimmed.as_bytes().first() {
        None => return Err(ReadError::Empty),
        Some(b'[') => SourceFormat::JsonArray,
        Some(b'{') => {
            let start = text.len() - trimmed.len();
            let end = scan_value(text.as_bytes(), start).map_err(|(pos, message)| {
                ReadError::JsonStructure {
                    line: line_of(text.as_bytes(), pos),
                    message,
                }
            });
            match end {
                Ok(end) if text[end..].trim().is_empty() => SourceFormat::JsonObject,
                _ => SourceFormat::JsonLines,
            }
        }
        Some(_) => SourceFormat::Csv,
    };
    let source = Source {
        format,
        encoding,
        text,
    };
    if format == SourceFormat::Csv {
        source.csv_header()?;
    }
    Ok(source)
}

fn decode(bytes: &[u8], forced: Option<Encoding>) -> Result<(Cow<'_, str>, Encoding), ReadError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::Encoding {
            line: 1,
            message: "the file is UTF-16; save it as UTF-8 or Windows-1252".into(),
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = body.iter().position(|&b| b == 0) {
        return Err(ReadError::Encoding {
            line: line_of(body, pos),
            message: "a NUL byte: this is not a text file".into(),
        });
    }
    match forced {
        Some(Encoding::Utf8) => match std::str::from_utf8(body) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
            Err(e) => Err(ReadError::Encoding {
                line: line_of(body, e.valid_up_to()),
                message: format!(
                    "byte 0x{:02X} is not UTF-8 (the file was read as UTF-8 because of --encoding utf-8; try --encoding windows-1252)",
                    body.get(e.valid_up_to()).copied().unwrap_or(0)
                ),
            }),
        },
        Some(Encoding::Windows1252) => decode_1252(body).map(|s| (Cow::Owned(s), Encoding::Windows1252)),
        Some(Encoding::Latin1) => {
            if let Some(pos) = body.iter().position(|b| (0x80..=0x9F).contains(b)) {
                return Err(ReadError::Encoding {
                    line: line_of(body, pos),
                    message: format!(
                        "byte 0x{:02X} is a control character in ISO-8859-1; is the file Windows-1252 or UTF-8?",
                        body[pos]
                    ),
                });
            }
            Ok((Cow::Owned(super::text::decode_latin1(body)), Encoding::Latin1))
        }
        None => match std::str::from_utf8(body) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
            Err(_) => decode_1252(body).map(|s| (Cow::Owned(s), Encoding::Windows1252)),
        },
    }
}

fn decode_1252(body: &[u8]) -> Result<String, ReadError> {
    if let Some(pos) = body
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Err(ReadError::Encoding {
            line: line_of(body, pos),
            message: format!(
                "byte 0x{:02X} is neither UTF-8 nor Windows-1252; save the file as UTF-8",
                body[pos]
            ),
        });
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
    Ok(text.into_owned())
}

/// Finds the end (exclusive) of the JSON value starting at `start` (after whitespace): strings, nesting and
/// scalars. Only the structure is checked; `serde_json` checks the rest per record.
fn scan_value(b: &[u8], start: usize) -> Result<usize, (usize, String)> {
    let mut i = start;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let Some(&first) = b.get(i) else {
        return Err((i, "expected a JSON value, found the end of the file".into()));
    };
    match first {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut in_str = false;
            let mut esc = false;
            while i < b.len() {
                let c = b[i];
                if in_str {
                    if esc {
                        esc = false;
                    } else if c == b'\\' {
                        esc = true;
                    } else if c == b'"' {
                        in_str = false;
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return Ok(i + 1);
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            Err((
                start,
                "this JSON value is never closed (missing } or ])".into(),
            ))
        }
        b'"' => {
            let mut esc = false;
            i += 1;
            while i < b.len() {
                let c = b[i];
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    return Ok(i + 1);
                }
                i += 1;
            }
            Err((start, "unterminated string".into()))
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b']' | b'}') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            Ok(i)
        }
    }
}

fn json_record(slice: &str, line: usize, format: SourceFormat) -> SourceRecord {
    let (input, read_issues) = match serde_json::from_str::<CaseInput>(slice) {
        Ok(input) => (Some(input), Vec::new()),
        Err(e) => {
            let rule = match e.classify() {
                serde_json::error::Category::Data => "json.type",
                _ => "json.syntax",
            };
            let err_line = line + e.line().saturating_sub(1);
            let msg = e.to_string();
            // Keep the reference when the record is readable as a JSON object at all.
            let reference = serde_json::from_str::<serde_json::Value>(slice)
                .ok()
                .and_then(|v| {
                    v.get("reference")
                        .and_then(|r| r.as_str())
                        .map(str::to_string)
                });
            let input = reference.map(|r| CaseInput {
                reference: Some(r),
                ..CaseInput::default()
            });
            (
                input,
                vec![ReadIssue {
                    line: err_line,
                    field: String::new(),
                    rule: rule.into(),
                    value: None,
                    message: msg,
                }],
            )
        }
    };
    SourceRecord {
        line,
        claim_lines: Vec::new(),
        input,
        read_issues,
        format,
    }
}

impl Source<'_> {
    /// The records of the file, one per case. CSV is streamed (memory grows with the number of cases whose rows
    /// are still incomplete, not with the file); JSON is split into records up front.
    pub fn records(&self) -> Result<Box<dyn Iterator<Item = SourceRecord> + '_>, ReadError> {
        match self.format {
            SourceFormat::Csv => Ok(Box::new(CsvRecords::new(self)?)),
            SourceFormat::JsonObject => {
                let start = self.text.len() - self.text.trim_start().len();
                let line = line_of(self.text.as_bytes(), start);
                Ok(Box::new(std::iter::once(json_record(
                    self.text.trim(),
                    line,
                    SourceFormat::JsonObject,
                ))))
            }
            SourceFormat::JsonLines => Ok(Box::new(
                // One record per non-blank line, parsed lazily (memory independent of the number of cases).
                self.text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(i, l)| json_record(l.trim(), i + 1, SourceFormat::JsonLines)),
            )),
            SourceFormat::JsonArray => {
                // The structure is checked over the whole array first (cheap: spans only), so a broken array is
                // refused before any record is read; the records themselves are parsed one at a time, keeping
                // memory independent of the number of cases.
                let spans = self.json_array_spans()?;
                Ok(Box::new(spans.into_iter().map(
                    move |(start, end, line)| {
                        json_record(&self.text[start..end], line, SourceFormat::JsonArray)
                    },
                )))
            }
        }
    }

    /// The byte span and first line of every element of a JSON array, after checking the array's structure.
    fn json_array_spans(&self) -> Result<Vec<(usize, usize, usize)>, ReadError> {
        let b = self.text.as_bytes();
        let structure = |pos: usize, message: String| ReadError::JsonStructure {
            line: line_of(b, pos),
            message,
        };
        let mut i = self.text.len() - self.text.trim_start().len() + 1; // after '['
        let mut line = line_of(b, i);
        let mut last = 0usize;
        let mut advance = |to: usize, line: &mut usize| {
            *line += b[last.min(to)..to].iter().filter(|&&c| c == b'\n').count();
            last = to;
        };
        let skip_ws = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        let mut out = Vec::new();
        i = skip_ws(i);
        if b.get(i) == Some(&b']') {
            return Ok(out);
        }
        loop {
            i = skip_ws(i);
            let end = scan_value(b, i).map_err(|(p, m)| structure(p, m))?;
            advance(i, &mut line);
            out.push((i, end, line));
            i = skip_ws(end);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b']') => {
                    let rest = skip_ws(i + 1);
                    if rest < b.len() {
                        return Err(structure(
                            rest,
                            "text after the closing ] of the array".into(),
                        ));
                    }
                    return Ok(out);
                }
                Some(c) => {
                    return Err(structure(
                        i,
                        format!(
                            "expected , or ] between array elements, found {:?}",
                            char::from(*c)
                        ),
                    ))
                }
                None => return Err(structure(i, "the array is never closed (missing ])".into())),
            }
        }
    }

    /// The CSV separator: `;` if the header (the first line after the empty lines the parser skips) holds more
    /// of them than `,`, else `,`.
    fn separator(&self) -> u8 {
        let first = self
            .text
            .trim_start_matches(['\r', '\n'])
            .lines()
            .next()
            .unwrap_or("");
        let semi = first.bytes().filter(|&c| c == b';').count();
        let comma = first.bytes().filter(|&c| c == b',').count();
        if semi > comma {
            b';'
        } else {
            b','
        }
    }

    /// The CSV reader: headers trimmed; fields are trimmed where they are read ([`field`]), which is cheaper than
    /// the reader's own trimming of every record (a copy of each row).
    fn csv_reader(&self) -> csv::Reader<&[u8]> {
        self.csv_reader_trimming(csv::Trim::Headers)
    }

    /// The CSV reader, trimming fields as `trim` says (the counting pass trims only the one field it reads).
    fn csv_reader_trimming(&self, trim: csv::Trim) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.separator())
            .has_headers(true)
            .flexible(true)
            .trim(trim)
            .from_reader(self.text.as_bytes())
    }

    fn csv_header(&self) -> Result<Columns, ReadError> {
        let mut rdr = self.csv_reader();
        let line = self.header_line();
        let header = rdr
            .headers()
            .map_err(|e| ReadError::Csv {
                line,
                message: e.to_string(),
            })?
            .clone();
        Columns::from_header(&header, line)
    }

    /// The header's 1-based line: the parser skips the empty lines before it.
    fn header_line(&self) -> usize {
        1 + skipped_line_feeds(self.text.as_bytes())
    }
}

/// The line feeds in the run of line ends (`\r`, `\n`) at the start of `bytes`: the empty lines the CSV parser
/// skips there, which its line numbers leave out (lines are counted by line feeds, as everywhere).
fn skipped_line_feeds(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|c| matches!(c, b'\r' | b'\n'))
        .filter(|c| **c == b'\n')
        .count()
}

/// Where each known column is in the header.
#[derive(Debug, Clone)]
struct Columns {
    case: Vec<(usize, &'static str)>,
    claim: Vec<(usize, &'static str)>,
    /// (column index, debtor number 0-based, field)
    debtor: Vec<(usize, usize, &'static str)>,
    reference: usize,
    width: usize,
}

fn debtor_column(name: &str) -> Option<(usize, &'static str)> {
    let rest = name.strip_prefix("debtor")?;
    let (num, field) = rest.split_once('_')?;
    let n: usize = if num.is_empty() { 1 } else { num.parse().ok()? };
    if !(1..=MAX_CSV_DEBTORS).contains(&n) {
        return None;
    }
    let f = DEBTOR_FIELDS.iter().find(|f| **f == field)?;
    Some((n - 1, f))
}

impl Columns {
    /// The columns of `header`, read on line `line` (for the errors).
    fn from_header(header: &csv::StringRecord, line: usize) -> Result<Columns, ReadError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if !names.iter().any(|n| n == "reference") {
            return Err(ReadError::MissingHeader {
                line,
                found: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        let mut cols = Columns {
            case: Vec::new(),
            claim: Vec::new(),
            debtor: Vec::new(),
            reference: 0,
            width: names.len(),
        };
        let mut unknown = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() && i + 1 == names.len() {
                continue; // a trailing separator
            }
            if !seen.insert(n.clone()) {
                return Err(ReadError::DuplicateColumn {
                    line,
                    column: n.clone(),
                });
            }
            if let Some(c) = CASE_COLUMNS.iter().find(|c| **c == n) {
                if *c == "reference" {
                    cols.reference = i;
                }
                cols.case.push((i, c));
            } else if let Some(c) = CLAIM_COLUMNS.iter().find(|c| **c == n) {
                cols.claim.push((i, c));
            } else if let Some((d, f)) = debtor_column(n) {
                cols.debtor.push((i, d, f));
            } else {
                unknown.push(format!("{n:?}"));
            }
        }
        if !unknown.is_empty() {
            let mut known: Vec<String> = CASE_COLUMNS.iter().map(|s| s.to_string()).collect();
            known.extend(DEBTOR_FIELDS.iter().map(|f| format!("debtor_{f}")));
            known.extend(CLAIM_COLUMNS.iter().map(|s| s.to_string()));
            return Err(ReadError::UnknownColumns {
                line,
                columns: unknown,
                known: format!(
                    "{} (and debtor2_… to debtor{MAX_CSV_DEBTORS}_…)",
                    known.join(", ")
                ),
            });
        }
        Ok(cols)
    }
}

/// Field `i` of a CSV row, trimmed of white space (as intake.md's CSV values are).
fn field<'r>(row: &[&'r str], i: usize) -> Option<&'r str> {
    row.get(i).map(|f| f.trim())
}

/// The hasher of maps and sets whose keys are hashes already (64 bits from a randomly seeded hasher): it passes
/// them through instead of hashing them a second time.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThroughHasher(u64);

impl std::hash::Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used for `u64` keys; mixes anything else in so that the hasher stays a hasher.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// [`PassThroughHasher`] for `HashMap`/`HashSet`.
pub type HashedKeys = std::hash::BuildHasherDefault<PassThroughHasher>;

/// A CSV case being assembled from its rows.
struct Pending {
    line: usize,
    claim_lines: Vec<usize>,
    /// Case-level values of the first row, for the conflict check.
    case_values: Vec<Option<String>>,
    debtor_values: Vec<Option<String>>,
    input: CaseInput,
    read_issues: Vec<ReadIssue>,
    remaining: usize,
}

struct CsvRecords<'s> {
    cols: Columns,
    rows: csv::Reader<&'s [u8]>,
    /// The row being read, reused for every row (no allocation per row).
    row: csv::StringRecord,
    /// Rows per reference (from a first counting pass), keyed by [`Self::reference_key`]: a 64-bit hash rather
    /// than the reference itself, so the pass allocates nothing per row. Two references sharing a hash (about
    /// one in 10^9 for 100,000 references) only make both look longer than they are: they then stay pending
    /// until the end of the file and are handed out from there, complete — never split or lost.
    counts: HashMap<u64, usize, HashedKeys>,
    /// The hasher of `counts` keys (randomly seeded per file).
    key_hasher: std::collections::hash_map::RandomState,
    pending: HashMap<String, Pending>,
    done: bool,
    /// The whole text (to read the parser's positions).
    text: &'s [u8],
    /// The second pass's rows when the text has no quote character (see [`UnquotedRows`]); `rows` otherwise.
    unquoted: Option<UnquotedRows<'s>>,
}

impl<'s> CsvRecords<'s> {
    fn new(src: &'s Source<'_>) -> Result<Self, ReadError> {
        let cols = src.csv_header()?;
        let key_hasher = std::collections::hash_map::RandomState::new();
        let quoted = memchr::memchr(b'"', src.text.as_bytes()).is_some();
        let counts = if quoted {
            Self::count_rows_csv(src, cols.reference, &key_hasher)
        } else {
            Self::count_rows_unquoted(src, cols.reference, &key_hasher)
        };
        let unquoted = (!quoted).then(|| UnquotedRows::of(src));
        // The text is decoded and in memory; the second pass re-reads it.
        let mut rows = src.csv_reader();
        // Skip the header row (`read_record` does not, unlike `records()`).
        let _ = rows.headers();
        Ok(CsvRecords {
            cols,
            rows,
            row: csv::StringRecord::new(),
            counts,
            key_hasher,
            pending: HashMap::new(),
            done: false,
            text: src.text.as_bytes(),
            unquoted,
        })
    }

    /// The counting pass: rows per reference (see `counts`), read with the CSV parser.
    fn count_rows_csv(
        src: &Source<'_>,
        reference: usize,
        key_hasher: &std::collections::hash_map::RandomState,
    ) -> HashMap<u64, usize, HashedKeys> {
        let mut counts: HashMap<u64, usize, HashedKeys> = HashMap::default();
        let mut rdr = src.csv_reader_trimming(csv::Trim::None);
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap_or(false) {
            // Byte records skip the UTF-8 check (the text is decoded already); only the reference is trimmed,
            // with `str::trim`, as the second pass's string records trim every field.
            Self::count(&mut counts, key_hasher, rec.get(reference));
        }
        counts
    }

    /// The counting pass for a text without a quote character, where the CSV parser's records are the non-empty
    /// lines (split at `\n`, `\r` or both) and its fields what lies between separators: the same counts as
    /// [`Self::count_rows_csv`] (a test checks it), found by searching for line ends and separators instead of
    /// parsing every byte. This pass runs before anything else can start, on one core: files written by programs
    /// mostly quote nothing.
    fn count_rows_unquoted(
        src: &Source<'_>,
        reference: usize,
        key_hasher: &std::collections::hash_map::RandomState,
    ) -> HashMap<u64, usize, HashedKeys> {
        let mut counts: HashMap<u64, usize, HashedKeys> = HashMap::default();
        let rows = UnquotedRows::of(src);
        let separator = rows.separator;
        for (_, line) in rows {
            let field = line.split(separator).nth(reference);
            Self::count(&mut counts, key_hasher, field.map(str::as_bytes));
        }
        counts
    }

    /// Counts one row of the counting pass, by its reference field (trimmed; none or empty: not counted).
    fn count(
        counts: &mut HashMap<u64, usize, HashedKeys>,
        key_hasher: &std::collections::hash_map::RandomState,
        field: Option<&[u8]>,
    ) {
        let reference = field
            .and_then(|r| std::str::from_utf8(r).ok())
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if let Some(r) = reference {
            *counts
                .entry(Self::reference_key(key_hasher, r))
                .or_insert(0) += 1;
        }
    }

    /// The key of a reference in `counts`.
    fn reference_key(hasher: &std::collections::hash_map::RandomState, reference: &str) -> u64 {
        use std::hash::BuildHasher;
        hasher.hash_one(reference)
    }

    /// Starts a case from its first row. `keep_firsts`: keep the case-level and debtor values to check the case's
    /// later rows against (only cases of several rows need them; the others are built without copying a value).
    fn new_pending(&self, row: &[&str], line: usize, keep_firsts: bool) -> Pending {
        let get = |i: usize| field(row, i).filter(|v| !v.is_empty()).map(str::to_string);
        let mut input = CaseInput::default();
        let mut issues = Vec::new();
        let mut creditor = PartyInput::default();
        let mut agent = PartyInput::default();
        let mut title = TitleInput::default();
        let mut change = ChangeInput::default();
        let mut case_values: Vec<Option<String>> = Vec::new();
        for (i, name) in &self.cols.case {
            let v = get(*i);
            if keep_firsts {
                case_values.push(v.clone());
            }
            let Some(v) = v else { continue };
            let s = serde_json::Value::String;
            match *name {
                "reference" => input.reference = Some(v),
                "kind" => input.kind = Some(v),
                "intressentkod" => input.intressentkod = Some(v),
                "creditor_id" => creditor.id = Some(v),
                "creditor_name" => creditor.name = Some(v),
                "agent_id" => agent.id = Some(v),
                "agent_name" => agent.name = Some(v),
                "customer_number" => input.customer_number = Some(v),
                "promissory_note" => match v.to_ascii_lowercase().as_str() {
                    "true" | "ja" | "yes" | "1" | "j" | "y" => input.promissory_note = Some(true),
                    "false" | "nej" | "no" | "0" | "n" => input.promissory_note = Some(false),
                    _ => issues.push(ReadIssue {
                        line,
                        field: "promissory_note".into(),
                        rule: "csv.boolean".into(),
                        message: format!("{v:?} is not true/false (ja/nej)"),
                        value: Some(v),
                    }),
                },
                "concerns" => input.concerns = Some(v),
                "malnummer" => input.malnummer = Some(v),
                "date" => input.date = Some(v),
                "reason" => input.reason = Some(v),
                "reduction_amount" => input.amount = Some(s(v)),
                "claim_index" => match v.parse::<u32>() {
                    Ok(n) => input.claim_index = Some(n),
                    Err(_) => issues.push(ReadIssue {
                        line,
                        field: "claim_index".into(),
                        rule: "csv.number".into(),
                        message: format!("{v:?} is not a whole number"),
                        value: Some(v),
                    }),
                },
                "change_kind" => change.kind = Some(v),
                "change_amount" => change.amount = Some(s(v)),
                "change_until" => change.until = Some(v),
                "title_kind" => title.kind = Some(v),
                "title_reference" => title.reference = Some(v),
                "title_date" => title.date = Some(v),
                "debt_restructuring_case" => input.debt_restructuring_case = Some(v),
                _ => {}
            }
        }
        if creditor != PartyInput::default() {
            input.creditor = Some(creditor);
        }
        if agent != PartyInput::default() {
            input.agent = Some(agent);
        }
        if title != TitleInput::default() {
            input.title = Some(title);
        }
        if change != ChangeInput::default() {
            input.change = Some(change);
        }
        let mut debtor_values: Vec<Option<String>> = Vec::new();
        // A debtor is made when its first value is read (most rows have one debtor of the nine columns allow).
        let mut debtors: [Option<DebtorInput>; MAX_CSV_DEBTORS] = Default::default();
        for (i, d, f) in &self.cols.debtor {
            let v = get(*i);
            if keep_firsts {
                debtor_values.push(v.clone());
            }
            let Some(v) = v else { continue };
            let Some(dd) = debtors
                .get_mut(*d)
                .map(|dd| dd.get_or_insert_with(Default::default))
            else {
                continue;
            };
            match *f {
                "id" => dd.id = Some(v),
                "name" => dd.name = Some(v),
                "care_of" => dd.care_of = Some(v),
                "street" => dd.street = Some(v),
                "postal_code" => dd.postal_code = Some(v),
                "city" => dd.city = Some(v),
                "country" => dd.country = Some(v),
                "phone" => dd.phone = Some(v),
                _ => dd.email = Some(v),
            }
        }
        input.debtors = debtors.into_iter().flatten().collect();
        Pending {
            line,
            claim_lines: Vec::new(),
            case_values,
            debtor_values,
            input,
            read_issues: issues,
            remaining: 0,
        }
    }

    fn add_row(&self, p: &mut Pending, row: &[&str], line: usize, first: bool) {
        let get = |i: usize| field(row, i).filter(|v| !v.is_empty()).map(str::to_string);
        if row.len() != self.cols.width && !(row.len() == 1 && field(row, 0) == Some("")) {
            p.read_issues.push(ReadIssue {
                line,
                field: String::new(),
                rule: "csv.field_count".into(),
                value: Some(row.len().to_string()),
                message: format!(
                    "the row has {} fields, the header {}",
                    row.len(),
                    self.cols.width
                ),
            });
        }
        if !first {
            // Case-level and debtor columns must agree with the case's first row (or be empty).
            let case_cols = self.cols.case.iter().map(|(i, n)| (*i, (*n).to_string()));
            let debtor_cols = self.cols.debtor.iter().map(|(i, d, f)| {
                (
                    *i,
                    if *d == 0 {
                        format!("debtor_{f}")
                    } else {
                        format!("debtor{}_{f}", d + 1)
                    },
                )
            });
            let firsts = p.case_values.iter().chain(p.debtor_values.iter());
            for ((i, name), first_v) in case_cols.chain(debtor_cols).zip(firsts) {
                if let Some(v) = get(i) {
                    if first_v.as_deref() != Some(v.as_str()) {
                        p.read_issues.push(ReadIssue {
                            line,
                            field: name.clone(),
                            rule: "csv.conflict".into(),
                            message: format!(
                                "{name} differs from the case's first row (line {}): {:?}",
                                p.line,
                                first_v.as_deref().unwrap_or("")
                            ),
                            value: Some(v),
                        });
                    }
                }
            }
        }
        let mut claim = ClaimInput::default();
        let mut interest = InterestInput::default();
        for (i, name) in &self.cols.claim {
            let Some(v) = get(*i) else { continue };
            let s = serde_json::Value::String;
            match *name {
                "claim_kind" => claim.kind = Some(v),
                "amount" => claim.amount = Some(s(v)),
                "due_date" => claim.due_date = Some(v),
                "invoice_number" => claim.invoice_number = Some(v),
                "basis" => claim.basis = Some(v),
                "interest_kind" => interest.kind = Some(v),
                "interest_rate" => interest.rate = Some(s(v)),
                "interest_from" => interest.from = Some(v),
                "accrued_interest" => claim.accrued_interest = Some(s(v)),
                _ => claim.costs = Some(s(v)),
            }
        }
        if interest != InterestInput::default() {
            claim.interest = Some(interest);
        }
        if claim != ClaimInput::default() {
            p.input.claims.push(claim);
            p.claim_lines.push(line);
        }
    }

    fn finish(p: Pending) -> SourceRecord {
        SourceRecord {
            line: p.line,
            claim_lines: p.claim_lines,
            input: Some(p.input),
            read_issues: p.read_issues,
            format: SourceFormat::Csv,
        }
    }
}

impl Iterator for CsvRecords<'_> {
    type Item = SourceRecord;

    fn next(&mut self) -> Option<SourceRecord> {
        loop {
            if self.done {
                // Anything still pending (cannot happen with a consistent count, but never lose a case).
                let key = self.pending.keys().next().cloned()?;
                return self.pending.remove(&key).map(Self::finish);
            }
            if let Some(lines) = &mut self.unquoted {
                let Some((line, text)) = lines.next() else {
                    self.done = true;
                    continue;
                };
                let fields: Vec<&str> = text.split(lines.separator).collect();
                if let Some(rec) = self.take_row(&fields, line) {
                    return Some(rec);
                }
                continue;
            }
            let mut row = std::mem::take(&mut self.row);
            let read = self.rows.read_record(&mut row);
            let rec = self.next_row(&row, read);
            self.row = row;
            if rec.is_some() {
                return rec;
            }
        }
    }
}

/// The rows of a CSV text without a quote character, for the second pass: the non-empty lines after the header,
/// split at `\n`, `\r` or both, with their 1-based line numbers, as the CSV parser reads them (a test checks
/// it). Splitting lines and separators this way costs a fraction of parsing every byte.
struct UnquotedRows<'s> {
    text: &'s str,
    /// Where the next line starts.
    at: usize,
    /// The line it is (1-based).
    line: usize,
    header_done: bool,
    separator: char,
}

impl<'s> UnquotedRows<'s> {
    /// The rows of `src`'s text (which must hold no quote character).
    fn of(src: &'s Source<'_>) -> Self {
        UnquotedRows {
            text: &src.text,
            at: 0,
            line: 1,
            header_done: false,
            separator: char::from(src.separator()),
        }
    }
}

impl<'s> Iterator for UnquotedRows<'s> {
    type Item = (usize, &'s str);

    fn next(&mut self) -> Option<(usize, &'s str)> {
        loop {
            let rest = self.text.get(self.at..).filter(|r| !r.is_empty())?;
            let (len, ending) = match memchr::memchr2(b'\n', b'\r', rest.as_bytes()) {
                Some(i) => (i, rest.as_bytes().get(i).copied()),
                None => (rest.len(), None),
            };
            let line_text = rest.get(..len).unwrap_or_default();
            let line = self.line;
            self.at += len + usize::from(ending.is_some());
            if ending == Some(b'\n') {
                self.line += 1;
            }
            if line_text.is_empty() {
                continue; // the parser skips empty lines
            }
            if !std::mem::replace(&mut self.header_done, true) {
                continue; // the header row (read apart)
            }
            return Some((line, line_text));
        }
    }
}

impl CsvRecords<'_> {
    /// Takes one read row into the record being assembled; returns a record once it is complete (`None`: read on).
    fn next_row(
        &mut self,
        row: &csv::StringRecord,
        read: csv::Result<bool>,
    ) -> Option<SourceRecord> {
        match read {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                // The parser dates a record from where it started reading it, before the line ends it skips
                // (the `\n` of a `\r\n`, empty lines): every line of a file with Windows line ends came out one
                // too low. The line feeds skipped are counted in.
                let line = row.position().map_or(0, |p| {
                    let skipped = skipped_line_feeds(
                        usize::try_from(p.byte())
                            .ok()
                            .and_then(|b| self.text.get(b..))
                            .unwrap_or_default(),
                    );
                    p.line() as usize + skipped
                });
                let fields: Vec<&str> = row.iter().collect();
                self.take_row(&fields, line)
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                Some(SourceRecord {
                    line,
                    claim_lines: Vec::new(),
                    input: None,
                    read_issues: vec![ReadIssue {
                        line,
                        field: String::new(),
                        rule: "csv.syntax".into(),
                        value: None,
                        message: e.to_string(),
                    }],
                    format: SourceFormat::Csv,
                })
            }
        }
    }

    /// Takes one row (its fields, untrimmed, and its line) into the record being assembled.
    fn take_row(&mut self, row: &[&str], line: usize) -> Option<SourceRecord> {
        if row.iter().all(|f| f.trim().is_empty()) {
            return None; // blank line
        }
        let Some(reference) = field(row, self.cols.reference).filter(|r| !r.is_empty()) else {
            // No reference: a case of its own (validation reports the missing reference).
            let mut p = self.new_pending(row, line, false);
            self.add_row(&mut p, row, line, true);
            return Some(Self::finish(p));
        };
        let total = self
            .counts
            .get(&Self::reference_key(&self.key_hasher, reference))
            .copied()
            .unwrap_or(1);
        let mut p = match self.pending.remove(reference) {
            Some(mut p) => {
                self.add_row(&mut p, row, line, false);
                p
            }
            None => {
                let mut p = self.new_pending(row, line, total > 1);
                p.remaining = total;
                self.add_row(&mut p, row, line, true);
                p
            }
        };
        p.remaining = p.remaining.saturating_sub(1);
        if p.remaining == 0 {
            return Some(Self::finish(p));
        }
        self.pending.insert(reference.to_string(), p);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8]) -> Vec<SourceRecord> {
        let src = open_source(bytes, None).unwrap();
        src.records().unwrap().collect()
    }

    /// The second pass's two readings (lines split at separators, and the CSV parser) give the same records, lines
    /// and problems for a text without quotes.
    fn unquoted_rows_agree(body: &str) {
        let src = open_source(body.as_bytes(), None).unwrap();
        let fast = CsvRecords::new(&src).unwrap();
        assert!(fast.unquoted.is_some(), "{body:?} has no quote");
        let mut parsed = CsvRecords::new(&src).unwrap();
        parsed.unquoted = None;
        let fast: Vec<String> = fast.map(|r| format!("{r:?}")).collect();
        let parsed: Vec<String> = parsed.map(|r| format!("{r:?}")).collect();
        assert_eq!(fast, parsed, "{body:?}");
    }

    #[test]
    fn unquoted_rows_agree_on_edge_cases() {
        let header = "reference;kind;creditor_id;debtor_id;debtor_name;claim_kind;amount";
        for rows in [
            "\nA;betalningsforelaggande;556036-0793;19121212-1212;Åsa;kapital;10\nB;x;;;;kapital;5\nA;;;;;kapital;7",
            "\r\nA;k;c;d;n;kapital;1\r\n\r\n  \r\nB;k\r\nA;k;c;d;n;ränta;2\r\n",
            "\rA;k;c;d;n;kapital;1\rB;k;c\r\rA;k;c;d;n;kapital;2",
            "\n;k;c;d;n;kapital;1\n;;;;;;\n\t\nC;k;c;d;n;kapital;1;extra;fields",
            "",
            "\n",
        ] {
            unquoted_rows_agree(&format!("{header}{rows}"));
        }
    }

    #[test]
    fn lines_are_physical_lines_with_windows_line_ends() {
        // Quoted (the CSV parser reads it) and unquoted: the cases are on lines 2 and 4 either way.
        for text in [
            "reference;kind;creditor_id\r\n\"A\";x;y\r\n\r\nB;x;y\r\n",
            "reference;kind;creditor_id\r\nA;x;y\r\n\r\nB;x;y\r\n",
        ] {
            let lines: Vec<usize> = records(text.as_bytes()).iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{text:?}");
        }
    }

    #[test]
    fn blank_lines_before_the_header_are_skipped() {
        // The separator is found on the header line, not on the blank lines above it: `;` here, so the columns
        // are known and the cases read, quoted (the CSV parser) or not, on their physical lines.
        for text in [
            "\n\r\nreference;kind;creditor_id\n\"A\";x;y\nB;x;y\n",
            "\n\r\nreference;kind;creditor_id\nA;x;y\nB;x;y\n",
        ] {
            let recs = records(text.as_bytes());
            let refs: Vec<Option<&str>> = recs.iter().map(SourceRecord::reference).collect();
            assert_eq!(refs, [Some("A"), Some("B")], "{text:?}");
            let lines: Vec<usize> = recs.iter().map(|r| r.line).collect();
            assert_eq!(lines, [4, 5], "{text:?}");
            assert!(recs.iter().all(|r| r.read_issues.is_empty()), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn unquoted_rows_agree_on_any_text(
            body in "reference;kind;creditor_id;amount\r?\n[AB Å;,1\n\r\t]{0,80}"
        ) {
            unquoted_rows_agree(&body);
        }
    }

    /// The counting pass's two readings agree on every text without quotes: empty and blank lines, `\r\n`, `\r`
    /// or `\n` endings, rows shorter than the reference column, spaces around
    /// references, `;` or `,` as separator, non-ASCII text, and no line end at the end.
    fn unquoted_counting_agrees(body: &str) {
        let src = open_source(body.as_bytes(), None).unwrap();
        let hasher = std::collections::hash_map::RandomState::new();
        for column in 0..4 {
            assert_eq!(
                CsvRecords::count_rows_unquoted(&src, column, &hasher),
                CsvRecords::count_rows_csv(&src, column, &hasher),
                "column {column} of {body:?}"
            );
        }
    }

    #[test]
    fn unquoted_counting_agrees_on_edge_cases() {
        for body in [
            "reference;kind;creditor_id\nA;x\nB;y\nA;z",
            "reference;kind;creditor_id\r\nA;x\r\n\r\nB;y\r\nA;z\r\n",
            "reference;kind;creditor_id\rA;x\rB\r\r A ;z\n \n;\n",
            "reference,kind,creditor_id,debtor_id\nÅsa,1,2,3\nÅsa\nÅsa,1\n,,,\n  ,x,y,z\nB,1,2,3,4,5",
            "reference;kind;creditor_id",
            "reference;kind;creditor_id\n",
        ] {
            unquoted_counting_agrees(body);
        }
    }

    proptest::proptest! {
        #[test]
        fn unquoted_counting_agrees_on_any_text(
            body in "reference;kind;creditor_id\r?\n[AB Å;,\n\r\t]{0,80}"
        ) {
            unquoted_counting_agrees(&body);
        }
    }

    const HEADER: &str = "reference;kind;creditor_id;creditor_name;debtor_id;debtor_name;debtor_postal_code;debtor2_id;debtor2_name;claim_kind;amount;due_date;basis;interest_kind;interest_rate;interest_from";

    #[test]
    fn csv_values_are_trimmed_where_read() {
        // Spaces and tabs around values (quoted or not), a header with spaces, a row of blanks (skipped) and the
        // same reference written with and without spaces in non-adjacent rows (one case).
        let text = " reference ; kind ;creditor_id;debtor_id;claim_kind;amount\n\
                     \t A-1 ; betalningsforelaggande ;\" 202100-5489 \";19121212-1212; kapital ; 10 \n\
                     B-1;betalningsforelaggande;202100-5489;19121212-1212;kapital;5\n\
                     \x20; ;;\t;;\n\
                     A-1;;;;inkassokostnad;180\n";
        let recs = records(text.as_bytes());
        assert_eq!(recs.len(), 2, "{recs:?}");
        let a = recs.iter().find(|r| r.reference() == Some("A-1")).unwrap();
        let input = a.input.as_ref().unwrap();
        assert_eq!(input.kind.as_deref(), Some("betalningsforelaggande"));
        assert_eq!(
            input.creditor.as_ref().unwrap().id.as_deref(),
            Some("202100-5489")
        );
        assert_eq!(input.claims.len(), 2);
        assert_eq!(input.claims[0].kind.as_deref(), Some("kapital"));
        assert_eq!(input.claims[0].amount, Some(serde_json::json!("10")));
        assert!(a.read_issues.is_empty(), "{:?}", a.read_issues);
    }

    #[test]
    fn csv_rows_form_cases_with_lines() {
        let text = format!(
            "{HEADER}\nA-1;betalningsforelaggande;202100-5489;Kredit AB;19121212-1212;Tolvan Tolvansson;111 22;;;kapital;1250,00;2026-01-01;Faktura;reference_plus;8;2026-01-02\n\
             B-1;betalningsforelaggande;202100-5489;Kredit AB;19121212-1212;Åsa Öberg;;198211059954;Per Öberg;kapital;10;2026-01-01;Faktura;;;\n\
             A-1;;;;;;;;;inkassokostnad;180;;;;;\n"
        );
        let recs = records(text.as_bytes());
        assert_eq!(recs.len(), 2);
        let b = &recs[0];
        assert_eq!(b.reference(), Some("B-1"));
        assert_eq!(b.line, 3);
        assert_eq!(b.input.as_ref().unwrap().debtors.len(), 2);
        assert_eq!(
            b.input.as_ref().unwrap().debtors[0].name.as_deref(),
            Some("Åsa Öberg")
        );
        let a = &recs[1];
        assert_eq!(a.line, 2);
        assert_eq!(a.claim_lines, vec![2, 4]);
        let ai = a.input.as_ref().unwrap();
        assert_eq!(ai.claims.len(), 2);
        assert_eq!(
            ai.claims[0].interest.as_ref().unwrap().rate,
            Some(serde_json::json!("8"))
        );
        assert!(a.read_issues.is_empty(), "{:?}", a.read_issues);
        assert_eq!(a.locate("claims[1].amount"), (4, "amount".to_string()));
        assert_eq!(
            a.locate("claims[0].interest.rate"),
            (2, "interest_rate".to_string())
        );
        assert_eq!(a.locate("debtors[1].id"), (2, "debtor2_id".to_string()));
        assert_eq!(
            a.locate("debtors[0].postal_code"),
            (2, "debtor_postal_code".to_string())
        );
        assert_eq!(a.locate("amount"), (2, "reduction_amount".to_string()));
    }

    #[test]
    fn csv_comma_bom_and_windows_1252() {
        let text = "\u{feff}reference,kind,debtor_name\nA,betalningsforelaggande,\"Öberg, Åsa\"\n";
        let recs = records(text.as_bytes());
        assert_eq!(
            recs[0].input.as_ref().unwrap().debtors[0].name.as_deref(),
            Some("Öberg, Åsa")
        );
        let cp1252: Vec<u8> = b"reference;debtor_name\nA;\xd6berg \x80\n".to_vec();
        let src = open_source(&cp1252, None).unwrap();
        assert_eq!(src.encoding, Encoding::Windows1252);
        let recs: Vec<_> = src.records().unwrap().collect();
        assert_eq!(
            recs[0].input.as_ref().unwrap().debtors[0].name.as_deref(),
            Some("Öberg €")
        );
        // Forced UTF-8 on a Windows-1252 file is a clear error with the line.
        let e = open_source(&cp1252, Some(Encoding::Utf8)).unwrap_err();
        assert!(matches!(e, ReadError::Encoding { line: 2, .. }), "{e}");
        assert!(open_source(b"\xff\xfer\x00", None).is_err());
        let e = open_source(b"reference\nA\x81\n", None).unwrap_err();
        assert!(e.to_string().contains("0x81"), "{e}");
    }

    #[test]
    fn csv_header_errors() {
        let e = open_source(b"reference;kind;debtor_nmae\n", None).unwrap_err();
        assert!(e.to_string().contains("\"debtor_nmae\""), "{e}");
        let e = open_source(b"A-1;betalningsforelaggande\n", None).unwrap_err();
        assert!(matches!(e, ReadError::MissingHeader { .. }), "{e}");
        let e = open_source(b"reference;reference\n", None).unwrap_err();
        assert!(matches!(e, ReadError::DuplicateColumn { line: 1, .. }));
        // Below blank lines, the header's own line is named.
        let e = open_source(b"\r\n\nreference;kind;debtor_nmae\n", None).unwrap_err();
        assert!(
            matches!(e, ReadError::UnknownColumns { line: 3, .. }),
            "{e}"
        );
        assert!(e.to_string().starts_with("line 3: "), "{e}");
        assert!(open_source(b"reference;debtor9_id;debtor10_id\n", None).is_err());
        assert!(open_source(b"   \n", None).is_err());
    }

    #[test]
    fn csv_row_problems_stay_with_their_case() {
        let text = "reference;kind;debtor_name;claim_kind;amount\nA;betalningsforelaggande;X;kapital;1\nA;aterkallelse;Y;kapital;2\nB;x\n";
        let recs = records(text.as_bytes());
        assert_eq!(recs.len(), 2);
        let a = &recs[0];
        let rules: Vec<_> = a
            .read_issues
            .iter()
            .map(|i| (i.rule.as_str(), i.field.as_str(), i.line))
            .collect();
        assert!(rules.contains(&("csv.conflict", "kind", 3)), "{rules:?}");
        assert!(
            rules.contains(&("csv.conflict", "debtor_name", 3)),
            "{rules:?}"
        );
        assert_eq!(recs[1].read_issues[0].rule, "csv.field_count");
    }

    #[test]
    fn json_array_object_and_lines() {
        let text = "[\n  {\"reference\": \"A\"},\n  {\"reference\": \"B\",\n   \"kind\": 5},\n  {\"reference\": \"C\", \"typo\": 1}\n]\n";
        let recs = records(text.as_bytes());
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].line, 2);
        assert!(recs[0].read_issues.is_empty());
        assert_eq!(recs[1].line, 3);
        assert_eq!(recs[1].read_issues[0].rule, "json.type");
        assert_eq!(recs[1].read_issues[0].line, 4);
        assert_eq!(recs[1].reference(), Some("B"));
        assert!(recs[2].read_issues[0].message.contains("typo"));
        let one = records(b"{\n \"reference\": \"A\",\n \"kind\": \"nedsattning\"\n}\n");
        assert_eq!(one.len(), 1);
        assert_eq!(
            open_source(b" {\"reference\":\"A\"}", None).unwrap().format,
            SourceFormat::JsonObject
        );
        let lines =
            records(b"{\"reference\":\"A\"}\n\n{\"reference\":\"B\"\n{\"reference\":\"C\"}\n");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].line, 3);
        assert_eq!(lines[1].read_issues[0].rule, "json.syntax");
        assert_eq!(lines[2].line, 4);
        assert!(records(b"[]").is_empty());
        let src = open_source(b"[{\"reference\":\"A\"} {}]", None).unwrap();
        assert!(matches!(
            src.records().map(|_| ()),
            Err(ReadError::JsonStructure { .. })
        ));
        let src = open_source(b"[{\"reference\":\"A\"", None).unwrap();
        assert!(src.records().is_err());
    }
}
