//! Validation of the case-level fields FOGD-REF-2 added (fogd-ref-2.md §2.1–§2.3): the original creditor of a
//! bought claim and the requests (BFÖ), payments since the title (verkställighet), and the decision, publication,
//! deadline and security of a fordringsanmälan. Each belongs to one kind; elsewhere it is `field.not_allowed`.
//! And what a verkställighet application must carry (§2.2): one debtor, with identity number and postal address,
//! the court of a `dom` or `forlikning`, and no löpande skuldebrev.

use super::*;
use crate::domain::case::{OriginalCreditor, Requests, Security, SecurityKind};

/// The FOGD-REF-2 case-level fields, validated.
pub(super) struct Ref2Parts {
    pub(super) original_creditor: Option<OriginalCreditor>,
    pub(super) requests: Requests,
    pub(super) paid_since_title: Option<Amount>,
    pub(super) decision_date: Option<NaiveDate>,
    pub(super) publication_date: Option<NaiveDate>,
    pub(super) deadline: Option<NaiveDate>,
    pub(super) security: Option<Security>,
}

impl Validator<'_> {
    /// Reads the FOGD-REF-2 case-level fields; `None` when one of them is wrong (the issues say which).
    pub(super) fn ref2_parts(
        &mut self,
        input: &CaseInput,
        kind: CaseKind,
        kind_known: bool,
    ) -> Option<Ref2Parts> {
        let mut ok = true;
        let mut only = |v: &mut Self, path: &str, present: bool, allowed: CaseKind| {
            if kind_known && present && kind != allowed {
                v.not_allowed(path, None, kind);
                ok = false;
            }
        };
        only(
            self,
            "original_creditor",
            input.original_creditor.is_some(),
            CaseKind::Betalningsforelaggande,
        );
        only(
            self,
            "requests",
            input.requests.is_some(),
            CaseKind::Betalningsforelaggande,
        );
        only(
            self,
            "paid_since_title",
            input
                .paid_since_title
                .as_ref()
                .is_some_and(|v| !v.is_null()),
            CaseKind::Verkstallighet,
        );
        for (path, present) in [
            ("decision_date", input.decision_date.is_some()),
            ("publication_date", input.publication_date.is_some()),
            ("deadline", input.deadline.is_some()),
            ("security", input.security.is_some()),
        ] {
            only(self, path, present, CaseKind::Fordringsanmalan);
        }

        if kind_known && kind == CaseKind::Verkstallighet && !self.ctx.rules.fogd_ref_1 {
            ok &= self.verkstallighet_content(input);
        }

        let original_creditor = match &input.original_creditor {
            None => None,
            Some(o) => {
                let id = match o.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(raw) => self.id("original_creditor.id", raw),
                    None => {
                        self.required(
                            "original_creditor.id",
                            "the original creditor's identity number",
                        );
                        None
                    }
                };
                let name = self.required_text(
                    "original_creditor.name",
                    o.name.as_deref(),
                    "the original creditor's name",
                );
                let tp = "original_creditor.transfer_date";
                let transfer_date =
                    self.required_date(tp, o.transfer_date.as_deref(), "the date of the transfer");
                self.not_future(tp, transfer_date, "date.future", "the transfer date");
                match (id, name, transfer_date.filter(|d| *d <= self.ctx.today)) {
                    (Some(id), Some(name), Some(transfer_date)) => Some(OriginalCreditor {
                        id,
                        name,
                        transfer_date,
                    }),
                    _ => {
                        ok = false;
                        None
                    }
                }
            }
        };
        let requests = input
            .requests
            .as_ref()
            .map_or(Requests::default(), |r| Requests {
                enforcement: r.enforcement.unwrap_or(false),
                court_if_disputed: r.court_if_disputed.unwrap_or(false),
            });

        let pp = "paid_since_title";
        let paid_since_title = self.amount(pp, input.paid_since_title.as_ref());
        match paid_since_title {
            Some(a) if a.0 < 0 => {
                self.err(
                    pp,
                    "amount.positive",
                    Some(&a.to_string()),
                    "paid_since_title must not be negative".into(),
                );
                ok = false;
            }
            None if input
                .paid_since_title
                .as_ref()
                .is_some_and(|v| !v.is_null() && !json_text(v).trim().is_empty()) =>
            {
                ok = false;
            }
            _ => {}
        }

        let mut date = |v: &mut Self, path: &str, raw: Option<&str>| -> Option<NaiveDate> {
            let d = v.date(path, raw);
            if raw.is_some_and(|s| !s.trim().is_empty()) && d.is_none() {
                ok = false;
            }
            d
        };
        let decision_date = date(self, "decision_date", input.decision_date.as_deref());
        let publication_date = date(self, "publication_date", input.publication_date.as_deref());
        let deadline = date(self, "deadline", input.deadline.as_deref());
        self.not_future(
            "decision_date",
            decision_date,
            "date.future",
            "the decision date",
        );
        if decision_date.is_some_and(|d| d > self.ctx.today) {
            ok = false;
        }
        if let (Some(dd), Some(pd)) = (decision_date, publication_date) {
            if pd < dd {
                self.err(
                    "publication_date",
                    "skuldsanering.publication_before_decision",
                    Some(&pd.to_string()),
                    format!("the decision was published {pd}, before it was made {dd}"),
                );
                ok = false;
            }
        }

        let security = match &input.security {
            None => None,
            Some(s) => {
                let kp = "security.kind";
                let kind = match s.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
                    None => {
                        self.required(kp, "the kind of security");
                        None
                    }
                    Some("none") => Some(SecurityKind::None),
                    Some("borgen") => Some(SecurityKind::Borgen),
                    Some("pant") => Some(SecurityKind::Pant),
                    Some(other) => {
                        self.err(
                            kp,
                            "security.kind",
                            Some(other),
                            format!(
                                "unknown kind of security {other:?}; expected none, borgen or pant"
                            ),
                        );
                        None
                    }
                };
                let text = self.text("security.text", s.text.as_deref());
                match kind {
                    Some(kind) => Some(Security { kind, text }),
                    None => {
                        ok = false;
                        None
                    }
                }
            }
        };

        ok.then_some(Ref2Parts {
            original_creditor,
            requests,
            paid_since_title,
            decision_date,
            publication_date,
            deadline,
            security,
        })
    }
}

impl Validator<'_> {
    /// fogd-ref-2.md §2.2: one debtor per application (jointly liable debtors get one each), identified and with a
    /// postal address; the court of a dom or förlikning; no löpande skuldebrev. False when any is broken.
    fn verkstallighet_content(&mut self, input: &CaseInput) -> bool {
        let mut ok = true;
        let n = input.debtors.len();
        if n > 1 {
            self.err(
                "debtors",
                "verkstallighet.one_debtor",
                Some(&n.to_string()),
                format!("a verkställighet application names one debtor, got {n}: file one application per jointly liable debtor"),
            );
            ok = false;
        }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        for (i, d) in input.debtors.iter().enumerate() {
            let at = Indexed("debtors", i);
            if blank(&d.id) {
                self.err(
                    Field(&at, "id"),
                    "verkstallighet.debtor_id",
                    None,
                    "a verkställighet application needs the debtor's identity number".into(),
                );
                ok = false;
            }
            for (field, v) in [
                ("street", &d.street),
                ("postal_code", &d.postal_code),
                ("city", &d.city),
            ] {
                if blank(v) {
                    self.err(
                        Field(&at, field),
                        "verkstallighet.debtor_address",
                        None,
                        "a verkställighet application needs the debtor's postal address (street, postal code, city)"
                            .into(),
                    );
                    ok = false;
                }
            }
        }
        if let Some(t) = &input.title {
            let kind = t.kind.as_deref().map(str::trim);
            if matches!(kind, Some("dom" | "forlikning")) && blank(&t.court) {
                self.err(
                    "title.court",
                    "verkstallighet.court",
                    kind,
                    "the court is required for a dom or förlikning".into(),
                );
                ok = false;
            }
        }
        if input.promissory_note == Some(true) {
            self.err(
                "promissory_note",
                "verkstallighet.promissory_note",
                Some("true"),
                "a claim resting on a löpande skuldebrev cannot be enforced from an electronic application".into(),
            );
            ok = false;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::super::{validate, Rules, Severity, Validation, ValidationContext};
    use crate::domain::case::{CaseInput, ClaimKind, SecurityKind};
    use chrono::NaiveDate;
    use serde_json::json;

    fn ctx() -> ValidationContext {
        ValidationContext {
            rules: Rules::default(),
            today: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            default_intressentkod: "DEV".into(),
            interest: std::sync::Arc::new(crate::domain::interest::ReferensrantaTable::embedded()),
        }
    }

    fn run(v: serde_json::Value) -> Validation {
        let input: CaseInput = serde_json::from_value(v).unwrap();
        validate(&input, &ctx())
    }

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// A BFÖ application with every FOGD-REF-2 field (fogd-ref-2.md §2.1).
    fn full_bfo() -> serde_json::Value {
        json!({
          "reference": "R2-1", "kind": "betalningsforelaggande",
          "creditor": { "id": "202100-5489", "name": "Exempel Kredit AB", "street": "Box 1",
                        "postal_code": "111 22", "city": "Stockholm", "phone": "08-123 45",
                        "email": "inkasso@exempel.se" },
          "agent": { "id": "556036-0793", "name": "Ombud AB", "street": "Gatan 2", "postal_code": "41101",
                     "city": "Göteborg", "phone": "031-1", "email": "o@ombud.se", "reference": "OMB-77" },
          "original_creditor": { "id": "556677-8808", "name": "Säljaren AB", "transfer_date": "2026-05-01" },
          "requests": { "enforcement": true, "court_if_disputed": true },
          "debtors": [ { "id": "19121212-1212", "name": "Tolvan Tolvansson", "business": true,
                         "phone": "070-1", "email": "t@t.se" } ],
          "claims": [
            { "kind": "kapital", "amount": "1000", "due_date": "2026-03-01", "arose": "2026-01-15",
              "basis": "Faktura" },
            { "kind": "ansokningsavgift", "amount": "300" },
            { "kind": "ombudsarvode", "amount": "380" },
            { "kind": "amorteringsplan", "amount": "170" }
          ]
        })
    }

    #[test]
    fn every_fogd_ref_2_field_of_a_bfo_is_read_and_written_back() {
        let v = run(full_bfo());
        let case = v.case.clone().unwrap_or_else(|| panic!("{:#?}", v.issues));
        let creditor = case.creditor.as_ref().unwrap();
        assert_eq!(creditor.street.as_deref(), Some("Box 1"));
        assert_eq!(creditor.postal_code.as_deref(), Some("11122"));
        assert_eq!(creditor.city.as_deref(), Some("Stockholm"));
        assert_eq!(creditor.phone.as_deref(), Some("08-123 45"));
        assert_eq!(creditor.email.as_deref(), Some("inkasso@exempel.se"));
        let agent = case.agent.as_ref().unwrap();
        assert_eq!(agent.reference.as_deref(), Some("OMB-77"));
        assert_eq!(agent.city.as_deref(), Some("Göteborg"));
        let oc = case.original_creditor.as_ref().unwrap();
        assert_eq!(
            (oc.id.display().as_str(), oc.name.as_str(), oc.transfer_date),
            ("556677-8808", "Säljaren AB", d("2026-05-01"))
        );
        assert!(case.requests.enforcement && case.requests.court_if_disputed);
        assert!(case.debtors[0].business && case.debtors[0].is_business());
        assert_eq!(case.claims[0].arose, Some(d("2026-01-15")));
        assert_eq!(case.claims[0].arose_or_due(), Some(d("2026-01-15")));
        let kinds: Vec<ClaimKind> = case.claims.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds[1..],
            [
                ClaimKind::Ansokningsavgift,
                ClaimKind::Ombudsarvode,
                ClaimKind::Amorteringsplan
            ]
        );
        // Through the intake form and the journal's JSON, and back: the same case.
        let again = validate(&case.to_input(), &ctx());
        assert_eq!(again.case.as_ref(), Some(&case), "{:#?}", again.issues);
        let stored = serde_json::to_string(&case).unwrap();
        assert_eq!(
            serde_json::from_str::<crate::domain::Case>(&stored).unwrap(),
            case
        );
        let form = serde_json::to_value(case.to_input()).unwrap();
        assert_eq!(
            form["requests"],
            json!({"enforcement": true, "court_if_disputed": true})
        );
        assert_eq!(form["debtors"][0]["business"], json!(true));
        assert_eq!(form["claims"][0]["arose"], json!("2026-01-15"));
        assert_eq!(form["agent"]["reference"], json!("OMB-77"));
    }

    #[test]
    fn defaults_business_from_the_id_and_arose_from_the_due_date() {
        let mut v = full_bfo();
        v["debtors"] = json!([
            { "id": "19121212-1212", "name": "A" },
            { "id": "556036-0793", "name": "B AB" },
            { "name": "C", "street": "S 1", "postal_code": "11122", "city": "Sthlm" }
        ]);
        v["claims"][0].as_object_mut().unwrap().remove("arose");
        v.as_object_mut().unwrap().remove("requests");
        let case = run(v).case.unwrap();
        let business: Vec<bool> = case.debtors.iter().map(|d| d.business).collect();
        assert_eq!(business, [false, true, false]);
        assert_eq!(case.claims[0].arose, None);
        assert_eq!(case.claims[0].arose_or_due(), Some(d("2026-03-01")));
        assert!(!case.requests.enforcement && !case.requests.court_if_disputed);
        // Defaults are not written out: neither in the journal nor in the intake form.
        let stored = serde_json::to_value(&case).unwrap();
        assert!(stored.get("requests").is_none());
        assert!(stored["debtors"][1].get("business").is_none());
        let form = serde_json::to_value(case.to_input()).unwrap();
        assert!(form.get("requests").is_none());
        assert!(form["debtors"][0].get("business").is_none());
    }

    #[test]
    fn a_stored_debtor_without_business_reads_the_default_of_its_id() {
        let old = r#"{"reference":"R-9","kind":"betalningsforelaggande","intressentkod":"DEV",
            "debtors":[{"id":{"kind":"organisationsnummer","digits":"165560360793"},"name":"AB","country":"SE"},
                       {"id":{"kind":"personnummer","digits":"191212121212"},"name":"P","country":"SE"}],
            "claims":[]}"#;
        let case: crate::domain::Case = serde_json::from_str(old).unwrap();
        assert!(case.debtors[0].is_business());
        assert!(!case.debtors[1].is_business());
        assert!(case.original_creditor.is_none() && case.requests.is_none());
    }

    #[test]
    fn verkstallighet_and_fordringsanmalan_fields() {
        let vst = json!({
          "reference": "V-1", "kind": "verkstallighet",
          "creditor": { "id": "202100-5489", "name": "Kredit AB" },
          "title": { "kind": "dom", "reference": "T 123-26", "date": "2026-06-01", "court": "Stockholms tingsrätt" },
          "paid_since_title": "250.50",
          "debtors": [ { "id": "19121212-1212", "name": "T", "street": "S 1", "postal_code": "11122", "city": "X" } ],
          "claims": [ { "kind": "kapital", "amount": "5000", "due_date": "2026-01-01", "basis": "Dom" } ]
        });
        let v = run(vst);
        let case = v.case.clone().unwrap_or_else(|| panic!("{:#?}", v.issues));
        assert_eq!(
            case.title.as_ref().unwrap().court.as_deref(),
            Some("Stockholms tingsrätt")
        );
        assert_eq!(case.paid_since_title.map(|a| a.0), Some(25050));
        assert_eq!(validate(&case.to_input(), &ctx()).case, Some(case));

        let sks = json!({
          "reference": "S-1", "kind": "fordringsanmalan",
          "creditor": { "id": "202100-5489", "name": "Kredit AB" },
          "debt_restructuring_case": "SKS-1", "decision_date": "2026-10-01", "publication_date": "2026-10-05",
          "security": { "kind": "borgen", "text": "Borgen av Anna" },
          "debtors": [ { "id": "19121212-1212", "name": "T" } ],
          "claims": [ { "kind": "kapital", "amount": "5000", "due_date": "2025-01-31", "arose": "2025-01-01", "basis": "Faktura" } ]
        });
        let case = run(sks.clone()).case.unwrap();
        assert_eq!(case.decision_date, Some(d("2026-10-01")));
        assert_eq!(case.filing_deadline(), Some(d("2026-11-05")));
        let sec = case.security.as_ref().unwrap();
        assert_eq!(
            (sec.kind, sec.text.as_deref()),
            (SecurityKind::Borgen, Some("Borgen av Anna"))
        );
        assert_eq!(validate(&case.to_input(), &ctx()).case, Some(case));
        let mut with_deadline = sks.clone();
        with_deadline["deadline"] = json!("2026-12-01");
        let case = run(with_deadline).case.unwrap();
        assert_eq!(case.filing_deadline(), Some(d("2026-12-01")));
        // One calendar month from the 31st ends on the last day of a shorter month.
        let mut jan = sks;
        jan["decision_date"] = json!("2026-01-20");
        jan["publication_date"] = json!("2026-01-31");
        assert_eq!(
            run(jan).case.unwrap().filing_deadline(),
            Some(d("2026-02-28"))
        );
    }

    #[test]
    fn a_fogd_ref_1_installation_keeps_its_co_debtors() {
        // FOGD-REF-1 carries jointly liable debtors of a verkställighet in record 04: §2.2's rules are FOGD-REF-2's.
        let two = json!({
          "reference": "V-3", "kind": "verkstallighet",
          "creditor": { "id": "202100-5489", "name": "Kredit AB" },
          "title": { "kind": "utslag", "reference": "12-1-26", "date": "2026-06-01" },
          "debtors": [ { "id": "19121212-1212", "name": "T", "street": "S 1", "postal_code": "11122", "city": "X" },
                       { "name": "U", "street": "S 2", "postal_code": "11122", "city": "X" } ],
          "claims": [ { "kind": "kapital", "amount": "5000", "due_date": "2026-01-01", "basis": "Utslag" } ]
        });
        let input: CaseInput = serde_json::from_value(two).unwrap();
        let mut ref1 = ctx();
        ref1.rules = ref1.rules.for_edition("FOGD-REF-1");
        let v = validate(&input, &ref1);
        assert!(v.case.is_some(), "{:#?}", rules(&v));
        let got = rules(&validate(&input, &ctx()));
        assert!(
            got.iter().any(|(_, r)| r == "verkstallighet.one_debtor"),
            "{got:#?}"
        );
    }

    #[test]
    fn verkstallighet_carries_one_identified_debtor_with_address_and_the_court() {
        let base = json!({
          "reference": "V-2", "kind": "verkstallighet",
          "creditor": { "id": "202100-5489", "name": "Kredit AB" },
          "title": { "kind": "dom", "reference": "T 1-26", "date": "2026-06-01", "court": "Solna tingsrätt" },
          "debtors": [ { "id": "19121212-1212", "name": "T", "street": "S 1", "postal_code": "11122", "city": "X" } ],
          "claims": [ { "kind": "kapital", "amount": "5000", "due_date": "2026-01-01", "basis": "Dom" } ]
        });
        assert!(run(base.clone()).case.is_some());
        let mut two = base.clone();
        two["debtors"] = json!([
            { "id": "19121212-1212", "name": "T", "street": "S 1", "postal_code": "11122", "city": "X" },
            { "name": "U", "street": "S 2", "postal_code": "11122", "city": "X" }
        ]);
        two["title"]["court"] = json!(" ");
        two["promissory_note"] = json!(true);
        let got = rules(&run(two));
        for want in [
            ("debtors", "verkstallighet.one_debtor"),
            ("debtors[1].id", "verkstallighet.debtor_id"),
            ("title.court", "verkstallighet.court"),
            ("promissory_note", "verkstallighet.promissory_note"),
        ] {
            assert!(
                got.iter().any(|(p, r)| p == want.0 && r == want.1),
                "{want:?} missing from {got:#?}"
            );
        }
        let mut no_address = base.clone();
        no_address["debtors"][0]["street"] = json!(null);
        no_address["debtors"][0]["city"] = json!("");
        let got = rules(&run(no_address));
        assert_eq!(
            got.iter()
                .filter(|(_, r)| r == "verkstallighet.debtor_address")
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>(),
            ["debtors[0].street", "debtors[0].city"]
        );
        // An utslag needs no court; a BFÖ may rest on a löpande skuldebrev.
        let mut utslag = base;
        utslag["title"] = json!({ "kind": "utslag", "reference": "12-1-26", "date": "2026-06-01" });
        assert!(run(utslag).case.is_some());
        let mut bfo = full_bfo();
        bfo["promissory_note"] = json!(true);
        assert!(run(bfo).case.is_some());
    }

    fn rules(v: &Validation) -> Vec<(String, String)> {
        v.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| (i.path.clone(), i.rule.clone()))
            .collect()
    }

    #[test]
    fn wrong_or_misplaced_fields_are_named() {
        let mut v = full_bfo();
        v["paid_since_title"] = json!("10");
        v["security"] = json!({ "kind": "hypotek" });
        v["creditor"]["reference"] = json!("X");
        v["creditor"]["postal_code"] = json!("00000");
        v["original_creditor"]["transfer_date"] = json!("2027-01-01");
        v["claims"][0]["arose"] = json!("2026-13-01");
        v["debtors"][0]["business"] = json!(true);
        let r = run(v);
        assert!(r.case.is_none());
        let got = rules(&r);
        for want in [
            ("paid_since_title", "field.not_allowed"),
            ("security", "field.not_allowed"),
            ("security.kind", "security.kind"),
            ("creditor.reference", "field.not_allowed"),
            ("creditor.postal_code", "postal_code.range"),
            ("original_creditor.transfer_date", "date.future"),
            ("claims[0].arose", "date.format"),
        ] {
            assert!(
                got.iter().any(|(p, r)| p == want.0 && r == want.1),
                "{want:?} missing from {got:#?}"
            );
        }
        let mut v = full_bfo();
        v["original_creditor"] = json!({ "name": "X" });
        let got = rules(&run(v));
        assert!(got.contains(&("original_creditor.id".into(), "field.required".into())));
        assert!(got.contains(&(
            "original_creditor.transfer_date".into(),
            "field.required".into()
        )));
    }
}
