//! The CSV side of intake reading: the header, the separator, and rows grouped into one record per case
//! (intake.md §2).

use super::*;

impl DecodedInput<'_> {
    /// The CSV separator: `;` if the header (the first line after the empty lines the parser skips) holds more
    /// of them than `,`, else `,`.
    pub(super) fn separator(&self) -> u8 {
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
    pub(super) fn csv_reader(&self) -> ::csv::Reader<&[u8]> {
        self.csv_reader_trimming(::csv::Trim::Headers)
    }

    /// The CSV reader, trimming fields as `trim` says (the counting pass trims only the one field it reads).
    pub(super) fn csv_reader_trimming(&self, trim: ::csv::Trim) -> ::csv::Reader<&[u8]> {
        ::csv::ReaderBuilder::new()
            .delimiter(self.separator())
            .has_headers(true)
            .flexible(true)
            .trim(trim)
            .from_reader(self.text.as_bytes())
    }

    pub(super) fn csv_header(&self) -> Result<Columns, IntakeFileError> {
        let mut rdr = self.csv_reader();
        let line = self.header_line();
        let header = rdr
            .headers()
            .map_err(|e| IntakeFileError::Csv {
                line,
                message: e.to_string(),
            })?
            .clone();
        Columns::from_header(&header, line)
    }

    /// The header's 1-based line: the parser skips the empty lines before it.
    pub(super) fn header_line(&self) -> usize {
        1 + skipped_line_feeds(self.text.as_bytes())
    }
}

/// The line feeds in the run of line ends (`\r`, `\n`) at the start of `bytes`: the empty lines the CSV parser
/// skips there, which its line numbers leave out (lines are counted by line feeds, as everywhere).
pub(super) fn skipped_line_feeds(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|c| matches!(c, b'\r' | b'\n'))
        .filter(|c| **c == b'\n')
        .count()
}

/// Where each known column is in the header.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    case: Vec<(usize, &'static str)>,
    claim: Vec<(usize, &'static str)>,
    /// (column index, debtor number 0-based, field)
    debtor: Vec<(usize, usize, &'static str)>,
    reference: usize,
    width: usize,
}

pub(super) fn debtor_column(name: &str) -> Option<(usize, &'static str)> {
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
    fn from_header(header: &::csv::StringRecord, line: usize) -> Result<Columns, IntakeFileError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if !names.iter().any(|n| n == "reference") {
            return Err(IntakeFileError::MissingHeader {
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
                return Err(IntakeFileError::DuplicateColumn {
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
            return Err(IntakeFileError::UnknownColumns {
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

/// The column name of field `f` of debtor `d` (0-based): `debtor_f`, `debtor2_f`, ….
fn debtor_column_name(d: usize, f: &str) -> String {
    if d == 0 {
        format!("debtor_{f}")
    } else {
        format!("debtor{}_{f}", d + 1)
    }
}

/// A CSV yes/no value (`true`/`false`, `ja`/`nej`, `yes`/`no`, `1`/`0`, `j`/`n`, `y`); else the read issue of
/// `column` on `line`.
fn csv_boolean(column: &str, v: String, line: usize) -> Result<bool, ReadIssue> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "ja" | "yes" | "1" | "j" | "y" => Ok(true),
        "false" | "nej" | "no" | "0" | "n" => Ok(false),
        _ => Err(ReadIssue {
            line,
            field: column.into(),
            rule: "csv.boolean".into(),
            message: format!("{v:?} is not true/false (ja/nej)"),
            value: Some(v),
        }),
    }
}

/// Field `i` of a CSV row, trimmed of white space (as intake.md's CSV values are).
pub(super) fn field<'r>(row: &[&'r str], i: usize) -> Option<&'r str> {
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
pub(super) struct Pending {
    line: usize,
    claim_lines: Vec<usize>,
    /// Case-level values of the first row, for the conflict check.
    case_values: Vec<Option<String>>,
    debtor_values: Vec<Option<String>>,
    input: CaseInput,
    read_issues: Vec<ReadIssue>,
    remaining: usize,
}

pub(super) struct CsvRecords<'s> {
    cols: Columns,
    rows: ::csv::Reader<&'s [u8]>,
    /// The row being read, reused for every row (no allocation per row).
    row: ::csv::StringRecord,
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
    pub(super) unquoted: Option<UnquotedRows<'s>>,
}

impl<'s> CsvRecords<'s> {
    pub(super) fn new(src: &'s DecodedInput<'_>) -> Result<Self, IntakeFileError> {
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
            row: ::csv::StringRecord::new(),
            counts,
            key_hasher,
            pending: HashMap::new(),
            done: false,
            text: src.text.as_bytes(),
            unquoted,
        })
    }

    /// The counting pass: rows per reference (see `counts`), read with the CSV parser.
    pub(super) fn count_rows_csv(
        src: &DecodedInput<'_>,
        reference: usize,
        key_hasher: &std::collections::hash_map::RandomState,
    ) -> HashMap<u64, usize, HashedKeys> {
        let mut counts: HashMap<u64, usize, HashedKeys> = HashMap::default();
        let mut rdr = src.csv_reader_trimming(::csv::Trim::None);
        let mut rec = ::csv::ByteRecord::new();
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
    pub(super) fn count_rows_unquoted(
        src: &DecodedInput<'_>,
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
        let mut original = OriginalCreditorInput::default();
        let mut requests = RequestsInput::default();
        let mut security = SecurityInput::default();
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
                "creditor_street" => creditor.street = Some(v),
                "creditor_postal_code" => creditor.postal_code = Some(v),
                "creditor_city" => creditor.city = Some(v),
                "creditor_phone" => creditor.phone = Some(v),
                "creditor_email" => creditor.email = Some(v),
                "agent_street" => agent.street = Some(v),
                "agent_postal_code" => agent.postal_code = Some(v),
                "agent_city" => agent.city = Some(v),
                "agent_phone" => agent.phone = Some(v),
                "agent_email" => agent.email = Some(v),
                "agent_reference" => agent.reference = Some(v),
                "original_creditor_id" => original.id = Some(v),
                "original_creditor_name" => original.name = Some(v),
                "original_creditor_transfer_date" => original.transfer_date = Some(v),
                "promissory_note" | "requests_enforcement" | "requests_court_if_disputed" => {
                    let slot = match *name {
                        "promissory_note" => &mut input.promissory_note,
                        "requests_enforcement" => &mut requests.enforcement,
                        _ => &mut requests.court_if_disputed,
                    };
                    match csv_boolean(name, v, line) {
                        Ok(b) => *slot = Some(b),
                        Err(issue) => issues.push(issue),
                    }
                }
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
                "title_court" => title.court = Some(v),
                "paid_since_title" => input.paid_since_title = Some(s(v)),
                "debt_restructuring_case" => input.debt_restructuring_case = Some(v),
                "decision_date" => input.decision_date = Some(v),
                "publication_date" => input.publication_date = Some(v),
                "deadline" => input.deadline = Some(v),
                "security_kind" => security.kind = Some(v),
                "security_text" => security.text = Some(v),
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
        if original != OriginalCreditorInput::default() {
            input.original_creditor = Some(original);
        }
        if requests != RequestsInput::default() {
            input.requests = Some(requests);
        }
        if security != SecurityInput::default() {
            input.security = Some(security);
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
                "business" => match csv_boolean(&debtor_column_name(*d, f), v, line) {
                    Ok(b) => dd.business = Some(b),
                    Err(issue) => issues.push(issue),
                },
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
            let debtor_cols = self
                .cols
                .debtor
                .iter()
                .map(|(i, d, f)| (*i, debtor_column_name(*d, f)));
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
                "arose" => claim.arose = Some(v),
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
pub(super) struct UnquotedRows<'s> {
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
    fn of(src: &'s DecodedInput<'_>) -> Self {
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
        row: &::csv::StringRecord,
        read: ::csv::Result<bool>,
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
