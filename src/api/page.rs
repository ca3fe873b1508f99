//! The ops web page at `/`: server-rendered HTML (no JavaScript), refreshing itself every
//! [`REFRESH_SECS`] seconds. Shows banners for active alerts and for files whose kvittens is overdue (computed
//! from the store, so it shows without the alert job too), case counts per state, the files (löpnummer, filtyp,
//! state, sent time, tx.id, kvittens status and errors, next send attempt, and for operators a "Retry now" button on
//! a file waiting for a send retry), the journal waiting for review, rejected cases with their
//! felkod, text and what to do, the scheduled jobs, and a search by case reference, målnummer (also finding the
//! follow-ups of that case), invoice number or customer number, or a file's tx.id or name. Personal numbers are
//! masked ([`crate::mask`]).
//!
//! Sign-in: a form that takes a token whose role may view (viewer, operator, admin) and sets an HttpOnly,
//! SameSite=Strict session cookie (`Secure` when the browser came over HTTPS); a bearer header works too. The
//! sign-in form is protected against login CSRF by a nonce in a short-lived cookie that the form echoes; failed
//! sign-ins are logged and throttled per client address (`[limits] signin_failures_per_minute`). Every other form
//! carries the session's anti-forgery token. No script, no inline style: the stylesheet is `/fogd.css`
//! ([`super::security`] sets the CSP and the other headers).

use super::auth::{cookie, token_lookup, MaybeCaller, SESSION_COOKIE, SESSION_TTL};
use super::security::{client_ip, is_https, tokens_equal};
use super::AppState;
use crate::domain::{CaseState, FileState};
use crate::formats::felkod::{advice, Felkoder};
use crate::http_server::ConnInfo;
use crate::store::{CaseRow, Permission};
use axum::extract::{Form, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Seconds between automatic refreshes of the page.
pub const REFRESH_SECS: u32 = 30;
/// Rows shown per table.
pub const ROWS: i64 = 50;
/// Cookie holding the sign-in form's nonce (login CSRF protection).
pub const SIGNIN_COOKIE: &str = "fogd_signin";
/// How long a sign-in form stays valid.
pub const SIGNIN_FORM_TTL_SECS: u64 = 600;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str, refresh: bool) -> String {
    let meta = if refresh {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">")
    } else {
        String::new()
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{meta}<title>{}</title>\
         <link rel=\"stylesheet\" href=\"/fogd.css\"></head><body>{body}</body></html>",
        esc(title)
    )
}

/// Query of the ops page.
#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    /// Search text.
    pub q: Option<String>,
}

/// The debtors' personal numbers, masked. The input is kept only for invalid cases; a valid case has them in its
/// validated JSON, as `{"kind": …, "digits": …}`.
fn debtor_ids(row: &CaseRow) -> String {
    let json = match row.case_json.as_deref() {
        Some(case) if row.input_json.is_empty() => case,
        _ => &row.input_json,
    };
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    v.get("debtors")
        .and_then(|d| d.as_array())
        .map(|ds| {
            ds.iter()
                .filter_map(|d| {
                    let id = d.get("id")?;
                    id.as_str()
                        .or_else(|| id.get("digits").and_then(|x| x.as_str()))
                })
                .map(crate::mask::mask_id)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn case_table(id: &str, rows: &[CaseRow]) -> String {
    let mut t = format!(
        "<table id=\"{id}\"><thead><tr><th>Reference</th><th>Kind</th><th>State</th><th>Målnummer</th>\
         <th>Debtor</th><th>Updated</th></tr></thead><tbody>"
    );
    for r in rows {
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.reference),
            esc(&r.kind),
            r.state,
            esc(r.malnummer.as_deref().unwrap_or("")),
            esc(&debtor_ids(r)),
            esc(&r.updated_at)
        );
    }
    t.push_str("</tbody></table>");
    t
}

/// Whether a file waits for a send retry after its back-off (the "Retry now" button's files).
fn waits_for_retry(f: &crate::store::FileRow, now: chrono::DateTime<chrono::Utc>) -> bool {
    FileState::TO_SEND.contains(&f.state)
        && f.next_attempt_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t > now)
}

/// The files table. `retry` carries the session's anti-forgery token when the caller may "retry now": files waiting
/// for a send retry then get a button posting to `/files/{id}/retry`.
fn file_table<'a>(
    id: &str,
    files: impl Iterator<Item = &'a crate::store::FileRow>,
    now: chrono::DateTime<chrono::Utc>,
    retry: Option<&str>,
) -> String {
    let mut t = format!(
        "<table id=\"{id}\"><thead><tr><th>Id</th><th>Löpnummer</th><th>Filtyp</th><th>File</th><th>Cases</th>\
         <th>State</th><th>Sent</th><th>tx.id</th><th>Kvittens</th><th>Errors</th><th>Next attempt</th>\
         <th>Action</th></tr></thead><tbody>"
    );
    for f in files {
        let next = if FileState::TO_SEND.contains(&f.state) {
            f.next_attempt_at.as_deref().unwrap_or("")
        } else {
            ""
        };
        let action = match retry {
            Some(csrf) if waits_for_retry(f, now) => format!(
                "<form method=\"post\" action=\"/files/{id}/retry\"><input type=\"hidden\" name=\"csrf\" \
                 value=\"{}\"><button id=\"retry-{id}\">Retry now</button></form>",
                esc(csrf),
                id = f.id
            ),
            _ => String::new(),
        };
        let errors: Vec<crate::formats::KvittensError> = f
            .kvittens_errors_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        let mut err_text: Vec<String> = errors
            .iter()
            .map(|e| match &e.reference {
                Some(r) => format!("{r}: {} {}", e.felkod, e.feltext),
                None => format!("{} {}", e.felkod, e.feltext),
            })
            .collect();
        if f.kvittens_status.is_none() {
            if let Some(e) = &f.last_error {
                err_text.push(e.clone());
            }
        }
        let _ = write!(
            t,
            "<tr><td><a href=\"/api/v1/files/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.lopnummer,
            esc(&f.filtyp),
            esc(&f.file_name),
            f.case_count,
            f.state,
            esc(f.sent_at.as_deref().unwrap_or("")),
            esc(&f.tx_id),
            esc(f.kvittens_status.map_or("", |k| k.as_str())),
            esc(&err_text.join("; ")),
            esc(next),
            action,
            id = f.id,
        );
    }
    t.push_str("</tbody></table>");
    t
}

fn html_body(body: axum::body::Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `GET /`: the ops page (or a redirect to the sign-in form).
pub async fn ops_page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    if caller.require(Permission::View).is_err() {
        return (
            StatusCode::FORBIDDEN,
            Html(page(
                "fogd",
                "<p>This token may not view the ops page.</p>",
                false,
            )),
        )
            .into_response();
    }
    let Ok(Query(q)) = q else {
        return bad_page("The search is not readable.");
    };
    let max = state.config.limits.max_search_chars;
    if q.q.as_deref().is_some_and(|t| t.chars().count() > max) {
        return bad_page(&format!(
            "The search text is longer than {max} characters ([limits] max_search_chars)."
        ));
    }
    let csrf = caller
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let key = format!(
        "page:{}:{}:{}",
        caller.token.id,
        csrf,
        q.q.as_deref().unwrap_or("").trim()
    );
    let max_age = Some(super::cache::PAGE_MAX_AGE);
    if let Some(body) = state.cache.get(&key, max_age) {
        return html_body(body);
    }
    let lock = state.cache.render_lock(&key);
    let _rendering = lock.lock().await;
    if let Some(body) = state.cache.get(&key, max_age) {
        return html_body(body);
    }
    let generation = state.cache.generation();
    let may_retry = caller.session.is_some() && caller.require(Permission::RetrySend).is_ok();
    match render(&state, &caller.token.name, q.q.as_deref(), &csrf, may_retry).await {
        Ok(html) => {
            let body = axum::body::Bytes::from(html);
            state.cache.put(key, generation, body.clone());
            html_body(body)
        }
        Err(e) => {
            tracing::error!(error = %e, "ops page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(page("fogd", "<p>Internal error (see the log).</p>", true)),
            )
                .into_response()
        }
    }
}

/// A 400 page with `message` (a bad search).
fn bad_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page(
            "fogd",
            &format!(
                "<p id=\"page-error\">{}</p><p><a href=\"/\">Back</a></p>",
                esc(message)
            ),
            false,
        )),
    )
        .into_response()
}

async fn render(
    state: &AppState,
    who: &str,
    q: Option<&str>,
    csrf: &str,
    may_retry: bool,
) -> Result<String, crate::store::StoreError> {
    let retry = may_retry.then_some(csrf);
    let mut b = String::with_capacity(16 * 1024);
    let _ = write!(
        b,
        "<h1>fogd</h1><form method=\"post\" action=\"/signout\"><span>Signed in as {}</span> \
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"> <button id=\"signout\">Sign out</button></form>\
         <p><a id=\"console-link\" href=\"/console\">Open the ops console</a> (overview, cases, review queue, files, \
         search)</p>",
        esc(who),
        esc(csrf)
    );
    let files = state.store.list_files().await?;
    let overdue_min = state.config.batch.kvittens_overdue_minutes;
    let now = state.clock.now();
    let overdue: Vec<&crate::store::FileRow> = files
        .iter()
        .filter(|f| {
            f.state == FileState::Sent
                && f.sent_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| {
                        now - t.with_timezone(&chrono::Utc)
                            >= chrono::Duration::minutes(i64::from(overdue_min))
                    })
        })
        .collect();
    if !overdue.is_empty() {
        let names: Vec<String> = overdue
            .iter()
            .map(|f| format!("{} (löpnummer {})", f.file_name, f.lopnummer))
            .collect();
        let _ = write!(
            b,
            "<div class=\"banner\" id=\"receipts-overdue\">Kvittens overdue (more than {overdue_min} minutes) \
             for {} file(s): {}</div>",
            overdue.len(),
            esc(&names.join(", "))
        );
    }
    if let Some(alerter) = &state.alerter {
        // Overdue kvittens have the banner above.
        for a in alerter
            .active()
            .into_iter()
            .filter(|a| a.kind != crate::alerts::AlertKind::KvittensOverdue)
        {
            let _ = write!(
                b,
                "<div class=\"banner\" data-kind=\"{:?}\">{} (since {})</div>",
                a.kind,
                esc(&a.message),
                esc(&a.since)
            );
        }
    }
    // Search.
    let qv = q.unwrap_or("");
    let _ = write!(
        b,
        "<h2>Search</h2><form id=\"search\" method=\"get\" action=\"/\"><input id=\"q\" name=\"q\" value=\"{}\" \
         placeholder=\"reference, målnummer, invoice or customer number, tx.id\" size=\"40\"> \
         <button id=\"search-button\">Search</button></form>",
        esc(qv)
    );
    if !qv.trim().is_empty() {
        let rows = state.store.search_cases(qv, ROWS).await?;
        let _ = write!(b, "<p id=\"result-count\">{} found</p>", rows.len());
        b.push_str(&case_table("results", &rows));
        let q = qv.trim();
        let hits: Vec<&crate::store::FileRow> = files
            .iter()
            .filter(|f| f.tx_id == q || f.file_name == q)
            .collect();
        if !hits.is_empty() {
            b.push_str(&file_table(
                "file-results",
                hits.into_iter().rev(),
                now,
                retry,
            ));
        }
    }
    // Counts.
    let counts = state.store.count_by_state().await?;
    b.push_str("<h2>Cases per state</h2><table id=\"counts\"><thead><tr><th>State</th><th>Cases</th></tr></thead><tbody>");
    for (s, n) in &counts {
        let _ = write!(b, "<tr><td>{s}</td><td>{n}</td></tr>");
    }
    b.push_str("</tbody></table>");
    // Files, newest first.
    b.push_str("<h2>Files</h2>");
    b.push_str(&file_table(
        "files",
        files.iter().rev().take(ROWS as usize),
        now,
        retry,
    ));
    // Journal.
    let waiting = state
        .store
        .cases_page(&[CaseState::Journal, CaseState::Held], ROWS, 0)
        .await?;
    b.push_str("<h2>Waiting for review</h2><table id=\"journal\"><thead><tr><th>Reference</th><th>Kind</th><th>State</th><th>Why held</th></tr></thead><tbody>");
    for r in &waiting {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.reference),
            esc(&r.kind),
            r.state,
            esc(r.hold_reason.as_deref().unwrap_or(""))
        );
    }
    b.push_str("</tbody></table>");
    // Rejected.
    let rejected = state
        .store
        .cases_page(&[CaseState::Rejected], ROWS, 0)
        .await?;
    b.push_str("<h2>Rejected cases</h2><table id=\"rejected\"><thead><tr><th>Reference</th><th>Kind</th><th>Felkod and text</th><th>What to do</th></tr></thead><tbody>");
    let ids: Vec<i64> = rejected.iter().map(|r| r.id).collect();
    let infos = state.store.case_file_info_for(&ids).await?;
    let table = Felkoder::embedded();
    for r in &rejected {
        let events = state.store.case_events(r.id).await?;
        let reason = events
            .iter()
            .rev()
            .find(|e| e.to_state == CaseState::Rejected)
            .and_then(|e| e.reason.clone())
            .unwrap_or_default();
        let rejections = match infos.iter().find(|i| i.case_id == r.id) {
            Some(info) => info.rejections()?.unwrap_or_default(),
            None => Vec::new(),
        };
        let found = table.lookup(rejections.iter().map(|x| x.felkod.as_str()));
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.reference),
            esc(&r.kind),
            esc(&reason),
            esc(advice(&found))
        );
    }
    b.push_str("</tbody></table>");
    // Jobs.
    b.push_str("<h2>Scheduled jobs</h2><table id=\"jobs\"><thead><tr><th>Job</th><th>Runs</th><th>Failures</th><th>Running</th></tr></thead><tbody>");
    for (name, s) in &state.jobs {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            s.runs.load(Ordering::Relaxed),
            s.failures.load(Ordering::Relaxed),
            if s.running.load(Ordering::Relaxed) {
                "yes"
            } else {
                "no"
            }
        );
    }
    b.push_str("</tbody></table>");
    let _ = write!(
        b,
        "<p><small>Refreshes every {REFRESH_SECS} s. API: <a href=\"/api/v1/openapi.json\">OpenAPI</a>, \
         <a href=\"/metrics\">metrics</a>.</small></p>"
    );
    Ok(page("fogd — operations", &b, true))
}

/// The sign-in form with its nonce.
fn signin_page(nonce: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p id=\"signin-error\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        "fogd — sign in",
        &format!(
            "<h1>fogd</h1>{error}<form id=\"signin-form\" method=\"post\" action=\"/signin\">\
             <input type=\"hidden\" name=\"nonce\" value=\"{}\">\
             <label>Token <input id=\"token\" name=\"token\" type=\"password\" size=\"70\" autocomplete=\"off\"></label> \
             <button id=\"signin\">Sign in</button></form>",
            esc(nonce)
        ),
        false,
    )
}

/// `; Secure` when the browser came over HTTPS.
fn secure_attr(state: &AppState, parts: &Parts) -> &'static str {
    if is_https(
        &state.config,
        &parts.headers,
        parts.extensions.get::<ConnInfo>(),
    ) {
        "; Secure"
    } else {
        ""
    }
}

/// The sign-in form, with a fresh nonce in a cookie for the form to echo (`status` and an error line when the
/// last attempt failed).
fn signin_answer(
    state: &AppState,
    parts: &Parts,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let nonce = crate::store::tokens::generate_token();
    let cookie = format!(
        "{SIGNIN_COOKIE}={nonce}; HttpOnly; SameSite=Strict; Path=/signin; Max-Age={SIGNIN_FORM_TTL_SECS}{}",
        secure_attr(state, parts)
    );
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Html(signin_page(&nonce, error)),
    )
        .into_response()
}

/// `GET /signin`: the sign-in form.
pub async fn signin_form(
    State(state): State<Arc<AppState>>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    signin_answer(&state, &parts, StatusCode::OK, None)
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// The token.
    pub token: String,
    /// The form's nonce (equal to the sign-in cookie's).
    #[serde(default)]
    pub nonce: String,
}

/// `POST /signin`: checks the form's nonce and the token, sets the session cookie, redirects to `/`. Failures
/// are logged with the client's address; past `[limits] signin_failures_per_minute` failures an address gets 429
/// until its minute is over.
pub async fn signin(State(state): State<Arc<AppState>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let ip = client_ip(
        &state.config,
        &parts.headers,
        parts.extensions.get::<ConnInfo>(),
    );
    let limit = state.config.limits.signin_failures_per_minute;
    if let Some(wait) = ip.and_then(|ip| state.auth.signin.blocked(ip, limit)) {
        let mut r = signin_answer(
            &state,
            &parts,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed sign-ins from your address; try again in {wait} s."
            )),
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let req = axum::extract::Request::from_parts(parts.clone(), body);
    let f = match <Form<SignIn> as axum::extract::FromRequest<()>>::from_request(req, &()).await {
        Ok(Form(f)) => f,
        Err(e) => return e.into_response(),
    };
    let nonce_ok =
        cookie(&parts, SIGNIN_COOKIE).is_some_and(|c| !c.is_empty() && tokens_equal(&c, &f.nonce));
    if !nonce_ok {
        tracing::warn!(client = ?ip, "sign-in refused: the form's nonce does not match its cookie (login CSRF?)");
        return signin_answer(
            &state,
            &parts,
            StatusCode::FORBIDDEN,
            Some("This sign-in form has expired or was not served by fogd; sign in again."),
        );
    }
    let row = match token_lookup(&state, f.token.trim()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(row) = row.filter(|r| r.role.allows(Permission::View)) else {
        let n = ip.map(|ip| state.auth.signin.failed(ip)).unwrap_or(0);
        tracing::warn!(client = ?ip, failures_this_minute = n, "sign-in failed: unknown token, or its role may not view");
        return signin_answer(
            &state,
            &parts,
            StatusCode::UNAUTHORIZED,
            Some("Unknown token, or its role may not view."),
        );
    };
    let (id, _csrf) = match state
        .auth
        .start_session(&state.store, &row, state.clock.now())
        .await
    {
        Ok(s) => s,
        Err(e) => return super::ApiError::from(e).into_response(),
    };
    tracing::info!(token = %row.name, client = ?ip, "signed in");
    let secure = secure_attr(&state, &parts);
    let session = format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_TTL.as_secs()
    );
    let spent =
        format!("{SIGNIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/signin; Max-Age=0{secure}");
    let mut r = Redirect::to("/").into_response();
    for c in [session, spent] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub struct SignOut {
    /// The session's anti-forgery token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /signout`: ends the session (the form must carry the session's token).
pub async fn signout(State(state): State<Arc<AppState>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let secure = secure_attr(&state, &parts);
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    let Some(id) = cookie(&parts, SESSION_COOKIE) else {
        return ([(header::SET_COOKIE, clear)], Redirect::to("/signin")).into_response();
    };
    let req = axum::extract::Request::from_parts(parts, body);
    let f = match <Form<SignOut> as axum::extract::FromRequest<()>>::from_request(req, &()).await {
        Ok(Form(f)) => f,
        Err(e) => return e.into_response(),
    };
    match state.auth.session(&state.store, &id, state.clock.now()).await {
        Ok(Some(s)) if tokens_equal(&s.csrf, &f.csrf) => {}
        Ok(Some(_)) => {
            return (
                StatusCode::FORBIDDEN,
                Html(page(
                    "fogd",
                    "<p id=\"page-error\">This sign-out form was not served by fogd (anti-forgery token).</p>",
                    false,
                )),
            )
                .into_response()
        }
        Ok(None) => {}
        Err(e) => return super::ApiError::from(e).into_response(),
    }
    if let Err(e) = state.auth.end_session(&state.store, &id).await {
        return super::ApiError::from(e).into_response();
    }
    ([(header::SET_COOKIE, clear)], Redirect::to("/signin")).into_response()
}

/// The "Retry now" form's fields.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    /// The session's anti-forgery token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /files/{id}/retry`: the files table's "Retry now" button (session with a role that may retry, the form
/// carrying the session's anti-forgery token); does what `POST /api/v1/files/{id}/retry` does and goes back to
/// the page.
pub async fn retry_form(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(f): Form<RetryForm>,
) -> Response {
    let refuse = |status: StatusCode, text: &str| {
        (
            status,
            Html(page(
                "fogd",
                &format!(
                    "<p id=\"page-error\">{}</p><p><a href=\"/\">Back</a></p>",
                    esc(text)
                ),
                false,
            )),
        )
            .into_response()
    };
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Some(session) = &caller.session else {
        return refuse(
            StatusCode::FORBIDDEN,
            "This form needs a signed-in session.",
        );
    };
    if !tokens_equal(&session.csrf, &f.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This form was not served by fogd (anti-forgery token).",
        );
    }
    if caller.require(Permission::RetrySend).is_err() {
        return refuse(
            StatusCode::FORBIDDEN,
            "This token may not retry files (operator or admin).",
        );
    }
    let Ok(id) = id.parse::<i64>() else {
        return refuse(StatusCode::BAD_REQUEST, "The file id is not a number.");
    };
    match super::files::retry_now(&state, id, &caller.actor()).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => refuse(e.status, &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_advises() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let table = Felkoder::embedded();
        assert!(advice(&table.lookup(["0001"])).starts_with("File-level"));
        assert!(advice(&table.lookup(["9999"])).starts_with("Correct the case"));
    }
}
