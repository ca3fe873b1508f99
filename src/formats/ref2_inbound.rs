//! FOGD-REF-2's inbound documents after registration (fogd-ref-2.md §3), read for applying: the fixed-width
//! BESTRID, extended RAPPORT and SKSRAPP, and the XML LUB, DELRED, NYTTAVGAR and slutredovisning. Which document a
//! file is, and where each value sits, are the layout files' (`layouts/fogd-ref-2/`): a document is recognised by
//! its file name pattern (and, for the RAPPORT whose name FOGD-REF-1 shares, by its head), and read into one
//! [`Ref2Entry`] per case through the layouts' sources. Pure: no I/O.

use super::codec::Value;
use super::edition::{embedded_fixed, embedded_xml};
use super::layout::{Layout, LayoutRole, LayoutSet, Scope};
use super::parse::{parse_file, ParsedRecord};
use super::source::Source;
use super::xml::read::read_xml;
use super::xml::XmlLayout;
use chrono::NaiveDate;
use serde::Serialize;

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ref2Kind {
    /// `SUPRO.{ik}.BESTRID`.
    Bestridande,
    /// `SUPRO.{ik}.RAPPORT` of FOGD-REF-2 (with `domstol` and `vs_malnummer`).
    Rapport,
    /// `REX.{ik}.SKSRAPP`.
    SksRapport,
    /// Löneutmätningsbeslut.
    Lub,
    /// Delredovisning.
    Delred,
    /// Ny grundavgift.
    Nyttavgar,
    /// Slutredovisning.
    Slutredovisning,
}

impl Ref2Kind {
    fn of(role: LayoutRole) -> Option<Ref2Kind> {
        Some(match role {
            LayoutRole::Bestridande => Ref2Kind::Bestridande,
            LayoutRole::Utslag => Ref2Kind::Rapport,
            LayoutRole::SkuldsaneringRapport => Ref2Kind::SksRapport,
            LayoutRole::Lub => Ref2Kind::Lub,
            LayoutRole::Delred => Ref2Kind::Delred,
            LayoutRole::Nyttavgar => Ref2Kind::Nyttavgar,
            LayoutRole::Slutredovisning => Ref2Kind::Slutredovisning,
            _ => return None,
        })
    }

    /// The document's name for people and apply errors.
    pub fn name(self) -> &'static str {
        match self {
            Ref2Kind::Bestridande => "BESTRID",
            Ref2Kind::Rapport => "RAPPORT",
            Ref2Kind::SksRapport => "SKSRAPP",
            Ref2Kind::Lub => "LUB",
            Ref2Kind::Delred => "DELRED",
            Ref2Kind::Nyttavgar => "NYTTAVGAR",
            Ref2Kind::Slutredovisning => "slutredovisning",
        }
    }
}

/// One case of a document: every value the FOGD-REF-2 inbound layouts carry per case (a document fills those its
/// layout has; codes are the layout's domain names, amounts öre).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ref2Entry {
    /// Line (fixed width) or start-tag line (XML) of the entry.
    pub line: u64,
    /// The application's handlingsref.
    pub handlingsref: String,
    /// Kronofogden's målnummer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malnummer: Option<String>,
    /// Bestridande / beslut / avslutat date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// BESTRID `sista_dag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// RAPPORT `beslutstyp`, SKSRAPP `beslut`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// RAPPORT `faststallt_belopp`, SKSRAPP `godkant_belopp`, NYTTAVGAR `Belopp` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// RAPPORT `domstol`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
    /// RAPPORT `vs_malnummer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement_malnummer: Option<String>,
    /// SKSRAPP `arendenummer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debt_restructuring_case: Option<String>,
    /// SKSRAPP `plan_manader`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_months: Option<u64>,
    /// SKSRAPP `utdelning_promille`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dividend_per_mille: Option<u64>,
    /// LUB `BeloppPerManad` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_per_month: Option<i64>,
    /// LUB `FranOchMed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// DELRED `Period/Fran`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_from: Option<NaiveDate>,
    /// DELRED `Period/Till`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_to: Option<NaiveDate>,
    /// DELRED `Utredning`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub investigation: Option<String>,
    /// DELRED `Redovisat` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_out: Option<i64>,
    /// DELRED `AvdragnaAvgifter` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fees_deducted: Option<i64>,
    /// DELRED / slutredovisning `Aterstar` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<i64>,
    /// NYTTAVGAR `Debiteras`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_date: Option<NaiveDate>,
    /// Slutredovisning `Orsak`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Slutredovisning `TotaltRedovisat` (öre).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_paid_out: Option<i64>,
}

/// A document read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ref2Document {
    /// Which.
    pub kind: Ref2Kind,
    /// The layout it was read with.
    pub layout: String,
    /// The ingivare (from the document's head).
    pub intressentkod: String,
    /// One per case.
    pub entries: Vec<Ref2Entry>,
}

/// Why a document could not be read: the layout and the problems (line, field, rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{layout}: {problem}")]
pub struct Ref2ReadError {
    /// The layout.
    pub layout: String,
    /// What is wrong.
    pub problem: String,
}

/// The FOGD-REF-2 inbound layouts: fixed-width and XML.
#[derive(Debug, Clone)]
pub struct Ref2Inbound {
    fixed: LayoutSet,
    xml: Vec<XmlLayout>,
}

impl Ref2Inbound {
    /// The shipped FOGD-REF-2 layouts.
    pub fn embedded() -> Ref2Inbound {
        Ref2Inbound::new(embedded_fixed("FOGD-REF-2"), embedded_xml("FOGD-REF-2"))
    }

    /// From layouts (those of an inbound FOGD-REF-2 role are used).
    pub fn new(fixed: Vec<Layout>, xml: Vec<XmlLayout>) -> Ref2Inbound {
        Ref2Inbound {
            fixed: LayoutSet::from_layouts(
                fixed.into_iter().filter(|l| Ref2Kind::of(l.role).is_some()),
            ),
            xml: xml
                .into_iter()
                .filter(|l| Ref2Kind::of(l.role).is_some())
                .collect(),
        }
    }

    /// The fixed-width layouts.
    pub fn fixed(&self) -> &LayoutSet {
        &self.fixed
    }

    /// Which of these documents the file name `name` is (by name only: a RAPPORT name is FOGD-REF-1's too).
    pub fn kind_of_name(&self, name: &str) -> Option<Ref2Kind> {
        self.fixed
            .iter()
            .find(|l| fits(&l.file_name, name))
            .and_then(|l| Ref2Kind::of(l.role))
            .or_else(|| {
                self.xml
                    .iter()
                    .find(|l| l.match_file_name(name).is_some())
                    .and_then(|l| Ref2Kind::of(l.role))
            })
    }

    /// Reads the file `name` when it is one of these documents: `None` when the name fits none of them (or it is
    /// a RAPPORT written in FOGD-REF-1, which the FOGD-REF-1 reader takes).
    pub fn read(&self, name: &str, bytes: &[u8]) -> Option<Result<Ref2Document, Ref2ReadError>> {
        for l in self.fixed.iter() {
            if !fits(&l.file_name, name) {
                continue;
            }
            let kind = Ref2Kind::of(l.role)?;
            if kind == Ref2Kind::Rapport
                && self.fixed.recognise(bytes).map(|r| r.role) != Some(l.role)
            {
                return None;
            }
            return Some(read_fixed(l, kind, bytes));
        }
        for l in &self.xml {
            if l.match_file_name(name).is_some() {
                let kind = Ref2Kind::of(l.role)?;
                return Some(read_xml_doc(l, kind, bytes));
            }
        }
        None
    }
}

/// True when `name` fits a fixed-width file name pattern with one `{ik}` (1–8 letters or digits).
fn fits(pattern: &str, name: &str) -> bool {
    let Some((pre, post)) = pattern.split_once("{ik}") else {
        return pattern == name;
    };
    name.strip_prefix(pre)
        .and_then(|r| r.strip_suffix(post))
        .is_some_and(|ik| {
            !ik.is_empty() && ik.len() <= 8 && ik.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// Fills an entry from a value lookup by source.
fn entry_from<'v>(line: u64, get: impl Fn(Source) -> Option<&'v Value<'v>>) -> Ref2Entry {
    let text = |s| match get(s) {
        Some(Value::Text(t)) | Some(Value::Code(t)) => {
            let t = t.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Some(Value::Num(n)) => Some(n.to_string()),
        _ => None,
    };
    let date = |s| match get(s) {
        Some(Value::Date(d)) => Some(*d),
        Some(Value::DateTime(d)) => Some(d.date()),
        _ => None,
    };
    let amount = |s| match get(s) {
        Some(Value::Amount(a)) => Some(*a),
        _ => None,
    };
    let num = |s| match get(s) {
        Some(Value::Num(n)) => Some(*n),
        _ => None,
    };
    Ref2Entry {
        line,
        handlingsref: text(Source::EntryReference).unwrap_or_default(),
        malnummer: text(Source::EntryMalnummer),
        date: date(Source::EntryDate),
        deadline: date(Source::EntryDeadline),
        decision: text(Source::EntryDecision),
        amount: amount(Source::EntryAmount),
        court: text(Source::EntryCourt),
        enforcement_malnummer: text(Source::EntryEnforcementMalnummer),
        debt_restructuring_case: text(Source::EntryDebtRestructuringCase),
        plan_months: num(Source::EntryPlanMonths),
        dividend_per_mille: num(Source::EntryDividendPerMille),
        amount_per_month: amount(Source::EntryAmountPerMonth),
        from: date(Source::EntryFrom),
        period_from: date(Source::EntryPeriodFrom),
        period_to: date(Source::EntryPeriodTo),
        investigation: text(Source::EntryInvestigation),
        paid_out: amount(Source::EntryPaidOut),
        fees_deducted: amount(Source::EntryFeesDeducted),
        remaining: amount(Source::EntryRemaining),
        charge_date: date(Source::EntryChargeDate),
        reason: text(Source::EntryReason),
        total_paid_out: amount(Source::EntryTotalPaidOut),
    }
}

fn problem(layout: &str, problem: String) -> Ref2ReadError {
    Ref2ReadError {
        layout: layout.to_string(),
        problem,
    }
}

fn read_fixed(l: &Layout, kind: Ref2Kind, bytes: &[u8]) -> Result<Ref2Document, Ref2ReadError> {
    let parsed = parse_file(l, bytes);
    if let Some(first) = parsed.errors.first() {
        return Err(problem(
            &l.name,
            format!("{} errors; first: {first}", parsed.errors.len()),
        ));
    }
    let scope = |r: &ParsedRecord| r.def(l).map(|d| d.scope);
    let head = parsed
        .records
        .iter()
        .find(|r| scope(r) == Some(Scope::FileHead))
        .ok_or_else(|| problem(&l.name, "no head record".into()))?;
    let intressentkod = match head.value(l, Source::FileIntressentkod) {
        Some(Value::Text(t)) => t.trim().to_string(),
        _ => String::new(),
    };
    let mut entries = Vec::new();
    for r in parsed
        .records
        .iter()
        .filter(|r| scope(r) == Some(Scope::Entry))
    {
        // The values of the record, by source, read once.
        let def = r.def(l);
        let values: Vec<(Source, Value<'static>)> = def
            .map(|d| {
                d.fields
                    .iter()
                    .filter_map(|f| {
                        let s = f.source?;
                        Some((s, r.value(l, s)?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        entries.push(entry_from(r.line, |s| {
            values.iter().find(|(k, _)| *k == s).map(|(_, v)| v)
        }));
    }
    finish(&l.name, kind, intressentkod, entries)
}

fn read_xml_doc(
    l: &XmlLayout,
    kind: Ref2Kind,
    bytes: &[u8],
) -> Result<Ref2Document, Ref2ReadError> {
    let records = read_xml(l, bytes).map_err(|e| problem(&l.name, e.to_string()))?;
    let scope = |r: &super::xml::XmlRecord| r.def(l).map(|d| d.scope);
    let intressentkod = records
        .iter()
        .filter(|r| scope(r) == Some(Scope::FileHead))
        .find_map(|r| match r.value(l, Source::FileIntressentkod) {
            Some(Value::Text(t)) => Some(t.trim().to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let entries = records
        .iter()
        .filter(|r| scope(r) == Some(Scope::Entry))
        .map(|r| entry_from(r.line, |s| r.value(l, s)))
        .collect();
    finish(&l.name, kind, intressentkod, entries)
}

fn finish(
    layout: &str,
    kind: Ref2Kind,
    intressentkod: String,
    entries: Vec<Ref2Entry>,
) -> Result<Ref2Document, Ref2ReadError> {
    if intressentkod.is_empty() {
        return Err(problem(layout, "head: no intressentkod".into()));
    }
    if let Some(e) = entries.iter().find(|e| e.handlingsref.is_empty()) {
        return Err(problem(
            layout,
            format!("line {}, field handlingsref: missing", e.line),
        ));
    }
    Ok(Ref2Document {
        kind,
        layout: layout.to_string(),
        intressentkod,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/fogd-ref-2")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn names_route_to_their_documents() {
        let r = Ref2Inbound::embedded();
        assert!(fits("SUPRO.{ik}.BESTRID", "SUPRO.DEV.BESTRID"));
        assert!(!fits("SUPRO.{ik}.BESTRID", "SUPRO..BESTRID"));
        assert!(!fits("SUPRO.{ik}.BESTRID", "SUPRO.DEV.KVITTENS"));
        assert!(r.read("SUPRO.DEV.KVITTENS", b"").is_none());
        assert_eq!(r.kind_of_name("SUPRO.DEV.KVITTENS"), None);
        assert_eq!(
            r.kind_of_name("2027-01-31_DEV_DELRED_01.xml"),
            Some(Ref2Kind::Delred)
        );
        assert_eq!(
            r.kind_of_name("ints001x1_DEV.xml"),
            Some(Ref2Kind::Slutredovisning)
        );
        assert_eq!(
            r.kind_of_name("REX.DEV.SKSRAPP"),
            Some(Ref2Kind::SksRapport)
        );
        // A name that fits but bytes that do not read: an error naming the layout, never a panic.
        let e = r
            .read("SUPRO.DEV.BESTRID", b"garbage")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.layout, "bestridande");
        let e = r
            .read("2026-11-30_DEV_DELRED_01.xml", b"<nope")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.layout, "delred");
    }

    #[test]
    fn the_fixtures_read_into_entries() {
        let r = Ref2Inbound::embedded();
        let b = sample("SUPRO.DEV.BESTRID");
        let doc = r.read("SUPRO.DEV.BESTRID", &b).unwrap().unwrap();
        assert_eq!(doc.kind, Ref2Kind::Bestridande);
        assert_eq!(doc.intressentkod, "DEV");
        let e = &doc.entries[0];
        assert_eq!(e.malnummer.as_deref(), Some("BF-004711-26"));
        assert_eq!(
            e.deadline,
            Some(NaiveDate::from_ymd_opt(2026, 12, 18).unwrap())
        );
        let b = sample("SUPRO.DEV.RAPPORT");
        let doc = r.read("SUPRO.DEV.RAPPORT", &b).unwrap().unwrap();
        assert_eq!(doc.kind, Ref2Kind::Rapport);
        assert_eq!(
            doc.entries[0].enforcement_malnummer.as_deref(),
            Some("VS-000201-26")
        );
        assert_eq!(doc.entries[2].court.as_deref(), Some("Göteborgs tingsrätt"));
    }
}
