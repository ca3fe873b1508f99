//! The journal: the review step between intake and building. Operators list cases waiting for review, approve
//! them (all at once, or by reference) or hold them with a reason. Every change is recorded in `case_events`.
//!
//! Readings: `approve --all` approves the cases in `journal` only — a *held* case (warnings or an operator's hold)
//! must be approved by its reference, so a warning is never waved through in bulk. A reference names every case
//! with that reference (e.g. a BFÖ and its nedsättning filed under the same ärendenummer).

use super::EngineError;
use crate::clock::Clock;
use crate::domain::CaseState;
use crate::store::{CaseRow, Store};

/// States a case can be approved from.
pub const APPROVABLE: &[CaseState] = &[CaseState::Journal, CaseState::Held];
/// States a case can be held from.
pub const HOLDABLE: &[CaseState] = &[CaseState::Journal, CaseState::Approved, CaseState::Held];

/// Which cases to approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every case in `journal`.
    All,
    /// These references.
    References(Vec<String>),
}

/// One case whose state changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Changed {
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// Previous state.
    pub from: CaseState,
    /// New state.
    pub to: CaseState,
}

/// A reference that could not be acted on, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Reference.
    pub reference: String,
    /// Why.
    pub reason: String,
}

/// What an approve or hold did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct JournalReport {
    /// Cases changed.
    pub changed: Vec<Changed>,
    /// References not acted on.
    pub skipped: Vec<Skipped>,
}

/// Cases waiting for review: in `journal` or `held`.
pub async fn list(store: &Store) -> Result<Vec<CaseRow>, EngineError> {
    Ok(store
        .list_cases(&[CaseState::Journal, CaseState::Held])
        .await?)
}

/// Cases approved per transaction by `approve --all`.
const APPROVE_CHUNK: usize = 1000;

/// Approves the selected cases (`journal`/`held` → `approved`).
pub async fn approve(
    store: &Store,
    selection: &Selection,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mut report = JournalReport::default();
    match selection {
        Selection::All => {
            // Pages of APPROVE_CHUNK cases by id (key columns only: bounded memory however many cases wait),
            // each moved in one transaction with set-based SQL; with `synchronous=FULL` every commit is an fsync,
            // and per-case statements made `approve --all` of 100,000 cases take about a minute (bench_e2e).
            let mut after = 0;
            loop {
                let page = store
                    .case_keys_page(CaseState::Journal, after, APPROVE_CHUNK as i64)
                    .await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                let ids: Vec<i64> = page.iter().map(|k| k.id).collect();
                let mut tx = store.begin().await?;
                let moved = tx
                    .move_cases(
                        &ids,
                        CaseState::Journal,
                        CaseState::Approved,
                        None,
                        actor,
                        clock.now(),
                    )
                    .await?;
                tx.commit().await?;
                let moved: std::collections::HashSet<i64> = moved.into_iter().collect();
                for k in page {
                    if moved.contains(&k.id) {
                        report.changed.push(Changed {
                            reference: k.reference,
                            kind: k.kind,
                            from: CaseState::Journal,
                            to: CaseState::Approved,
                        });
                    } else {
                        report.skipped.push(Skipped {
                            reference: k.reference,
                            reason: format!("{} changed state meanwhile", k.kind),
                        });
                    }
                }
            }
        }
        Selection::References(refs) => {
            for r in refs {
                act_on_reference(
                    store,
                    r,
                    APPROVABLE,
                    CaseState::Approved,
                    None,
                    actor,
                    clock,
                    &mut report,
                )
                .await?;
            }
        }
    }
    Ok(report)
}

/// Holds the cases with `reference` for review with `reason` (`journal`/`approved` → `held`; a held case gets the
/// new reason).
pub async fn hold(
    store: &Store,
    reference: &str,
    reason: &str,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mut report = JournalReport::default();
    act_on_reference(
        store,
        reference,
        HOLDABLE,
        CaseState::Held,
        Some(reason),
        actor,
        clock,
        &mut report,
    )
    .await?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn act_on_reference(
    store: &Store,
    reference: &str,
    from: &[CaseState],
    to: CaseState,
    reason: Option<&str>,
    actor: &str,
    clock: &dyn Clock,
    report: &mut JournalReport,
) -> Result<(), EngineError> {
    let rows = store.cases_by_reference(reference, None).await?;
    if rows.is_empty() {
        report.skipped.push(Skipped {
            reference: reference.to_string(),
            reason: "no such case".into(),
        });
        return Ok(());
    }
    for row in rows {
        if !from.contains(&row.state) {
            report.skipped.push(Skipped {
                reference: reference.to_string(),
                reason: format!("{} is {}, cannot become {to}", row.kind, row.state),
            });
            continue;
        }
        move_case(store, &row, from, to, reason, actor, clock, report).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn move_case(
    store: &Store,
    row: &CaseRow,
    from: &[CaseState],
    to: CaseState,
    reason: Option<&str>,
    actor: &str,
    clock: &dyn Clock,
    report: &mut JournalReport,
) -> Result<(), EngineError> {
    match store
        .transition_case(row.id, from, to, reason, actor, clock.now())
        .await?
    {
        Some(prev) => report.changed.push(Changed {
            reference: row.reference.clone(),
            kind: row.kind.clone(),
            from: prev,
            to,
        }),
        None => report.skipped.push(Skipped {
            reference: row.reference.clone(),
            reason: format!("{} changed state meanwhile", row.kind),
        }),
    }
    Ok(())
}
