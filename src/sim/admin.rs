//! The simulator's admin JSON API under `/sim/v1` (what tests, `fogd demo` and `fogd sim evening-run` / `faults` /
//! `reject-next` / `messages` / `files` / `cases` call):
//!
//! | call | what |
//! |---|---|
//! | `GET /sim/v1/messages[?outbox=ORG]` | every stored message (metadata) |
//! | `GET /sim/v1/files`, `GET /sim/v1/cases` | what the behaviour recorded (files received, cases registered) |
//! | `POST /sim/v1/evening-run` | run the evening run now (bekräftelser) |
//! | `POST /sim/v1/advance {"days": N}` | move the sim's calendar N days forward; what falls due is sent |
//! | `POST /sim/v1/reject-next {"felkod": "0021"}` | reject the next received file whole with that felkod |
//! | `GET/POST/DELETE /sim/v1/faults` | list, add (`{"spec": "status=503@rs*1"}`, `"replace": true`), clear faults |
//!
//! Every call needs an admin identity ([`is_admin`]): the simulator is used in shared test environments, where one
//! organisation must not read another's messages or change the faults everyone sees. New calls are added to
//! [`routes`] (behind the same guard) and to `crate::cli::sim`'s commands.

use super::db;
use super::faults::{parse_spec, FaultRule};
use super::node::{internal, store_replies, text};
use super::SimShared;
use crate::http_server::ConnInfo;
use crate::shs;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use std::sync::Arc;

type St = State<Arc<SimShared>>;

/// The admin routes, each behind [`require_admin`].
pub fn routes(shared: Arc<SimShared>) -> Router<Arc<SimShared>> {
    Router::new()
        .route("/sim/v1/messages", get(admin_messages))
        .route("/sim/v1/files", get(admin_files))
        .route("/sim/v1/cases", get(admin_cases))
        .route("/sim/v1/evening-run", post(admin_evening_run))
        .route("/sim/v1/advance", post(admin_advance))
        .route("/sim/v1/reject-next", post(admin_reject_next))
        .route(
            "/sim/v1/faults",
            get(faults_get).post(faults_post).delete(faults_delete),
        )
        .route_layer(axum::middleware::from_fn_with_state(shared, require_admin))
}

/// Whether the caller is the simulator's admin: a bearer token equal to `[sim] admin_token`, or a client
/// certificate whose X.509 serial is in `[sim] admin_cert_serials`; when neither is configured, the client
/// certificate whose subject `serialNumber` is this configuration's `[ingivare] org_number` (the development
/// set-up's own client, so `fogd demo` and `fogd sim evening-run` keep working from the same directory).
pub fn is_admin(
    config: &crate::config::Config,
    conn: Option<&ConnInfo>,
    headers: &HeaderMap,
) -> bool {
    let sim = &config.sim;
    if let Some(want) = &sim.admin_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        // Compared as digests: equal length, no early exit on the secret's first differing byte.
        if given.is_some_and(|g| Sha256::digest(g.as_bytes()) == Sha256::digest(want.as_bytes())) {
            return true;
        }
    }
    let Some(conn) = conn else {
        return false;
    };
    if !sim.admin_cert_serials.is_empty() {
        return conn.client_cert_serial.as_ref().is_some_and(|serial| {
            sim.admin_cert_serials
                .iter()
                .any(|s| crate::certs::normalize_serial(s) == *serial)
        });
    }
    sim.admin_token.is_none()
        && conn.client_serial_number.as_deref() == Some(config.ingivare.org_number.as_str())
}

/// Refuses (403, JSON) a caller that is not the admin ([`is_admin`]).
async fn require_admin(State(shared): St, req: Request, next: Next) -> Response {
    let conn = req.extensions().get::<ConnInfo>();
    if is_admin(&shared.config, conn, req.headers()) {
        return next.run(req).await;
    }
    let who = conn
        .and_then(|c| c.client_serial_number.clone())
        .unwrap_or_else(|| "a certificate without serialNumber".into());
    tracing::warn!(client = %who, path = %req.uri().path(), "sim admin call refused");
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({
            "error": format!(
                "admin calls need an admin identity ([sim] admin_token as a bearer token, a certificate in [sim] \
                 admin_cert_serials, or by default the certificate of [ingivare] org_number); this client is {who}"
            )
        })),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct MessagesQuery {
    outbox: Option<String>,
}

async fn admin_messages(State(shared): St, Query(q): Query<MessagesQuery>) -> Response {
    let outbox = q.outbox.as_deref().map(shs::actor_org);
    match db::all(&shared.pool, outbox).await {
        Ok(rows) => Json(
            rows.into_iter()
                .map(|m| {
                    serde_json::json!({
                        "tx_id": m.tx_id, "outbox": m.outbox, "from": m.sender, "corr_id": m.corr_id,
                        "content_id": m.content_id, "product": m.product, "sequence_type": m.sequence_type,
                        "arrival": m.arrival, "state": m.state, "acked": m.acked, "size": m.size,
                        "subject": m.entry.subject,
                        "files": m.entry.data.iter().map(|d| d.filename.clone()).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

async fn admin_files(State(shared): St) -> Response {
    match shared.behaviour.admin_files(&shared.context()).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

async fn admin_cases(State(shared): St) -> Response {
    match shared.behaviour.admin_cases(&shared.context()).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

async fn admin_evening_run(State(shared): St) -> Response {
    // Not beside a tick: a list waiting on the tick lock then sees every reply of this run.
    let _one_at_a_time = shared.tick_lock.lock().await;
    let ctx = shared.context();
    let replies = match shared.behaviour.evening_run(&ctx).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    match store_replies(&shared, &ctx, replies).await {
        Ok(n) => Json(serde_json::json!({ "replies": n })).into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /sim/v1/advance {"days": N}`: the sim's calendar moves N days (1..=3660) forward, day by day; the
/// messages that fall due are stored for their recipients as any reply is.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    days: u32,
}

async fn admin_advance(State(shared): St, body: Bytes) -> Response {
    let b: AdvanceBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("advance body: {e}")),
    };
    let max = crate::sim::kronofogden::MAX_ADVANCE_DAYS;
    if b.days == 0 || b.days > max {
        return text(
            StatusCode::BAD_REQUEST,
            format!("advance: days must be 1..={max}, got {}", b.days),
        );
    }
    let _one_at_a_time = shared.tick_lock.lock().await;
    let ctx = shared.context();
    let (replies, mut summary) = match shared.behaviour.advance(&ctx, b.days).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    match store_replies(&shared, &ctx, replies).await {
        Ok(n) => {
            summary["replies"] = serde_json::json!(n);
            Json(summary).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /sim/v1/reject-next {"felkod": "0021"}`: the next received file is rejected whole with that felkod (a
/// one-shot `reject=FELKOD*1` fault).
#[derive(serde::Deserialize)]
struct RejectNextBody {
    felkod: String,
}

async fn admin_reject_next(State(shared): St, body: Bytes) -> Response {
    let b: RejectNextBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("reject-next body: {e}")),
    };
    match parse_spec(&format!("reject={}*1", b.felkod.trim())) {
        Ok(r) => shared.faults.add(r),
        Err(e) => return text(StatusCode::BAD_REQUEST, e),
    }
    Json(shared.faults.snapshot()).into_response()
}

async fn faults_get(State(shared): St) -> Response {
    Json(shared.faults.snapshot()).into_response()
}

/// `POST /sim/v1/faults`: `{"spec": "status=503@rs*1"}` or `{"faults": [rule…]}`; `"replace": true` clears first.
#[derive(serde::Deserialize)]
struct FaultsBody {
    spec: Option<String>,
    faults: Option<Vec<FaultRule>>,
    #[serde(default)]
    replace: bool,
}

async fn faults_post(State(shared): St, body: Bytes) -> Response {
    let b: FaultsBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("faults body: {e}")),
    };
    let mut rules = b.faults.unwrap_or_default();
    if let Some(s) = b.spec {
        match parse_spec(&s) {
            Ok(r) => rules.extend(r),
            Err(e) => return text(StatusCode::BAD_REQUEST, e),
        }
    }
    if b.replace {
        shared.faults.clear();
    }
    shared.faults.add(rules);
    Json(shared.faults.snapshot()).into_response()
}

async fn faults_delete(State(shared): St) -> Response {
    shared.faults.clear();
    Json(shared.faults.snapshot()).into_response()
}
