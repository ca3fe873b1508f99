//! The journal: the review step between intake and building. Operators list cases waiting for review, approve
//! them (all at once, or by reference) or hold them with a reason. Every change is recorded in `case_events`.
//!
//! Readings: `approve --all` approves the cases in `journal` only — a *held* case (warnings or an operator's hold)
//! must be approved by its reference, so a warning is never waved through in bulk. A reference names every case
//! with that reference (e.g. a BFÖ and its nedsättning filed under the same ärendenummer).

use super::EngineError;
use crate::clock::Clock;
use crate::domain::state::{Cause, Transition};
use crate::domain::CaseState;
use crate::store::{CaseMove, CaseRow, CaseSelection, CaseUpdate, Store};

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
    pub reference: String,
    pub kind: String,
    /// Previous state.
    pub from: CaseState,
    /// New state.
    pub to: CaseState,
}

/// A reference that could not be acted on, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
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
    Ok(store.list_cases(CaseState::IN_REVIEW).await?)
}

/// Cases approved per transaction by `approve --all`: a page's keys are held in memory (about 100 bytes a case),
/// and each commit is an fsync (`synchronous=FULL`), so pages are large; 1,000,000 cases are 20 commits.
pub const APPROVE_PAGE: i64 = 50_000;

/// Approves every case in `journal` (never a held one): page after page of [`APPROVE_PAGE`] cases, each moved in
/// one transaction by [`crate::store::StoreTx::move_page`] (an id range, not bound ids), and after each commit
/// `on_page` gets the page's changes — so a caller can write them as they come and memory stays flat in the number
/// of cases (`fogd journal approve --all` of 1,000,000 cases). Returns how many cases were approved.
pub async fn approve_all<E, F>(
    store: &Store,
    actor: &str,
    clock: &dyn Clock,
    mut on_page: F,
) -> Result<u64, E>
where
    E: From<EngineError>,
    F: FnMut(Vec<Changed>) -> Result<(), E>,
{
    let mut after = 0;
    let mut total = 0u64;
    // One connection for every page: pooled connections in turn would each fill a page cache of their own (peak
    // RSS 84 MB at 1,000,000 cases against 40 MB at 100,000).
    let mut session = store.write_session().await.map_err(|e| E::from(e.into()))?;
    loop {
        let mv = CaseMove::new(Cause::Approve, CaseState::Approved, actor, clock.now())
            .only_from(&[CaseState::Journal]);
        let page = async {
            let mut tx = session.begin().await?;
            let keys = tx
                .move_page(CaseState::Journal, after, APPROVE_PAGE, &mv)
                .await?;
            tx.commit().await?;
            Ok::<_, crate::store::StoreError>(keys)
        }
        .await
        .map_err(|e| E::from(e.into()))?;
        let Some(last) = page.last() else { break };
        after = last.id;
        total += page.len() as u64;
        on_page(
            page.into_iter()
                .map(|k| Changed {
                    reference: k.reference,
                    kind: k.kind,
                    from: CaseState::Journal,
                    to: CaseState::Approved,
                })
                .collect(),
        )?;
    }
    Ok(total)
}

/// Approves the selected cases (`journal`/`held` → `approved`). With [`Selection::All`] the report holds every
/// approved case; callers that may meet very many cases use [`approve_all`] instead.
pub async fn approve(
    store: &Store,
    selection: &Selection,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mut report = JournalReport::default();
    match selection {
        Selection::All => {
            approve_all(store, actor, clock, |page| {
                report.changed.extend(page);
                Ok::<_, EngineError>(())
            })
            .await?;
        }
        Selection::References(refs) => {
            for r in refs {
                let mv = CaseMove::new(Cause::Approve, CaseState::Approved, actor, clock.now())
                    .update(CaseUpdate {
                        hold_reason: Some(None),
                        ..CaseUpdate::default()
                    });
                act_on_reference(store, r, &mv, &mut report).await?;
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
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, actor, clock.now())
        .reason(Some(reason))
        .update(CaseUpdate {
            hold_reason: Some(Some(reason.to_string())),
            ..CaseUpdate::default()
        });
    act_on_reference(store, reference, &mv, &mut report).await?;
    Ok(report)
}

/// Holds the one case `id` with `reason` (ops console: a case page names one case, not a reference).
pub async fn hold_case(
    store: &Store,
    id: i64,
    reason: &str,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, actor, clock.now())
        .reason(Some(reason))
        .update(CaseUpdate {
            hold_reason: Some(Some(reason.to_string())),
            ..CaseUpdate::default()
        });
    act_on_id(store, id, &mv).await
}

/// Releases the held case `id` back into the journal (`held` → `journal`), clearing its hold reason.
pub async fn release_case(
    store: &Store,
    id: i64,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mv = CaseMove::new(Cause::Release, CaseState::Journal, actor, clock.now())
        .reason(Some("released"))
        .update(CaseUpdate {
            hold_reason: Some(None),
            ..CaseUpdate::default()
        });
    act_on_id(store, id, &mv).await
}

/// Approves the one case `id` (journal or held → approved).
pub async fn approve_case(
    store: &Store,
    id: i64,
    actor: &str,
    clock: &dyn Clock,
) -> Result<JournalReport, EngineError> {
    let mv =
        CaseMove::new(Cause::Approve, CaseState::Approved, actor, clock.now()).update(CaseUpdate {
            hold_reason: Some(None),
            ..CaseUpdate::default()
        });
    act_on_id(store, id, &mv).await
}

/// Approves the cases `ids` in one move (ops console's review queue); with `journal_only` held cases stay held
/// (approving "all shown" must not wave a warning through, as `approve --all`). Returns how many moved.
pub async fn approve_cases(
    store: &Store,
    ids: &[i64],
    journal_only: bool,
    actor: &str,
    clock: &dyn Clock,
) -> Result<u64, EngineError> {
    let mut mv =
        CaseMove::new(Cause::Approve, CaseState::Approved, actor, clock.now()).update(CaseUpdate {
            hold_reason: Some(None),
            ..CaseUpdate::default()
        });
    if journal_only {
        mv = mv.only_from(&[CaseState::Journal]);
    }
    Ok(store.move_cases(CaseSelection::Ids(ids), &mv).await?.count)
}

/// Holds the cases `ids` with `reason` in one move. Returns how many moved.
pub async fn hold_cases(
    store: &Store,
    ids: &[i64],
    reason: &str,
    actor: &str,
    clock: &dyn Clock,
) -> Result<u64, EngineError> {
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, actor, clock.now())
        .reason(Some(reason))
        .update(CaseUpdate {
            hold_reason: Some(Some(reason.to_string())),
            ..CaseUpdate::default()
        });
    Ok(store.move_cases(CaseSelection::Ids(ids), &mv).await?.count)
}

/// Moves the case `id` under `mv`, reporting it as changed or skipped.
async fn act_on_id(
    store: &Store,
    id: i64,
    mv: &CaseMove<'_>,
) -> Result<JournalReport, EngineError> {
    let mut report = JournalReport::default();
    let Some(row) = store.case_by_id(id).await? else {
        report.skipped.push(Skipped {
            reference: format!("#{id}"),
            reason: "no such case".into(),
        });
        return Ok(report);
    };
    let from = Transition::find(mv.cause, mv.to).map_or(&[][..], |t| t.from);
    if from.contains(&row.state) {
        move_case(store, &row, mv, &mut report).await?;
    } else {
        report.skipped.push(Skipped {
            reference: row.reference.clone(),
            reason: format!("{} is {}, cannot become {}", row.kind, row.state, mv.to),
        });
    }
    Ok(report)
}

/// Moves every case with `reference` under `mv`, reporting each as changed or skipped.
async fn act_on_reference(
    store: &Store,
    reference: &str,
    mv: &CaseMove<'_>,
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
    let from = Transition::find(mv.cause, mv.to).map_or(&[][..], |t| t.from);
    for row in rows {
        if !from.contains(&row.state) {
            report.skipped.push(Skipped {
                reference: reference.to_string(),
                reason: format!("{} is {}, cannot become {}", row.kind, row.state, mv.to),
            });
            continue;
        }
        move_case(store, &row, mv, report).await?;
    }
    Ok(())
}

async fn move_case(
    store: &Store,
    row: &CaseRow,
    mv: &CaseMove<'_>,
    report: &mut JournalReport,
) -> Result<(), EngineError> {
    let moved = store.move_cases(CaseSelection::One(row.id), mv).await?;
    match moved.cases.first() {
        Some(&(_, prev)) => report.changed.push(Changed {
            reference: row.reference.clone(),
            kind: row.kind.clone(),
            from: prev,
            to: mv.to,
        }),
        None => report.skipped.push(Skipped {
            reference: row.reference.clone(),
            reason: format!("{} changed state meanwhile", row.kind),
        }),
    }
    Ok(())
}
