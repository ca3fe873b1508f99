//! Deadlines fogd tracks that no message sets (fogd-ref-2.md §2.3, §5): the skuldsanering filing deadline of a
//! fordringsanmälan not yet sent (its `deadline`, else the publication date plus one month), tracked so that the
//! alerts job warns `[alerts] deadline_warn_days` ahead and `fogd status --deadlines` lists it.

use super::EngineError;
use crate::domain::Case;
use crate::store::Store;

/// Tracks the filing deadline of every fordringsanmälan not yet sent that has one and is not tracked yet;
/// returns how many were added.
pub async fn track_filing_deadlines(store: &Store) -> Result<u64, EngineError> {
    let mut added = 0;
    for (id, json) in store.untracked_filings().await? {
        // A stored case that does not read has no deadline to track (the case view reports the corruption).
        let Some(due) = serde_json::from_str::<Case>(&json)
            .ok()
            .and_then(|c| c.filing_deadline())
        else {
            continue;
        };
        store
            .set_deadline(
                id,
                "skuldsanering_filing",
                due,
                "fordringsanmälan (publication date + 1 month or deadline)",
            )
            .await?;
        added += 1;
    }
    Ok(added)
}
