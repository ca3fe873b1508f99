//! The ledger of a case (fogd-ref-2.md §5): what was claimed (per delkrav), the nedsättningar sent and accepted,
//! interest to a date (§4, [`super::interest`]), the fees Kronofogden charges (grundavgift from NYTTAVGAR), what
//! it paid out (the sum of DELRED `Redovisat`) and what remains (Kronofogden's latest `Aterstar`; unknown until it
//! has said so). Pure: computed from the case, its reductions and the stored entries.
//!
//! Interest runs on each claim from its `interest.from` to the as-of date (not included); a nedsättning of a
//! claim stops the interest on the amount it took off from its date. A nedsättning of the whole case (delkrav 0)
//! is taken off the claims in their order. Payments are not set off against interest (Kronofogden's `Aterstar`
//! is the figure for what remains).

use super::interest::{compute, InterestError, ReferensrantaTable};
use super::{Amount, Case};
use chrono::NaiveDate;
use serde::Serialize;

/// A nedsättning sent and accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reduction {
    /// Delkrav (1-based); 0 = the case as a whole.
    pub claim_index: u32,
    /// The amount taken off.
    pub amount: Amount,
    /// From when (the nedsättning's date).
    pub date: NaiveDate,
}

/// What a ledger row reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Paid out to the sökande (DELRED `Redovisat`).
    PaidOut,
    /// A fee Kronofogden charges (NYTTAVGAR).
    Fee,
    /// Fees deducted from a payout (DELRED `AvdragnaAvgifter`): kept, not counted again as a fee.
    FeesDeducted,
    /// What Kronofogden says remains (`Aterstar`).
    Remaining,
}

impl EntryKind {
    /// The stored name.
    pub fn parse(name: &str) -> Option<EntryKind> {
        Some(match name {
            "paid_out" => EntryKind::PaidOut,
            "fee" => EntryKind::Fee,
            "fees_deducted" => EntryKind::FeesDeducted,
            "remaining" => EntryKind::Remaining,
            _ => return None,
        })
    }
}

/// One reported amount, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// What.
    pub kind: EntryKind,
    /// How much.
    pub amount: Amount,
    /// The date it concerns.
    pub at: NaiveDate,
}

/// The ledger as of a date. Amounts serialise as decimal strings in kronor (`"1234.50"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    /// The claims' amounts, summed.
    #[schema(value_type = String, example = "12500.00")]
    pub claimed: Amount,
    /// Per delkrav, in order.
    #[schema(value_type = Vec<String>)]
    pub claimed_per_claim: Vec<Amount>,
    /// Nedsättningar sent and accepted.
    #[schema(value_type = String, example = "0.00")]
    pub reductions: Amount,
    /// Interest up to the as-of date; null when the referensränta table lacks a half-year it needs.
    #[schema(value_type = Option<String>, example = "911.51")]
    pub interest: Option<Amount>,
    /// Fees Kronofogden charged (NYTTAVGAR) up to the as-of date.
    #[schema(value_type = String, example = "300.00")]
    pub fees: Amount,
    /// Paid out to the sökande up to the as-of date.
    #[schema(value_type = String, example = "2500.00")]
    pub paid_out: Amount,
    /// Kronofogden's latest `Aterstar` up to the as-of date; null while unknown.
    #[schema(value_type = Option<String>, example = "10000.00")]
    pub remaining: Option<Amount>,
    /// The as-of date.
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// Why interest is null (`interest.rate_unknown: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interest_problem: Option<String>,
}

fn add(a: Amount, b: Amount) -> Amount {
    Amount(a.0.saturating_add(b.0))
}

/// Interest of one claim: on what the reductions took off, up to each reduction's date; on the rest up to
/// `as_of`.
fn claim_interest(
    claim: &super::Claim,
    taken: &[(Amount, NaiveDate)],
    as_of: NaiveDate,
    table: &ReferensrantaTable,
) -> Result<Amount, InterestError> {
    let Some(i) = &claim.interest else {
        return Ok(Amount(0));
    };
    let mut total = Amount(0);
    let mut rest = claim.amount.0;
    for (amount, date) in taken {
        let part = amount.0.min(rest).max(0);
        rest -= part;
        let c = compute(
            Amount(part),
            i.kind,
            i.rate_bp,
            i.from,
            (*date).min(as_of),
            table,
        )?;
        total = add(total, c.amount);
    }
    let c = compute(Amount(rest.max(0)), i.kind, i.rate_bp, i.from, as_of, table)?;
    Ok(add(total, c.amount))
}

/// The ledger of `case` as of `as_of`.
pub fn compute_ledger(
    case: &Case,
    reductions: &[Reduction],
    entries: &[Entry],
    as_of: NaiveDate,
    table: &ReferensrantaTable,
) -> Ledger {
    let claimed_per_claim: Vec<Amount> = case.claims.iter().map(|c| c.amount).collect();
    let claimed = claimed_per_claim.iter().copied().fold(Amount(0), add);
    let mut reduced = Amount(0);
    // What each claim's reductions took off, with their dates.
    let mut taken: Vec<Vec<(Amount, NaiveDate)>> = vec![Vec::new(); case.claims.len()];
    let mut sorted: Vec<&Reduction> = reductions.iter().filter(|r| r.date <= as_of).collect();
    sorted.sort_by_key(|r| r.date);
    for r in sorted {
        reduced = add(reduced, r.amount);
        if r.claim_index == 0 {
            // The whole case: off the claims in order, each as far as it goes.
            let mut left = r.amount.0;
            for (k, c) in case.claims.iter().enumerate() {
                let already: i64 = taken[k].iter().map(|t| t.0 .0).sum();
                let part = left.min(c.amount.0 - already).max(0);
                if part > 0 {
                    taken[k].push((Amount(part), r.date));
                    left -= part;
                }
            }
        } else if let Some(t) = usize::try_from(r.claim_index - 1)
            .ok()
            .and_then(|k| taken.get_mut(k))
        {
            t.push((r.amount, r.date));
        }
    }
    let mut interest = Some(Amount(0));
    let mut interest_problem = None;
    for (c, t) in case.claims.iter().zip(&taken) {
        match claim_interest(c, t, as_of, table) {
            Ok(a) => interest = interest.map(|i| add(i, a)),
            Err(e) => {
                interest = None;
                interest_problem = Some(format!("{}: {e}", e.rule()));
                break;
            }
        }
    }
    let upto = || entries.iter().filter(|e| e.at <= as_of);
    let sum = |k: EntryKind| {
        upto()
            .filter(|e| e.kind == k)
            .map(|e| e.amount)
            .fold(Amount(0), add)
    };
    // The latest Aterstar (entries come in date order, later rows of a date after earlier ones).
    let remaining = upto()
        .filter(|e| e.kind == EntryKind::Remaining)
        .max_by_key(|e| e.at)
        .map(|e| e.amount);
    Ledger {
        claimed,
        claimed_per_claim,
        reductions: reduced,
        interest,
        fees: sum(EntryKind::Fee),
        paid_out: sum(EntryKind::PaidOut),
        remaining,
        as_of,
        interest_problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::{Claim, ClaimKind, Interest, InterestKind};
    use crate::domain::CaseKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kr(s: &str) -> Amount {
        Amount::parse_kronor(s).unwrap()
    }

    fn case(claims: &[(&str, Option<&str>)]) -> Case {
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "reference": "R1", "kind": "betalningsforelaggande", "intressentkod": "DEV"
        }))
        .unwrap();
        assert_eq!(c.kind, CaseKind::Betalningsforelaggande);
        c.claims = claims
            .iter()
            .map(|(a, from)| Claim {
                kind: ClaimKind::Kapital,
                amount: kr(a),
                due_date: None,
                invoice_number: None,
                basis: None,
                interest: from.map(|f| Interest {
                    kind: InterestKind::ReferencePlus,
                    rate_bp: 800,
                    from: d(f),
                }),
                accrued_interest: None,
                costs: None,
                arose: None,
            })
            .collect();
        c
    }

    #[test]
    fn interest_follows_the_worked_example_and_stops_on_a_reduction() {
        let t = ReferensrantaTable::embedded();
        // fogd-ref-2.md §4: 10 000 kr, reference + 8, 2024-05-10 .. 2025-02-15 → 911,51 kr.
        let c = case(&[("10000.00", Some("2024-05-10")), ("500.00", None)]);
        let l = compute_ledger(&c, &[], &[], d("2025-02-15"), &t);
        assert_eq!(l.claimed, kr("10500.00"));
        assert_eq!(l.claimed_per_claim, vec![kr("10000.00"), kr("500.00")]);
        assert_eq!(l.interest, Some(kr("911.51")));
        assert_eq!(l.remaining, None);
        // The whole claim taken off at the start: no interest; a reduction after as_of does not count.
        let r = Reduction {
            claim_index: 1,
            amount: kr("10000.00"),
            date: d("2024-05-10"),
        };
        let l = compute_ledger(&c, &[r], &[], d("2025-02-15"), &t);
        assert_eq!(
            (l.reductions, l.interest),
            (kr("10000.00"), Some(kr("0.00")))
        );
        let late = Reduction {
            date: d("2025-03-01"),
            ..r
        };
        let l = compute_ledger(&c, &[late], &[], d("2025-02-15"), &t);
        assert_eq!((l.reductions, l.interest), (kr("0.00"), Some(kr("911.51"))));
        // Half of it taken off from the start by a whole-case nedsättning: the interest of a 5 000 kr claim.
        let half = Reduction {
            claim_index: 0,
            amount: kr("5000.00"),
            date: d("2024-05-10"),
        };
        let l = compute_ledger(&c, &[half], &[], d("2025-02-15"), &t);
        let alone = compute_ledger(
            &case(&[("5000.00", Some("2024-05-10"))]),
            &[],
            &[],
            d("2025-02-15"),
            &t,
        );
        assert_eq!(l.interest, alone.interest);
        assert_eq!(l.interest, Some(kr("455.75")));
    }

    #[test]
    fn payments_fees_and_the_latest_remaining_up_to_the_date() {
        let t = ReferensrantaTable::embedded();
        let c = case(&[("10000.00", None)]);
        let e = |kind, a: &str, at: &str| Entry {
            kind,
            amount: kr(a),
            at: d(at),
        };
        let entries = [
            e(EntryKind::PaidOut, "2500.00", "2027-01-31"),
            e(EntryKind::Remaining, "7800.00", "2027-01-31"),
            e(EntryKind::FeesDeducted, "100.00", "2027-01-31"),
            e(EntryKind::Fee, "300.00", "2027-11-30"),
            e(EntryKind::PaidOut, "2500.00", "2027-02-28"),
            e(EntryKind::Remaining, "5300.00", "2027-02-28"),
        ];
        let l = compute_ledger(&c, &[], &entries, d("2027-02-01"), &t);
        assert_eq!(
            (l.paid_out, l.fees, l.remaining),
            (kr("2500.00"), kr("0.00"), Some(kr("7800.00")))
        );
        let l = compute_ledger(&c, &[], &entries, d("2027-12-31"), &t);
        assert_eq!(
            (l.paid_out, l.fees, l.remaining),
            (kr("5000.00"), kr("300.00"), Some(kr("5300.00")))
        );
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["paid_out"], "5000.00");
        assert_eq!(json["interest"], "0.00");
        // A half-year the table lacks: interest null with the rule, the rest still there.
        let c = case(&[("10000.00", Some("2026-01-01"))]);
        let l = compute_ledger(&c, &[], &entries, d("2027-12-31"), &t);
        assert_eq!(l.interest, None);
        assert!(l
            .interest_problem
            .clone()
            .unwrap()
            .starts_with("interest.rate_unknown"));
        assert_eq!(
            serde_json::to_value(&l).unwrap()["interest"],
            serde_json::Value::Null
        );
    }
}
