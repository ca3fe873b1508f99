//! The formal check of one received transaction file (kronofogden.md §2.2–2.5), without state: parse with the
//! product's layout, map every problem to its felkod through the felkod table, check the missiv, and collect per
//! case what the stateful part needs (handlingsref, målnummer, amounts, change). Löpnummer series, duplicate
//! handlingsrefs and målnummer lookups need the sim's state and are done by the caller.

use crate::domain::case::ChangeKind;
use crate::formats::codec::Value;
use crate::formats::{
    check_missiv, parse_file, ErrorClass, Kvittens, KvittensError, Layout, LayoutRole, LayoutSet,
    Niva, ParseError, Scope, Source,
};
use chrono::NaiveDate;

/// At most this many file-level (F) errors are written into one kvittens; the rest are counted only.
pub const MAX_FILE_ERRORS: usize = 100;

/// What the check found about one case of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The case's reference (handlingsref), trimmed.
    pub reference: String,
    /// Follow-ups: the målnummer named.
    pub malnummer: Option<String>,
    /// Nedsättning: the reduction (öre).
    pub amount: Option<i64>,
    /// Sum of the case's TOT-BEL fields (öre): the claimed total for applications.
    pub total: i64,
    /// Ändring: kind, new capital (öre), deferral end.
    pub change: Option<(ChangeKind, Option<i64>, Option<NaiveDate>)>,
    /// Follow-ups: the date of payment / withdrawal / change.
    pub date: Option<NaiveDate>,
    /// Begäran: what is asked (`court`, `enforcement`).
    pub request: Option<String>,
    /// BFÖ ansökan: `yrkande_verkstallighet` J (enforce the utslag at once), read by field name when the layout
    /// has it.
    pub wants_enforcement: bool,
    /// BFÖ ansökan: `yrkande_overlamnande` J (hand over to tingsrätt if disputed), by field name likewise.
    pub wants_court: bool,
    /// Fordringsanmälan: the skuldsanering's ärendenummer.
    pub debt_restructuring_case: Option<String>,
    /// Case-level (H) errors found by the parser.
    pub errors: Vec<KvittensError>,
}

/// The result of the formal check of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The file's intressentkod (from its head record), when readable.
    pub intressentkod: Option<String>,
    /// The file's löpnummer, when readable.
    pub lopnummer: Option<u32>,
    /// The edition its head names (field `utgava`), when the layout has one.
    pub edition: Option<String>,
    /// File-level (F) errors: any one rejects the whole file.
    pub file_errors: Vec<KvittensError>,
    /// F errors beyond [`MAX_FILE_ERRORS`], not listed.
    pub file_errors_suppressed: usize,
    /// The cases, in file order.
    pub cases: Vec<CaseFacts>,
}

impl FileCheck {
    /// Adds a file-level error (bounded by [`MAX_FILE_ERRORS`]).
    pub fn push_file_error(&mut self, e: KvittensError) {
        if self.file_errors.len() < MAX_FILE_ERRORS {
            self.file_errors.push(e);
        } else {
            self.file_errors_suppressed += 1;
        }
    }
}

/// A file-level kvittens error with `felkod`; the text is the felkod table's unless `text` is given. Texts are cut
/// to the kvittens' 80 characters and limited to its allowed characters.
pub fn file_error(set: &LayoutSet, felkod: &str, text: Option<&str>) -> KvittensError {
    error_with(set, Niva::F, None, felkod, text)
}

/// A case-level kvittens error (see [`file_error`]).
pub fn case_error(
    set: &LayoutSet,
    reference: &str,
    felkod: &str,
    text: Option<&str>,
) -> KvittensError {
    error_with(set, Niva::H, Some(reference), felkod, text)
}

fn error_with(
    set: &LayoutSet,
    niva: Niva,
    reference: Option<&str>,
    felkod: &str,
    text: Option<&str>,
) -> KvittensError {
    let table = set.felkoder().get(felkod).map(|f| f.text.clone());
    let raw = text
        .map(str::to_string)
        .or(table)
        .unwrap_or_else(|| format!("felkod {felkod}"));
    let clean = match set.by_role(LayoutRole::Kvittens) {
        Some(l) => crate::formats::codec::normalise_for(l, &raw).unwrap_or_else(|_| {
            raw.chars()
                .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
                .collect()
        }),
        None => raw,
    };
    KvittensError {
        niva,
        reference: reference.map(str::to_string),
        felkod: felkod.to_string(),
        feltext: clean.chars().take(80).collect(),
    }
}

/// The felkoder the simulator answers by its own rules rather than through a parse-error class of the felkod
/// table (kronofogden.md §2.5). `fogd layout check` requires an edition's felkod table to hold every one of them
/// ([`rule_felkod::ALL`]).
pub mod rule_felkod {
    /// A parse-error class the table has no code for (FOGD-REF-1's "unknown record").
    pub const FALLBACK: &str = "0001";
    /// The file names an edition (utgava) the node does not know (fogd-ref-2.md §1).
    pub const UNKNOWN_EDITION: &str = "0005";
    /// The löpnummer is not last approved + 1.
    pub const LOPNUMMER_NOT_NEXT: &str = "0010";
    /// The löpnummer was approved already.
    pub const LOPNUMMER_APPROVED: &str = "0011";
    /// A nedsättning larger than what remains of the claim.
    pub const AMOUNT_OVER_REMAINING: &str = "0043";
    /// A follow-up without, or with an unknown, målnummer.
    pub const MALNUMMER_UNKNOWN: &str = "0050";
    /// A follow-up of a case that is closed (withdrawn or decided).
    pub const CASE_CLOSED: &str = "0051";
    /// An application whose handlingsref the node holds already.
    pub const DUPLICATE_CASE: &str = "0060";
    /// Every one of them.
    pub const ALL: &[&str] = &[
        FALLBACK,
        UNKNOWN_EDITION,
        LOPNUMMER_NOT_NEXT,
        LOPNUMMER_APPROVED,
        AMOUNT_OVER_REMAINING,
        MALNUMMER_UNKNOWN,
        CASE_CLOSED,
        DUPLICATE_CASE,
    ];
}

/// The felkod for a parse-error class ([`rule_felkod::FALLBACK`] when the table lacks the class).
fn felkod_for(set: &LayoutSet, class: ErrorClass) -> String {
    set.felkoder()
        .for_class(class)
        .map(|f| f.code.clone())
        .unwrap_or_else(|| rule_felkod::FALLBACK.into())
}

/// Checks `file` (and its `missiv`, if any) against `layout`, the layout named by the message's product.
///
/// Rules (the simulator's reading of kronofogden.md §2.5): every parse problem becomes its felkod from the felkod
/// table; a problem of an H class that cannot be tied to a case of the file (e.g. a bad date in the head record)
/// rejects the whole file, keeping its felkod; a file that another transaction layout recognises better is
/// reported as 0001 (wrong filtyp for the product); a missing missiv is 0020 and a disagreeing one 0021. The
/// missiv is compared only when the file itself has no file-level problem (a broken file would make every
/// comparison noise).
pub fn check_file(
    set: &LayoutSet,
    layout: &Layout,
    file: &[u8],
    missiv: Option<&[u8]>,
) -> FileCheck {
    let mut out = FileCheck {
        intressentkod: None,
        lopnummer: None,
        edition: None,
        file_errors: Vec::new(),
        file_errors_suppressed: 0,
        cases: Vec::new(),
    };
    if let Some(other) = set
        .recognise(file)
        .filter(|l| l.role == LayoutRole::Transaction && l.name != layout.name)
    {
        let code = felkod_for(set, ErrorClass::ConstantMismatch);
        out.push_file_error(file_error(
            set,
            &code,
            Some(&format!(
                "filen ar en {}-fil, produkten anger {}",
                other.filtyp, layout.filtyp
            )),
        ));
    }
    let parsed = parse_file(layout, file);
    // Cases and their facts.
    let opener = layout.records.iter().position(|r| r.scope == Scope::Case);
    let mut current: Option<CaseFacts> = None;
    for rec in &parsed.records {
        let Some(idx) = rec.def else { continue };
        let Some(def) = layout.records.get(idx) else {
            continue;
        };
        match def.scope {
            Scope::FileHead => {
                let facts = crate::formats::read::read_head(layout, rec);
                out.intressentkod = Some(facts.intressentkod).filter(|s| !s.trim().is_empty());
                out.lopnummer = Some(facts.lopnummer).filter(|n| *n > 0);
                out.edition = raw_text(rec, def.fields.iter().find(|f| f.name == "utgava"));
                continue;
            }
            Scope::FileTail | Scope::Entry => continue,
            _ => {}
        }
        if Some(idx) == opener {
            if let Some(c) = current.take() {
                out.cases.push(c);
            }
            current = Some(CaseFacts::default());
        }
        let Some(case) = current.as_mut() else {
            continue;
        };
        for (i, f) in def.fields.iter().enumerate() {
            let v = rec
                .bytes
                .get(f.range())
                .and_then(|raw| crate::formats::codec::decode_field(f, raw).ok());
            if def.total_fields.contains(&i) {
                if let Some(Value::Amount(a)) = v {
                    case.total = case.total.saturating_add(a);
                }
            }
            // Named, not sourced: FOGD-REF-2's requests of an application (absent → N).
            match f.name.as_str() {
                "yrkande_verkstallighet" => case.wants_enforcement = is_ja(rec, f),
                "yrkande_overlamnande" => case.wants_court = is_ja(rec, f),
                _ => {}
            }
            let Some(src) = f.source else { continue };
            match (src, v) {
                (Source::CaseRequest, Some(Value::Code(k))) => case.request = Some(k.into_owned()),
                (Source::CaseDebtRestructuringCase, Some(Value::Text(t))) => {
                    case.debt_restructuring_case =
                        Some(t.trim().to_string()).filter(|s| !s.is_empty());
                }
                (Source::CaseReference, Some(Value::Text(t))) if Some(idx) == opener => {
                    case.reference = t.trim().to_string();
                }
                (Source::CaseReference, Some(Value::Num(n))) if Some(idx) == opener => {
                    case.reference = n.to_string();
                }
                (Source::CaseMalnummer, Some(Value::Text(t))) => {
                    case.malnummer = Some(t.trim().to_string()).filter(|s| !s.is_empty());
                }
                (Source::CaseAmount, Some(Value::Amount(a))) => case.amount = Some(a),
                (Source::CaseDate, Some(Value::Date(d))) => case.date = Some(d),
                (Source::ChangeKind, Some(Value::Code(k))) => {
                    if let Some(k) = crate::formats::names::parse_change_kind(&k) {
                        let prev = case.change.take().unwrap_or((k, None, None));
                        case.change = Some((k, prev.1, prev.2));
                    }
                }
                (Source::ChangeAmount, Some(Value::Amount(a))) => {
                    let prev = case
                        .change
                        .take()
                        .unwrap_or((ChangeKind::Belopp, None, None));
                    case.change = Some((prev.0, Some(a).filter(|a| *a > 0), prev.2));
                }
                (Source::ChangeUntil, Some(Value::Date(d))) => {
                    let prev = case
                        .change
                        .take()
                        .unwrap_or((ChangeKind::Uppskov, None, None));
                    case.change = Some((prev.0, prev.1, Some(d)));
                }
                _ => {}
            }
        }
    }
    if let Some(c) = current.take() {
        out.cases.push(c);
    }
    // Parse problems → felkoder.
    let mut has_file_parse_error = false;
    for e in &parsed.errors {
        let ke = Kvittens::error_for(set, e)
            .unwrap_or_else(|| file_error(set, &felkod_for(set, e.class), Some(&e.to_string())));
        let target = match (&ke.niva, e.reference.as_deref()) {
            (Niva::H, Some(h)) if !h.is_empty() => out.cases.iter_mut().find(|c| c.reference == h),
            _ => None,
        };
        match target {
            Some(c) => c.errors.push(ke),
            None => {
                has_file_parse_error = true;
                out.push_file_error(KvittensError {
                    niva: Niva::F,
                    reference: None,
                    ..ke
                });
            }
        }
    }
    // The missiv.
    match missiv {
        None => {
            let code = felkod_for(set, ErrorClass::MissivMissing);
            out.push_file_error(file_error(set, &code, None));
        }
        Some(m) if !has_file_parse_error => {
            for p in check_missiv(set, file, m) {
                let ke = missiv_error(set, &p);
                out.push_file_error(ke);
            }
        }
        Some(_) => {}
    }
    out
}

/// A field's raw text, trimmed (none when empty or not Latin-1 text).
fn raw_text(
    rec: &crate::formats::ParsedRecord,
    f: Option<&crate::formats::layout::FieldDef>,
) -> Option<String> {
    let raw = rec.bytes.get(f?.range())?;
    let text: String = raw.iter().map(|&b| char::from(b)).collect();
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// Whether a J/N field says J.
fn is_ja(rec: &crate::formats::ParsedRecord, f: &crate::formats::layout::FieldDef) -> bool {
    raw_text(rec, Some(f)).as_deref() == Some("J")
}

fn missiv_error(set: &LayoutSet, p: &ParseError) -> KvittensError {
    let code = felkod_for(set, p.class);
    let text = match &p.field {
        Some(f) => format!("missiv {f}: {}", p.message.trim_start_matches("missiv: ")),
        None => p.message.clone(),
    };
    file_error(set, &code, Some(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::Case;
    use crate::domain::CaseKind;
    use crate::formats::{build_file, FileFacts, FileStatus};

    fn cases(kind: &str) -> Vec<Case> {
        let text = std::fs::read_to_string(format!(
            "{}/fixtures/golden/cases/{kind}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn facts(lop: u32) -> FileFacts {
        FileFacts {
            intressentkod: "DEV".into(),
            lopnummer: lop,
            created: chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap(),
            status: FileStatus::Test,
            contact_name: "Test".into(),
            contact_phone: "08-1".into(),
        }
    }

    /// FOGD-REF-2's requests of an application are read by field name (`yrkande_*`, J/N; absent → N), and the
    /// edition from the head's `utgava`.
    #[test]
    fn requests_by_field_name_and_the_edition() {
        let mut l = LayoutSet::embedded().get("bfo-ansokan").unwrap().clone();
        // A layout whose 15 columns of kundnummer are the överlämnande request instead.
        for r in &mut l.records {
            for f in &mut r.fields {
                if f.name == "kundnummer" {
                    f.name = "yrkande_overlamnande".into();
                }
            }
        }
        let set = LayoutSet::embedded().with_layout(l.clone());
        let mut cs = cases("bfo-ansokan");
        cs[0].customer_number = Some("J".into());
        cs[1].customer_number = Some("N".into());
        let b = build_file(&set, CaseKind::Betalningsforelaggande, &cs, &facts(1)).unwrap();
        let c = check_file(&set, &l, &b.bytes, Some(&b.missiv_bytes));
        assert!(c.file_errors.is_empty(), "{:?}", c.file_errors);
        assert_eq!(c.edition.as_deref(), Some("FOGD-REF-1"));
        assert!(c.cases[0].wants_court);
        assert!(!c.cases[1].wants_court);
        assert!(c.cases.iter().all(|c| !c.wants_enforcement));
        // Without such fields nothing is requested.
        let set = LayoutSet::embedded();
        let l = set.get("bfo-ansokan").unwrap();
        let c = check_file(&set, l, &b.bytes, Some(&b.missiv_bytes));
        assert!(c
            .cases
            .iter()
            .all(|c| !c.wants_court && !c.wants_enforcement));
    }

    #[test]
    fn clean_file_has_no_errors_and_reads_case_facts() {
        let set = LayoutSet::embedded();
        let cs = cases("bfo-ansokan");
        let b = build_file(&set, CaseKind::Betalningsforelaggande, &cs, &facts(7)).unwrap();
        let l = set.get("bfo-ansokan").unwrap();
        let c = check_file(&set, l, &b.bytes, Some(&b.missiv_bytes));
        assert!(c.file_errors.is_empty(), "{:?}", c.file_errors);
        assert_eq!(c.intressentkod.as_deref(), Some("DEV"));
        assert_eq!(c.lopnummer, Some(7));
        assert_eq!(c.cases.len(), cs.len());
        for (f, case) in c.cases.iter().zip(&cs) {
            assert_eq!(f.reference, case.reference);
            assert_eq!(f.total, case.total_amount().0);
            assert!(f.errors.is_empty());
        }
    }

    #[test]
    fn missing_and_wrong_missiv_and_wrong_product() {
        let set = LayoutSet::embedded();
        let cs = cases("bfo-nedsattning");
        let b = build_file(&set, CaseKind::Nedsattning, &cs, &facts(3)).unwrap();
        let l = set.get("bfo-nedsattning").unwrap();
        let c = check_file(&set, l, &b.bytes, None);
        assert_eq!(c.file_errors.len(), 1);
        assert_eq!(c.file_errors[0].felkod, "0020");
        assert_eq!(c.cases[0].malnummer, cs[0].malnummer);
        assert_eq!(c.cases[0].amount, cs[0].amount.map(|a| a.0));
        let other = build_file(&set, CaseKind::Nedsattning, &cs, &facts(4)).unwrap();
        let c = check_file(&set, l, &b.bytes, Some(&other.missiv_bytes));
        assert!(c.file_errors.iter().all(|e| e.felkod == "0021"));
        assert!(!c.file_errors.is_empty());
        let wrong = set.get("bfo-ansokan").unwrap();
        let c = check_file(&set, wrong, &b.bytes, Some(&b.missiv_bytes));
        assert!(c.file_errors.iter().any(|e| e.felkod == "0001"));
    }

    #[test]
    fn change_facts_are_read() {
        let set = LayoutSet::embedded();
        let cs = cases("vst-andring");
        let b = build_file(&set, CaseKind::VerkstallighetAndring, &cs, &facts(1)).unwrap();
        let l = set.get("vst-andring").unwrap();
        let c = check_file(&set, l, &b.bytes, Some(&b.missiv_bytes));
        assert!(c.file_errors.is_empty());
        for (f, case) in c.cases.iter().zip(&cs) {
            let ch = case.change.as_ref().unwrap();
            let (k, a, u) = f.change.unwrap();
            assert_eq!(k, ch.kind);
            assert_eq!(a, ch.amount.map(|a| a.0));
            assert_eq!(u, ch.until);
        }
    }
}
