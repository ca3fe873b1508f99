//! A validated [`Case`] written back in the intake form ([`CaseInput`], intake.md §1): the field names and shapes
//! `POST /api/v1/cases` and `fogd import` accept, normalised (identity numbers as `YYYYMMDD-NNNN` / `NNNNNN-NNNN`,
//! amounts and interest rates as decimal strings with two decimals, dates as `YYYY-MM-DD`). `GET /api/v1/cases/{ref}`
//! answers in this form (intake.md §5: a case system can send back what it reads), and validating it again gives the
//! same case.

use super::amount::Amount;
use super::case::{
    Case, CaseInput, ChangeInput, Claim, ClaimInput, Debtor, DebtorInput, InterestInput,
    OriginalCreditorInput, Party, PartyInput, RequestsInput, SecurityInput, TitleInput,
};
use serde::Serialize;

/// The serialised name of a unit enum value (`reference_plus`, `betald`, …): the names intake reads.
fn name<T: Serialize>(v: &T) -> Option<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

/// An amount as intake reads it: `"1250.00"`.
fn amount(a: Amount) -> serde_json::Value {
    serde_json::Value::String(a.to_string())
}

fn party(p: &Party) -> PartyInput {
    PartyInput {
        id: Some(p.id.display()),
        name: Some(p.name.clone()),
        street: p.street.clone(),
        postal_code: p.postal_code.clone(),
        city: p.city.clone(),
        phone: p.phone.clone(),
        email: p.email.clone(),
        reference: p.reference.clone(),
    }
}

fn debtor(d: &Debtor) -> DebtorInput {
    DebtorInput {
        id: d.id.as_ref().map(|i| i.display()),
        name: Some(d.name.clone()),
        care_of: d.care_of.clone(),
        street: d.street.clone(),
        postal_code: d.postal_code.clone(),
        city: d.city.clone(),
        country: Some(d.country.clone()),
        phone: d.phone.clone(),
        email: d.email.clone(),
        // Written only when it differs from what intake assumes without it.
        business: (d.business != Debtor::default_business(d.id.as_ref())).then_some(d.business),
    }
}

fn claim(c: &Claim) -> ClaimInput {
    ClaimInput {
        kind: Some(c.kind.as_str().to_string()),
        amount: Some(amount(c.amount)),
        due_date: c.due_date.map(|d| d.to_string()),
        invoice_number: c.invoice_number.clone(),
        basis: c.basis.clone(),
        interest: c.interest.as_ref().map(|i| InterestInput {
            kind: name(&i.kind),
            // The rate is kept in basis points; intake reads percent with two decimals (`"8.00"`).
            rate: Some(amount(Amount(i64::from(i.rate_bp)))),
            from: Some(i.from.to_string()),
        }),
        accrued_interest: c.accrued_interest.map(amount),
        costs: c.costs.map(amount),
        arose: c.arose.map(|d| d.to_string()),
    }
}

impl Case {
    /// This case in the intake form (see the module doc).
    pub fn to_input(&self) -> CaseInput {
        CaseInput {
            reference: Some(self.reference.clone()),
            kind: Some(self.kind.as_str().to_string()),
            intressentkod: Some(self.intressentkod.clone()),
            creditor: self.creditor.as_ref().map(party),
            agent: self.agent.as_ref().map(party),
            customer_number: self.customer_number.clone(),
            promissory_note: self.promissory_note.then_some(true),
            debtors: self.debtors.iter().map(debtor).collect(),
            claims: self.claims.iter().map(claim).collect(),
            title: self.title.as_ref().map(|t| TitleInput {
                kind: name(&t.kind),
                reference: Some(t.reference.clone()),
                date: Some(t.date.to_string()),
                court: t.court.clone(),
            }),
            debt_restructuring_case: self.debt_restructuring_case.clone(),
            concerns: self.concerns.clone(),
            malnummer: self.malnummer.clone(),
            amount: self.amount.map(amount),
            claim_index: self.claim_index,
            date: self.date.map(|d| d.to_string()),
            reason: self.reason.as_ref().and_then(name),
            change: self.change.as_ref().map(|c| ChangeInput {
                kind: name(&c.kind),
                amount: c.amount.map(amount),
                until: c.until.map(|d| d.to_string()),
            }),
            request: self.request.map(|r| r.as_str().to_string()),
            original_creditor: self
                .original_creditor
                .as_ref()
                .map(|o| OriginalCreditorInput {
                    id: Some(o.id.display()),
                    name: Some(o.name.clone()),
                    transfer_date: Some(o.transfer_date.to_string()),
                }),
            requests: (!self.requests.is_none()).then_some(RequestsInput {
                enforcement: Some(self.requests.enforcement),
                court_if_disputed: Some(self.requests.court_if_disputed),
            }),
            paid_since_title: self.paid_since_title.map(amount),
            decision_date: self.decision_date.map(|d| d.to_string()),
            publication_date: self.publication_date.map(|d| d.to_string()),
            deadline: self.deadline.map(|d| d.to_string()),
            security: self.security.as_ref().map(|s| SecurityInput {
                kind: name(&s.kind),
                text: s.text.clone(),
            }),
            ..CaseInput::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::case::CaseInput;
    use crate::domain::validate::{validate, Rules, ValidationContext};

    fn ctx() -> ValidationContext {
        ValidationContext {
            rules: Rules::default(),
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            default_intressentkod: "DEV".into(),
            interest: std::sync::Arc::new(crate::domain::interest::ReferensrantaTable::embedded()),
        }
    }

    /// Every case of the demo (all six kinds, interest, titles, follow-ups) validates, is written in the intake
    /// form, and validates again to the same case.
    #[test]
    fn every_kind_round_trips_through_the_intake_form() {
        let inputs: Vec<CaseInput> =
            serde_json::from_str(include_str!("../../fixtures/demo-cases.json")).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        let mut checked = 0;
        for input in &inputs {
            let Some(case) = validate(input, &ctx()).case else {
                continue;
            };
            let again = validate(&case.to_input(), &ctx());
            assert_eq!(again.case.as_ref(), Some(&case), "{:?}", again.issues);
            kinds.insert(case.kind);
            checked += 1;
        }
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert!(checked >= 8, "{checked}");
        // The shapes intake reads: identity numbers and amounts as text, the rate in percent.
        let case = validate(&inputs[0], &ctx()).case.unwrap();
        let v = serde_json::to_value(case.to_input()).unwrap();
        assert!(v["debtors"][0]["id"].as_str().unwrap().contains('-'), "{v}");
        assert!(v["claims"][0]["amount"].is_string(), "{v}");
    }

    /// fogd's read-only additions are accepted and ignored by intake (not part of the stored input), and they are
    /// exactly the listed ones.
    #[test]
    fn read_only_additions_are_ignored_by_intake() {
        let mut v = serde_json::json!({"reference": "R-1", "kind": "betalningsforelaggande"});
        for (i, f) in crate::domain::case::READ_ONLY_FIELDS.iter().enumerate() {
            v[*f] = serde_json::json!([i, {"x": null}]);
        }
        let input: CaseInput = serde_json::from_value(v).unwrap();
        assert_eq!(
            serde_json::to_string(&input).unwrap(),
            r#"{"reference":"R-1","kind":"betalningsforelaggande"}"#
        );
        assert!(serde_json::from_str::<CaseInput>(r#"{"statee": 1}"#).is_err());
    }
}
