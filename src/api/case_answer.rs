//! The answer of `GET /api/v1/cases/{reference}`: each case in the intake form — the field names and shapes
//! `POST /api/v1/cases` accepts (intake.md §1, normalised: [`crate::domain::Case::to_input`]; an invalid case as it
//! was submitted) — plus what fogd added: `state`, `hold_reason`, `malnummer` (the målnummer Kronofogden gave, once
//! registered), `issues`, `created_at`, `updated_at`, `file` (the file that carries it: id, name, löpnummer),
//! `rejection` (felkoder of a rejected case), `decision`, `events` (the audit trail), and after registration
//! `ledger` (as of `?as_of=DATE`), `enforcement_malnummer` and `outcome` (fogd-ref-2.md §5). Intake accepts and ignores
//! those additions ([`crate::domain::case::READ_ONLY_FIELDS`]), so a case system can send back what it reads.
//! Debtors' identity numbers are masked for roles without [`crate::store::Permission::PersonalNumbers`].

use super::ApiError;
use crate::domain::CaseState;
use crate::store::{CaseEvent, CaseFileInfo, CaseRow};
use serde::Serialize;
use serde_json::{Map, Value};

/// The file that carries a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileRef {
    /// The file's id (`GET /api/v1/files/{id}`).
    pub id: i64,
    /// The transaction file's name.
    pub name: Option<String>,
    /// Its löpnummer.
    pub lopnummer: Option<i64>,
}

/// One step of a case's audit trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// The state before (none for the first).
    pub from: Option<CaseState>,
    /// The state after.
    pub to: CaseState,
    /// Why.
    pub reason: Option<String>,
    /// Who (a token's name, `fogd`, a CLI user).
    pub actor: String,
    /// When, RFC 3339.
    pub at: String,
}

/// fogd's read-only additions to a case in the intake form ([`crate::domain::case::READ_ONLY_FIELDS`], plus
/// `malnummer` once registered).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseAdditions {
    /// Where the case stands.
    pub state: CaseState,
    /// Why it is held, when held.
    pub hold_reason: Option<String>,
    /// The målnummer Kronofogden gave, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malnummer: Option<String>,
    /// Issues found at intake: `{severity, field, rule, value, message}` objects.
    #[schema(value_type = Vec<Object>)]
    pub issues: Value,
    /// When fogd first stored it, RFC 3339.
    pub created_at: String,
    /// When it last changed, RFC 3339.
    pub updated_at: String,
    /// The file that carries it, once built.
    pub file: Option<FileRef>,
    /// The felkoder of a rejected case.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rejection: Option<Value>,
    /// Kronofogden's decision (utslag, avskrivning, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub decision: Option<Value>,
    /// The audit trail, oldest first.
    pub events: Vec<EventView>,
    /// The ledger as of the asked date (`?as_of=`, default today; fogd-ref-2.md §5); null for a case without
    /// claims.
    pub ledger: Option<crate::domain::ledger::Ledger>,
    /// The målnummer of the enforcement an utslag continued into (RAPPORT `vs_malnummer`).
    pub enforcement_malnummer: Option<String>,
    /// What closed or decided the case after registration: a slutredovisning's `orsak` and `aterstar`, a
    /// skuldsanering decision, the tingsrätt it was handed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<Value>,
}

/// What a case carries after registration, for its answer.
#[derive(Debug, Default)]
pub struct LifeView {
    /// The ledger.
    pub ledger: Option<crate::domain::ledger::Ledger>,
    /// The enforcement målnummer.
    pub enforcement_malnummer: Option<String>,
    /// The outcome (JSON).
    pub outcome: Option<Value>,
}

/// One case of the answer (see the module doc).
pub fn case_answer(
    row: &CaseRow,
    info: Option<&CaseFileInfo>,
    events: &[CaseEvent],
    life: LifeView,
    full_ids: bool,
) -> Result<Value, ApiError> {
    let intake = match row.case()? {
        Some(case) => serde_json::to_value(case.to_input()).unwrap_or(Value::Null),
        // Invalid: no validated case; the input as submitted (kept for correction).
        None => serde_json::from_str(&row.input_json).unwrap_or(Value::Null),
    };
    let mut v = match intake {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    v.entry("reference")
        .or_insert_with(|| Value::String(row.reference.clone()));
    v.entry("kind")
        .or_insert_with(|| Value::String(row.kind.clone()));
    v.entry("intressentkod")
        .or_insert_with(|| Value::String(row.intressentkod.clone()));
    let mut issues = serde_json::from_str(&row.issues_json).unwrap_or(Value::Null);
    if !full_ids {
        super::privacy::mask_issues(&mut issues);
    }
    let (rejection, decision) = match info {
        Some(info) => (
            info.rejections()?
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null)),
            info.decision()?
                .map(|d| serde_json::to_value(d).unwrap_or(Value::Null)),
        ),
        None => (None, None),
    };
    let additions = CaseAdditions {
        state: row.state,
        hold_reason: row.hold_reason.clone(),
        malnummer: row.malnummer.clone(),
        issues: Value::Null,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        file: info.and_then(|i| {
            i.file_id.map(|id| FileRef {
                id,
                name: i.file_name.clone(),
                lopnummer: i.lopnummer,
            })
        }),
        rejection,
        decision,
        events: events
            .iter()
            .map(|e| EventView {
                from: e.from_state,
                to: e.to_state,
                reason: e.reason.clone(),
                actor: e.actor.clone(),
                at: e.at.clone(),
            })
            .collect(),
        ledger: life.ledger,
        enforcement_malnummer: life.enforcement_malnummer,
        outcome: life.outcome,
    };
    if let Ok(Value::Object(add)) = serde_json::to_value(additions) {
        v.extend(add);
    }
    let mut v = Value::Object(v);
    if !full_ids {
        super::privacy::mask_case(&mut v);
    }
    // After masking the case: the issues were masked by their own rule above.
    v["issues"] = issues;
    Ok(v)
}
