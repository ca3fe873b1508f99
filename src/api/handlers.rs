//! JSON handlers of `/api/v1` and the health endpoints.
//!
//! Bounds ([`crate::limits::LimitsConfig`]): at most `max_cases_per_request` cases per `POST /cases` and
//! `max_approve_references` references per approve (413 naming the cap, before anything is stored); the answer to
//! a submission lists at most `max_problems_in_answer` problems (`problems_total` counts them all; every stored
//! case keeps its own issues); a search text (`q`) of at most `max_search_chars` characters (400). State-changing
//! calls read JSON only (`Content-Type: application/json`; `POST /cases` also JSON Lines and, with `text/csv`,
//! CSV), else 415. Personal numbers are masked by role ([`super::privacy`]).

use super::auth::Caller;
use super::security::require_content_type;
use super::{ApiError, AppState};
use crate::domain::intake::open_source;
use crate::domain::CaseState;
use crate::engine::import::{import, ImportOptions};
use crate::engine::journal::{self, Selection};
use crate::store::{CaseRow, Permission};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Largest page of `GET /cases`.
pub const MAX_PAGE: i64 = 1000;

/// A case as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// Intressentkod.
    pub intressentkod: String,
    /// State.
    pub state: CaseState,
    /// Why held.
    pub hold_reason: Option<String>,
    /// Målnummer.
    pub malnummer: Option<String>,
    /// The case concerned (follow-ups).
    pub concerns: Option<String>,
    /// Issues found at intake: `{field, rule, value, message}` objects.
    #[schema(value_type = Vec<Object>)]
    pub issues: Value,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl CaseView {
    /// The list view of a stored case (the single-case answer is [`super::case_answer`]); the values of issues
    /// about debtors' identity numbers masked unless `full_ids` ([`super::privacy`]).
    pub fn of(row: &CaseRow, full_ids: bool) -> CaseView {
        let mut v = Self::unmasked(row);
        if !full_ids {
            super::privacy::mask_issues(&mut v.issues);
        }
        v
    }

    fn unmasked(row: &CaseRow) -> CaseView {
        CaseView {
            reference: row.reference.clone(),
            kind: row.kind.clone(),
            intressentkod: row.intressentkod.clone(),
            state: row.state,
            hold_reason: row.hold_reason.clone(),
            malnummer: row.malnummer.clone(),
            concerns: row.concerns.clone(),
            issues: serde_json::from_str(&row.issues_json).unwrap_or(Value::Null),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// Media types `POST /api/v1/cases` reads.
pub const CASE_MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "text/csv",
];

/// `POST /api/v1/cases`: one case (JSON object), an array, JSON Lines or CSV; the same validation and journal as
/// `fogd import` (CSV only with `Content-Type: text/csv`). Idempotent per reference: the same content again changes
/// nothing (`unchanged`). Answers 201 when a case was stored for the journal (accepted or held), 422 when nothing
/// valid was stored (only invalid or refused cases, with the problems), 200 when every case was unchanged.
pub async fn post_cases(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::Submit)?;
    require_content_type(&headers, CASE_MEDIA_TYPES)?;
    let cap = state.config.limits.max_cases_per_request;
    let csv_allowed = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let records: Vec<_> = {
        let source = open_source(&body, None).map_err(|e| bad(format!("body: {e}")))?;
        if source.format == crate::domain::intake::SourceFormat::Csv && !csv_allowed {
            return Err(bad(
                "body: not JSON (send a case object, an array or JSON Lines; CSV with Content-Type: text/csv)"
                    .into(),
            ));
        }
        // Read at most one record past the cap: a request over it is refused without building the rest.
        let records: Vec<_> = source
            .records()
            .map_err(|e| bad(format!("body: {e}")))?
            .take(cap.saturating_add(1))
            .collect();
        if records.len() > cap {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "more than {cap} cases in one request ([limits] max_cases_per_request = {cap}); \
                     send them in several requests"
                ),
            ));
        }
        records
    };
    if records.is_empty() {
        return Err(bad("body: no cases".into()));
    }
    if records.iter().all(|r| r.input.is_none()) {
        let why: Vec<String> = records
            .iter()
            .flat_map(|r| {
                r.read_issues
                    .iter()
                    .map(|i| format!("line {}: {}", i.line, i.message))
            })
            .collect();
        return Err(bad(format!("body: no readable case: {}", why.join("; "))));
    }
    let references: Vec<String> = records
        .iter()
        .filter_map(|r| r.reference().map(str::to_string))
        .collect();
    let ctx = validation_context(&state)?;
    let opts = ImportOptions {
        actor: caller.actor(),
        ..ImportOptions::file("api")
    };
    let outcome = import(
        Some(&state.store),
        records.into_iter(),
        &ctx,
        &opts,
        state.clock.as_ref(),
        &mut |_| {},
    )
    .await;
    // Read-your-writes: answers cached before this request are stale now (the watcher would see it within 50 ms).
    state.cache.bump();
    let mut outcome = outcome?;
    // Each case once, in short (its issues are in `problems` and in `GET /cases/{reference}`): the answer stays a
    // small multiple of the request.
    let mut cases = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in references {
        let key = crate::engine::import::stored_reference(&r);
        if seen.insert(key.clone()) {
            for row in state.store.cases_by_reference(&key, None).await? {
                cases.push(serde_json::json!({
                    "reference": row.reference,
                    "kind": row.kind,
                    "intressentkod": row.intressentkod,
                    "state": row.state,
                }));
            }
        }
    }
    let s = &outcome.summary;
    // New cases for the journal: the accepted ones, and held ones that are not merely unchanged from before (the
    // summary counts a case still held or invalid from an earlier submission as held or invalid).
    let new_valid = s.accepted + s.held.saturating_sub(outcome.unchanged_held);
    let status = if new_valid > 0 {
        StatusCode::CREATED
    } else if s.invalid + s.refused > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let problems_total = outcome.problems.len();
    outcome
        .problems
        .truncate(state.config.limits.max_problems_in_answer);
    tracing::info!(
        actor = %caller.actor(),
        read = outcome.summary.read,
        accepted = outcome.summary.accepted,
        invalid = outcome.summary.invalid,
        held = outcome.summary.held,
        unchanged = outcome.summary.unchanged,
        refused = outcome.summary.refused,
        "cases submitted"
    );
    Ok((
        status,
        Json(serde_json::json!({
            "summary": outcome.summary,
            "problems": outcome.problems,
            "problems_total": problems_total,
            "problems_omitted": problems_total - outcome.problems.len(),
            "cases": cases,
        })),
    ))
}

/// The validation context: rules from the configuration, today in Stockholm (as `fogd import`).
pub(crate) fn validation_context(
    state: &AppState,
) -> Result<crate::domain::validate::ValidationContext, ApiError> {
    let rules = crate::domain::validate::Rules::from_config(&state.config.rules)
        .for_edition(&state.edition);
    let today = state
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    Ok(crate::domain::validate::ValidationContext {
        rules,
        today,
        default_intressentkod: state.config.ingivare.intressentkod.clone(),
        interest: state.interest.clone(),
    })
}

/// `GET /api/v1/cases/{reference}`: every case with this reference in the intake form plus fogd's additions
/// ([`super::case_answer`]), with its audit trail. Served from the response cache while the database has not
/// changed ([`super::cache`]).
pub async fn get_case(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<axum::response::Response, ApiError> {
    caller.require(Permission::ReadCase)?;
    let full_ids = caller.token.role.allows(Permission::PersonalNumbers);
    let as_of = match q.as_of.as_deref() {
        None => state.clock.now().date_naive(),
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("as_of: {t:?} is not a date (YYYY-MM-DD)"),
            )
        })?,
    };
    let key = format!(
        "case:{}:{as_of}:{reference}",
        if full_ids { "full" } else { "masked" }
    );
    if let Some(body) = state.cache.get(&key, None) {
        return Ok(json_body(body));
    }
    let lock = state.cache.render_lock(&key);
    let _rendering = lock.lock().await;
    if let Some(body) = state.cache.get(&key, None) {
        return Ok(json_body(body));
    }
    let generation = state.cache.generation();
    let rows = state.store.cases_by_reference(&reference, None).await?;
    if rows.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no case with reference {reference:?}"),
        ));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let infos = state.store.case_file_info_for(&ids).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        let events = state.store.case_events(row.id).await?;
        let info = infos.iter().find(|i| i.case_id == row.id);
        let life = state.store.case_life(row.id).await?;
        let life = super::case_answer::LifeView {
            ledger: crate::engine::ledger::case_ledger(&state.store, row, as_of, &state.interest)
                .await?,
            enforcement_malnummer: life.enforcement_malnummer,
            outcome: life
                .outcome_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
        };
        views.push(super::case_answer::case_answer(
            row, info, &events, life, full_ids,
        )?);
    }
    let body = serde_json::to_vec(&serde_json::json!({ "reference": reference, "cases": views }))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let body = Bytes::from(body);
    state.cache.put(key, generation, body.clone());
    Ok(json_body(body))
}

/// Query of `GET /api/v1/cases/{reference}`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CaseQuery {
    /// The ledger as of this date (YYYY-MM-DD; default today).
    pub as_of: Option<String>,
}

/// A JSON response from serialised bytes.
fn json_body(body: Bytes) -> axum::response::Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Query of `GET /api/v1/cases`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Comma-separated states.
    pub state: Option<String>,
    /// Search text (reference, målnummer, customer or invoice number).
    pub q: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// Parses a comma-separated list of states.
pub fn parse_states(text: Option<&str>) -> Result<Vec<CaseState>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|s| {
            CaseState::parse(s.trim()).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("state {s:?} is not a case state"),
                )
            })
        })
        .collect()
}

/// `GET /api/v1/cases?state=…&q=…&limit=…&offset=…`: newest first.
pub async fn list_cases(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::View)?;
    let max = state.config.limits.max_search_chars;
    if q.q.as_deref().is_some_and(|t| t.chars().count() > max) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("q is longer than {max} characters ([limits] max_search_chars)"),
        ));
    }
    let full_ids = caller.token.role.allows(Permission::PersonalNumbers);
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let rows = match q.q.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(text) => state.store.search_cases(text, limit).await?,
        None => {
            let states = parse_states(q.state.as_deref())?;
            state.store.cases_page(&states, limit, offset).await?
        }
    };
    let views: Vec<CaseView> = rows.iter().map(|r| CaseView::of(r, full_ids)).collect();
    Ok(Json(
        serde_json::json!({ "cases": views, "limit": limit, "offset": offset }),
    ))
}

/// Body of `POST /api/v1/journal/approve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Approve every case in `journal`.
    #[serde(default)]
    pub all: bool,
    /// Approve these references.
    #[serde(default)]
    pub references: Vec<String>,
}

/// `POST /api/v1/journal/approve`: `{"all": true}` or `{"references": [...]}` (same rules as `fogd journal approve`;
/// at most `[limits] max_approve_references` references).
pub async fn approve(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Approve)?;
    require_content_type(&headers, &["application/json"])?;
    let body: ApproveBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("body: {e}")))?;
    let cap = state.config.limits.max_approve_references;
    if body.references.len() > cap {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} references; at most {cap} per request ([limits] max_approve_references = {cap})",
                body.references.len()
            ),
        ));
    }
    let selection = match (body.all, body.references.is_empty()) {
        (true, true) => Selection::All,
        (false, false) => Selection::References(body.references),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "give either \"all\": true or a non-empty \"references\" list",
            ))
        }
    };
    let report = journal::approve(
        &state.store,
        &selection,
        &caller.actor(),
        state.clock.as_ref(),
    )
    .await;
    state.cache.bump();
    let report = report?;
    Ok(Json(serde_json::to_value(report).unwrap_or(Value::Null)))
}

/// Body of `POST /api/v1/journal/hold`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// The reference.
    pub reference: String,
    /// Why.
    pub reason: String,
}

/// `POST /api/v1/journal/hold`: `{"reference": …, "reason": …}`.
pub async fn hold(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Approve)?;
    require_content_type(&headers, &["application/json"])?;
    let body: HoldBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("body: {e}")))?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "reason must not be empty",
        ));
    }
    let report = journal::hold(
        &state.store,
        &body.reference,
        &body.reason,
        &caller.actor(),
        state.clock.as_ref(),
    )
    .await;
    state.cache.bump();
    let report = report?;
    Ok(Json(serde_json::to_value(report).unwrap_or(Value::Null)))
}

/// `GET /api/v1/stats`: cases per state and the scheduled jobs.
pub async fn stats(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::View)?;
    let counts = state.store.count_by_state().await?;
    let cases: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), Value::from(n)))
        .collect();
    let jobs: Vec<Value> = state
        .jobs
        .iter()
        .map(|(name, s)| {
            serde_json::json!({
                "name": name,
                "runs": s.runs.load(Ordering::Relaxed),
                "failures": s.failures.load(Ordering::Relaxed),
                "running": s.running.load(Ordering::Relaxed),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "cases": cases, "jobs": jobs })))
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: ready to serve (started, not shutting down, database answering).
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, String) {
    if !state.ready.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "not ready\n".into());
    }
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")),
    }
}
