//! The case after registration through the API: `POST /api/v1/cases/{reference}/requests` files a begäran
//! (fogd-ref-2.md §2.5; operator, admin).

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
