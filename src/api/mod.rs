//! The HTTP side of `fogd serve` (axum): the JSON API under `/api/v1`, the server-rendered ops page at `/`,
//! Prometheus metrics at `/metrics`, and `/healthz` / `/readyz`.
//!
//! Authentication: a bearer token (`Authorization: Bearer fogd_…`) or, for the ops page, an HttpOnly session cookie
//! set by the sign-in form. Roles and what they may do are in [`crate::store::Role::allows`]. Without credentials
//! the API answers 401; with a role that may not act, 403. Request bodies are capped at `[api] max_body_bytes`,
//! requests and answers by `[limits]` ([`handlers`]); errors under `/api/` are always JSON; browser hardening
//! (headers, cross-site refusal, CSRF tokens) is in [`security`]; personal numbers by role in [`privacy`].
//! The API calls the store and the engine; it never builds files or talks SHS.

pub mod auth;
pub mod cache;
pub mod case_answer;
pub mod files;
pub mod handlers;
pub mod life;
pub mod openapi;
pub mod page;
pub mod privacy;
pub mod security;

use crate::alerts::Alerter;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::engine::schedule::JobStats;
use crate::store::Store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Shared state of every handler.
#[derive(Debug)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The configuration.
    pub config: Config,
    /// The clock.
    pub clock: SharedClock,
    /// Sign-in sessions and the token cache.
    pub auth: auth::AuthCache,
    /// Scheduled jobs and their counters (for metrics and the ops page).
    pub jobs: Vec<(String, Arc<JobStats>)>,
    /// Active alerts (for banners and metrics), if alerts run.
    pub alerter: Option<Arc<Alerter>>,
    /// False while starting and once shutting down (`/readyz`).
    pub ready: AtomicBool,
    /// Durations of SHS send calls (filled by the send jobs through [`crate::daemon::TimedShs`]).
    pub send_latency: Arc<crate::metrics::Histogram>,
    /// Cached responses of the hot read paths ([`cache`]).
    pub cache: Arc<cache::ResponseCache>,
    /// The engine of the send job, when this server runs it: "retry now" starts a send pass with it.
    pub sender: Option<crate::engine::Engine>,
    /// The referensränta table intake computes interest with (`[interest] referensranta`, checked at start).
    pub interest: Arc<crate::domain::interest::ReferensrantaTable>,
    /// The edition this installation files ([`crate::engine::installation_edition`]; the daemon reads it from the
    /// database at start), which intake's rules follow.
    pub edition: String,
}

impl AppState {
    /// State with no jobs and no alerter (tests, tools). The referensränta table is the configured one; should it
    /// not load (the daemon refuses to start then, [`crate::daemon::serve`]), an empty table, so that interest is
    /// never computed with a rate the operator did not give: the cases that need it are held.
    pub fn new(store: Store, config: Config, clock: SharedClock) -> AppState {
        let cache_bytes = config.limits.page_cache_bytes;
        let interest = crate::interest_table::load(&config).unwrap_or_else(|e| {
            tracing::error!("{e}");
            crate::domain::interest::ReferensrantaTable::empty()
        });
        AppState {
            edition: config.layouts.edition_or_default().to_string(),
            interest: Arc::new(interest),
            store,
            config,
            clock,
            auth: auth::AuthCache::default(),
            jobs: Vec::new(),
            alerter: None,
            ready: AtomicBool::new(true),
            send_latency: Arc::default(),
            cache: Arc::new(cache::ResponseCache::with_capacity(cache_bytes)),
            sender: None,
        }
    }
}

impl AppState {
    /// What `/metrics` reads its figures from.
    pub fn metric_sources(&self) -> crate::metrics::Sources<'_> {
        crate::metrics::Sources {
            store: &self.store,
            config: &self.config,
            clock: &self.clock,
            jobs: &self.jobs,
            alerter: self.alerter.as_deref(),
            send_latency: &self.send_latency,
        }
    }
}

/// `GET /metrics`: [`crate::metrics::render`] in the Prometheus text format.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    match crate::metrics::render(&state.metric_sources()).await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("# metrics: {e}\n"),
        )
            .into_response(),
    }
}

/// An error answered as JSON `{"error": …}` with a status code.
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(openapi::ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "store error in a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error (see the log)",
        )
    }
}

impl From<crate::engine::EngineError> for ApiError {
    fn from(e: crate::engine::EngineError) -> Self {
        tracing::error!(error = %e, "engine error in a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error (see the log)",
        )
    }
}

/// `404` for a path under `/api/` that does not exist (JSON).
async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint under /api/v1")
}

/// The whole router.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.api.max_body_bytes;
    let api = Router::new()
        .route(
            "/cases",
            post(handlers::post_cases).get(handlers::list_cases),
        )
        .route("/cases/{reference}", get(handlers::get_case))
        .route("/cases/{reference}/requests", post(life::post_request))
        .route(
            "/cases/{reference}/decisions",
            post(life::post_paper_decision),
        )
        .route("/journal/approve", post(handlers::approve))
        .route("/journal/hold", post(handlers::hold))
        .route("/files", get(files::list_files))
        .route("/files/{id}", get(files::get_file))
        .route("/files/{id}/raw", get(files::raw_file))
        .route("/files/{id}/retry", post(files::retry_file))
        .route("/receipts", get(files::list_receipts))
        .route("/stats", get(handlers::stats))
        .route("/openapi.json", get(openapi::openapi))
        .fallback(api_not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/api", get(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/", get(page::ops_page))
        .route("/fogd.css", get(security::stylesheet))
        .route("/signin", get(page::signin_form).post(page::signin))
        .route("/signout", post(page::signout))
        .route("/files/{id}/retry", post(page::retry_form))
        .route("/metrics", get(metrics))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .merge(crate::console::routes())
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::origin_guard,
        ))
        .layer(axum::middleware::from_fn(security::api_json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}
