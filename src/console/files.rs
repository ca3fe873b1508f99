//! `GET /console/files`: the files, newest first with keyset paging (löpnummer, series, state, tx.id, attempts,
//! kvittens and errors). `GET /console/file/{id}`: one file: löpnummer and series, the transaction file and the
//! missiv with their hashes, tx.id, every time it went through (built, sent, confirmed, receipted), the send attempts
//! with the last error, the kvittens with each error (felkod, text, the case it names) and what to do
//! ([`crate::formats::felkod::advice`]), the messages Kronofogden sent about it, and the cases it carried; for
//! operators and admins, links to download the file and missiv as sent (`/api/v1/files/{id}/raw`).

use super::cases::CaseItem;
use super::{failed, format, html, message, viewer, Chrome};
use crate::api::auth::MaybeCaller;
use crate::api::AppState;
use crate::formats::felkod::{advice, Felkoder};
use crate::store::console::CaseFilter;
use crate::store::FileRow;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// Files per page.
pub const PAGE: i64 = 50;
/// Cases of a file shown on its page.
pub const FILE_CASES: i64 = 500;

/// A file as a list row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileItem {
    /// Row id.
    pub id: i64,
    /// Löpnummer.
    pub lopnummer: i64,
    /// Series: intressentkod and filtyp.
    pub series: String,
    /// File name.
    pub name: String,
    /// Cases carried.
    pub cases: i64,
    /// State.
    pub state: String,
    /// Built (Stockholm).
    pub built: String,
    /// Sent (Stockholm).
    pub sent: String,
    /// tx.id.
    pub tx_id: String,
    /// Send attempts.
    pub attempts: i64,
    /// Kvittens status.
    pub kvittens: String,
    /// Errors: the kvittens's, or the last send error while there is no kvittens.
    pub errors: String,
}

impl FileItem {
    /// The list row of `f`.
    pub fn of(f: &FileRow) -> FileItem {
        let mut errors: Vec<String> = f
            .kvittens_errors()
            .unwrap_or_default()
            .iter()
            .map(|e| match &e.reference {
                Some(r) => format!("{r}: {} {}", e.felkod, e.feltext),
                None => format!("{} {}", e.felkod, e.feltext),
            })
            .collect();
        if f.kvittens_status.is_none() {
            if let Some(e) = &f.last_error {
                errors.push(e.clone());
            }
        }
        FileItem {
            id: f.id,
            lopnummer: f.lopnummer,
            series: format!("{} {}", f.intressentkod, f.filtyp),
            name: f.file_name.clone(),
            cases: f.case_count,
            state: f.state.to_string(),
            built: format::stored_time(Some(&f.created_at)),
            sent: format::stored_time(f.sent_at.as_deref()),
            tx_id: f.tx_id.clone(),
            attempts: f.attempts,
            kvittens: f
                .kvittens_status
                .map(|k| k.words().to_string())
                .unwrap_or_default(),
            errors: errors.join("; "),
        }
    }
}

#[derive(Template)]
#[template(path = "console/files.html")]
struct FilesPage {
    c: Chrome,
    items: Vec<FileItem>,
    next: Option<i64>,
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct FilesQuery {
    /// Show files below this id.
    pub before: Option<i64>,
}

/// `GET /console/files`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<FilesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(Query(q)) = q else {
        return message(&caller, StatusCode::BAD_REQUEST, "before: not a file id.");
    };
    let rows = match state.store.files_before(q.before, PAGE + 1).await {
        Ok(r) => r,
        Err(e) => return failed(&caller, "files", &e),
    };
    let items: Vec<FileItem> = rows.iter().take(PAGE as usize).map(FileItem::of).collect();
    let next = (rows.len() as i64 > PAGE)
        .then(|| items.last().map(|i| i.id))
        .flatten();
    html(&FilesPage {
        c: Chrome::new(&caller, "Files", "files"),
        items,
        next,
    })
}

/// A kvittens error with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvittensLine {
    /// Nivå (F: the file, H: a case).
    pub niva: String,
    /// The case named (nivå H).
    pub case: String,
    /// Felkod.
    pub felkod: String,
    /// Kronofogden's text.
    pub feltext: String,
    /// What to do.
    pub advice: String,
}

/// A message Kronofogden sent about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLine {
    /// Kind (kvittens, bekräftelse, …).
    pub kind: String,
    /// Received (Stockholm).
    pub received: String,
    /// Its tx.id.
    pub tx_id: String,
    /// Applied (Stockholm), or the error applying it.
    pub applied: String,
}

#[derive(Template)]
#[template(path = "console/file.html")]
struct FilePage {
    c: Chrome,
    f: FileItem,
    facts: Vec<super::case::Fact>,
    kvittens: Vec<KvittensLine>,
    messages: Vec<MessageLine>,
    cases: Vec<CaseItem>,
    /// The raw bytes may be downloaded (they hold personal numbers in full: operators and admins).
    can_download: bool,
}

/// `GET /console/file/{id}`.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return message(&caller, StatusCode::NOT_FOUND, "No such file.");
    };
    let f = match state.store.file_by_id(id).await {
        Ok(Some(f)) => f,
        Ok(None) => return message(&caller, StatusCode::NOT_FOUND, "No such file."),
        Err(e) => return failed(&caller, "file", &e),
    };
    let fact = |label: &'static str, value: String| super::case::Fact { label, value };
    let mut facts = vec![
        fact("Löpnummer", f.lopnummer.to_string()),
        fact("Series", format!("{} {}", f.intressentkod, f.filtyp)),
        fact("Layout", f.layout.clone()),
        fact("State", f.state.to_string()),
        fact(
            "Transaction file",
            format!("{} (SHA-256 {})", f.file_name, f.sha256),
        ),
        fact(
            "Missiv",
            format!("{} (SHA-256 {})", f.missiv_name, f.missiv_sha256),
        ),
        fact("tx.id", f.tx_id.clone()),
        fact(
            "Cases, records",
            format!("{}, {}", f.case_count, f.record_count),
        ),
        fact("TOT-BEL", format::amount(f.total_ore)),
        fact("Built", format::stored_time(Some(&f.created_at))),
        fact("Sent", format::stored_time(f.sent_at.as_deref())),
        fact(
            "Confirmed by the node",
            format::stored_time(f.confirmed_at.as_deref()),
        ),
        fact(
            "Kvittens applied",
            format::stored_time(f.receipted_at.as_deref()),
        ),
        fact("Send attempts", f.attempts.to_string()),
    ];
    if let Some(n) = &f.next_attempt_at {
        facts.push(fact("Next attempt", format::stored_time(Some(n))));
    }
    if let Some(e) = &f.last_error {
        facts.push(fact("Last send error", e.clone()));
    }
    if let Some(s) = f.superseded_by {
        facts.push(fact("Replaced by file", s.to_string()));
    }
    let felkoder = Felkoder::embedded();
    let kvittens = f
        .kvittens_errors()
        .unwrap_or_default()
        .into_iter()
        .map(|e| KvittensLine {
            niva: format!("{:?}", e.niva),
            case: e.reference.clone().unwrap_or_default(),
            advice: advice(&felkoder.lookup([e.felkod.as_str()])).to_string(),
            felkod: e.felkod,
            feltext: e.feltext,
        })
        .collect();
    let messages = match state.store.receipts_for_file(&f.tx_id).await {
        Ok(r) => r
            .into_iter()
            .map(|m| MessageLine {
                kind: m.inbound.kind.to_string(),
                received: format::stored_time(Some(&m.inbound.received_at)),
                tx_id: m.inbound.tx_id,
                applied: m
                    .inbound
                    .apply_error
                    .unwrap_or_else(|| format::stored_time(m.inbound.applied_at.as_deref())),
            })
            .collect(),
        Err(e) => return failed(&caller, "file", &e),
    };
    let filter = CaseFilter {
        file: Some(f.id.to_string()),
        ..CaseFilter::default()
    };
    let rows = match state.store.cases_filtered(&filter, None, FILE_CASES).await {
        Ok(r) => r,
        Err(e) => return failed(&caller, "file", &e),
    };
    let mut cases = Vec::with_capacity(rows.len());
    for r in &rows {
        match CaseItem::of(&caller, r) {
            Ok(i) => cases.push(i),
            Err(e) => return failed(&caller, "file", &e),
        }
    }
    html(&FilePage {
        c: Chrome::new(&caller, format!("File {}", f.file_name), "files"),
        f: FileItem::of(&f),
        facts,
        kvittens,
        messages,
        cases,
        can_download: caller
            .token
            .role
            .allows(crate::store::Permission::PersonalNumbers),
    })
}
