//! The ledger of a stored case as of a date (fogd-ref-2.md §5): the case's claims, its accepted nedsättningar and
//! the amounts Kronofogden reported (`ledger_entries`), put through [`crate::domain::ledger::compute_ledger`]. What
//! `fogd status --case`, `GET /api/v1/cases/{ref}` and the status report show.

use crate::domain::interest::ReferensrantaTable;
use crate::domain::ledger::{compute_ledger, Entry, EntryKind, Ledger, Reduction};
use crate::domain::{Amount, Case, CaseKind};
use crate::store::{CaseRow, Store, StoreError};
use chrono::NaiveDate;

/// The ledger of `row` as of `as_of`; `None` for a case without claims (follow-ups, cases not validated).
pub async fn case_ledger(
    store: &Store,
    row: &CaseRow,
    as_of: NaiveDate,
    table: &ReferensrantaTable,
) -> Result<Option<Ledger>, StoreError> {
    let Some(case) = row.case()? else {
        return Ok(None);
    };
    if case.claims.is_empty() {
        return Ok(None);
    }
    let mut reductions = Vec::new();
    if case.kind == CaseKind::Betalningsforelaggande {
        for json in store
            .accepted_reductions(&row.intressentkod, &row.reference)
            .await?
        {
            // A stored nedsättning that does not read is left out of the sum, never a failure of the view.
            let Ok(n) = serde_json::from_str::<Case>(&json) else {
                continue;
            };
            if let (Some(amount), Some(date)) = (n.amount, n.date) {
                reductions.push(Reduction {
                    claim_index: n.claim_index.unwrap_or(0),
                    amount,
                    date,
                });
            }
        }
    }
    let entries: Vec<Entry> = store
        .ledger_entries(row.id)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(Entry {
                kind: EntryKind::parse(&r.kind)?,
                amount: Amount(r.amount_ore),
                at: NaiveDate::parse_from_str(&r.at, "%Y-%m-%d").ok()?,
            })
        })
        .collect();
    Ok(Some(compute_ledger(
        &case,
        &reductions,
        &entries,
        as_of,
        table,
    )))
}
