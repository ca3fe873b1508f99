//! `/api/v1/files`, `/api/v1/files/{id}`, `/api/v1/files/{id}/raw` and `/api/v1/receipts`: the files fogd built
//! and sent, and the messages Kronofogden sent back. Read-only for roles that may view (viewer, operator, admin);
//! `POST /api/v1/files/{id}/retry` ("retry now", operator and admin) makes a file waiting for a send retry due at
//! once and starts a send pass when this server runs the send job.
//!
//! Readings: lists are newest first; `/files/{id}/raw` answers the frozen bytes exactly as sent (ISO-8859-1, not
//! re-encoded) as `application/octet-stream` with the file name in `Content-Disposition`, the missiv with
//! `?part=missiv`. A receipt's file is the file whose tx.id equals the message's corr.id
//! ([`crate::store::ops::ReceiptRow`]).

use super::auth::Caller;
use super::{ApiError, AppState};
use crate::domain::FileState;
use crate::engine::send::RetryRefused;
use crate::store::ops::ReceiptRow;
use crate::store::{FileRow, Permission};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Largest page of `GET /files` and `GET /receipts`.
pub const MAX_PAGE: usize = 1000;

/// A file as the API shows it (the stored row, its kvittens errors decoded).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// The stored file (without bytes).
    #[serde(flatten)]
    pub file: FileRow,
    /// The kvittens errors (`niva`, `handlingsref`, `felkod`, `feltext`), empty when none.
    #[schema(value_type = Vec<Object>)]
    pub kvittens_errors: Value,
    /// References of the cases in the file (single-file look-ups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cases: Option<Vec<String>>,
    /// Messages that answer this file (single-file look-ups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipts: Option<Vec<ReceiptRow>>,
}

impl FileView {
    /// The view of a stored file.
    pub fn of(file: FileRow) -> FileView {
        let kvittens_errors = file
            .kvittens_errors_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_else(|| Value::Array(Vec::new()));
        FileView {
            file,
            kvittens_errors,
            cases: None,
            receipts: None,
        }
    }
}

/// Query of the list endpoints.
#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    /// Comma-separated file states (`/files` only).
    pub state: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Rows to skip.
    pub offset: Option<usize>,
}

fn parse_file_states(text: Option<&str>) -> Result<Vec<FileState>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|s| {
            FileState::parse(s.trim()).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("state {s:?} is not a file state"),
                )
            })
        })
        .collect()
}

fn file_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("file id {text:?} is not a number"),
        )
    })
}

async fn file_or_404(state: &AppState, id: i64) -> Result<FileRow, ApiError> {
    state
        .store
        .file_by_id(id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no file with id {id}")))
}

/// `GET /api/v1/files?state=…&limit=…&offset=…`: files, newest first.
pub async fn list_files(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::View)?;
    let states = parse_file_states(q.state.as_deref())?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let offset = q.offset.unwrap_or(0);
    let files: Vec<FileView> = state
        .store
        .list_files()
        .await?
        .into_iter()
        .rev()
        .filter(|f| states.is_empty() || states.contains(&f.state))
        .skip(offset)
        .take(limit)
        .map(FileView::of)
        .collect();
    Ok(Json(
        serde_json::json!({ "files": files, "limit": limit, "offset": offset }),
    ))
}

/// `GET /api/v1/files/{id}`: one file with its cases and the messages that answer it.
pub async fn get_file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    caller.require(Permission::View)?;
    let file = file_or_404(&state, file_id(&id)?).await?;
    let mut cases = Vec::new();
    for cid in state.store.file_case_ids(file.id).await? {
        if let Some(c) = state.store.case_by_id(cid).await? {
            cases.push(c.reference);
        }
    }
    let receipts = state.store.receipts_for_file(&file.tx_id).await?;
    let mut v = FileView::of(file);
    v.cases = Some(cases);
    v.receipts = Some(receipts);
    Ok(Json(v))
}

/// What "retry now" did (`POST /api/v1/files/{id}/retry`, 202).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryAnswer {
    /// The file.
    pub file: i64,
    /// Whether its next attempt was moved to now (false: it was due already).
    pub made_due: bool,
    /// Whether this server started a send pass for it now (false with `fogd serve --no-jobs`: the next
    /// `fogd send` or scheduled send sends it).
    pub sending: bool,
}

/// Makes file `id` due now and, when this server runs the send job, starts a send pass in the background (the
/// answer does not wait for the node). 404 for no such file, 409 for a file not waiting to be sent.
pub async fn retry_now(state: &AppState, id: i64, actor: &str) -> Result<RetryAnswer, ApiError> {
    let made = crate::engine::send::make_retry_due(&state.store, state.clock.now(), Some(id))
        .await?
        .map_err(|e| match e {
            RetryRefused::NoFile(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            RetryRefused::NotWaiting { .. } => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        })?;
    tracing::info!(file = id, actor, "retry now");
    state.cache.bump();
    let sending = match &state.sender {
        Some(engine) => {
            let (engine, cache) = (engine.clone(), state.cache.clone());
            tokio::spawn(async move {
                match engine.send_pass().await {
                    Ok(r) => tracing::info!(
                        file = id,
                        sent = r.sent,
                        refused = r.refused,
                        retried = r.retried,
                        unknown = r.unknown,
                        "send pass after retry now"
                    ),
                    Err(e) => {
                        tracing::error!(alert = true, file = id, error = %e, "send pass after retry now failed")
                    }
                }
                cache.bump();
            });
            true
        }
        None => false,
    };
    Ok(RetryAnswer {
        file: id,
        made_due: !made.is_empty(),
        sending,
    })
}

/// `POST /api/v1/files/{id}/retry` (no body, or `{}` as JSON): "retry now" for a file waiting for a send retry
/// (operator, admin); 202 with [`RetryAnswer`].
pub async fn retry_file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<RetryAnswer>), ApiError> {
    caller.require(Permission::RetrySend)?;
    if !body.is_empty() {
        super::security::require_content_type(&headers, &["application/json"])?;
        let _: EmptyBody = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("body: {e}")))?;
    }
    let answer = retry_now(&state, file_id(&id)?, &caller.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// The body `POST /api/v1/files/{id}/retry` accepts: nothing, or an empty JSON object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

/// Query of `/files/{id}/raw`.
#[derive(Debug, Deserialize, Default)]
pub struct RawQuery {
    /// `file` (default) or `missiv`.
    pub part: Option<String>,
}

/// `GET /api/v1/files/{id}/raw[?part=missiv]`: the frozen bytes as sent. They carry debtors' personal numbers in
/// full, so the role needs [`Permission::PersonalNumbers`] (operator, admin), as on the console.
pub async fn raw_file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PersonalNumbers)?;
    let file = file_or_404(&state, file_id(&id)?).await?;
    let missiv = match q.part.as_deref() {
        None | Some("file") => false,
        Some("missiv") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("part {other:?}: use file or missiv"),
            ))
        }
    };
    let Some((bytes, missiv_bytes)) = state.store.file_bytes(file.id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no bytes for file {}", file.id),
        ));
    };
    let (name, body) = if missiv {
        (file.missiv_name, missiv_bytes)
    } else {
        (file.file_name, bytes)
    };
    if body.is_empty() {
        // Built files are never empty: an empty body is one the retention rule cleared.
        return Err(ApiError::new(
            StatusCode::GONE,
            format!(
                "the bytes of file {} were cleared by [database] retention_days; its sha256 {} remains",
                file.id, file.sha256
            ),
        ));
    }
    // File names are Kronofogden's ASCII names; anything else is replaced so the header stays valid.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/v1/receipts?limit=…&offset=…`: inbound messages (kvittens, bekräftelse, utslag, SHS confirm/error),
/// newest first: kind, the file answered, the kvittens status, when applied, and the apply error if any.
pub async fn list_receipts(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::View)?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let offset = q.offset.unwrap_or(0);
    let rows = state
        .store
        .receipts_page(limit as i64, offset as i64)
        .await?;
    Ok(Json(
        serde_json::json!({ "receipts": rows, "limit": limit, "offset": offset }),
    ))
}
