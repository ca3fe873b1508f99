//! Intake's checks of follow-ups against the case they concern (fogd-ref-2.md §2.4), where intake meets the store:
//! the rules are pure ([`crate::domain::validate::concerned`]); this reads the concerned case and the nedsättningar
//! kept for it, adds what the batch itself holds, and keeps a follow-up that fails `invalid` with its issues.

use super::import::{is_follow_up, Assessed, ImportOptions, Problem};
use super::EngineError;
use crate::domain::validate::concerned::{check_follow_up, reduction_of, ConcernedCase, Reduction};
use crate::domain::validate::{Issue, Severity};
use crate::domain::{Case, CaseKind, CaseState};
use crate::store::{NewCase, Store};
use std::collections::{HashMap, HashSet};

/// Checks follow-ups against the case they concern, where intake meets the store (not in the pure validator):
/// a nedsättning, återkallelse or ändring must name (by `concerns`) a case of the parent kind with the same
/// intressentkod, stored before or earlier in the same batch (rule `follow_up.unknown_case`), and pass the rules of
/// fogd-ref-2.md §2.4 against what fogd knows of it ([`check_follow_up`]: the delkrav exists, the amount is at most
/// what remains after earlier nedsättningar — those kept and those before it in the batch —, the case is not
/// closed, an uppskov lies after `today`). A refused follow-up is kept `invalid` with its issues.
pub(super) async fn check_follow_ups(
    store: &Store,
    news: &mut [NewCase],
    batch: &mut [Assessed],
    opts: &ImportOptions,
    today: chrono::NaiveDate,
) -> Result<(), EngineError> {
    // Most batches hold no follow-up at all: then there is nothing to look up.
    if !news.iter().any(is_follow_up) {
        return Ok(());
    }
    let ser = |source| EngineError::Serialise {
        what: "case",
        source,
    };
    // The cases the batch's follow-ups concern, by (intressentkod, kind, reference).
    let wanted: HashSet<(String, String, String)> = news
        .iter()
        .zip(batch.iter())
        .filter(|(_, p)| p.state != CaseState::Invalid)
        .filter_map(|(n, _)| {
            let parent = CaseKind::parse(&n.kind).and_then(CaseKind::concerns_kind)?;
            Some((
                n.intressentkod.clone(),
                parent.as_str().to_string(),
                n.concerns.clone()?,
            ))
        })
        .collect();
    // Those of them in the batch, valid, with their content (what the store will hold after this batch); and the
    // nedsättningar of the batch, by (intressentkod, reference).
    let mut in_batch: HashMap<(String, String, String), (CaseState, Option<Case>)> = HashMap::new();
    let mut batch_reductions: HashSet<(String, String)> = HashSet::new();
    for (n, p) in news.iter().zip(batch.iter()) {
        if p.state == CaseState::Invalid {
            continue;
        }
        if n.kind == CaseKind::Nedsattning.as_str() {
            batch_reductions.insert((n.intressentkod.clone(), n.reference.clone()));
        }
        let key = (n.intressentkod.clone(), n.kind.clone(), n.reference.clone());
        if !wanted.contains(&key) {
            continue;
        }
        let case = n
            .case_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ser)?;
        in_batch.insert(key, (p.state, case));
    }
    // Nedsättningar accepted earlier in this batch, by (intressentkod, concerned reference).
    let mut earlier: HashMap<(String, String), Vec<Reduction>> = HashMap::new();
    for (new, p) in news.iter_mut().zip(batch.iter_mut()) {
        if p.state == CaseState::Invalid {
            continue;
        }
        let Some(parent) = CaseKind::parse(&new.kind).and_then(CaseKind::concerns_kind) else {
            continue;
        };
        let Some(concerns) = new.concerns.clone() else {
            continue;
        };
        let key = (
            new.intressentkod.clone(),
            parent.as_str().to_string(),
            concerns.clone(),
        );
        let stored = store
            .concerned_case(
                &new.intressentkod,
                parent.as_str(),
                &concerns,
                &new.reference,
            )
            .await?
            .filter(|c| c.state != CaseState::Invalid);
        let concerned = match (in_batch.get(&key), stored) {
            (Some((state, case)), stored) => Some(ConcernedCase {
                reference: concerns.clone(),
                state: *state,
                case: case.clone(),
                reductions: stored.map(|s| s.reductions).unwrap_or_default(),
            }),
            (None, stored) => stored,
        };
        let issues = match concerned {
            None => vec![Issue {
                severity: Severity::Error,
                path: "concerns".into(),
                field: "concerns".into(),
                rule: "follow_up.unknown_case".into(),
                value: Some(concerns.clone()),
                message: format!(
                    "{} {} concerns {parent} case {concerns:?}, which does not exist for intressentkod {}",
                    new.kind, new.reference, new.intressentkod
                ),
            }],
            Some(mut concerned) => {
                // A kept nedsättning that this batch replaces counts as the batch has it.
                concerned.reductions.retain(|r| {
                    !batch_reductions.contains(&(new.intressentkod.clone(), r.reference.clone()))
                });
                let slot = earlier
                    .entry((new.intressentkod.clone(), concerns.clone()))
                    .or_default();
                concerned.reductions.extend(slot.iter().cloned());
                let case: Option<Case> = new
                    .case_json
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(ser)?;
                let mut issues = case
                    .as_ref()
                    .map(|c| check_follow_up(c, &concerned, today))
                    .unwrap_or_default();
                // A begäran: what fogd knows of the concerned case decides whether it may go (§2.5).
                if new.kind == CaseKind::Begaran.as_str() {
                    if let Some(row) = store
                        .cases_by_reference(&concerns, Some(&new.intressentkod))
                        .await?
                        .into_iter()
                        .find(|c| c.kind == parent.as_str() && c.state != CaseState::Invalid)
                    {
                        if let Some((rule, message)) =
                            super::request::begaran_refusal(store, new, &row).await?
                        {
                            issues.push(Issue {
                                severity: Severity::Error,
                                path: "concerns".into(),
                                field: "concerns".into(),
                                rule: rule.into(),
                                value: Some(concerns.clone()),
                                message,
                            });
                        }
                    }
                }
                if issues.is_empty() {
                    slot.extend(case.as_ref().and_then(reduction_of));
                }
                issues
            }
        };
        if !issues.is_empty() {
            refuse_follow_up(new, p, issues, opts)?;
        }
    }
    Ok(())
}

/// Makes a follow-up `invalid` with `found` added to its issues and problems.
fn refuse_follow_up(
    new: &mut NewCase,
    p: &mut Assessed,
    found: Vec<Issue>,
    opts: &ImportOptions,
) -> Result<(), EngineError> {
    // The issues were serialised by this intake a moment ago (`prepare`).
    let mut issues: Vec<Issue> =
        serde_json::from_str(&new.issues_json).map_err(|source| EngineError::Serialise {
            what: "issues",
            source,
        })?;
    for i in &found {
        p.problems.push(Problem {
            severity: i.severity,
            source: opts.source.clone(),
            line: new.source_line.unwrap_or(0) as usize,
            reference: Some(new.reference.clone()),
            field: i.field.clone(),
            rule: i.rule.clone(),
            value: i.value.clone(),
            message: i.message.clone(),
        });
    }
    // The warnings that held it stay with it; the case is invalid now.
    issues.extend(found);
    new.issues_json = serde_json::to_string(&issues).map_err(|source| EngineError::Serialise {
        what: "issues",
        source,
    })?;
    new.state = CaseState::Invalid;
    new.hold_reason = None;
    p.state = CaseState::Invalid;
    Ok(())
}
