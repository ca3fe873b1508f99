//! `GET /console/search?q=`: one box for case reference, målnummer (with the follow-ups that name it), invoice
//! number, customer number (each exact or as a prefix), a file's tx.id or name (exact). Index-backed
//! ([`crate::store::Store::search_case_keys`]: a range of the `case_keys` index), so it answers alike at a million
//! cases. For roles that may see personal data ([`Permission::PersonalNumbers`]) the same box finds cases by a
//! debtor's personal or organisation number (exact, any common spelling) or name (exact, case and whitespace
//! ignored) through `debtor_keys` ([`crate::store::Store::search_debtor_key`]); other roles get no hits by person
//! and a note saying why.

use super::cases::CaseItem;
use super::files::FileItem;
use super::{failed, html, message, viewer_query, Chrome};
use crate::api::auth::MaybeCaller;
use crate::api::AppState;
use crate::store::debtor_keys::query_key;
use crate::store::Permission;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// Hits shown at most, of cases and of files each.
pub const HITS: i64 = 100;

/// The query.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// What to look for.
    #[serde(default)]
    pub q: String,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    cases: Vec<CaseItem>,
    files: Vec<FileItem>,
    /// Cases found by a debtor's number or name.
    debtors: Vec<CaseItem>,
    /// Why the search did not look at debtors (empty when it did).
    person_note: String,
}

/// `GET /console/search`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (caller, q) = match viewer_query(caller, q, "search") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let max = state.config.limits.max_search_chars;
    if q.q.chars().count() > max {
        let text = format!("q: longer than {max} characters ([limits] max_search_chars).");
        return message(&caller, StatusCode::BAD_REQUEST, &text);
    }
    let text = q.q.trim().to_string();
    let mut page = SearchPage {
        c: Chrome::new(&caller, "Search", "search"),
        q: text.clone(),
        cases: Vec::new(),
        files: Vec::new(),
        debtors: Vec::new(),
        person_note: String::new(),
    };
    if text.is_empty() {
        return html(&page);
    }
    let rows = match state.store.search_case_keys(&text, HITS).await {
        Ok(r) => r,
        Err(e) => return failed(&caller, "search", &e),
    };
    for r in &rows {
        match CaseItem::of(&caller, r) {
            Ok(i) => page.cases.push(i),
            Err(e) => return failed(&caller, "search", &e),
        }
    }
    match state.store.search_files(&text, HITS).await {
        Ok(files) => page.files = files.iter().map(FileItem::of).collect(),
        Err(e) => return failed(&caller, "search", &e),
    }
    if !caller.token.role.allows(Permission::PersonalNumbers) {
        page.person_note = format!(
            "Debtors' names and personal numbers are not searched for your role ({}): they are personal data.",
            caller.token.role
        );
        return html(&page);
    }
    let today = super::format::day_of(state.clock.now());
    if let Some(key) = query_key(&text, today) {
        let rows = match state.store.search_debtor_key(&key, HITS).await {
            Ok(r) => r,
            Err(e) => return failed(&caller, "search", &e),
        };
        for r in &rows {
            match CaseItem::of(&caller, r) {
                Ok(i) => page.debtors.push(i),
                Err(e) => return failed(&caller, "search", &e),
            }
        }
    }
    html(&page)
}
