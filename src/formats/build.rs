//! The generic builder: cases + file facts → transaction-file bytes and missiv bytes, for any layout.
//!
//! Records are written in this order, whatever the layout: the head; per case its case records, then per debtor
//! its debtor records (further-debtor records for debtors 2..), then per claim its claim records followed by the
//! claim's text lines; the tail. Control fields (counts, TOT-BEL) are filled here; TOT-BEL is the sum of the
//! layout's `total` fields as written (one place: the layout). A value that does not fit is an error naming the
//! case, record, field and value; nothing is truncated.

use super::codec::{encode_field, FitError, Value};
use super::layout::{Layout, LayoutRole, RecordDef, Scope};
use super::names;
use super::source::Source;
use crate::domain::case::{Claim, Debtor};
use crate::domain::{Amount, Case, CaseKind};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Test or production file (00.status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// A test file.
    Test,
    /// A production file.
    Production,
}

impl FileStatus {
    /// The domain name (`test`, `production`) used in code tables.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Test => "test",
            FileStatus::Production => "production",
        }
    }

    /// Parses `test` / `production`.
    pub fn parse(s: &str) -> Option<FileStatus> {
        match s {
            "test" => Some(FileStatus::Test),
            "production" => Some(FileStatus::Production),
            _ => None,
        }
    }
}

/// What a file says about itself beyond its cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// The ingivare's intressentkod.
    pub intressentkod: String,
    /// Löpnummer.
    pub lopnummer: u32,
    /// When the file was built (local time as written).
    pub created: NaiveDateTime,
    /// Test or production.
    pub status: FileStatus,
    /// Contact person for the missiv.
    pub contact_name: String,
    /// Contact phone for the missiv.
    pub contact_phone: String,
}

/// A built transaction file and its missiv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltFile {
    /// The transaction file's name.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The missiv's name.
    pub missiv_name: String,
    /// The missiv's bytes.
    pub missiv_bytes: Vec<u8>,
    /// Records in the transaction file (incl. head and tail).
    pub record_count: u64,
    /// Cases in the file.
    pub case_count: u64,
    /// TOT-BEL.
    pub total: Amount,
}

/// Why a file could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No layout of that name or kind.
    #[error("no layout {0:?}")]
    UnknownLayout(String),
    /// A case of another kind than the layout carries.
    #[error("case {case}: kind {kind} does not travel in layout {layout}")]
    WrongKind {
        /// Case reference.
        case: String,
        /// Its kind.
        kind: String,
        /// The layout.
        layout: String,
    },
    /// A value does not fit its field.
    #[error("{}record {record}, field {field}: value {value:?} {problem}", case.as_ref().map(|c| format!("case {c}: ")).unwrap_or_default())]
    Field {
        /// Case reference, when in a case.
        case: Option<String>,
        /// Record code.
        record: String,
        /// Field name.
        field: String,
        /// The value (masked for identity numbers).
        value: String,
        /// What is wrong.
        problem: String,
    },
    /// The case holds something the layout has no record for.
    #[error("case {case}: {what} cannot be written in layout {layout}")]
    NotCarried {
        /// Case reference.
        case: String,
        what: String,
        /// The layout.
        layout: String,
    },
    /// The claim's text needs more lines than the layout allows.
    #[error(
        "case {case}: claim {claim}: grund för fordran needs {lines} lines, at most {max} allowed"
    )]
    TooManyLines {
        /// Case reference.
        case: String,
        /// Claim index.
        claim: usize,
        /// Lines needed.
        lines: usize,
        /// Allowed.
        max: usize,
    },
}

/// Writes records of one layout into a buffer, counting records and summing TOT-BEL.
pub(crate) struct Writer<'l> {
    layout: &'l Layout,
    /// The bytes written.
    pub out: Vec<u8>,
    /// Records written.
    pub records: u64,
    /// Sum of the layout's total fields.
    pub total: i128,
}

impl<'l> Writer<'l> {
    pub(crate) fn new(layout: &'l Layout) -> Self {
        Writer {
            layout,
            out: Vec::new(),
            records: 0,
            total: 0,
        }
    }

    /// Writes one record; `get` supplies the value of each source.
    pub(crate) fn record<'v>(
        &mut self,
        rec: &RecordDef,
        case: Option<&str>,
        get: impl Fn(Source) -> Value<'v>,
    ) -> Result<(), BuildError> {
        let len = self.layout.record_length;
        let start = self.out.len();
        self.out.resize(start + len, b' ');
        for (i, f) in rec.fields.iter().enumerate() {
            let value = match f.source {
                Some(s) => get(s),
                None => Value::None,
            };
            let range = f.range();
            let slot = &mut self.out[start + range.start..start + range.end];
            if let Err(FitError(problem)) = encode_field(self.layout, f, &value, slot) {
                let shown = match f.source {
                    Some(
                        Source::CreditorId
                        | Source::AgentId
                        | Source::DebtorId
                        | Source::FirstDebtorId,
                    ) => crate::mask::mask_id(&value.display()),
                    _ => value.display(),
                };
                self.out.truncate(start);
                return Err(BuildError::Field {
                    case: case.map(str::to_string),
                    record: rec.code.clone(),
                    field: f.name.clone(),
                    value: shown,
                    problem,
                });
            }
            if rec.total_fields.contains(&i) {
                if let Value::Amount(a) = value {
                    self.total += i128::from(a);
                }
            }
        }
        self.out.extend_from_slice(self.layout.line_ending.bytes());
        self.records += 1;
        Ok(())
    }
}

/// Everything a source may be asked for while writing one record of a case.
struct Ctx<'a> {
    layout: &'a Layout,
    facts: &'a FileFacts,
    case: Option<&'a Case>,
    debtor: Option<(usize, &'a Debtor)>,
    claim: Option<(usize, &'a Claim)>,
    line: Option<(usize, &'a str)>,
    records: u64,
    cases: u64,
    total: i128,
}

fn text(s: &str) -> Value<'_> {
    Value::Text(Cow::Borrowed(s))
}

fn opt_text(s: Option<&str>) -> Value<'_> {
    s.map_or(Value::None, text)
}

fn opt_amount(a: Option<Amount>) -> Value<'static> {
    a.map_or(Value::None, |a| Value::Amount(a.0))
}

fn yes_no(b: bool) -> Value<'static> {
    Value::Code(Cow::Borrowed(if b { names::YES } else { names::NO }))
}

/// A creditor's or agent's address or contact field, by its source.
fn party_field(p: &crate::domain::case::Party, s: Source) -> Option<&str> {
    match s {
        Source::CreditorStreet | Source::AgentStreet => p.street.as_deref(),
        Source::CreditorPostalCode | Source::AgentPostalCode => p.postal_code.as_deref(),
        Source::CreditorCity | Source::AgentCity => p.city.as_deref(),
        Source::CreditorPhone | Source::AgentPhone => p.phone.as_deref(),
        Source::CreditorEmail | Source::AgentEmail => p.email.as_deref(),
        Source::AgentReference => p.reference.as_deref(),
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    fn value(&self, s: Source) -> Value<'a> {
        let case = self.case;
        let debtor = self.debtor.map(|(_, d)| d);
        let claim = self.claim.map(|(_, c)| c);
        match s {
            Source::FileIntressentkod => text(&self.facts.intressentkod),
            Source::FileLopnummer => Value::Num(u64::from(self.facts.lopnummer)),
            Source::FileCreated => Value::DateTime(self.facts.created),
            Source::FileStatus => Value::Code(Cow::Borrowed(self.facts.status.as_str())),
            Source::FileEdition => text(&self.layout.edition),
            Source::FileFiltyp => text(&self.layout.filtyp),
            Source::FileName => Value::None,
            Source::FileContactName => text(&self.facts.contact_name),
            Source::FileContactPhone => text(&self.facts.contact_phone),
            Source::ControlRecordCount => Value::Num(self.records),
            Source::ControlCaseCount => Value::Num(self.cases),
            Source::ControlTotal => Value::Amount(i64::try_from(self.total).unwrap_or(-1)),
            Source::ControlDebtorCount => Value::Num(case.map_or(0, |c| c.debtors.len() as u64)),
            Source::ControlClaimCount => Value::Num(case.map_or(0, |c| c.claims.len() as u64)),
            Source::CaseReference => opt_text(case.map(|c| c.reference.as_str())),
            Source::CaseCustomerNumber => opt_text(case.and_then(|c| c.customer_number.as_deref())),
            Source::CasePromissoryNote => {
                Value::Code(Cow::Borrowed(if case.is_some_and(|c| c.promissory_note) {
                    names::YES
                } else {
                    names::NO
                }))
            }
            Source::CaseMalnummer => opt_text(case.and_then(|c| c.malnummer.as_deref())),
            Source::CaseDebtRestructuringCase => {
                opt_text(case.and_then(|c| c.debt_restructuring_case.as_deref()))
            }
            Source::CaseAmount => opt_amount(case.and_then(|c| c.amount)),
            Source::CaseClaimIndex => {
                Value::Num(case.and_then(|c| c.claim_index).map_or(0, u64::from))
            }
            Source::CaseDate => case.and_then(|c| c.date).map_or(Value::None, Value::Date),
            Source::CaseReason => case.and_then(|c| c.reason).map_or(Value::None, |r| {
                Value::Code(Cow::Borrowed(names::reason(r)))
            }),
            Source::CaseRequest => case
                .and_then(|c| c.request)
                .map_or(Value::None, |r| Value::Code(Cow::Borrowed(r.as_str()))),
            Source::ChangeKind => case
                .and_then(|c| c.change.as_ref())
                .map_or(Value::None, |ch| {
                    Value::Code(Cow::Borrowed(names::change_kind(ch.kind)))
                }),
            Source::ChangeAmount => opt_amount(
                case.and_then(|c| c.change.as_ref())
                    .and_then(|ch| ch.amount),
            ),
            Source::ChangeUntil => case
                .and_then(|c| c.change.as_ref())
                .and_then(|ch| ch.until)
                .map_or(Value::None, Value::Date),
            Source::TitleKind => case
                .and_then(|c| c.title.as_ref())
                .map_or(Value::None, |t| {
                    Value::Code(Cow::Borrowed(names::title_kind(t.kind)))
                }),
            Source::TitleReference => opt_text(
                case.and_then(|c| c.title.as_ref())
                    .map(|t| t.reference.as_str()),
            ),
            Source::TitleDate => case
                .and_then(|c| c.title.as_ref())
                .map_or(Value::None, |t| Value::Date(t.date)),
            Source::CreditorId => opt_text(
                case.and_then(|c| c.creditor.as_ref())
                    .map(|p| p.id.digits.as_str()),
            ),
            Source::CreditorName => opt_text(
                case.and_then(|c| c.creditor.as_ref())
                    .map(|p| p.name.as_str()),
            ),
            Source::AgentId => opt_text(
                case.and_then(|c| c.agent.as_ref())
                    .map(|p| p.id.digits.as_str()),
            ),
            Source::AgentName => {
                opt_text(case.and_then(|c| c.agent.as_ref()).map(|p| p.name.as_str()))
            }
            Source::CreditorStreet
            | Source::CreditorPostalCode
            | Source::CreditorCity
            | Source::CreditorPhone
            | Source::CreditorEmail => opt_text(
                case.and_then(|c| c.creditor.as_ref())
                    .and_then(|p| party_field(p, s)),
            ),
            Source::AgentStreet
            | Source::AgentPostalCode
            | Source::AgentCity
            | Source::AgentPhone
            | Source::AgentEmail
            | Source::AgentReference => opt_text(
                case.and_then(|c| c.agent.as_ref())
                    .and_then(|p| party_field(p, s)),
            ),
            Source::OriginalCreditorId => opt_text(
                case.and_then(|c| c.original_creditor.as_ref())
                    .map(|o| o.id.digits.as_str()),
            ),
            Source::OriginalCreditorName => opt_text(
                case.and_then(|c| c.original_creditor.as_ref())
                    .map(|o| o.name.as_str()),
            ),
            Source::OriginalCreditorTransferDate => case
                .and_then(|c| c.original_creditor.as_ref())
                .map_or(Value::None, |o| Value::Date(o.transfer_date)),
            Source::RequestsEnforcement => yes_no(case.is_some_and(|c| c.requests.enforcement)),
            Source::RequestsCourtIfDisputed => {
                yes_no(case.is_some_and(|c| c.requests.court_if_disputed))
            }
            Source::TitleCourt => opt_text(
                case.and_then(|c| c.title.as_ref())
                    .and_then(|t| t.court.as_deref()),
            ),
            Source::CasePaidSinceTitle => opt_amount(case.and_then(|c| c.paid_since_title)),
            Source::CaseDecisionDate => case
                .and_then(|c| c.decision_date)
                .map_or(Value::None, Value::Date),
            Source::CasePublicationDate => case
                .and_then(|c| c.publication_date)
                .map_or(Value::None, Value::Date),
            Source::CaseDeadline => case
                .and_then(|c| c.deadline)
                .map_or(Value::None, Value::Date),
            Source::SecurityKind => case
                .and_then(|c| c.security.as_ref())
                .map_or(Value::None, |sec| {
                    Value::Code(Cow::Borrowed(names::security_kind(sec.kind)))
                }),
            Source::SecurityText => opt_text(
                case.and_then(|c| c.security.as_ref())
                    .and_then(|sec| sec.text.as_deref()),
            ),
            Source::FirstDebtorId => opt_text(
                case.and_then(|c| c.debtors.first())
                    .and_then(|d| d.id.as_ref())
                    .map(|i| i.digits.as_str()),
            ),
            Source::FirstDebtorName => opt_text(
                case.and_then(|c| c.debtors.first())
                    .map(|d| d.name.as_str()),
            ),
            Source::DebtorIndex => Value::Num(self.debtor.map_or(0, |(i, _)| i as u64)),
            Source::DebtorIdKind => Value::Code(Cow::Borrowed(
                debtor
                    .and_then(|d| d.id.as_ref())
                    .map_or(names::NO_ID, |i| names::id_kind(i.kind)),
            )),
            Source::DebtorId => opt_text(
                debtor
                    .and_then(|d| d.id.as_ref())
                    .map(|i| i.digits.as_str()),
            ),
            Source::DebtorName => opt_text(debtor.map(|d| d.name.as_str())),
            Source::DebtorCareOf => opt_text(debtor.and_then(|d| d.care_of.as_deref())),
            Source::DebtorStreet => opt_text(debtor.and_then(|d| d.street.as_deref())),
            Source::DebtorPostalCode => opt_text(debtor.and_then(|d| d.postal_code.as_deref())),
            Source::DebtorCity => opt_text(debtor.and_then(|d| d.city.as_deref())),
            Source::DebtorCountry => opt_text(debtor.map(|d| d.country.as_str())),
            Source::DebtorBusiness => yes_no(debtor.is_some_and(|d| d.business)),
            Source::DebtorPhone => opt_text(debtor.and_then(|d| d.phone.as_deref())),
            Source::DebtorEmail => opt_text(debtor.and_then(|d| d.email.as_deref())),
            Source::ClaimIndex => Value::Num(self.claim.map_or(0, |(i, _)| i as u64)),
            Source::ClaimKind => {
                claim.map_or(Value::None, |c| Value::Code(Cow::Borrowed(c.kind.as_str())))
            }
            Source::ClaimAmount => claim.map_or(Value::None, |c| Value::Amount(c.amount.0)),
            Source::ClaimDueDate => claim
                .and_then(|c| c.due_date)
                .map_or(Value::None, Value::Date),
            Source::ClaimInvoiceNumber => opt_text(claim.and_then(|c| c.invoice_number.as_deref())),
            Source::ClaimInterestKind => claim
                .and_then(|c| c.interest.as_ref())
                .map_or(Value::None, |i| {
                    Value::Code(Cow::Borrowed(names::interest_kind(i.kind)))
                }),
            Source::ClaimInterestRate => claim
                .and_then(|c| c.interest.as_ref())
                .map_or(Value::None, |i| Value::Num(u64::from(i.rate_bp))),
            Source::ClaimInterestFrom => claim
                .and_then(|c| c.interest.as_ref())
                .map_or(Value::None, |i| Value::Date(i.from)),
            Source::ClaimAccruedInterest => opt_amount(claim.and_then(|c| c.accrued_interest)),
            Source::ClaimCosts => opt_amount(claim.and_then(|c| c.costs)),
            Source::ClaimArose => claim.and_then(|c| c.arose).map_or(Value::None, Value::Date),
            Source::ClaimInterestTo => claim
                .filter(|c| c.interest.is_some())
                .and(case.and_then(|c| c.decision_date))
                .map_or(Value::None, Value::Date),
            Source::LineIndex => Value::Num(self.line.map_or(0, |(i, _)| i as u64)),
            Source::LineText => opt_text(self.line.map(|(_, t)| t)),
            _ => Value::None,
        }
    }
}

/// Wraps text at word boundaries: the first line at most `first` characters, the others at most `next`. A word
/// longer than a line is split hard (reading back then joins its pieces with a space: the one lossy case).
pub fn wrap_text(text: &str, first: usize, next: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0usize;
    let width = |n: usize| if n == 0 { first.max(1) } else { next.max(1) };
    for word in text.split_whitespace() {
        let mut w: Vec<char> = word.chars().collect();
        loop {
            let room = width(lines.len());
            let need = if cur_len == 0 {
                w.len()
            } else {
                cur_len + 1 + w.len()
            };
            if need <= room {
                if cur_len > 0 {
                    cur.push(' ');
                    cur_len += 1;
                }
                cur.extend(w.iter());
                cur_len += w.len();
                break;
            }
            if cur_len > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_len = 0;
                continue;
            }
            let rest = w.split_off(room);
            lines.push(w.iter().collect());
            w = rest;
        }
    }
    if cur_len > 0 {
        lines.push(cur);
    }
    lines
}

fn text_width(layout: &Layout, scopes: &[Scope]) -> usize {
    layout
        .records
        .iter()
        .filter(|r| scopes.contains(&r.scope))
        .filter_map(|r| r.field_for(Source::LineText))
        .map(|f| f.length)
        .min()
        .unwrap_or(70)
}

/// Builds the transaction file for `cases` (all of the layout's kind) and its missiv.
pub fn build_file(
    set: &super::LayoutSet,
    kind: CaseKind,
    cases: &[Case],
    facts: &FileFacts,
) -> Result<BuiltFile, BuildError> {
    let layout = set
        .for_kind(kind)
        .ok_or_else(|| BuildError::UnknownLayout(kind.layout_name().to_string()))?;
    let missiv = set
        .by_role(LayoutRole::Missiv)
        .ok_or_else(|| BuildError::UnknownLayout("missiv".into()))?;
    let (bytes, record_count, case_count, total) = build_transaction(layout, cases, facts)?;
    let file_name = layout.file_name_for(&facts.intressentkod);
    let missiv_bytes = build_missiv(
        missiv,
        layout,
        &file_name,
        facts,
        record_count,
        case_count,
        total,
    )?;
    Ok(BuiltFile {
        missiv_name: layout.missiv_name_for(&file_name),
        file_name,
        bytes,
        missiv_bytes,
        record_count,
        case_count,
        total: Amount(i64::try_from(total).unwrap_or(i64::MAX)),
    })
}

/// Builds only the transaction file's bytes with one layout (any edition): (bytes, records, cases, TOT-BEL).
pub fn build_transaction(
    layout: &Layout,
    cases: &[Case],
    facts: &FileFacts,
) -> Result<(Vec<u8>, u64, u64, i128), BuildError> {
    let mut w = Writer::new(layout);
    w.out.reserve(cases.len() * (layout.record_length + 2) * 6);
    let mut ctx = Ctx {
        layout,
        facts,
        case: None,
        debtor: None,
        claim: None,
        line: None,
        records: 0,
        cases: 0,
        total: 0,
    };
    for rec in layout.records_of(Scope::FileHead) {
        w.record(rec, None, |s| ctx.value(s))?;
    }
    let has = |s: Scope| layout.records.iter().any(|r| r.scope == s);
    let first_debtor_in_case = layout.records_of(Scope::Case).any(|r| {
        r.fields.iter().any(|f| {
            matches!(
                f.source,
                Some(Source::FirstDebtorId | Source::FirstDebtorName)
            )
        })
    });
    let debtor_capacity = if has(Scope::Debtor) || has(Scope::FurtherDebtor) {
        usize::MAX
    } else {
        usize::from(first_debtor_in_case)
    };
    let has_text = has(Scope::ClaimText) || has(Scope::ClaimTextFirst);
    let w_first = text_width(layout, &[Scope::ClaimText, Scope::ClaimTextFirst]);
    let w_next = text_width(layout, &[Scope::ClaimText, Scope::ClaimTextNext]);
    let not_carried = |c: &Case, what: &str| BuildError::NotCarried {
        case: c.reference.clone(),
        what: what.to_string(),
        layout: layout.name.clone(),
    };
    for case in cases {
        if Some(case.kind) != layout.case_kind {
            return Err(BuildError::WrongKind {
                case: case.reference.clone(),
                kind: case.kind.to_string(),
                layout: layout.name.clone(),
            });
        }
        if case.debtors.len() > debtor_capacity {
            return Err(not_carried(
                case,
                &format!("{} debtors", case.debtors.len()),
            ));
        }
        if !case.claims.is_empty() && !has(Scope::Claim) {
            return Err(not_carried(case, "claims"));
        }
        ctx.case = Some(case);
        ctx.debtor = None;
        ctx.claim = None;
        ctx.line = None;
        let r = Some(case.reference.as_str());
        for rec in layout.records_of(Scope::Case) {
            if rec
                .only_with
                .is_some_and(|s| matches!(ctx.value(s), Value::None))
            {
                continue;
            }
            w.record(rec, r, |s| ctx.value(s))?;
        }
        for (i, d) in case.debtors.iter().enumerate() {
            ctx.debtor = Some((i + 1, d));
            for rec in layout
                .records
                .iter()
                .filter(|x| x.scope == Scope::Debtor || (x.scope == Scope::FurtherDebtor && i > 0))
            {
                w.record(rec, r, |s| ctx.value(s))?;
            }
        }
        ctx.debtor = None;
        for (i, c) in case.claims.iter().enumerate() {
            ctx.claim = Some((i + 1, c));
            ctx.line = None;
            for rec in layout.records_of(Scope::Claim) {
                w.record(rec, r, |s| ctx.value(s))?;
            }
            let Some(basis) = c.basis.as_deref().filter(|b| !b.trim().is_empty()) else {
                continue;
            };
            if !has_text {
                return Err(not_carried(case, "grund för fordran"));
            }
            let lines = wrap_text(basis, w_first, w_next);
            if lines.len() > layout.max_text_lines {
                return Err(BuildError::TooManyLines {
                    case: case.reference.clone(),
                    claim: i + 1,
                    lines: lines.len(),
                    max: layout.max_text_lines,
                });
            }
            for (n, line) in lines.iter().enumerate() {
                for rec in layout.records.iter().filter(|x| {
                    x.scope == Scope::ClaimText
                        || (x.scope == Scope::ClaimTextFirst && n == 0)
                        || (x.scope == Scope::ClaimTextNext && n > 0)
                }) {
                    w.record(rec, r, |s| match s {
                        Source::LineIndex => Value::Num(n as u64 + 1),
                        Source::LineText => text(line),
                        other => ctx.value(other),
                    })?;
                }
            }
        }
        ctx.cases += 1;
    }
    ctx.case = None;
    ctx.claim = None;
    ctx.line = None;
    ctx.total = w.total;
    ctx.records = w.records + layout.records_of(Scope::FileTail).count() as u64;
    for rec in layout.records_of(Scope::FileTail) {
        w.record(rec, None, |s| ctx.value(s))?;
    }
    if w.total > i128::from(i64::MAX) {
        return Err(BuildError::Field {
            case: None,
            record: layout.tail().map(|t| t.code.clone()).unwrap_or_default(),
            field: "total".into(),
            value: w.total.to_string(),
            problem: "is too large".into(),
        });
    }
    Ok((w.out, w.records, ctx.cases, w.total))
}

/// Builds the missiv for a built transaction file.
pub fn build_missiv(
    missiv: &Layout,
    file_layout: &Layout,
    file_name: &str,
    facts: &FileFacts,
    record_count: u64,
    case_count: u64,
    total: i128,
) -> Result<Vec<u8>, BuildError> {
    let mut w = Writer::new(missiv);
    let ctx = Ctx {
        layout: missiv,
        facts,
        case: None,
        debtor: None,
        claim: None,
        line: None,
        records: record_count,
        cases: case_count,
        total,
    };
    let get = |s: Source| match s {
        Source::FileFiltyp => text(&file_layout.filtyp),
        Source::FileName => text(file_name),
        Source::FileEdition => text(&file_layout.edition),
        other => ctx.value(other),
    };
    for rec in missiv
        .records
        .iter()
        .filter(|r| matches!(r.scope, Scope::FileHead | Scope::FileTail))
    {
        w.record(rec, None, get)?;
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(wrap_text("aa bb cc", 5, 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap_text("abcdefgh ij", 3, 4), vec!["abc", "defg", "h ij"]);
        assert!(wrap_text("   ", 5, 5).is_empty());
        let long = "ord ".repeat(100);
        assert!(wrap_text(&long, 70, 70)
            .iter()
            .all(|l| l.chars().count() <= 70));
    }
}
