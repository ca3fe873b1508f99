//! Intake: records in, validated, stored idempotently in batches; a summary and every problem out (intake.md §3–4).
//!
//! States: a case with errors is `invalid` (kept, with all its issues, when it has a reference to key it by), one
//! with only warnings is `held` for review, the rest go to the `journal`. "Same content" (idempotency) means the
//! same input JSON (after CSV rows are assembled) and the same read problems; the validation result is not part of
//! it, so re-importing an unchanged file is a no-op even on a later day.

use super::EngineError;
use crate::clock::Clock;
use crate::domain::intake::SourceRecord;
use crate::domain::validate::{validate, Issue, Severity, ValidationContext};
use crate::domain::{CaseKind, CaseState};
use crate::store::{NewCase, Store, UpsertOutcome};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Cases per store transaction.
pub const DEFAULT_BATCH: usize = 1000;

/// Counts of an import (the summary object of intake.md §4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Cases read.
    pub read: u64,
    /// New or replaced cases now in the journal.
    pub accepted: u64,
    /// Cases with errors.
    pub invalid: u64,
    /// Cases held for review (warnings).
    pub held: u64,
    /// Cases already stored with the same content.
    pub unchanged: u64,
    /// Cases with new content for a case already sent (refused).
    pub refused: u64,
}

/// One problem, as printed by `fogd import --format json` (intake.md §4). Personal numbers are shown unmasked: the
/// operator needs them to correct the source. Never log these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The source file name.
    pub source: String,
    /// 1-based line.
    pub line: usize,
    /// The case reference, if known.
    pub reference: Option<String>,
    /// CSV column or JSON path.
    pub field: String,
    /// The rule broken.
    pub rule: String,
    /// The offending value.
    pub value: Option<String>,
    /// A sentence for the operator.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Counts.
    pub summary: ImportSummary,
    /// Every problem, in input order per batch.
    pub problems: Vec<Problem>,
    /// Unchanged cases that are still invalid or held (they keep the exit code at 3).
    pub unchanged_with_problems: u64,
}

impl ImportOutcome {
    /// True when every case was accepted or unchanged without problems (exit 0).
    pub fn all_accepted(&self) -> bool {
        let s = &self.summary;
        s.invalid == 0 && s.held == 0 && s.refused == 0 && self.unchanged_with_problems == 0
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The source name shown in problems and stored with the case (file name, or `api`).
    pub source: String,
    /// Validate only; store nothing (then nothing is "unchanged" either).
    pub dry_run: bool,
    /// Who, for the audit trail (`import`, `api:<token>`).
    pub actor: String,
    /// Cases per transaction.
    pub batch_size: usize,
}

impl ImportOptions {
    /// Options for a file import.
    pub fn file(source: &str) -> Self {
        ImportOptions {
            source: source.to_string(),
            dry_run: false,
            actor: "import".into(),
            batch_size: DEFAULT_BATCH,
        }
    }
}

struct Pending {
    new: NewCase,
    state: CaseState,
    problems: Vec<Problem>,
}

/// Imports `records`: validates each, stores them in batches (unless `dry_run`), and reports. `progress` is called
/// with the number of records handled so far after each batch; it is `Send` so that the import future is `Send`
/// (the API's handler awaits it on a multi-threaded runtime).
pub async fn import(
    store: Option<&Store>,
    records: impl Iterator<Item = SourceRecord>,
    ctx: &ValidationContext,
    opts: &ImportOptions,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportOutcome, EngineError> {
    let mut out = ImportOutcome::default();
    let mut batch: Vec<Pending> = Vec::with_capacity(opts.batch_size);
    let mut keys: HashSet<(String, String, String)> = HashSet::new();
    let store = if opts.dry_run { None } else { store };
    for rec in records {
        out.summary.read += 1;
        let (pending, problems, state) = prepare(&rec, ctx, opts)?;
        match pending {
            None => {
                // Not storable (no reference): report only.
                out.summary.invalid += 1;
                out.problems.extend(problems);
            }
            Some(new) => {
                if store.is_none() {
                    count_state(&mut out.summary, state);
                    out.problems.extend(problems);
                    continue;
                }
                let key = (
                    new.intressentkod.clone(),
                    new.kind.clone(),
                    new.reference.clone(),
                );
                if keys.contains(&key) || batch.len() >= opts.batch_size.max(1) {
                    flush(store, &mut batch, &mut out, opts, clock).await?;
                    keys.clear();
                    progress(out.summary.read - 1);
                }
                keys.insert(key);
                batch.push(Pending {
                    new,
                    state,
                    problems,
                });
            }
        }
    }
    flush(store, &mut batch, &mut out, opts, clock).await?;
    progress(out.summary.read);
    Ok(out)
}

fn count_state(s: &mut ImportSummary, state: CaseState) {
    match state {
        CaseState::Invalid => s.invalid += 1,
        CaseState::Held => s.held += 1,
        _ => s.accepted += 1,
    }
}

async fn flush(
    store: Option<&Store>,
    batch: &mut Vec<Pending>,
    out: &mut ImportOutcome,
    opts: &ImportOptions,
    clock: &dyn Clock,
) -> Result<(), EngineError> {
    let Some(store) = store else {
        batch.clear();
        return Ok(());
    };
    if batch.is_empty() {
        return Ok(());
    }
    check_follow_ups(store, batch, opts).await?;
    let news: Vec<NewCase> = batch.iter().map(|p| p.new.clone()).collect();
    let outcomes = store.upsert_cases(&news, &opts.actor, clock.now()).await?;
    for (p, o) in batch.drain(..).zip(outcomes) {
        match o {
            UpsertOutcome::Inserted { .. } | UpsertOutcome::Replaced { .. } => {
                count_state(&mut out.summary, p.state);
                out.problems.extend(p.problems);
            }
            UpsertOutcome::Unchanged { state, .. } => {
                out.summary.unchanged += 1;
                if matches!(state, CaseState::Invalid | CaseState::Held) {
                    out.unchanged_with_problems += 1;
                }
                out.problems.extend(p.problems);
            }
            UpsertOutcome::Refused { state, .. } => {
                out.summary.refused += 1;
                out.problems.push(Problem {
                    severity: Severity::Error,
                    source: opts.source.clone(),
                    line: p.new.source_line.unwrap_or(0) as usize,
                    reference: Some(p.new.reference.clone()),
                    field: "reference".into(),
                    rule: "case.refused".into(),
                    value: Some(p.new.reference.clone()),
                    message: format!(
                        "case {} is already {state} and cannot be replaced; correct it with a nedsattning, aterkallelse or verkstallighet_andring",
                        p.new.reference
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Refuses follow-ups whose concerned case does not exist (rule `follow_up.unknown_case`): a nedsättning,
/// återkallelse or ändring must name (by `concerns`) a case of the parent kind with the same intressentkod, stored
/// before or earlier in the same batch. Checked here, where intake meets the store, not in the pure validator. A
/// refused follow-up is kept `invalid` with the issue.
async fn check_follow_ups(
    store: &Store,
    batch: &mut [Pending],
    opts: &ImportOptions,
) -> Result<(), EngineError> {
    let in_batch: HashSet<(String, String, String)> = batch
        .iter()
        .filter(|p| p.state != CaseState::Invalid)
        .map(|p| {
            (
                p.new.intressentkod.clone(),
                p.new.kind.clone(),
                p.new.reference.clone(),
            )
        })
        .collect();
    for p in batch.iter_mut() {
        if p.state == CaseState::Invalid {
            continue;
        }
        let Some(parent) = CaseKind::parse(&p.new.kind).and_then(CaseKind::concerns_kind) else {
            continue;
        };
        let Some(concerns) = p.new.concerns.clone() else {
            continue;
        };
        let key = (
            p.new.intressentkod.clone(),
            parent.as_str().to_string(),
            concerns.clone(),
        );
        if in_batch.contains(&key) {
            continue;
        }
        let exists = store
            .cases_by_reference(&concerns, Some(&p.new.intressentkod))
            .await?
            .iter()
            .any(|c| c.kind == parent.as_str() && c.state != CaseState::Invalid);
        if exists {
            continue;
        }
        let message = format!(
            "{} {} concerns {parent} case {concerns:?}, which does not exist for intressentkod {}",
            p.new.kind, p.new.reference, p.new.intressentkod
        );
        let issue = Issue {
            severity: Severity::Error,
            path: "concerns".into(),
            field: "concerns".into(),
            rule: "follow_up.unknown_case".into(),
            value: Some(concerns.clone()),
            message: message.clone(),
        };
        let mut issues: Vec<Issue> = serde_json::from_str(&p.new.issues_json).unwrap_or_default();
        issues.push(issue);
        p.new.issues_json = serde_json::to_string(&issues).map_err(|e| EngineError::Serialise {
            what: "issues",
            message: e.to_string(),
        })?;
        p.new.state = CaseState::Invalid;
        p.new.hold_reason = None;
        p.state = CaseState::Invalid;
        p.problems.push(Problem {
            severity: Severity::Error,
            source: opts.source.clone(),
            line: p.new.source_line.unwrap_or(0) as usize,
            reference: Some(p.new.reference.clone()),
            field: "concerns".into(),
            rule: "follow_up.unknown_case".into(),
            value: Some(concerns),
            message,
        });
    }
    Ok(())
}

/// Validates one record and prepares what to store: `(case to store, problems, state)`. A record without a
/// reference cannot be stored (there is nothing to key it by) and is only reported.
pub fn prepare(
    rec: &SourceRecord,
    ctx: &ValidationContext,
    opts: &ImportOptions,
) -> Result<(Option<NewCase>, Vec<Problem>, CaseState), EngineError> {
    let reference = rec.reference().map(str::to_string);
    let mut problems: Vec<Problem> = rec
        .read_issues
        .iter()
        .map(|ri| Problem {
            severity: Severity::Error,
            source: opts.source.clone(),
            line: ri.line,
            reference: reference.clone(),
            field: ri.field.clone(),
            rule: ri.rule.clone(),
            value: ri.value.clone(),
            message: ri.message.clone(),
        })
        .collect();
    let mut issues: Vec<Issue> = rec
        .read_issues
        .iter()
        .map(|ri| Issue {
            severity: Severity::Error,
            path: ri.field.clone(),
            field: ri.field.clone(),
            rule: ri.rule.clone(),
            value: ri.value.clone(),
            message: format!("line {}: {}", ri.line, ri.message),
        })
        .collect();
    let Some(input) = &rec.input else {
        return Ok((None, problems, CaseState::Invalid));
    };
    let validation = validate(input, ctx);
    for issue in &validation.issues {
        let (line, field) = rec.locate(&issue.path);
        problems.push(Problem {
            severity: issue.severity,
            source: opts.source.clone(),
            line,
            reference: reference.clone(),
            field,
            rule: issue.rule.clone(),
            value: issue.value.clone(),
            message: issue.message.clone(),
        });
    }
    issues.extend(validation.issues.iter().cloned());
    let case = if rec.read_issues.is_empty() {
        validation.case.as_ref()
    } else {
        None
    };
    let state = match case {
        None => CaseState::Invalid,
        Some(_) if validation.has_warnings() => CaseState::Held,
        Some(_) => CaseState::Journal,
    };
    let Some(reference) = reference else {
        return Ok((None, problems, state));
    };
    let ser = |what: &'static str, e: serde_json::Error| EngineError::Serialise {
        what,
        message: e.to_string(),
    };
    let input_json = serde_json::to_string(input).map_err(|e| ser("input", e))?;
    let mut hasher = Sha256::new();
    hasher.update(input_json.as_bytes());
    for ri in &rec.read_issues {
        hasher.update(format!("\n{}:{}", ri.rule, ri.field).as_bytes());
    }
    let content_hash = hex::encode(hasher.finalize());
    let case_json = case
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ser("case", e))?;
    let issues_json = serde_json::to_string(&issues).map_err(|e| ser("issues", e))?;
    let kind = match case {
        Some(c) => c.kind.as_str().to_string(),
        None => input
            .kind
            .as_deref()
            .map(str::trim)
            .and_then(CaseKind::parse)
            .map(|k| k.as_str().to_string())
            .unwrap_or_else(|| input.kind.clone().unwrap_or_default().trim().to_string()),
    };
    let intressentkod = match case {
        Some(c) => c.intressentkod.clone(),
        None => input
            .intressentkod
            .clone()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ctx.default_intressentkod.clone()),
    };
    let hold_reason = (state == CaseState::Held).then(|| {
        validation
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .map(|i| format!("{}: {}", i.rule, i.message))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let new = NewCase {
        reference,
        kind,
        intressentkod,
        state,
        input_json,
        case_json,
        content_hash,
        issues_json,
        hold_reason,
        concerns: case.and_then(|c| c.concerns.clone()),
        malnummer: case.and_then(|c| c.malnummer.clone()),
        source: Some(opts.source.clone()),
        source_line: Some(rec.line as i64),
    };
    Ok((Some(new), problems, state))
}
