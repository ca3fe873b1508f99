//! Reading cases back from a transaction file (round trips, the simulator) and checking a missiv against its file.
//!
//! What a layout does not carry cannot come back: fields absent from the layout read as `None` (or their
//! default), zero amounts of optional amounts read as `None`, an agent comes back with an empty name, debtors
//! without a country field as `SE`, claims without a kind field as `kapital`, and claim text lines are joined
//! with single spaces.

use super::codec::Value;
use super::layout::{Layout, LayoutRole, LayoutSet, Scope};
use super::names;
use super::parse::{parse_file, ParseError, ParsedRecord};
use super::source::Source;
use super::{FileFacts, FileStatus};
use crate::domain::case::{
    Change, Claim, ClaimKind, Debtor, Interest, OriginalCreditor, Party, Security, Title,
};
use crate::domain::{Amount, Case, IdNumber};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Why cases could not be read from a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// No layout recognised the file.
    #[error("no known layout recognises this file")]
    Unrecognised,
    /// The recognised layout is not a transaction layout.
    #[error("layout {0} is not a transaction layout")]
    NotTransaction(String),
    /// The file has errors.
    #[error("the file has {} errors; first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<ParseError>),
    /// A value could not be turned into its domain type.
    #[error("line {line}, field {field}: {message}")]
    Value {
        line: u64,
        /// Field (source name).
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads the head facts and the cases of a transaction file (the layout is recognised from the file).
pub fn read_cases(set: &LayoutSet, bytes: &[u8]) -> Result<(FileFacts, Vec<Case>), ReadError> {
    let layout = set.recognise(bytes).ok_or(ReadError::Unrecognised)?;
    read_cases_with(layout, bytes)
}

fn text_of(v: Option<Value<'static>>) -> Option<String> {
    match v {
        Some(Value::Text(t)) => Some(t.into_owned()),
        Some(Value::Num(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn num_of(v: Option<Value<'static>>) -> Option<u64> {
    match v {
        Some(Value::Num(n)) => Some(n),
        Some(Value::Text(t)) => t.parse().ok(),
        _ => None,
    }
}

fn amount_of(v: Option<Value<'static>>) -> Option<Amount> {
    match v {
        Some(Value::Amount(a)) if a > 0 => Some(Amount(a)),
        _ => None,
    }
}

fn date_of(v: Option<Value<'static>>) -> Option<NaiveDate> {
    match v {
        Some(Value::Date(d)) => Some(d),
        _ => None,
    }
}

fn code_of(v: Option<Value<'static>>) -> Option<String> {
    match v {
        Some(Value::Code(c)) => Some(c.into_owned()),
        _ => None,
    }
}

/// Reads the head facts of a file: intressentkod, löpnummer, created (date + time), status.
pub fn read_head(layout: &Layout, head: &ParsedRecord) -> FileFacts {
    let mut date = None;
    let mut time = None;
    for v in head.values(layout, Source::FileCreated) {
        match v {
            Value::Date(d) => date = Some(d),
            Value::Time(t) => time = Some(t),
            _ => {}
        }
    }
    let created = NaiveDateTime::new(date.unwrap_or_default(), time.unwrap_or(NaiveTime::MIN));
    FileFacts {
        intressentkod: text_of(head.value(layout, Source::FileIntressentkod)).unwrap_or_default(),
        lopnummer: num_of(head.value(layout, Source::FileLopnummer))
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        created,
        status: code_of(head.value(layout, Source::FileStatus))
            .and_then(|s| FileStatus::parse(&s))
            .unwrap_or(FileStatus::Test),
        contact_name: text_of(head.value(layout, Source::FileContactName)).unwrap_or_default(),
        contact_phone: text_of(head.value(layout, Source::FileContactPhone)).unwrap_or_default(),
    }
}

fn id_of(
    line: u64,
    field: Source,
    v: Option<Value<'static>>,
) -> Result<Option<IdNumber>, ReadError> {
    match text_of(v) {
        Some(t) if !t.bytes().all(|b| b == b'0') => {
            IdNumber::from_digits12(&t)
                .map(Some)
                .map_err(|e| ReadError::Value {
                    line,
                    field: field.as_str().into(),
                    message: e.message,
                })
        }
        _ => Ok(None),
    }
}

#[derive(Default)]
struct ClaimAcc {
    claim: Option<Claim>,
    interest_kind: Option<String>,
    interest_rate: Option<u64>,
    interest_from: Option<NaiveDate>,
    lines: Vec<String>,
}

/// The case values read from several fields that make one domain value (FOGD-REF-2), finished when the case
/// closes: the original creditor needs id, name and date; a security its kind.
#[derive(Default)]
struct CaseAcc {
    title_court: Option<String>,
    original_id: Option<IdNumber>,
    original_name: Option<String>,
    original_date: Option<NaiveDate>,
    security_kind: Option<String>,
    security_text: Option<String>,
}

/// A postal code as read: none when the field holds only zeros (what an empty N field is written as).
fn postal_code_of(v: Option<Value<'static>>) -> Option<String> {
    text_of(v).filter(|t| !t.bytes().all(|b| b == b'0'))
}

/// The creditor's or agent's address or contact field a source names.
fn party_slot(p: &mut Party, s: Source) -> Option<&mut Option<String>> {
    match s {
        Source::CreditorStreet | Source::AgentStreet => Some(&mut p.street),
        Source::CreditorPostalCode | Source::AgentPostalCode => Some(&mut p.postal_code),
        Source::CreditorCity | Source::AgentCity => Some(&mut p.city),
        Source::CreditorPhone | Source::AgentPhone => Some(&mut p.phone),
        Source::CreditorEmail | Source::AgentEmail => Some(&mut p.email),
        Source::AgentReference => Some(&mut p.reference),
        _ => None,
    }
}

fn new_debtor() -> Debtor {
    Debtor {
        id: None,
        name: String::new(),
        care_of: None,
        street: None,
        postal_code: None,
        city: None,
        country: "SE".into(),
        phone: None,
        email: None,
        business: false,
    }
}

fn finish_claim(acc: ClaimAcc) -> Option<Claim> {
    let mut c = acc.claim?;
    if let (Some(k), Some(from)) = (
        acc.interest_kind
            .as_deref()
            .and_then(names::parse_interest_kind),
        acc.interest_from,
    ) {
        c.interest = Some(Interest {
            kind: k,
            rate_bp: acc
                .interest_rate
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or(0),
            from,
        });
    }
    if !acc.lines.is_empty() {
        c.basis = Some(acc.lines.join(" "));
    }
    Some(c)
}

/// Reads the cases of a transaction file with a given layout.
pub fn read_cases_with(layout: &Layout, bytes: &[u8]) -> Result<(FileFacts, Vec<Case>), ReadError> {
    if layout.role != LayoutRole::Transaction {
        return Err(ReadError::NotTransaction(layout.name.clone()));
    }
    let parsed = parse_file(layout, bytes);
    if !parsed.errors.is_empty() {
        return Err(ReadError::Invalid(parsed.errors));
    }
    let kind = layout
        .case_kind
        .ok_or_else(|| ReadError::NotTransaction(layout.name.clone()))?;
    let first = |s: Scope| layout.records.iter().position(|r| r.scope == s);
    let (opener, first_debtor, first_further, first_claim) = (
        first(Scope::Case),
        first(Scope::Debtor),
        first(Scope::FurtherDebtor),
        first(Scope::Claim),
    );
    let mut facts = None;
    let mut cases: Vec<Case> = Vec::new();
    let mut claim_acc: Option<ClaimAcc> = None;
    let mut title: (Option<String>, Option<String>, Option<NaiveDate>) = (None, None, None);
    let mut change: (Option<String>, Option<Amount>, Option<NaiveDate>) = (None, None, None);
    let mut acc = CaseAcc::default();

    let close = |cases: &mut Vec<Case>,
                 claim_acc: &mut Option<ClaimAcc>,
                 title: &mut (Option<String>, Option<String>, Option<NaiveDate>),
                 change: &mut (Option<String>, Option<Amount>, Option<NaiveDate>),
                 acc: &mut CaseAcc| {
        let a = std::mem::take(acc);
        let Some(case) = cases.last_mut() else { return };
        if let (Some(id), Some(name), Some(transfer_date)) =
            (a.original_id, a.original_name, a.original_date)
        {
            case.original_creditor = Some(OriginalCreditor {
                id,
                name,
                transfer_date,
            });
        }
        if let Some(kind) = a
            .security_kind
            .as_deref()
            .and_then(names::parse_security_kind)
        {
            case.security = Some(Security {
                kind,
                text: a.security_text,
            });
        }
        if let Some(c) = claim_acc.take().and_then(finish_claim) {
            case.claims.push(c);
        }
        let t = std::mem::take(title);
        if let (Some(k), Some(r), Some(d)) =
            (t.0.as_deref().and_then(names::parse_title_kind), t.1, t.2)
        {
            case.title = Some(Title {
                kind: k,
                reference: r,
                date: d,
                court: a.title_court,
            });
        }
        let ch = std::mem::take(change);
        if let Some(k) = ch.0.as_deref().and_then(names::parse_change_kind) {
            case.change = Some(Change {
                kind: k,
                amount: ch.1,
                until: ch.2,
            });
        }
    };

    for rec in &parsed.records {
        let Some(idx) = rec.def else { continue };
        let Some(def) = layout.records.get(idx) else {
            continue;
        };
        let line = rec.line;
        match def.scope {
            Scope::FileHead => facts = Some(read_head(layout, rec)),
            Scope::FileTail | Scope::Entry => {}
            Scope::Case => {
                if Some(idx) == opener {
                    close(
                        &mut cases,
                        &mut claim_acc,
                        &mut title,
                        &mut change,
                        &mut acc,
                    );
                    let intressentkod = facts
                        .as_ref()
                        .map(|f| f.intressentkod.clone())
                        .unwrap_or_default();
                    cases.push(Case {
                        reference: String::new(),
                        kind,
                        intressentkod,
                        creditor: None,
                        agent: None,
                        customer_number: None,
                        promissory_note: false,
                        debtors: Vec::new(),
                        claims: Vec::new(),
                        title: None,
                        debt_restructuring_case: None,
                        concerns: None,
                        malnummer: None,
                        amount: None,
                        claim_index: None,
                        date: None,
                        reason: None,
                        change: None,
                        request: None,
                        original_creditor: None,
                        requests: Default::default(),
                        paid_since_title: None,
                        decision_date: None,
                        publication_date: None,
                        deadline: None,
                        security: None,
                    });
                }
            }
            Scope::Debtor | Scope::FurtherDebtor => {
                if let Some(c) = cases.last_mut() {
                    if Some(idx) == first_debtor || Some(idx) == first_further {
                        c.debtors.push(new_debtor());
                    }
                }
            }
            Scope::Claim => {
                if Some(idx) == first_claim {
                    if let Some(c) = cases.last_mut() {
                        if let Some(cl) = claim_acc.take().and_then(finish_claim) {
                            c.claims.push(cl);
                        }
                    }
                    claim_acc = Some(ClaimAcc {
                        claim: Some(Claim {
                            kind: ClaimKind::Kapital,
                            amount: Amount(0),
                            due_date: None,
                            invoice_number: None,
                            basis: None,
                            interest: None,
                            accrued_interest: None,
                            costs: None,
                            arose: None,
                        }),
                        ..ClaimAcc::default()
                    });
                }
            }
            Scope::ClaimText | Scope::ClaimTextFirst | Scope::ClaimTextNext => {}
        }
        let Some(case) = cases.last_mut() else {
            continue;
        };
        for f in &def.fields {
            let Some(src) = f.source else { continue };
            let v = rec
                .bytes
                .get(f.range())
                .and_then(|raw| super::codec::decode_field(f, raw).ok());
            match src {
                Source::CaseReference if def.scope == Scope::Case => {
                    case.reference = text_of(v).unwrap_or_default();
                }
                Source::CaseCustomerNumber => case.customer_number = text_of(v),
                Source::CasePromissoryNote => {
                    case.promissory_note = code_of(v).as_deref() == Some(names::YES)
                }
                Source::CaseMalnummer => case.malnummer = text_of(v),
                Source::CaseDebtRestructuringCase => case.debt_restructuring_case = text_of(v),
                Source::CaseAmount => case.amount = amount_of(v),
                Source::CaseClaimIndex => {
                    case.claim_index = num_of(v).and_then(|n| u32::try_from(n).ok())
                }
                Source::CaseDate => case.date = date_of(v),
                Source::CaseReason => {
                    case.reason = code_of(v).as_deref().and_then(names::parse_reason)
                }
                Source::CaseRequest => {
                    case.request = code_of(v)
                        .as_deref()
                        .and_then(crate::domain::case::BegaranRequest::parse)
                }
                Source::ChangeKind => change.0 = code_of(v),
                Source::ChangeAmount => change.1 = amount_of(v),
                Source::ChangeUntil => change.2 = date_of(v),
                Source::TitleKind => title.0 = code_of(v),
                Source::TitleReference => title.1 = text_of(v),
                Source::TitleDate => title.2 = date_of(v),
                Source::CreditorId => {
                    if let Some(id) = id_of(line, src, v)? {
                        case.creditor = Some(Party::new(id, String::new()));
                    }
                }
                Source::CreditorName => {
                    if let (Some(p), Some(n)) = (case.creditor.as_mut(), text_of(v)) {
                        p.name = n;
                    }
                }
                Source::AgentId => {
                    // The id may stand in two records (FOGD-REF-2: `10` and the Ombud record `12`).
                    if let Some(id) = id_of(line, src, v)? {
                        if case.agent.as_ref().is_none_or(|a| a.id != id) {
                            case.agent = Some(Party::new(id, String::new()));
                        }
                    }
                }
                Source::CreditorStreet
                | Source::CreditorPostalCode
                | Source::CreditorCity
                | Source::CreditorPhone
                | Source::CreditorEmail
                | Source::AgentStreet
                | Source::AgentPostalCode
                | Source::AgentCity
                | Source::AgentPhone
                | Source::AgentEmail
                | Source::AgentReference => {
                    let creditor = matches!(
                        src,
                        Source::CreditorStreet
                            | Source::CreditorPostalCode
                            | Source::CreditorCity
                            | Source::CreditorPhone
                            | Source::CreditorEmail
                    );
                    let party = if creditor {
                        case.creditor.as_mut()
                    } else {
                        case.agent.as_mut()
                    };
                    let postal =
                        matches!(src, Source::CreditorPostalCode | Source::AgentPostalCode);
                    if let Some(slot) = party.and_then(|p| party_slot(p, src)) {
                        *slot = if postal {
                            postal_code_of(v)
                        } else {
                            text_of(v)
                        };
                    }
                }
                Source::OriginalCreditorId => acc.original_id = id_of(line, src, v)?,
                Source::OriginalCreditorName => acc.original_name = text_of(v),
                Source::OriginalCreditorTransferDate => acc.original_date = date_of(v),
                Source::RequestsEnforcement => {
                    case.requests.enforcement = code_of(v).as_deref() == Some(names::YES)
                }
                Source::RequestsCourtIfDisputed => {
                    case.requests.court_if_disputed = code_of(v).as_deref() == Some(names::YES)
                }
                Source::TitleCourt => acc.title_court = text_of(v),
                Source::CasePaidSinceTitle => case.paid_since_title = amount_of(v),
                Source::CaseDecisionDate => case.decision_date = date_of(v),
                Source::CasePublicationDate => case.publication_date = date_of(v),
                Source::CaseDeadline => case.deadline = date_of(v),
                Source::SecurityKind => acc.security_kind = code_of(v),
                Source::SecurityText => acc.security_text = text_of(v),
                Source::AgentName => {
                    if let (Some(p), Some(n)) = (case.agent.as_mut(), text_of(v)) {
                        p.name = n;
                    }
                }
                Source::FirstDebtorId | Source::FirstDebtorName => {
                    if case.debtors.is_empty() {
                        case.debtors.push(new_debtor());
                    }
                    if let Some(d) = case.debtors.first_mut() {
                        if src == Source::FirstDebtorId {
                            d.id = id_of(line, src, v)?;
                            d.business = Debtor::default_business(d.id.as_ref());
                        } else {
                            d.name = text_of(v).unwrap_or_default();
                        }
                    }
                }
                Source::DebtorId
                | Source::DebtorName
                | Source::DebtorCareOf
                | Source::DebtorStreet
                | Source::DebtorPostalCode
                | Source::DebtorCity
                | Source::DebtorCountry
                | Source::DebtorBusiness
                | Source::DebtorPhone
                | Source::DebtorEmail => {
                    let Some(d) = case.debtors.last_mut() else {
                        continue;
                    };
                    match src {
                        Source::DebtorId => {
                            d.id = id_of(line, src, v)?;
                            d.business = Debtor::default_business(d.id.as_ref());
                        }
                        Source::DebtorName => d.name = text_of(v).unwrap_or_default(),
                        Source::DebtorCareOf => d.care_of = text_of(v),
                        Source::DebtorStreet => d.street = text_of(v),
                        Source::DebtorPostalCode => {
                            d.postal_code = text_of(v).filter(|t| !t.bytes().all(|b| b == b'0'))
                        }
                        Source::DebtorCity => d.city = text_of(v),
                        Source::DebtorBusiness => {
                            d.business = code_of(v).as_deref() == Some(names::YES)
                        }
                        Source::DebtorPhone => d.phone = text_of(v),
                        Source::DebtorEmail => d.email = text_of(v),
                        _ => d.country = text_of(v).unwrap_or_else(|| "SE".into()),
                    }
                }
                Source::ClaimKind
                | Source::ClaimAmount
                | Source::ClaimDueDate
                | Source::ClaimInvoiceNumber
                | Source::ClaimInterestKind
                | Source::ClaimInterestRate
                | Source::ClaimInterestFrom
                | Source::ClaimAccruedInterest
                | Source::ClaimCosts
                | Source::ClaimArose
                | Source::LineText => {
                    let Some(acc) = claim_acc.as_mut() else {
                        continue;
                    };
                    if src == Source::LineText {
                        if let Some(t) = text_of(v) {
                            acc.lines.push(t);
                        }
                        continue;
                    }
                    let Some(c) = acc.claim.as_mut() else {
                        continue;
                    };
                    match src {
                        Source::ClaimKind => {
                            if let Some(k) = code_of(v).as_deref().and_then(ClaimKind::parse) {
                                c.kind = k;
                            }
                        }
                        Source::ClaimAmount => c.amount = amount_of(v).unwrap_or(Amount(0)),
                        Source::ClaimDueDate => c.due_date = date_of(v),
                        Source::ClaimInvoiceNumber => c.invoice_number = text_of(v),
                        Source::ClaimInterestKind => acc.interest_kind = code_of(v),
                        Source::ClaimInterestRate => acc.interest_rate = num_of(v),
                        Source::ClaimInterestFrom => acc.interest_from = date_of(v),
                        Source::ClaimAccruedInterest => c.accrued_interest = amount_of(v),
                        Source::ClaimArose => c.arose = date_of(v),
                        _ => c.costs = amount_of(v),
                    }
                }
                _ => {}
            }
        }
    }
    close(
        &mut cases,
        &mut claim_acc,
        &mut title,
        &mut change,
        &mut acc,
    );
    let facts = facts.unwrap_or_else(|| FileFacts {
        intressentkod: String::new(),
        lopnummer: 0,
        created: NaiveDateTime::default(),
        status: FileStatus::Test,
        contact_name: String::new(),
        contact_phone: String::new(),
    });
    Ok((facts, cases))
}

/// Compares a transaction file with its missiv: every missiv field whose source also fills a field of the file's
/// head or tail must agree (löpnummer, antal_poster, antal_handlingar, TOT-BEL, date), as must the filtyp; a
/// missiv that cannot be parsed, or a file that no layout recognises, is a problem too. Empty = they agree.
pub fn check_missiv(set: &LayoutSet, file_bytes: &[u8], missiv_bytes: &[u8]) -> Vec<ParseError> {
    let problem = |line: Option<u64>, field: Option<&str>, class, message: String| ParseError {
        line,
        record: None,
        field: field.map(str::to_string),
        reference: None,
        class,
        message,
    };
    use super::felkod::ErrorClass;
    let Some(missiv) = set.by_role(LayoutRole::Missiv) else {
        return vec![problem(
            None,
            None,
            ErrorClass::MissivMissing,
            "no missiv layout".into(),
        )];
    };
    if missiv_bytes.is_empty() {
        return vec![problem(
            None,
            None,
            ErrorClass::MissivMissing,
            "the missiv is missing or empty".into(),
        )];
    }
    let Some(layout) = set
        .recognise(file_bytes)
        .filter(|l| l.role == LayoutRole::Transaction)
    else {
        return vec![problem(
            None,
            None,
            ErrorClass::Missiv,
            "the transaction file is not of a known layout".into(),
        )];
    };
    let pm = parse_file(missiv, missiv_bytes);
    let mut out: Vec<ParseError> = pm
        .errors
        .iter()
        .map(|e| ParseError {
            class: ErrorClass::Missiv,
            message: format!("missiv: {}", e.message),
            ..e.clone()
        })
        .collect();
    let pf = parse_file(layout, file_bytes);
    let Some(mrec) = pm.records.first() else {
        return out;
    };
    let Some(mdef) = mrec.def(missiv) else {
        return out;
    };
    let head = pf
        .records
        .first()
        .filter(|r| r.def(layout).is_some_and(|d| d.scope == Scope::FileHead));
    let tail = pf
        .records
        .last()
        .filter(|r| r.def(layout).is_some_and(|d| d.scope == Scope::FileTail));
    for f in &mdef.fields {
        let Some(src) = f.source else { continue };
        let mine = mrec
            .bytes
            .get(f.range())
            .and_then(|raw| super::codec::decode_field(f, raw).ok());
        let theirs = match src {
            Source::FileFiltyp => Some(Value::Text(layout.filtyp.clone().into())),
            Source::ControlRecordCount => Some(Value::Num(pf.summary.records)),
            Source::ControlCaseCount => Some(Value::Num(pf.summary.cases)),
            Source::ControlTotal => i64::try_from(pf.summary.total).ok().map(Value::Amount),
            Source::FileCreated => head.and_then(|h| {
                h.values(layout, src)
                    .into_iter()
                    .find(|v| matches!(v, Value::Date(_)))
            }),
            Source::FileLopnummer | Source::FileIntressentkod => head
                .and_then(|h| h.value(layout, src))
                .or_else(|| tail.and_then(|t| t.value(layout, src))),
            _ => continue,
        };
        let Some(theirs) = theirs else { continue };
        let same = match (&mine, &theirs) {
            (Some(Value::Num(a)), Value::Num(b)) => a == b,
            (Some(Value::Amount(a)), Value::Amount(b)) => a == b,
            (Some(Value::Date(a)), Value::Date(b)) => a == b,
            (Some(Value::Text(a)), Value::Text(b)) => a.trim() == b.trim(),
            (None, Value::None) => true,
            _ => false,
        };
        if !same {
            out.push(problem(
                Some(mrec.line),
                Some(&f.name),
                ErrorClass::Missiv,
                format!(
                    "missiv says {:?}, the file has {:?}",
                    mine.map(|v| v.display()).unwrap_or_default(),
                    theirs.display()
                ),
            ));
        }
    }
    out
}
