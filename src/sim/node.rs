//! The SHS endpoints of the simulated node (shs.md §4) and its admin JSON API.

use super::behaviour::{OutboundReply, SimContext};
use super::db::{self, NewMessage, StoredMeta};
use super::faults::{Endpoint, FaultKind, TIMEOUT_HANG};
use super::SimShared;
use crate::http_server::{AbortConnection, ConnInfo};
use crate::shs::label::{Address, History};
use crate::shs::{
    self, format_time, is_org_number, strip_urn, DataPart, Label, ListEntry, ListFilter,
    Management, MessageList, SequenceType, ShsErrorCode, ShsMessage, TransferType,
};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::collections::HashMap;
use std::sync::Arc;

type St = State<Arc<SimShared>>;

/// The router: SHS endpoints under `/shs`, admin under `/sim/v1` ([`super::admin`]).
pub fn router(shared: Arc<SimShared>) -> Router {
    let limit = usize::try_from(shared.config.sim.max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/shs/rs", post(receive))
        .route("/shs/ds", get(missing_outbox))
        .route("/shs/ds/", get(missing_outbox))
        .route("/shs/ds/{outbox}", get(list))
        .route("/shs/ds/{outbox}/{tx_id}", get(fetch).post(ack))
        .merge(super::admin::routes(shared.clone()))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared)
}

pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=ISO-8859-1")],
        body.into(),
    )
        .into_response()
}

/// HTTP 400 with `X-shs-errorcode` and a text body.
fn shs_error(code: ShsErrorCode, info: &str) -> Response {
    let mut r = text(StatusCode::BAD_REQUEST, format!("{code}: {info}"));
    r.headers_mut()
        .insert("X-shs-errorcode", HeaderValue::from_static(code.as_str()));
    r
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sim internal error");
    text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

fn abort() -> Response {
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(AbortConnection);
    r
}

#[allow(clippy::result_large_err)]
/// Applies request faults; returns a response to send instead, or the faults left for the handler (reset,
/// timeout, duplicate).
async fn apply_faults(shared: &SimShared, ep: Endpoint) -> Result<Vec<FaultKind>, Response> {
    let fired = shared.faults.take(ep);
    let mut rest = Vec::new();
    for f in fired {
        match f {
            FaultKind::Delay(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
            FaultKind::Status(s) => {
                let code = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Err(text(code, format!("injected fault: HTTP {s}")));
            }
            FaultKind::Timeout if ep != Endpoint::Rs => {
                tokio::time::sleep(TIMEOUT_HANG).await;
                return Err(abort());
            }
            other => rest.push(other),
        }
    }
    Ok(rest)
}

fn check_label(
    shared: &SimShared,
    label: &Label,
    peer: Option<&str>,
) -> Result<(), (ShsErrorCode, String)> {
    if label.transfer_type == TransferType::Synch {
        return Err((
            ShsErrorCode::MissingAgreement,
            "the simulated node has asynchronous agreements only".into(),
        ));
    }
    if let Some(o) = &label.originator {
        if !is_org_number(shs::actor_org(&o.value)) {
            return Err((
                ShsErrorCode::IllegalOriginator,
                format!("originator {:?}", o.value),
            ));
        }
    }
    let sender = label.sender_org().ok_or((
        ShsErrorCode::IllegalSender,
        "no from or originator".to_string(),
    ))?;
    if !is_org_number(sender) {
        return Err((
            ShsErrorCode::IllegalSender,
            format!("sender {sender:?} is not an organisation number"),
        ));
    }
    if shared.config.sim.check_sender {
        let Some(cert_org) = peer else {
            return Err((
                ShsErrorCode::UnknownSender,
                "the client certificate has no subject serialNumber, so the sender cannot be checked".into(),
            ));
        };
        if cert_org != sender {
            return Err((
                ShsErrorCode::UnknownSender,
                format!(
                    "sender {sender} does not match the client certificate's serialNumber {cert_org}"
                ),
            ));
        }
    }
    if let Some(e) = &label.end_recipient {
        if e.value.trim().is_empty() {
            return Err((
                ShsErrorCode::IllegalEndRecipient,
                "empty end-recipient".into(),
            ));
        }
    }
    let to = label
        .recipient_org()
        .ok_or((ShsErrorCode::IllegalReceiver, "no to".to_string()))?;
    if !is_org_number(to) {
        return Err((
            ShsErrorCode::IllegalReceiver,
            format!("receiver {to:?} is not an organisation number"),
        ));
    }
    if to != shared.config.shs.node_org_number {
        return Err((
            ShsErrorCode::UnknownReceiver,
            format!("receiver {to} is not served by this node"),
        ));
    }
    let product = label.product_plain();
    let special = shs::SPECIAL_PRODUCTS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(product));
    if !special && uuid::Uuid::parse_str(product).is_err() {
        return Err((
            ShsErrorCode::IllegalProductType,
            format!("product {product:?} is not a UUID"),
        ));
    }
    if !special
        && !shared
            .config
            .shs
            .products
            .values()
            .any(|p| p.eq_ignore_ascii_case(product))
    {
        return Err((
            ShsErrorCode::UnknownProductType,
            format!("product {product} is not known to this node"),
        ));
    }
    if label.sequence_type != SequenceType::Adm && special {
        return Err((
            ShsErrorCode::IllegalProductType,
            format!("product {product} needs sequence-type adm"),
        ));
    }
    Ok(())
}

fn entry_for(label: &Label, size: u64) -> ListEntry {
    ListEntry {
        tx_id: label.tx_id.clone(),
        corr_id: Some(label.corr_id.clone()),
        content_id: Some(label.content_id.clone()),
        timestamp: label.datetime,
        size: Some(size),
        originator: label.originator.as_ref().map(|a| a.value.clone()),
        from: label.from.as_ref().map(|a| shs::to_urn(&a.value)),
        to: label.to.as_ref().map(|a| shs::to_urn(&a.value)),
        end_recipient: label.end_recipient.as_ref().map(|a| a.value.clone()),
        product: Some(shs::to_urn(&label.product)),
        sequence_type: label.sequence_type,
        status: label.status,
        meta: label.meta.clone(),
        subject: label.subject.clone(),
        data: label.data.clone(),
    }
}

pub(crate) fn stored_meta(label: &Label, arrival: &str, size: u64) -> StoredMeta {
    StoredMeta {
        tx_id: label.tx_id.clone(),
        outbox: label.recipient_org().unwrap_or_default().to_string(),
        sender: label.sender_org().unwrap_or_default().to_string(),
        corr_id: label.corr_id.clone(),
        content_id: label.content_id.clone(),
        product: label.product_plain().to_string(),
        sequence_type: label.sequence_type.as_str().to_string(),
        arrival: arrival.to_string(),
        state: "received".into(),
        state_changed: arrival.to_string(),
        acked: false,
        size: size as i64,
        entry: entry_for(label, size),
    }
}

/// Builds the stored message for a reply from the node.
pub(crate) fn build_reply(shared: &SimShared, ctx: &SimContext, r: OutboundReply) -> ShsMessage {
    let cfg = &shared.config;
    let status = r.status.unwrap_or_else(|| cfg.shs.status.label());
    let mut label = Label::new_event(
        Address::new(&cfg.shs.node_org_number, Some(super::NODE_NAME)),
        Address::new(&r.to, None),
        &r.product,
        status,
        ctx.now_local,
    );
    label.sequence_type = r.sequence_type;
    if let Some(c) = r.corr_id {
        label.corr_id = c;
    }
    if let Some(c) = r.content_id {
        label.content_id = c;
    }
    label.subject = r.subject;
    label.meta = r.meta;
    ShsMessage::new(label, r.parts)
}

/// Stores replies from the behaviour (each withheld when a `withhold` fault fires).
pub(crate) async fn store_replies(
    shared: &SimShared,
    ctx: &SimContext,
    replies: Vec<OutboundReply>,
) -> Result<usize, String> {
    let mut n = 0;
    let arrival = format_time(ctx.now_local);
    for r in replies {
        let msg = build_reply(shared, ctx, r);
        let raw = msg.to_bytes().map_err(|e| e.to_string())?;
        let meta = stored_meta(&msg.label, &arrival, raw.len() as u64);
        let hidden = if shared.faults.take_withhold() { 1 } else { 0 };
        db::insert(
            &shared.pool,
            NewMessage {
                meta: &meta,
                hidden_lists: hidden,
                raw: &raw,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        n += 1;
    }
    Ok(n)
}

fn receipt_headers(h: &mut HeaderMap, m: &StoredMeta, node_id: &str, duplicate: bool) {
    let mut put = |k: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    put("X-shs-txid", &m.tx_id);
    put("X-shs-corrid", &m.corr_id);
    put("X-shs-contentid", &m.content_id);
    put("X-shs-nodeid", node_id);
    put("X-shs-localid", &m.tx_id);
    put("X-shs-arrivaldate", &m.arrival);
    put("X-shs-duplicatemsg", if duplicate { "yes" } else { "no" });
}

fn accepted(m: &StoredMeta, duplicate: bool) -> Response {
    let mut r = text(StatusCode::ACCEPTED, m.tx_id.clone());
    receipt_headers(r.headers_mut(), m, super::NODE_ID, duplicate);
    r
}

/// `POST /shs/rs`. The work runs in its own task: a client that disconnects mid-request (killed, timed out) must
/// not cancel the node half-way — after the behaviour recorded the file but before the message and its kvittens
/// were stored, which lost the kvittens for good (found by `tests/crash_harness.rs`). A node finishes what it
/// started; the client learns the outcome from the duplicate answer to its re-send.
async fn receive(State(shared): St, Extension(conn): Extension<ConnInfo>, body: Bytes) -> Response {
    match tokio::spawn(receive_detached(shared, conn.client_serial_number, body)).await {
        Ok(r) => r,
        Err(e) => internal(e),
    }
}

/// Serialises received messages (see [`receive_detached`]).
static RECEIVE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn receive_detached(shared: Arc<SimShared>, peer: Option<String>, body: Bytes) -> Response {
    let faults = match apply_faults(&shared, Endpoint::Rs).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let msg = match ShsMessage::parse(body) {
        Ok(m) => m,
        Err(e) => return shs_error(e.shs_code(), &e.to_string()),
    };
    if let Err((code, info)) = check_label(&shared, &msg.label, peer.as_deref()) {
        return shs_error(code, &info);
    }
    // The duplicate check, the behaviour and the store form one step: a re-send of a tx.id whose first arrival
    // is still being processed (the client timed out) must wait and be answered "duplicate", not be checked as a
    // new file (0011/0060). One lock for all receives; the behaviour serialises them anyway.
    let guard = RECEIVE_LOCK.lock().await;
    match db::get(&shared.pool, &msg.label.tx_id).await {
        Ok(Some(first)) => return accepted(&first, true),
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    let mut ctx = shared.context();
    ctx.reject_with = shared.faults.take_reject();
    let replies = match shared.behaviour.on_message(&ctx, &msg).await {
        Ok(r) => r,
        Err(rej) => return shs_error(rej.code, &rej.info),
    };
    let arrival = format_time(ctx.now_local);
    let mut stored = msg;
    stored.label.history.push(History {
        node_id: super::NODE_ID.into(),
        content_id: Some(stored.label.content_id.clone()),
        tx_id: Some(stored.label.tx_id.clone()),
        to: stored.label.to.as_ref().map(|a| a.value.clone()),
        local_id: Some(stored.label.tx_id.clone()),
        datetime: Some(ctx.now_local),
        comment: Some("Received".into()),
        ..Default::default()
    });
    let raw = match stored.to_bytes() {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let meta = stored_meta(&stored.label, &arrival, raw.len() as u64);
    match db::insert(
        &shared.pool,
        NewMessage {
            meta: &meta,
            hidden_lists: 0,
            raw: &raw,
        },
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => {
            // Raced with the same tx.id: report the first arrival.
            return match db::get(&shared.pool, &meta.tx_id).await {
                Ok(Some(first)) => accepted(&first, true),
                Ok(None) => internal("duplicate vanished"),
                Err(e) => internal(e),
            };
        }
        Err(e) => return internal(e),
    }
    drop(raw);
    if let Err(e) = store_replies(&shared, &ctx, replies).await {
        return internal(e);
    }
    drop(guard);
    tracing::info!(tx_id = %meta.tx_id, from = %meta.sender, product = %meta.product, size = meta.size, "sim received message");
    for f in faults {
        match f {
            FaultKind::Reset => return abort(),
            FaultKind::Timeout => {
                tokio::time::sleep(TIMEOUT_HANG).await;
                return abort();
            }
            _ => {}
        }
    }
    accepted(&meta, false)
}

async fn missing_outbox() -> Response {
    shs_error(
        ShsErrorCode::IllegalReceiver,
        "no outbox in the path: GET {ds}/{outbox}",
    )
}

/// The organisation number of an outbox path segment, if the caller may read it: an outbox belongs to the
/// organisation of the client certificate's subject `serialNumber` only (403 otherwise, also for a certificate
/// without one). The node's admin API (`/sim/v1/messages`) shows every outbox.
#[allow(clippy::result_large_err)]
fn outbox_of(raw: &str, conn: &ConnInfo) -> Result<String, Response> {
    let o = shs::actor_org(raw).to_string();
    if !is_org_number(&o) {
        return Err(shs_error(
            ShsErrorCode::IllegalReceiver,
            &format!("outbox {raw:?} is not an organisation number"),
        ));
    }
    match conn.client_serial_number.as_deref() {
        Some(me) if me == o => Ok(o),
        Some(me) => Err(text(
            StatusCode::FORBIDDEN,
            format!(
                "outbox {o} belongs to another organisation than this client certificate's ({me})"
            ),
        )),
        None => Err(text(
            StatusCode::FORBIDDEN,
            "the client certificate has no subject serialNumber: it owns no outbox",
        )),
    }
}

fn sort_key(e: &ListEntry, attr: &str) -> String {
    match attr {
        "originator" => e.originator.clone().unwrap_or_default(),
        "from" => e.from.clone().unwrap_or_default(),
        "endrecipient" => e.end_recipient.clone().unwrap_or_default(),
        "producttype" => e.product.clone().unwrap_or_default(),
        "subject" => e.subject.clone().unwrap_or_default(),
        "contentid" => e.content_id.clone().unwrap_or_default(),
        "-corrid" => e.corr_id.clone().unwrap_or_default(),
        "sequencetype" => e.sequence_type.as_str().to_string(),
        "transfertype" => "asynch".into(),
        m => {
            let name = m.strip_prefix("meta-").unwrap_or(m);
            e.meta
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        }
    }
}

/// Default and largest `maxhits` (Axel's default limit).
const DEFAULT_MAXHITS: usize = 200;

async fn list(
    State(shared): St,
    Extension(conn): Extension<ConnInfo>,
    Path(outbox): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let faults = match apply_faults(&shared, Endpoint::List).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let outbox = match outbox_of(&outbox, &conn) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let pairs: Vec<(String, String)> = url_pairs(q.as_deref().unwrap_or(""));
    let filter = match ListFilter::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(f) => f,
        Err(e) => return shs_error(ShsErrorCode::OtherError, &e),
    };
    if let Err(e) = shared.tick().await {
        tracing::warn!(error = %e, "sim behaviour tick failed");
    }
    let rows = match db::listable(&shared.pool, &outbox).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let since = filter.since.map(format_time);
    let mut entries: Vec<ListEntry> = rows
        .into_iter()
        .filter(|m| !filter.noack || !m.acked)
        .filter(|m| {
            filter.product_types.is_empty()
                || filter
                    .product_types
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&m.product))
        })
        .filter(|m| filter.status.is_none_or(|s| s == m.entry.status))
        .filter(|m| filter.corr_id.as_ref().is_none_or(|c| *c == m.corr_id))
        .filter(|m| {
            filter
                .content_id
                .as_ref()
                .is_none_or(|c| *c == m.content_id)
        })
        .filter(|m| {
            filter.originator.as_ref().is_none_or(|o| {
                m.sender == *o || m.entry.originator.as_deref().map(strip_urn) == Some(o.as_str())
            })
        })
        .filter(|m| {
            filter
                .end_recipient
                .as_ref()
                .is_none_or(|e| m.entry.end_recipient.as_ref() == Some(e))
        })
        .filter(|m| since.as_ref().is_none_or(|s| m.state_changed >= *s))
        .map(|m| m.entry)
        .collect();
    if filter.arrival_order.as_deref() == Some("descending") {
        entries.reverse();
    }
    if let Some(attr) = &filter.sort_attribute {
        entries.sort_by_key(|e| sort_key(e, attr));
        if matches!(filter.sort_order.as_deref(), Some("desc" | "descending")) {
            entries.reverse();
        }
    }
    entries.truncate(
        filter
            .maxhits
            .map(|m| m as usize)
            .unwrap_or(DEFAULT_MAXHITS),
    );
    if faults.contains(&FaultKind::Duplicate) {
        entries = entries.into_iter().flat_map(|e| [e.clone(), e]).collect();
    }
    let body = MessageList { messages: entries }.to_xml();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=ISO-8859-1")],
        body,
    )
        .into_response()
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 3 <= b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn fetch(
    State(shared): St,
    Extension(conn): Extension<ConnInfo>,
    Path((outbox, tx_id)): Path<(String, String)>,
) -> Response {
    let faults = match apply_faults(&shared, Endpoint::Fetch).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let outbox = match outbox_of(&outbox, &conn) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let raw = match db::raw_for_fetch(&shared.pool, &outbox, &tx_id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return text(
                StatusCode::NOT_FOUND,
                format!("Message entry not found in message log: {tx_id}"),
            )
        }
        Err(e) => return internal(e),
    };
    let len = raw.len();
    if faults.contains(&FaultKind::Reset) {
        // Half the body, then the connection breaks; the message stays listed.
        let half = Bytes::from(raw).slice(..len / 2);
        let stream = futures_util::stream::iter(vec![
            Ok::<Bytes, std::io::Error>(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected reset",
            )),
        ]);
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "message/rfc822")
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from_stream(stream))
            .unwrap_or_else(internal);
    }
    let now = format_time(shared.context().now_local);
    if let Err(e) = db::mark_fetched(&shared.pool, &tx_id, &now).await {
        return internal(e);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "message/rfc822")],
        raw,
    )
        .into_response()
}

async fn ack(
    State(shared): St,
    Extension(conn): Extension<ConnInfo>,
    Path((outbox, tx_id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("action").map(String::as_str) != Some("ack") {
        return text(StatusCode::BAD_REQUEST, "only ?action=ack is supported");
    }
    if let Err(r) = apply_faults(&shared, Endpoint::Ack).await {
        return r;
    }
    let outbox = match outbox_of(&outbox, &conn) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let m = match db::get(&shared.pool, &tx_id).await {
        Ok(Some(m)) if m.outbox == outbox => m,
        Ok(_) => {
            return text(
                StatusCode::NOT_FOUND,
                format!("Message entry not found in message log: {tx_id}"),
            )
        }
        Err(e) => return internal(e),
    };
    let ctx = shared.context();
    let now = format_time(ctx.now_local);
    let was = match db::mark_acked(&shared.pool, &tx_id, &now).await {
        Ok(w) => w,
        Err(e) => return internal(e),
    };
    if !was && m.sequence_type != "adm" {
        let doc = Management::confirmation(&m.corr_id, &m.content_id, ctx.now_local);
        let reply = OutboundReply {
            to: m.sender.clone(),
            product: "confirm".into(),
            subject: None,
            corr_id: Some(m.corr_id.clone()),
            content_id: Some(m.content_id.clone()),
            meta: Vec::new(),
            sequence_type: SequenceType::Adm,
            status: Some(m.entry.status),
            parts: vec![DataPart::new(
                "confirm",
                Some("confirm.xml"),
                "text/xml; charset=ISO-8859-1",
                doc.to_xml(),
            )],
        };
        // The confirm comes from the acknowledging actor (the outbox owner), to the original sender.
        let mut msg = build_reply(&shared, &ctx, reply);
        msg.label.from = Some(Address::new(&m.outbox, Some("")));
        let raw = match msg.to_bytes() {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
        let meta = stored_meta(&msg.label, &now, raw.len() as u64);
        if let Err(e) = db::insert(
            &shared.pool,
            NewMessage {
                meta: &meta,
                hidden_lists: 0,
                raw: &raw,
            },
        )
        .await
        {
            return internal(e);
        }
    }
    text(StatusCode::OK, "OK")
}
