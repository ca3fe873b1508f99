//! Reading intake files (intake.md §2), pure and bytes in: JSON array, a single JSON object, JSON Lines and CSV
//! become [`SourceRecord`]s, one per case, each with the line it came from.
//!
//! Problems of the file as a whole (unreadable encoding, no header, unknown columns, broken JSON structure) are a
//! [`IntakeFileError`]; problems of one record (a JSON syntax or type error in one element, a CSV row with the wrong
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
    CaseInput, ChangeInput, ClaimInput, DebtorInput, InterestInput, OriginalCreditorInput,
    PartyInput, RequestsInput, SecurityInput, TitleInput,
};
use std::borrow::Cow;
use std::collections::HashMap;

mod csv;
mod json;
use csv::*;
pub use csv::{HashedKeys, PassThroughHasher};
use json::*;

/// Case-level CSV columns besides the debtor columns (they must agree on every row of a case).
pub const CASE_COLUMNS: &[&str] = &[
    "reference",
    "kind",
    "intressentkod",
    "creditor_id",
    "creditor_name",
    "creditor_street",
    "creditor_postal_code",
    "creditor_city",
    "creditor_phone",
    "creditor_email",
    "agent_id",
    "agent_name",
    "agent_street",
    "agent_postal_code",
    "agent_city",
    "agent_phone",
    "agent_email",
    "agent_reference",
    "original_creditor_id",
    "original_creditor_name",
    "original_creditor_transfer_date",
    "requests_enforcement",
    "requests_court_if_disputed",
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
    "title_court",
    "paid_since_title",
    "debt_restructuring_case",
    "decision_date",
    "publication_date",
    "deadline",
    "security_kind",
    "security_text",
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
    "arose",
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
    "business",
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
pub enum IntakeFileError {
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
pub struct DecodedInput<'a> {
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
pub fn open_source(
    bytes: &[u8],
    forced: Option<Encoding>,
) -> Result<DecodedInput<'_>, IntakeFileError> {
    let (text, encoding) = decode(bytes, forced)?;
    let trimmed = text.trim_start();
    let format = match trimmed.as_bytes().first() {
        None => return Err(IntakeFileError::Empty),
        Some(b'[') => SourceFormat::JsonArray,
        Some(b'{') => {
            let start = text.len() - trimmed.len();
            let end = scan_value(text.as_bytes(), start).map_err(|(pos, message)| {
                IntakeFileError::JsonStructure {
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
    let source = DecodedInput {
        format,
        encoding,
        text,
    };
    if format == SourceFormat::Csv {
        source.csv_header()?;
    }
    Ok(source)
}

fn decode(
    bytes: &[u8],
    forced: Option<Encoding>,
) -> Result<(Cow<'_, str>, Encoding), IntakeFileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(IntakeFileError::Encoding {
            line: 1,
            message: "the file is UTF-16; save it as UTF-8 or Windows-1252".into(),
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = body.iter().position(|&b| b == 0) {
        return Err(IntakeFileError::Encoding {
            line: line_of(body, pos),
            message: "a NUL byte: this is not a text file".into(),
        });
    }
    match forced {
        Some(Encoding::Utf8) => match std::str::from_utf8(body) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
            Err(e) => Err(IntakeFileError::Encoding {
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
                return Err(IntakeFileError::Encoding {
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

fn decode_1252(body: &[u8]) -> Result<String, IntakeFileError> {
    if let Some(pos) = body
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Err(IntakeFileError::Encoding {
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

impl DecodedInput<'_> {
    /// The records of the file, one per case. CSV is streamed (memory grows with the number of cases whose rows
    /// are still incomplete, not with the file); JSON is split into records up front.
    pub fn records(&self) -> Result<Box<dyn Iterator<Item = SourceRecord> + '_>, IntakeFileError> {
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
        assert!(
            matches!(e, IntakeFileError::Encoding { line: 2, .. }),
            "{e}"
        );
        assert!(open_source(b"\xff\xfer\x00", None).is_err());
        let e = open_source(b"reference\nA\x81\n", None).unwrap_err();
        assert!(e.to_string().contains("0x81"), "{e}");
    }

    #[test]
    fn csv_header_errors() {
        let e = open_source(b"reference;kind;debtor_nmae\n", None).unwrap_err();
        assert!(e.to_string().contains("\"debtor_nmae\""), "{e}");
        let e = open_source(b"A-1;betalningsforelaggande\n", None).unwrap_err();
        assert!(matches!(e, IntakeFileError::MissingHeader { .. }), "{e}");
        let e = open_source(b"reference;reference\n", None).unwrap_err();
        assert!(matches!(
            e,
            IntakeFileError::DuplicateColumn { line: 1, .. }
        ));
        // Below blank lines, the header's own line is named.
        let e = open_source(b"\r\n\nreference;kind;debtor_nmae\n", None).unwrap_err();
        assert!(
            matches!(e, IntakeFileError::UnknownColumns { line: 3, .. }),
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
            Err(IntakeFileError::JsonStructure { .. })
        ));
        let src = open_source(b"[{\"reference\":\"A\"", None).unwrap();
        assert!(src.records().is_err());
    }

    /// Every FOGD-REF-2 column (fogd-ref-2.md §2.1–§2.3) reads into the intake field of the same name, on the
    /// case's first row, its debtor columns and each claim row.
    #[test]
    fn fogd_ref_2_columns_are_read() {
        let csv = "reference;kind;creditor_id;creditor_name;creditor_street;creditor_postal_code;creditor_city;\
creditor_phone;creditor_email;agent_id;agent_name;agent_street;agent_postal_code;agent_city;agent_phone;agent_email;\
agent_reference;original_creditor_id;original_creditor_name;original_creditor_transfer_date;requests_enforcement;\
requests_court_if_disputed;debtor_id;debtor_name;debtor_business;debtor2_name;debtor2_business;claim_kind;amount;\
due_date;arose;basis\n\
R-1;betalningsforelaggande;556036-0793;Kredit AB;Box 1;111 22;Stockholm;08-1;k@k.se;556677-8808;Ombud AB;Gatan 2;\
41101;Göteborg;031-1;o@o.se;OMB-7;202100-5489;Säljaren AB;2026-05-01;ja;nej;19121212-1212;Tolvan;j;Elva;n;kapital;\
100;2026-03-01;2026-01-15;Faktura\n\
R-1;;;;;;;;;;;;;;;;;;;;;;;;;;;ombudsarvode;380;;;\n";
        let recs = records(csv.as_bytes());
        assert_eq!(recs.len(), 1);
        assert!(recs[0].read_issues.is_empty(), "{:#?}", recs[0].read_issues);
        let input = recs[0].input.as_ref().unwrap();
        let creditor = input.creditor.as_ref().unwrap();
        assert_eq!(
            (
                creditor.street.as_deref(),
                creditor.postal_code.as_deref(),
                creditor.city.as_deref(),
                creditor.phone.as_deref(),
                creditor.email.as_deref()
            ),
            (
                Some("Box 1"),
                Some("111 22"),
                Some("Stockholm"),
                Some("08-1"),
                Some("k@k.se")
            )
        );
        let agent = input.agent.as_ref().unwrap();
        assert_eq!(agent.reference.as_deref(), Some("OMB-7"));
        assert_eq!(agent.city.as_deref(), Some("Göteborg"));
        assert_eq!(agent.email.as_deref(), Some("o@o.se"));
        let oc = input.original_creditor.as_ref().unwrap();
        assert_eq!(oc.transfer_date.as_deref(), Some("2026-05-01"));
        assert_eq!(oc.name.as_deref(), Some("Säljaren AB"));
        let req = input.requests.as_ref().unwrap();
        assert_eq!(
            (req.enforcement, req.court_if_disputed),
            (Some(true), Some(false))
        );
        let business: Vec<Option<bool>> = input.debtors.iter().map(|d| d.business).collect();
        assert_eq!(business, [Some(true), Some(false)]);
        assert_eq!(input.claims[0].arose.as_deref(), Some("2026-01-15"));
        assert_eq!(input.claims[1].kind.as_deref(), Some("ombudsarvode"));

        let vst = "reference;kind;title_kind;title_reference;title_date;title_court;paid_since_title;\
debt_restructuring_case;decision_date;publication_date;deadline;security_kind;security_text;debtor_business\n\
V;verkstallighet;dom;T 1-26;2026-01-01;Solna tingsrätt;12,50;S;2026-02-01;2026-02-03;2026-03-03;pant;Bil;kanske\n";
        let recs = records(vst.as_bytes());
        let input = recs[0].input.as_ref().unwrap();
        let title = input.title.as_ref().unwrap();
        assert_eq!(title.court.as_deref(), Some("Solna tingsrätt"));
        assert_eq!(input.paid_since_title, Some(serde_json::json!("12,50")));
        assert_eq!(input.decision_date.as_deref(), Some("2026-02-01"));
        assert_eq!(input.publication_date.as_deref(), Some("2026-02-03"));
        assert_eq!(input.deadline.as_deref(), Some("2026-03-03"));
        let sec = input.security.as_ref().unwrap();
        assert_eq!(
            (sec.kind.as_deref(), sec.text.as_deref()),
            (Some("pant"), Some("Bil"))
        );
        // A yes/no column that says neither is a read issue naming the column.
        let issue = &recs[0].read_issues[0];
        assert_eq!(
            (issue.field.as_str(), issue.rule.as_str()),
            ("debtor_business", "csv.boolean")
        );
    }
}
