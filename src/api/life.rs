//! The case after registration through the API (operator, admin): `POST /api/v1/cases/{reference}/requests`
//! files a begäran (fogd-ref-2.md §2.5); `POST /api/v1/cases/{reference}/decisions` enters a decision that came
//! on paper.

use super::auth::Caller;
use super::security::require_content_type;
use super::{ApiError, AppState};
use crate::domain::case::BegaranRequest;
use crate::domain::CaseState;
use crate::engine::request::{default_reference, request_begaran};
use crate::store::Permission;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use std::sync::Arc;

/// Body of `POST /api/v1/cases/{reference}/requests`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// `court` (överlämnande) or `enforcement` (verkställighet).
    pub request: String,
    /// The begäran's date, YYYY-MM-DD (default today).
    pub date: Option<String>,
    /// The begäran's own reference (default: the case's reference with -O or -V).
    pub reference: Option<String>,
}

fn bad(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// `POST /api/v1/cases/{reference}/requests`: a begäran about the BFÖ case `reference`. 201 with the begäran
/// (`approved`: it will be sent); 422 with the problems when a check refused it (rules `begaran.*`,
/// `follow_up.unknown_case`).
pub async fn post_request(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(reference): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Permission::Approve)?;
    require_content_type(&headers, &["application/json"])?;
    let body: RequestBody = serde_json::from_slice(&body).map_err(|e| bad(format!("body: {e}")))?;
    let request = BegaranRequest::parse(body.request.trim()).ok_or_else(|| {
        bad(format!(
            "request: {:?} is not court or enforcement",
            body.request
        ))
    })?;
    let ctx = super::handlers::validation_context(&state)?;
    let date = match body.date.as_deref() {
        None => ctx.today,
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| bad(format!("date: {t:?} is not a date (YYYY-MM-DD)")))?,
    };
    let own = match body.reference {
        Some(r) => r,
        None => default_reference(&reference, request).ok_or_else(|| {
            bad(
                "the case's reference with -O/-V is longer than 20 characters; give reference"
                    .into(),
            )
        })?,
    };
    let out = request_begaran(
        &state.store,
        &ctx,
        state.clock.as_ref(),
        &reference,
        request,
        date,
        &own,
        &caller.actor(),
    )
    .await;
    state.cache.bump();
    let out = out?;
    let status = if out.state == CaseState::Approved {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Json(serde_json::to_value(&out).unwrap_or(Value::Null)),
    ))
}

/// Body of `POST /api/v1/cases/{reference}/decisions`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperDecisionBody {
    /// `written_off`, `handed_to_court`, `utslag`, `withdrawn` or `closed`.
    #[schema(value_type = String)]
    pub decision: crate::engine::paper::PaperDecision,
    /// What the paper says (kept with the case and in its audit trail).
    pub note: String,
    /// The decision's date, YYYY-MM-DD (default today).
    pub date: Option<String>,
}

/// `POST /api/v1/cases/{reference}/decisions`: a decision Kronofogden sent on paper. 200 with `{reference, from,
/// to}`; 409 with `problem` when the case cannot take it (none, or not from its state).
pub async fn post_paper_decision(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(reference): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Permission::Approve)?;
    require_content_type(&headers, &["application/json"])?;
    let body: PaperDecisionBody =
        serde_json::from_slice(&body).map_err(|e| bad(format!("body: {e}")))?;
    if body.note.trim().is_empty() {
        return Err(bad("note must say what the paper decision is".into()));
    }
    let date = match body.date.as_deref() {
        None => state
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive(),
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| bad(format!("date: {t:?} is not a date (YYYY-MM-DD)")))?,
    };
    let out = crate::engine::paper::record_paper_decision(
        &state.store,
        &reference,
        body.decision,
        date,
        body.note.trim(),
        &caller.actor(),
        state.clock.as_ref(),
    )
    .await;
    state.cache.bump();
    let out = out?;
    let status = if out.problem.is_none() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((
        status,
        Json(serde_json::to_value(&out).unwrap_or(Value::Null)),
    ))
}
