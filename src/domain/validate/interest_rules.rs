//! The interest a case needs at intake (fogd-ref-2.md §4), computed with the configured referensränta table:
//! - a stated `upplupen_ranta` is checked for plausibility: more than the interest computed on the case's claims
//!   (each from its interest `from` to the application date, today) + 1 % + 1 kr is a warning
//!   (`interest.implausible`) that holds the case for review;
//! - a half-year the table lacks is never guessed: the case is held with `interest.rate_unknown`, the value
//!   the first day of that half-year (the alerts group the held cases by it, [`crate::alerts`]).
//!
//! - a fordringsanmälan's claims get their interest up to the decision date computed by fogd
//!   ([`Case::sks_interest`]) as `accrued_interest` (record `30` `ranta`); a stated one that differs is a warning
//!   (`interest.accrued_differs`) and the computed one is kept.
//!
//! A BFÖ that states no `upplupen_ranta` needs no interest at intake (Kronofogden computes the running interest
//! of a BFÖ itself), so a missing rate does not hold it.

use super::*;
use crate::domain::interest::{interest_until, InterestError};

/// The margin over the computed interest before a stated one is implausible: 1 % of it, plus 1 kr (öre).
fn tolerance(computed: Amount) -> Amount {
    Amount(computed.0 / 100 + 100)
}

impl Validator<'_> {
    /// Checks the interest of the case's valid `claims` (with their index in the input).
    pub(super) fn interest_rules(&mut self, claims: &[(usize, &Claim)], kind: CaseKind) {
        if kind != CaseKind::Betalningsforelaggande {
            return;
        }
        let stated: Vec<(usize, Amount)> = claims
            .iter()
            .filter(|(_, c)| c.kind == ClaimKind::UpplupenRanta)
            .map(|(i, c)| (*i, c.amount))
            .collect();
        let Some(&(first, _)) = stated.first() else {
            return;
        };
        let stated_total = Amount(stated.iter().map(|(_, a)| a.0).sum());
        let mut computed = 0i64;
        for (i, c) in claims {
            let Some(interest) = &c.interest else {
                continue;
            };
            match interest_until(c.amount, interest, self.ctx.today, &self.ctx.interest) {
                Ok(a) => computed = computed.saturating_add(a.0),
                Err(e) => {
                    self.interest_error(Field(&Indexed("claims", *i), "interest"), &e);
                    return;
                }
            }
        }
        let computed = Amount(computed);
        let limit = Amount(computed.0.saturating_add(tolerance(computed).0));
        if stated_total > limit {
            self.warn(
                Field(&Indexed("claims", first), "amount"),
                "interest.implausible",
                Some(&stated_total.to_string()),
                format!(
                    "upplupen ränta of {stated_total} kr is more than the {computed} kr computed on the claims' interest up to {} (+ 1 % + 1 kr: at most {limit} kr)",
                    self.ctx.today
                ),
            );
        }
    }

    /// Fordringsanmälan: each claim's interest up to `decision_date` into its `accrued_interest`.
    pub(super) fn sks_interest(&mut self, case: &mut Case) {
        let computed = match case.sks_interest(&self.ctx.interest) {
            Ok(c) => c,
            Err(e) => {
                self.interest_error(Field(&Indexed("claims", e.index), "interest"), &e.error);
                return;
            }
        };
        for (i, (claim, computed)) in case.claims.iter_mut().zip(computed).enumerate() {
            let Some(computed) = computed else {
                continue;
            };
            if let Some(stated) = claim.accrued_interest.filter(|s| *s != computed.amount) {
                self.warn(
                    Field(&Indexed("claims", i), "accrued_interest"),
                    "interest.accrued_differs",
                    Some(&stated.to_string()),
                    format!(
                        "accrued interest of {stated} kr stated; fogd computes {} kr from {} up to the decision date {} and files that",
                        computed.amount, computed.from, computed.to
                    ),
                );
            }
            claim.accrued_interest = Some(computed.amount);
        }
    }

    /// Holds the case for an interest that cannot be computed (`interest.rate_unknown`, …).
    pub(super) fn interest_error(&mut self, path: impl Display + Copy, e: &InterestError) {
        let value = match e {
            InterestError::RateUnknown { half_year } => half_year.start().map(|d| d.to_string()),
            _ => None,
        };
        self.warn(path, e.rule(), value.as_deref(), e.to_string());
    }
}
