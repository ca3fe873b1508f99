//! The build pass (the outbox rule): approved cases of one kind and intressentkod are cut into files. Each file is
//! made in **one** transaction: lock the series, allocate the lowest number above the last approved that no
//! unreceipted file holds (`last approved + 1 + unreceipted`, or a number rejected whole again), take the oldest
//! approved cases (follow-ups only once the case they concern has a målnummer), build file + missiv, freeze bytes
//! and hashes, assign the cases (`batched`), create the send job (the file row in `built`, with a new tx.id), and
//! mark a `receipted_rejected` file of the same number `superseded`.
//!
//! A case the builder refuses (a value that does not fit its field) goes to `invalid` with the builder's error as
//! an issue (rule `build.refused`) and the file is built without it; so does a follow-up that no longer passes the
//! checks against the case it concerns (fogd-ref-2.md §2.4, e.g. `follow_up.case_closed`: decided since intake).
//! At most `batch.max_unreceipted_per_series` files per series wait for their kvittens (kronofogden.md §2.3;
//! default 1).

use super::{Engine, EngineError};
use crate::domain::state::Cause;
use crate::domain::validate::concerned::check_follow_up;
use crate::domain::validate::deadline::{deadline_passed, DEADLINE_PASSED};
use crate::domain::validate::{Issue, Severity};
use crate::domain::{Case, CaseKind, CaseState};
use crate::formats::{build_file, BuildError, FileFacts};
use crate::store::{CaseMove, CaseSelection, CaseUpdate, NewFile, StoreError, StoreTx};

/// What a build pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildReport {
    /// Files built, in the order they were built.
    pub files: Vec<BuiltFile>,
    /// Cases refused by the builder (now `invalid`).
    pub refused: u64,
    /// Cases held for review instead of filed (a fordringsanmälan past its filing deadline).
    pub held: u64,
    /// Series that had approved cases but already their maximum of unreceipted files.
    pub waiting_series: u64,
}

/// One file a build pass made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuiltFile {
    /// The file row's id.
    pub id: i64,
    /// The transaction file's name.
    pub name: String,
    pub lopnummer: i64,
    /// How many cases it carries.
    pub cases: i64,
}

/// What one attempt to build a file of a series came to.
enum One {
    Built(BuiltFile),
    OnlyRefused,
    Nothing,
    SeriesFull,
}

fn refused_case(e: &BuildError) -> Option<(&str, String)> {
    match e {
        BuildError::WrongKind { case, .. }
        | BuildError::NotCarried { case, .. }
        | BuildError::TooManyLines { case, .. } => Some((case.as_str(), String::new())),
        BuildError::Field {
            case: Some(case),
            field,
            ..
        } => Some((case.as_str(), field.clone())),
        _ => None,
    }
}

impl Engine {
    /// Builds every file that can be built now. Returns what was built.
    pub async fn build_pass(&self) -> Result<BuildReport, EngineError> {
        let mut report = BuildReport::default();
        for (intressentkod, kind_name) in self.store.approved_groups().await? {
            let Some(kind) = CaseKind::parse(&kind_name) else {
                continue;
            };
            loop {
                match self.build_one(&intressentkod, kind, &mut report).await? {
                    One::Built(file) => report.files.push(file),
                    One::OnlyRefused => continue,
                    One::Nothing => break,
                    One::SeriesFull => {
                        report.waiting_series += 1;
                        break;
                    }
                }
            }
        }
        Ok(report)
    }

    async fn build_one(
        &self,
        intressentkod: &str,
        kind: CaseKind,
        report: &mut BuildReport,
    ) -> Result<One, EngineError> {
        let layout = self
            .layouts
            .for_kind(kind)
            .ok_or(EngineError::NoLayout(kind))?;
        let filtyp = layout.filtyp.clone();
        let layout_name = layout.name.clone();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let last = tx
            .lock_series(
                intressentkod,
                &filtyp,
                i64::from(self.config.batch.first_lopnummer),
            )
            .await?;
        let awaiting = tx.count_awaiting_kvittens(intressentkod, &filtyp).await?;
        if awaiting >= i64::from(self.config.batch.max_unreceipted_per_series.max(1)) {
            tx.rollback().await?;
            return Ok(One::SeriesFull);
        }
        let lopnummer = tx.next_lopnummer(intressentkod, &filtyp, last).await?;
        let parent = kind.concerns_kind().map(|k| k.as_str());
        let cands = tx
            .batch_candidates(
                intressentkod,
                kind.as_str(),
                parent,
                i64::from(self.config.batch.max_cases_per_file.max(1)),
            )
            .await?;
        if cands.is_empty() {
            tx.rollback().await?;
            return Ok(One::Nothing);
        }
        let mut cases: Vec<(i64, String, Case)> = Vec::new();
        let mut refused_any = false;
        for c in cands {
            let parsed: Option<Case> = c
                .case_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok());
            match parsed {
                Some(mut case) => {
                    if case.malnummer.is_none() {
                        case.malnummer = c.malnummer.clone();
                    }
                    cases.push((c.id, c.issues_json.clone(), case));
                }
                None => {
                    refuse(
                        &mut tx,
                        c.id,
                        &c.issues_json,
                        "",
                        "stored case is unreadable",
                        now,
                    )
                    .await?;
                    report.refused += 1;
                    refused_any = true;
                }
            }
        }
        let local = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .naive_local();
        // Follow-ups once more against the case they concern, as it stands now (fogd-ref-2.md §2.4): it may have
        // been decided or withdrawn since the follow-up was taken in. A follow-up that fails is not sent.
        if let Some(parent) = kind.concerns_kind() {
            let mut kept = Vec::with_capacity(cases.len());
            for (id, issues, case) in cases {
                let concerned = tx
                    .concerned_case(
                        intressentkod,
                        parent.as_str(),
                        case.concerned_reference(),
                        &case.reference,
                    )
                    .await?;
                let found = concerned
                    .map(|c| check_follow_up(&case, &c, local.date()))
                    .unwrap_or_default();
                if found.is_empty() {
                    kept.push((id, issues, case));
                    continue;
                }
                let message = found
                    .iter()
                    .map(|i| i.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                tracing::warn!(case = id, "follow-up not sent: {message}");
                refuse_with(&mut tx, id, &issues, found, &message, now).await?;
                report.refused += 1;
                refused_any = true;
            }
            cases = kept;
        }
        // A fordringsanmälan past its filing deadline is held for review, unless an operator approved it with that
        // warning on it already.
        if kind == CaseKind::Fordringsanmalan {
            let mut kept = Vec::with_capacity(cases.len());
            for (id, issues, case) in cases {
                match deadline_passed(&case, local.date()) {
                    Some(issue) if !issues.contains(DEADLINE_PASSED) => {
                        tracing::warn!(case = id, "fordringsanmälan held: {}", issue.message);
                        hold(&mut tx, id, &issues, issue, now).await?;
                        report.held += 1;
                        // Not filed: like a refused case, the series is tried again for the cases behind it.
                        refused_any = true;
                    }
                    _ => kept.push((id, issues, case)),
                }
            }
            cases = kept;
        }
        let facts = FileFacts {
            intressentkod: intressentkod.to_string(),
            lopnummer: u32::try_from(lopnummer).map_err(|_| EngineError::LopnummerRange {
                layout: layout_name.clone(),
                lopnummer,
            })?,
            created: local,
            status: self.config.shs.status.file(),
            contact_name: self.config.ingivare.contact_name.clone(),
            contact_phone: self.config.ingivare.contact_phone.clone(),
        };
        let built = loop {
            if cases.is_empty() {
                tx.commit().await?;
                return Ok(if refused_any {
                    One::OnlyRefused
                } else {
                    One::Nothing
                });
            }
            let domain: Vec<Case> = cases.iter().map(|c| c.2.clone()).collect();
            match build_file(&self.layouts, kind, &domain, &facts) {
                Ok(b) => break b,
                Err(e) => {
                    let Some((reference, field)) = refused_case(&e) else {
                        tx.rollback().await?;
                        return Err(EngineError::Build {
                            layout: layout_name,
                            lopnummer,
                            source: Box::new(e),
                        });
                    };
                    let Some(pos) = cases.iter().position(|c| c.2.reference == reference) else {
                        tx.rollback().await?;
                        return Err(EngineError::Build {
                            layout: layout_name,
                            lopnummer,
                            source: Box::new(e),
                        });
                    };
                    let (id, issues, _) = cases.remove(pos);
                    tracing::warn!(case = id, error = %e, "case refused by the file builder; now invalid");
                    refuse(&mut tx, id, &issues, &field, &e.to_string(), now).await?;
                    report.refused += 1;
                    refused_any = true;
                }
            }
        };
        let ids: Vec<i64> = cases.iter().map(|c| c.0).collect();
        let new = NewFile {
            intressentkod: intressentkod.to_string(),
            layout: layout_name.clone(),
            filtyp: filtyp.clone(),
            lopnummer,
            file_name: built.file_name.clone(),
            bytes: built.bytes,
            missiv_name: built.missiv_name,
            missiv_bytes: built.missiv_bytes,
            case_count: i64::try_from(built.case_count).unwrap_or(i64::MAX),
            record_count: i64::try_from(built.record_count).unwrap_or(i64::MAX),
            total_ore: built.total.0,
            tx_id: uuid::Uuid::new_v4().to_string(),
        };
        let file_id = tx.insert_file(&new, &ids, now).await?;
        // Set-based: the file's cases (all `approved` under the series lock) → `batched`, one event each.
        let reason = format!("{} löpnummer {lopnummer}", built.file_name);
        tx.move_cases(
            CaseSelection::File(file_id),
            &CaseMove::new(Cause::Batch, CaseState::Batched, "engine", now)
                .reason(Some(&reason))
                .update(CaseUpdate {
                    file_id: Some(Some(file_id)),
                    ..CaseUpdate::default()
                }),
        )
        .await?;
        tx.supersede_rejected(intressentkod, &filtyp, lopnummer, file_id)
            .await?;
        tx.commit().await?;
        crate::failpoint!("after_build_commit");
        tracing::info!(file = file_id, name = %built.file_name, lopnummer, cases = ids.len(), "file built");
        Ok(One::Built(BuiltFile {
            id: file_id,
            name: built.file_name,
            lopnummer,
            cases: ids.len() as i64,
        }))
    }
}

async fn refuse(
    tx: &mut StoreTx<'_>,
    id: i64,
    issues_json: &str,
    field: &str,
    message: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), EngineError> {
    let issue = Issue {
        severity: Severity::Error,
        path: field.to_string(),
        field: field.to_string(),
        rule: "build.refused".into(),
        value: None,
        message: message.to_string(),
    };
    refuse_with(tx, id, issues_json, vec![issue], message, now).await
}

/// Holds the approved case `id` for review with the warning `issue` added to its issues.
async fn hold(
    tx: &mut StoreTx<'_>,
    id: i64,
    issues_json: &str,
    issue: Issue,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), EngineError> {
    let mut issues: Vec<Issue> =
        serde_json::from_str(issues_json).map_err(|source| StoreError::Corrupt {
            table: "cases",
            id,
            column: "issues_json",
            source,
        })?;
    let reason = format!("{}: {}", issue.rule, issue.message);
    issues.push(issue);
    let json = serde_json::to_string(&issues).map_err(|source| EngineError::Serialise {
        what: "issues",
        source,
    })?;
    tx.move_cases(
        CaseSelection::One(id),
        &CaseMove::new(Cause::Hold, CaseState::Held, "engine", now)
            .reason(Some(&reason))
            .update(CaseUpdate {
                hold_reason: Some(Some(reason.clone())),
                issues_json: Some(json),
                ..CaseUpdate::default()
            }),
    )
    .await?;
    Ok(())
}

/// Moves the approved case `id` to `invalid` with `found` added to its issues (`message` as the event's reason).
async fn refuse_with(
    tx: &mut StoreTx<'_>,
    id: i64,
    issues_json: &str,
    found: Vec<Issue>,
    message: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), EngineError> {
    let mut issues: Vec<Issue> =
        serde_json::from_str(issues_json).map_err(|source| StoreError::Corrupt {
            table: "cases",
            id,
            column: "issues_json",
            source,
        })?;
    issues.extend(found);
    let json = serde_json::to_string(&issues).map_err(|source| EngineError::Serialise {
        what: "issues",
        source,
    })?;
    tx.move_cases(
        CaseSelection::One(id),
        &CaseMove::new(Cause::BuildRefused, CaseState::Invalid, "engine", now)
            .reason(Some(message))
            .update(CaseUpdate {
                issues_json: Some(json),
                ..CaseUpdate::default()
            }),
    )
    .await?;
    Ok(())
}
