//! Decisions Kronofogden sends only on paper (issue 16; e.g. an avskrivningsbeslut): an operator enters one with
//! a note. The case moves by the transition table under the decision's cause (as if the message had come), the
//! event names the operator and carries the note, and the decision is its `outcome` (`"paper": true`, with the
//! note). One transaction. The note is not also written as a case note: the case page shows events and notes in
//! one timeline, where it would appear twice.

use super::EngineError;
use crate::clock::Clock;
use crate::domain::state::{Cause, Transition};
use crate::domain::{CaseKind, CaseState};
use crate::store::{CaseMove, CaseSelection, CaseUpdate, Store};
use chrono::NaiveDate;

/// A decision that may come on paper.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum PaperDecision {
    /// Avskrivningsbeslut (BFÖ, disputed and not handed over) → `written_off`.
    WrittenOff,
    /// Överlämnande till tingsrätt → `handed_to_court`.
    HandedToCourt,
    /// Utslag → `decided`.
    Utslag,
    /// Återkallat → `withdrawn`.
    Withdrawn,
    /// The enforcement closed → `closed`.
    Closed,
}

impl PaperDecision {
    /// The cause and state it moves a case under.
    pub fn transition(self) -> (Cause, CaseState) {
        match self {
            PaperDecision::WrittenOff => (Cause::WrittenOff, CaseState::WrittenOff),
            PaperDecision::HandedToCourt => (Cause::HandedToCourt, CaseState::HandedToCourt),
            PaperDecision::Utslag => (Cause::Decided, CaseState::Decided),
            PaperDecision::Withdrawn => (Cause::Withdrawn, CaseState::Withdrawn),
            PaperDecision::Closed => (Cause::Closed, CaseState::Closed),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaperDecision::WrittenOff => "written_off",
            PaperDecision::HandedToCourt => "handed_to_court",
            PaperDecision::Utslag => "utslag",
            PaperDecision::Withdrawn => "withdrawn",
            PaperDecision::Closed => "closed",
        }
    }
}

/// What entering a paper decision did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaperOutcome {
    /// The case's reference.
    pub reference: String,
    /// Its state before.
    pub from: Option<CaseState>,
    /// Its state now.
    pub to: Option<CaseState>,
    /// Why nothing moved (no such case, or the table allows no such move from its state).
    pub problem: Option<String>,
}

/// Enters a paper decision on the application `reference` (BFÖ, verkställighet or fordringsanmälan).
pub async fn record_paper_decision(
    store: &Store,
    reference: &str,
    decision: PaperDecision,
    date: NaiveDate,
    note: &str,
    actor: &str,
    clock: &dyn Clock,
) -> Result<PaperOutcome, EngineError> {
    let apps = [
        CaseKind::Betalningsforelaggande,
        CaseKind::Verkstallighet,
        CaseKind::Fordringsanmalan,
    ];
    let rows: Vec<_> = store
        .cases_by_reference(reference, None)
        .await?
        .into_iter()
        .filter(|c| apps.iter().any(|k| k.as_str() == c.kind))
        .collect();
    let refuse = |from: Option<CaseState>, problem: String| PaperOutcome {
        reference: reference.to_string(),
        from,
        to: from,
        problem: Some(problem),
    };
    let row = match rows.as_slice() {
        [one] => one,
        [] => {
            return Ok(refuse(
                None,
                format!("no application with reference {reference:?}"),
            ))
        }
        _ => {
            return Ok(refuse(
                None,
                format!("{} applications have reference {reference:?}", rows.len()),
            ))
        }
    };
    let (cause, to) = decision.transition();
    if !Transition::find(cause, to).is_some_and(|t| t.from.contains(&row.state)) {
        return Ok(refuse(
            Some(row.state),
            format!("a {} case cannot become {to}", row.state),
        ));
    }
    let now = clock.now();
    let reason = format!("paper decision {} {date}: {note}", decision.as_str());
    let outcome = serde_json::json!({
        "paper": true, "decision": decision.as_str(), "date": date, "note": note,
    })
    .to_string();
    let mut tx = store.begin().await?;
    let mv = CaseMove::new(cause, to, actor, now)
        .reason(Some(&reason))
        .update(CaseUpdate {
            outcome_json: Some(outcome),
            ..CaseUpdate::default()
        });
    let moved = tx.move_cases(CaseSelection::One(row.id), &mv).await?;
    if moved.count != 1 {
        tx.rollback().await?;
        return Ok(refuse(Some(row.state), "the case changed meanwhile".into()));
    }
    tx.commit().await?;
    tracing::info!(
        case = row.id,
        decision = decision.as_str(),
        actor,
        "paper decision entered"
    );
    Ok(PaperOutcome {
        reference: reference.to_string(),
        from: Some(row.state),
        to: Some(to),
        problem: None,
    })
}
