//! The ops console under `/console` (issue 17): server-rendered pages from askama templates in `templates/console/`
//! (checked at compile time, HTML-escaped by default), one stylesheet (`/fogd.css`), no script, so the strict CSP
//! of [`crate::api::security`] holds. One file per page: [`overview`] (cases per state and kind with amounts, what
//! needs a person now, the chart of cases sent/accepted/rejected per day), [`cases`] (filtered list with keyset
//! paging and CSV/xlsx export), [`case`] (content, timeline, files, notes; hold, release, note) with
//! [`case_life`] (ledger, deadlines, begäran; request överlämnande/verkställighet, paper decision), [`review`] (the
//! journal: what each case claims; approve or hold selected or all shown), [`files`] (list and detail: attempts,
//! kvittens with felkod and advice, the cases carried), [`problems`] (invalid and rejected cases, every error and
//! what to do), [`search`] (reference, målnummer, invoice and customer number, tx.id, file name, and for operators
//! the debtor's number or name; index-backed), [`alerts`] (active and recent alerts; acknowledge).
//!
//! Sign-in is the ops page's (a session cookie, or a bearer token); every page needs [`Permission::View`]. Every
//! form that changes something carries the session's anti-forgery token, checked here ([`check_csrf`]), and the
//! origin guard of [`crate::api::security`] applies as on every route. Personal numbers are shown in full only to
//! roles with [`Permission::PersonalNumbers`] (operator, admin), masked for viewers ([`crate::mask`]). Times are
//! Stockholm local time, amounts Swedish ([`format`]).

// The pages' checks return the answer to give (a redirect, a 403 page) as their error: a handler returns it at
// once, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

pub mod alerts;
pub mod case;
pub mod case_life;
pub mod cases;
pub mod chart;
pub mod files;
pub mod format;
pub mod latency;
pub mod overview;
pub mod problems;
pub mod review;
pub mod search;

use crate::api::auth::Caller;
use crate::api::security::tokens_equal;
use crate::api::AppState;
use crate::store::Permission;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The console's routes (merged into [`crate::api::router`]).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/console", get(overview::page))
        .route("/console/cases", get(cases::page))
        .route("/console/cases.csv", get(cases::export_csv))
        .route("/console/cases.xlsx", get(cases::export_xlsx))
        .route("/console/review", get(review::page).post(review::act))
        .route("/console/files", get(files::list))
        .route("/console/file/{id}", get(files::detail))
        .route("/console/problems", get(problems::page))
        .route("/console/search", get(search::page))
        .route("/console/alerts", get(alerts::page))
        .route("/console/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/console/case/{id}", get(case::page))
        .route("/console/case/{id}/hold", post(case::hold))
        .route("/console/case/{id}/release", post(case::release))
        .route("/console/case/{id}/note", post(case::note))
        .route("/console/case/{id}/request", post(case_life::request))
        .route("/console/case/{id}/decision", post(case_life::decision))
}

/// What every page shows around its content: title, the current navigation item, who is signed in and the
/// session's anti-forgery token (for the sign-out form).
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page title.
    pub title: String,
    /// Navigation item marked current (`overview`, `cases`).
    pub nav: &'static str,
    /// The token's name.
    pub who: String,
    /// The token's role.
    pub role: String,
    /// The session's anti-forgery token (empty for a bearer caller).
    pub csrf: String,
}

impl Chrome {
    /// The chrome for `caller` on page `title`.
    pub fn new(caller: &Caller, title: impl Into<String>, nav: &'static str) -> Chrome {
        Chrome {
            title: title.into(),
            nav,
            who: caller.token.name.clone(),
            role: caller.token.role.to_string(),
            csrf: session_csrf(caller),
        }
    }
}

/// The caller's session anti-forgery token (empty without a session).
fn session_csrf(caller: &Caller) -> String {
    caller
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default()
}

/// A short page with one message (errors, refusals).
#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    c: Chrome,
    message: &'a str,
}

/// The caller when it may view the console; otherwise the answer to give (a redirect to the sign-in form, 403).
pub fn viewer(caller: Option<Caller>) -> Result<Caller, Response> {
    let Some(caller) = caller else {
        return Err(Redirect::to("/signin").into_response());
    };
    if !caller.token.role.allows(Permission::View) {
        let text = "This token may not view the console.";
        return Err(message(&caller, StatusCode::FORBIDDEN, text));
    }
    Ok(caller)
}

/// A viewer's GET with its query string: the caller as [`viewer`] checks it, and the query, or a 400 page saying
/// `what` (e.g. "filter") is not readable.
pub fn viewer_query<T>(
    caller: Option<Caller>,
    query: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
    what: &str,
) -> Result<(Caller, T), Response> {
    let caller = viewer(caller)?;
    match query {
        Ok(axum::extract::Query(q)) => Ok((caller, q)),
        Err(_) => Err(message(
            &caller,
            StatusCode::BAD_REQUEST,
            &format!("The {what} is not readable."),
        )),
    }
}

/// Refuses (403) unless the caller's role allows `p`.
pub fn require(caller: &Caller, p: Permission) -> Result<(), Response> {
    if caller.token.role.allows(p) {
        Ok(())
    } else {
        let text = format!("Your role ({}) may not do this.", caller.token.role);
        Err(message(caller, StatusCode::FORBIDDEN, &text))
    }
}

/// Refuses (403) a form whose anti-forgery token is not the session's. A bearer caller (no cookie, so no
/// cross-site forgery) has no session token to compare.
pub fn check_csrf(caller: &Caller, form_csrf: &str) -> Result<(), Response> {
    match &caller.session {
        Some(s) if !tokens_equal(&s.csrf, form_csrf) => Err(message(
            caller,
            StatusCode::FORBIDDEN,
            "This form was not served by fogd (anti-forgery token); reload the page and try again.",
        )),
        _ => Ok(()),
    }
}

/// A page with `text` and `status`.
pub fn message(caller: &Caller, status: StatusCode, text: &str) -> Response {
    let page = MessagePage {
        c: Chrome::new(caller, "fogd", ""),
        message: text,
    };
    let mut r = html(&page);
    *r.status_mut() = status;
    r
}

/// A 500 page for a failure, logged with `what`.
pub fn failed(caller: &Caller, what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, page = what, "console");
    message(
        caller,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error (see the log).",
    )
}

/// An HTML answer of a rendered page.
pub fn html_body(body: impl Into<axum::body::Body>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body.into(),
    )
        .into_response()
}

/// Renders a template as an HTML answer (500 when rendering fails).
pub fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => html_body(body),
        Err(e) => {
            tracing::error!(error = %e, "console template");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error (see the log).",
            )
                .into_response()
        }
    }
}

/// The debtor's identity number as `caller` may see it: in full with [`Permission::PersonalNumbers`], masked
/// otherwise.
pub fn id_for(caller: &Caller, digits: &str) -> String {
    if caller.token.role.allows(Permission::PersonalNumbers) {
        id_text(digits)
    } else {
        crate::mask::mask_id(digits)
    }
}

/// A debtor's or creditor's number as `caller` may see it: an organisation number in full (not personal data), a
/// personal number per [`id_for`].
pub fn party_id(caller: &Caller, id: &crate::domain::IdNumber) -> String {
    if id.kind == crate::domain::IdKind::Organisationsnummer {
        id_text(&id.digits)
    } else {
        id_for(caller, &id.digits)
    }
}

/// A stored 12-digit identity number as people write it: `19121212-1212`, an organisation number (`16` + 10
/// digits) as `556036-0793`.
pub fn id_text(digits: &str) -> String {
    match (digits.len(), digits.get(..2), digits.is_ascii()) {
        (12, Some("16"), true) => format!("{}-{}", &digits[2..8], &digits[8..]),
        (12, _, true) => format!("{}-{}", &digits[..8], &digits[8..]),
        _ => digits.to_string(),
    }
}
