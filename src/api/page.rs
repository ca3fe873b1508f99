//! The ops web page at `/`: server-rendered HTML (no JavaScript), refreshing itself every
//! [`REFRESH_SECS`] seconds. Shows banners for active alerts and for files whose kvittens is overdue (computed
//! from the store, so it shows without the alert job too), case counts per state, the files (löpnummer, filtyp,
//! state, sent time, tx.id, kvittens status and errors), the journal waiting for review, rejected cases with their
//! felkod, text and what to do, the scheduled jobs, and a search by case reference, målnummer (also finding the
//! follow-ups of that case), invoice number or customer number, or a file's tx.id or name. Personal numbers are
//! masked ([`crate::mask`]).
//!
//! Sign-in: a form that takes a token whose role may view (viewer, operator, admin) and sets an HttpOnly,
//! SameSite=Strict session cookie; a bearer header works too.

use super::auth::{token_lookup, MaybeCaller, SESSION_COOKIE, SESSION_TTL};
use super::AppState;
use crate::domain::{CaseState, FileState};
use crate::formats::felkod::{advice, Felkoder};
use crate::store::{CaseRow, Permission};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Seconds between automatic refreshes of the page.
pub const REFRESH_SECS: u32 = 30;
/// Rows shown per table.
pub const ROWS: i64 = 50;

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
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;margin-bottom:1.5em}}\
         td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left}}.banner{{background:#fdd;border:1px solid #c00;\
         padding:.5em;margin:.3em 0}}</style></head><body>{body}</body></html>",
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

fn file_table<'a>(id: &str, files: impl Iterator<Item = &'a crate::store::FileRow>) -> String {
    let mut t = format!(
        "<table id=\"{id}\"><thead><tr><th>Id</th><th>Löpnummer</th><th>Filtyp</th><th>File</th><th>Cases</th>\
         <th>State</th><th>Sent</th><th>tx.id</th><th>Kvittens</th><th>Errors</th></tr></thead><tbody>"
    );
    for f in files {
        let errors: Vec<crate::formats::KvittensError> = f
            .kvittens_errors_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        let mut err_text: Vec<String> = errors
            .iter()
            .map(|e| match &e.handlingsref {
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
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.lopnummer,
            esc(&f.filtyp),
            esc(&f.file_name),
            f.case_count,
            f.state,
            esc(f.sent_at.as_deref().unwrap_or("")),
            esc(&f.tx_id),
            esc(f.kvittens_status.map_or("", |k| k.as_str())),
            esc(&err_text.join("; ")),
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
    Query(q): Query<PageQuery>,
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
    let key = format!("page:{}:{}", caller.token.id, q.q.as_deref().unwrap_or(""));
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
    match render(&state, &caller.token.name, q.q.as_deref()).await {
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

async fn render(
    state: &AppState,
    who: &str,
    q: Option<&str>,
) -> Result<String, crate::store::StoreError> {
    let mut b = String::with_capacity(16 * 1024);
    let _ = write!(
        b,
        "<h1>fogd</h1><form method=\"post\" action=\"/signout\"><span>Signed in as {}</span> \
         <button id=\"signout\">Sign out</button></form>",
        esc(who)
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
            b.push_str(&file_table("file-results", hits.into_iter().rev()));
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
    b.push_str(&file_table("files", files.iter().rev().take(ROWS as usize)));
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

/// `GET /signin`: the sign-in form.
pub async fn signin_form() -> Html<String> {
    Html(page("fogd — sign in", SIGNIN_FORM, false))
}

const SIGNIN_FORM: &str = "<h1>fogd</h1><form id=\"signin-form\" method=\"post\" action=\"/signin\">\
    <label>Token <input id=\"token\" name=\"token\" type=\"password\" size=\"70\" autocomplete=\"off\"></label> \
    <button id=\"signin\">Sign in</button></form>";

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// The token.
    pub token: String,
}

/// `POST /signin`: checks the token, sets the session cookie, redirects to `/`.
pub async fn signin(State(state): State<Arc<AppState>>, Form(f): Form<SignIn>) -> Response {
    let row = match token_lookup(&state, f.token.trim()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(row) = row.filter(|r| r.role.allows(Permission::View)) else {
        return (
            StatusCode::UNAUTHORIZED,
            Html(page(
                "fogd — sign in",
                &format!("<p id=\"signin-error\">Unknown token, or its role may not view.</p>{SIGNIN_FORM}"),
                false,
            )),
        )
            .into_response();
    };
    tracing::info!(token = %row.name, "signed in");
    let id = state.auth.start_session(row);
    let cookie = format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// `POST /signout`: ends the session.
pub async fn signout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let cookie_value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string());
    if let Some(id) = cookie_value {
        state.auth.end_session(&id);
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/signin")).into_response()
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
