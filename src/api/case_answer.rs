//! The answer of `GET /api/v1/cases/{reference}`: each case in the intake form — the field names and shapes
//! `POST /api/v1/cases` accepts (intake.md §1, normalised: [`crate::domain::Case::to_input`]; an invalid case as it
//! was submitted) — plus what fogd added: `state`, `hold_reason`, `malnummer` (the målnummer Kronofogden gave, once
//! registered), `issues`, `created_at`, `updated_at`, `file` (the file that carries it: id, name, löpnummer),
//! `rejection` (felkoder of a rejected case), `decision`, and `events` (the audit trail). Intake accepts and ignores
//! those additions ([`crate::domain::case::READ_ONLY_FIELDS`]), so a case system can send back what it reads.
//! Debtors' identity numbers are masked for roles without [`crate::store::Permission::PersonalNumbers`].

use super::ApiError;
use crate::store::{CaseEvent, CaseFileInfo, CaseRow};
use serde_json::{json, Map, Value};

/// One case of the answer (see the module doc).
pub fn case_answer(
    row: &CaseRow,
    info: Option<&CaseFileInfo>,
    events: &[CaseEvent],
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
    if let Some(m) = &row.malnummer {
        v.insert("malnummer".into(), Value::String(m.clone()));
    }
    v.insert("state".into(), json!(row.state));
    v.insert("hold_reason".into(), json!(row.hold_reason));
    let mut issues = serde_json::from_str(&row.issues_json).unwrap_or(Value::Null);
    v.insert("created_at".into(), json!(row.created_at));
    v.insert("updated_at".into(), json!(row.updated_at));
    let file = info.and_then(|i| {
        i.file_id
            .map(|id| json!({ "id": id, "name": i.file_name, "lopnummer": i.lopnummer }))
    });
    v.insert("file".into(), file.unwrap_or(Value::Null));
    if let Some(info) = info {
        if let Some(r) = info.rejections()? {
            v.insert("rejection".into(), json!(r));
        }
        if let Some(d) = info.decision()? {
            v.insert("decision".into(), json!(d));
        }
    }
    v.insert(
        "events".into(),
        events
            .iter()
            .map(|e| {
                json!({ "from": e.from_state, "to": e.to_state, "reason": e.reason, "actor": e.actor, "at": e.at })
            })
            .collect(),
    );
    let mut v = Value::Object(v);
    if !full_ids {
        super::privacy::mask_issues(&mut issues);
        super::privacy::mask_case(&mut v);
    }
    v["issues"] = issues;
    Ok(v)
}
