//! What the simulated Kronofogden checks of a FOGD-REF-2 application's content beyond the format (fogd-ref-2.md
//! §2.2–§2.3), as it checks FOGD-REF-1's: each rule is a case-level (H) felkod of the FOGD-REF-2 felkod table.
//! Files of other editions carry none of these fields and are not checked here.

use super::check::{case_error, FileCheck};
use crate::domain::case::TitleKind;
use crate::domain::CaseKind;
use crate::formats::{read_cases_with, Layout, LayoutSet};

/// The edition whose content these rules check.
pub const EDITION: &str = "FOGD-REF-2";

/// The felkoder of the content rules (`layouts/fogd-ref-2/felkoder.toml`).
pub mod content_felkod {
    /// Verkställighet: one debtor per application.
    pub const ONE_DEBTOR: &str = "0045";
    /// Verkställighet: the debtor's identity number or postal address is missing.
    pub const DEBTOR_ID_ADDRESS: &str = "0046";
    /// Verkställighet: a dom or förlikning without the court.
    pub const COURT: &str = "0047";
    /// Fordringsanmälan: no decision date or publication date.
    pub const DECISION_DATES: &str = "0048";
    /// Every one of them.
    pub const ALL: &[&str] = &[ONE_DEBTOR, DEBTOR_ID_ADDRESS, COURT, DECISION_DATES];
}

/// Adds the content felkoder of every case of `file` to `check` (a file rejected whole, or one that cannot be read
/// back into cases, is left as the formal check found it).
pub fn check_content(set: &LayoutSet, layout: &Layout, file: &[u8], check: &mut FileCheck) {
    if layout.edition != EDITION || !check.file_errors.is_empty() {
        return;
    }
    let Ok((_, cases)) = read_cases_with(layout, file) else {
        return;
    };
    for case in &cases {
        let Some(facts) = check
            .cases
            .iter_mut()
            .find(|c| c.reference == case.reference.trim())
        else {
            continue;
        };
        for code in problems(case) {
            facts
                .errors
                .push(case_error(set, &facts.reference, code, None));
        }
    }
}

/// The content felkoder one case breaks.
fn problems(case: &crate::domain::Case) -> Vec<&'static str> {
    let mut out = Vec::new();
    match case.kind {
        CaseKind::Verkstallighet => {
            if case.debtors.len() != 1 {
                out.push(content_felkod::ONE_DEBTOR);
            }
            if case.debtors.iter().any(|d| {
                d.id.is_none() || d.street.is_none() || d.postal_code.is_none() || d.city.is_none()
            }) {
                out.push(content_felkod::DEBTOR_ID_ADDRESS);
            }
            if case.title.as_ref().is_some_and(|t| {
                matches!(t.kind, TitleKind::Dom | TitleKind::Forlikning) && t.court.is_none()
            }) {
                out.push(content_felkod::COURT);
            }
        }
        CaseKind::Fordringsanmalan
            if case.decision_date.is_none() || case.publication_date.is_none() =>
        {
            out.push(content_felkod::DECISION_DATES);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{build_file, FileFacts, FileStatus};

    fn facts() -> FileFacts {
        FileFacts {
            intressentkod: "DEV".into(),
            lopnummer: 1,
            created: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(3, 4, 5)
                .unwrap(),
            status: FileStatus::Test,
            contact_name: String::new(),
            contact_phone: String::new(),
        }
    }

    fn golden(name: &str) -> Vec<crate::domain::Case> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/golden/fogd-ref-2/cases")
            .join(format!("{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn codes(set: &LayoutSet, kind: CaseKind, cases: &[crate::domain::Case]) -> Vec<Vec<String>> {
        let built = build_file(set, kind, cases, &facts()).unwrap();
        let layout = set.for_kind(kind).unwrap();
        let mut check =
            super::super::check::check_file(set, layout, &built.bytes, Some(&built.missiv_bytes));
        check_content(set, layout, &built.bytes, &mut check);
        check
            .cases
            .iter()
            .map(|c| c.errors.iter().map(|e| e.felkod.clone()).collect())
            .collect()
    }

    #[test]
    fn verkstallighet_content_rules() {
        let set = LayoutSet::embedded_edition(EDITION).unwrap();
        let good = golden("vst-ansokan");
        assert!(codes(&set, CaseKind::Verkstallighet, &good)
            .iter()
            .all(Vec::is_empty));
        let mut bad = good.clone();
        let second = bad[0].debtors[0].clone();
        bad[0].debtors.push(second);
        bad[0].debtors[1].street = None;
        let t = bad[1].title.as_mut().unwrap();
        t.court = None;
        let got = codes(&set, CaseKind::Verkstallighet, &bad);
        assert_eq!(got[0], ["0045", "0046"]);
        assert_eq!(got[1], ["0047"]);
        // Every code is in the FOGD-REF-2 table, with its level H.
        for code in content_felkod::ALL {
            let f = set.felkoder().get(code).unwrap();
            assert_eq!(f.level, crate::formats::Level::H, "{code}");
        }
    }

    #[test]
    fn fordringsanmalan_needs_its_decision_dates() {
        let set = LayoutSet::embedded_edition(EDITION).unwrap();
        let mut cases = golden("sks-fordringsanmalan");
        assert!(codes(&set, CaseKind::Fordringsanmalan, &cases)[0].is_empty());
        cases[0].publication_date = None;
        assert_eq!(codes(&set, CaseKind::Fordringsanmalan, &cases)[0], ["0048"]);
        // A FOGD-REF-1 file is not checked for content it cannot carry.
        let ref1 = LayoutSet::embedded_edition("FOGD-REF-1").unwrap();
        assert!(codes(&ref1, CaseKind::Fordringsanmalan, &cases)[0].is_empty());
    }
}
