//! Follow-ups checked against what fogd knows of the case they concern (fogd-ref-2.md §2.4), before they are
//! sent: a nedsättning names a delkrav that exists and asks for at most what remains of it; no follow-up concerns
//! a case that is already decided, withdrawn or closed; an uppskov still lies in the future. Pure: the engine reads
//! the concerned case from the store ([`ConcernedCase`]) and keeps a follow-up that fails `invalid` with these
//! issues.
//!
//! Readings kept here:
//! - The case must be registered before a follow-up is *sent*; that is already how follow-ups travel (the builder
//!   takes one only once the concerned case has a målnummer from its bekräftelse), so a follow-up that arrives
//!   while the case is still on its way is accepted and waits. Only a case past registration's end (decided,
//!   withdrawn, closed) refuses it.
//! - What remains of delkrav `n` is its amount less the earlier nedsättningar of `n`, and never more than what
//!   remains of the case as a whole (its claims less every earlier nedsättning); `claim_index` 0 is the whole case.
//!   Earlier nedsättningar are those fogd keeps that are not invalid or rejected.

use super::{Issue, Severity};
use crate::domain::amount::Amount;
use crate::domain::case::{Case, CaseKind, ChangeKind};
use crate::domain::state::CaseState;
use chrono::NaiveDate;

/// A nedsättning fogd already keeps for the concerned case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduction {
    /// The nedsättning's own reference.
    pub reference: String,
    /// The delkrav reduced (0 = the case as a whole).
    pub claim_index: u32,
    /// By how much.
    pub amount: Amount,
}

/// What fogd knows of the case a follow-up concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcernedCase {
    /// Its reference.
    pub reference: String,
    /// Where it stands.
    pub state: CaseState,
    /// Its validated content (`None` for a case kept invalid).
    pub case: Option<Case>,
    /// The nedsättningar already asked for it (not counting the follow-up being checked).
    pub reductions: Vec<Reduction>,
}

/// True for the states after which Kronofogden takes no follow-up of a case.
pub fn is_closed(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Decided
            | CaseState::Withdrawn
            | CaseState::Closed
            | CaseState::WrittenOff
            | CaseState::HandedToCourt
    )
}

/// The reduction a nedsättning asks for, as a [`Reduction`] (`None` for other kinds or without an amount).
pub fn reduction_of(case: &Case) -> Option<Reduction> {
    (case.kind == CaseKind::Nedsattning).then_some(())?;
    Some(Reduction {
        reference: case.reference.clone(),
        claim_index: case.claim_index.unwrap_or(0),
        amount: case.amount?,
    })
}

/// Every rule of fogd-ref-2.md §2.4 that `follow_up` breaks against `concerned`, as errors; `today` for an uppskov.
pub fn check_follow_up(
    follow_up: &Case,
    concerned: &ConcernedCase,
    today: NaiveDate,
) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut err = |path: &str, rule: &str, value: Option<String>, message: String| {
        out.push(Issue {
            severity: Severity::Error,
            path: path.to_string(),
            field: path.to_string(),
            rule: rule.to_string(),
            value,
            message,
        });
    };
    // A begäran is checked by its own rules (an enforcement begäran is for a decided case).
    if follow_up.kind != CaseKind::Begaran && is_closed(concerned.state) {
        err(
            "concerns",
            "follow_up.case_closed",
            Some(concerned.reference.clone()),
            format!(
                "{} {} concerns case {:?}, which is already {}: Kronofogden takes no {} of it",
                follow_up.kind,
                follow_up.reference,
                concerned.reference,
                concerned.state,
                follow_up.kind
            ),
        );
    }
    if let (Some(asked), Some(case)) = (reduction_of(follow_up), &concerned.case) {
        let n = case.claims.len();
        let index = usize::try_from(asked.claim_index).unwrap_or(usize::MAX);
        if index > n {
            err(
                "claim_index",
                "follow_up.no_such_claim",
                Some(asked.claim_index.to_string()),
                format!(
                    "case {:?} has {n} delkrav; delkrav {} does not exist (0 reduces the case as a whole)",
                    concerned.reference, asked.claim_index
                ),
            );
        } else {
            let whole: i64 = case.claims.iter().map(|c| c.amount.0).sum();
            let reduced_all: i64 = concerned.reductions.iter().map(|r| r.amount.0).sum();
            let (claimed, reduced) = match index.checked_sub(1) {
                None => (whole, reduced_all),
                Some(i) => (
                    case.claims.get(i).map_or(0, |c| c.amount.0),
                    concerned
                        .reductions
                        .iter()
                        .filter(|r| r.claim_index == asked.claim_index)
                        .map(|r| r.amount.0)
                        .sum(),
                ),
            };
            let remaining = (claimed - reduced).min(whole - reduced_all).max(0);
            if asked.amount.0 > remaining {
                let what = if index == 0 {
                    "the case as a whole".to_string()
                } else {
                    format!("delkrav {index}")
                };
                err(
                    "amount",
                    "follow_up.amount_exceeds_remaining",
                    Some(asked.amount.to_string()),
                    format!(
                        "a reduction of {} kr exceeds what remains of {what} of case {:?}: {} kr claimed, {} kr reduced before, {} kr remain",
                        asked.amount,
                        concerned.reference,
                        Amount(claimed),
                        Amount(reduced),
                        Amount(remaining)
                    ),
                );
            }
        }
    }
    if let Some(change) = &follow_up.change {
        if let (ChangeKind::Uppskov, Some(until)) = (change.kind, change.until) {
            if until <= today {
                err(
                    "change.until",
                    "follow_up.until_past",
                    Some(until.to_string()),
                    format!("the deferral ends {until}, which is not after today ({today})"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::{Change, Claim};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn claim(kr: i64) -> Claim {
        serde_json::from_value(serde_json::json!({ "kind": "kapital", "amount": format!("{kr}") }))
            .unwrap()
    }

    fn case_with(claims: Vec<Claim>) -> Case {
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "reference": "A-1", "kind": "betalningsforelaggande", "intressentkod": "DEV"
        }))
        .unwrap();
        c.claims = claims;
        c
    }

    fn neds(claim_index: u32, kr: i64) -> Case {
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "reference": "N-1", "kind": "nedsattning", "intressentkod": "DEV", "concerns": "A-1",
        }))
        .unwrap();
        c.claim_index = Some(claim_index);
        c.amount = Some(Amount(kr * 100));
        c
    }

    fn concerned(state: CaseState, claims: Vec<Claim>, reductions: &[(u32, i64)]) -> ConcernedCase {
        ConcernedCase {
            reference: "A-1".into(),
            state,
            case: Some(case_with(claims)),
            reductions: reductions
                .iter()
                .map(|&(claim_index, kr)| Reduction {
                    reference: format!("N-{claim_index}-{kr}"),
                    claim_index,
                    amount: Amount(kr * 100),
                })
                .collect(),
        }
    }

    fn rules(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.rule.as_str()).collect()
    }

    const TODAY: &str = "2026-06-01";

    /// The issue's example: 999 999 kr on delkrav 7 of a one-claim case.
    #[test]
    fn a_reduction_of_a_delkrav_that_does_not_exist_is_refused() {
        let c = concerned(CaseState::Registered, vec![claim(1000)], &[]);
        let issues = check_follow_up(&neds(7, 999_999), &c, d(TODAY));
        assert_eq!(rules(&issues), ["follow_up.no_such_claim"]);
        assert_eq!(issues[0].path, "claim_index");
        assert_eq!(issues[0].value.as_deref(), Some("7"));
        assert!(
            issues[0].message.contains("has 1 delkrav"),
            "{}",
            issues[0].message
        );
        // The same amount on delkrav 1, which exists: more than remains.
        let issues = check_follow_up(&neds(1, 999_999), &c, d(TODAY));
        assert_eq!(rules(&issues), ["follow_up.amount_exceeds_remaining"]);
        assert!(
            issues[0]
                .message
                .contains("1000.00 kr claimed, 0.00 kr reduced before, 1000.00 kr remain"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn the_remaining_amount_counts_earlier_reductions() {
        let claims = vec![claim(1000), claim(500)];
        let c = concerned(CaseState::Registered, claims.clone(), &[(1, 600)]);
        assert!(check_follow_up(&neds(1, 400), &c, d(TODAY)).is_empty());
        assert_eq!(
            rules(&check_follow_up(&neds(1, 401), &c, d(TODAY))),
            ["follow_up.amount_exceeds_remaining"]
        );
        // Delkrav 2 is untouched; the whole case has 900 left.
        assert!(check_follow_up(&neds(2, 500), &c, d(TODAY)).is_empty());
        assert!(check_follow_up(&neds(0, 900), &c, d(TODAY)).is_empty());
        assert_eq!(
            rules(&check_follow_up(&neds(0, 901), &c, d(TODAY))),
            ["follow_up.amount_exceeds_remaining"]
        );
        // A reduction of the whole case limits each delkrav too.
        let c = concerned(CaseState::Registered, claims, &[(0, 1200)]);
        assert_eq!(
            rules(&check_follow_up(&neds(2, 301), &c, d(TODAY))),
            ["follow_up.amount_exceeds_remaining"]
        );
        assert!(check_follow_up(&neds(2, 300), &c, d(TODAY)).is_empty());
    }

    #[test]
    fn no_follow_up_of_a_closed_case() {
        for state in [CaseState::Decided, CaseState::Withdrawn, CaseState::Closed] {
            let c = concerned(state, vec![claim(1000)], &[]);
            let issues = check_follow_up(&neds(1, 100), &c, d(TODAY));
            assert_eq!(rules(&issues), ["follow_up.case_closed"], "{state}");
            assert!(issues[0].message.contains(state.as_str()));
            let mut ater = neds(1, 1);
            ater.kind = CaseKind::Aterkallelse;
            ater.amount = None;
            ater.claim_index = None;
            assert_eq!(
                rules(&check_follow_up(&ater, &c, d(TODAY))),
                ["follow_up.case_closed"]
            );
        }
        // Still on its way or registered: accepted (it waits for the målnummer before it is sent).
        for state in [
            CaseState::Journal,
            CaseState::Approved,
            CaseState::Sent,
            CaseState::Accepted,
            CaseState::Registered,
        ] {
            let c = concerned(state, vec![claim(1000)], &[]);
            assert!(
                check_follow_up(&neds(1, 100), &c, d(TODAY)).is_empty(),
                "{state}"
            );
        }
    }

    #[test]
    fn an_uppskov_must_end_after_today() {
        let mut andring = neds(0, 1);
        andring.kind = CaseKind::VerkstallighetAndring;
        andring.amount = None;
        andring.claim_index = None;
        andring.change = Some(Change {
            kind: ChangeKind::Uppskov,
            amount: None,
            until: Some(d(TODAY)),
        });
        let mut c = concerned(CaseState::Registered, vec![claim(1000)], &[]);
        c.case.as_mut().unwrap().kind = CaseKind::Verkstallighet;
        assert_eq!(
            rules(&check_follow_up(&andring, &c, d(TODAY))),
            ["follow_up.until_past"]
        );
        assert!(check_follow_up(&andring, &c, d("2026-05-31")).is_empty());
    }
}
