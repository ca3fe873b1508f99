//! `GET /console/review`: the review queue (journal). What each case claims, so a reviewer can decide: creditor,
//! debtors (masked: the case page has them per role), the claims and their total, the warnings found at intake and,
//! for a held case, why and by whom it was held. `POST /console/review` approves or holds the selected cases or all
//! shown (operators and admins, with the session's anti-forgery token). "Approve all shown" approves the journal
//! cases only: a held case is approved by selecting it, so a warning is never waved through in bulk (as
//! `fogd journal approve --all`).

use super::{check_csrf, failed, format, html, message, require, viewer, Chrome};
use crate::api::auth::{Caller, MaybeCaller};
use crate::api::AppState;
use crate::domain::validate::Severity;
use crate::domain::CaseState;
use crate::engine::journal;
use crate::store::console::CaseFilter;
use crate::store::{CaseRow, Permission, StoreError};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

/// Cases shown per page.
pub const PAGE: i64 = 50;

/// One case in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// Row id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// State (journal or held).
    pub state: String,
    /// Creditor.
    pub creditor: String,
    /// Debtors, masked.
    pub debtors: String,
    /// The claims, one line each.
    pub claims: Vec<String>,
    /// Total claimed.
    pub total: String,
    /// Warnings found at intake.
    pub warnings: Vec<String>,
    /// Why and by whom it is held.
    pub held: String,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage {
    c: Chrome,
    items: Vec<ReviewItem>,
    can_act: bool,
    done: String,
    next: Option<i64>,
}

/// The page's query: the page, and what the last action did.
#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    /// Show cases below this id.
    pub before: Option<i64>,
    /// Cases approved by the last action.
    pub approved: Option<u64>,
    /// Cases held by the last action.
    pub held: Option<u64>,
}

async fn item(state: &AppState, row: &CaseRow) -> Result<ReviewItem, StoreError> {
    let case = row.case()?;
    let (creditor, debtors, claims, total) = match &case {
        Some(c) => (
            c.creditor
                .as_ref()
                .map(|p| format!("{} ({})", p.name, super::id_text(&p.id.digits)))
                .unwrap_or_default(),
            c.debtors
                .iter()
                .map(|d| {
                    // Masked whatever the role (the case page shows them per role); organisation numbers in full.
                    let id = d
                        .id
                        .as_ref()
                        .map(|i| match i.kind {
                            crate::domain::IdKind::Organisationsnummer => super::id_text(&i.digits),
                            _ => crate::mask::mask_id(&i.digits),
                        })
                        .unwrap_or_default();
                    let name = if d.is_business() {
                        d.name.clone()
                    } else {
                        crate::mask::mask_name(&d.name)
                    };
                    format!("{name} {id}")
                })
                .collect::<Vec<_>>()
                .join("; "),
            if c.claims.is_empty() {
                // A follow-up: what it concerns, and its amount.
                let amount = c
                    .amount
                    .map(|a| format!(": {}", format::amount(a.ore())))
                    .unwrap_or_default();
                vec![format!(
                    "{} of {}{amount}",
                    c.kind.as_str(),
                    c.concerned_reference()
                )]
            } else {
                c.claims
                    .iter()
                    .map(|cl| {
                        let invoice = cl
                            .invoice_number
                            .as_ref()
                            .map(|n| format!(" (invoice {n})"))
                            .unwrap_or_default();
                        format!(
                            "{} {}{invoice}",
                            cl.kind.as_str(),
                            format::amount(cl.amount.ore())
                        )
                    })
                    .collect()
            },
            crate::report::claimed_total(c)
                .map(|a| format::amount(a.ore()))
                .unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let warnings = row
        .issues()?
        .into_iter()
        .filter(|i| i.severity == Severity::Warning)
        .map(|i| format!("{} ({}): {}", i.path, i.rule, i.message))
        .collect();
    let held = if row.state == CaseState::Held {
        let events = state.store.case_events(row.id).await?;
        let by = events
            .iter()
            .rev()
            .find(|e| e.to_state == CaseState::Held)
            .map(|e| {
                format!(
                    " — held by {} at {}",
                    e.actor,
                    format::stored_time(Some(&e.at))
                )
            })
            .unwrap_or_default();
        format!("{}{by}", row.hold_reason.clone().unwrap_or_default())
    } else {
        String::new()
    };
    Ok(ReviewItem {
        id: row.id,
        reference: row.reference.clone(),
        kind: row.kind.clone(),
        state: row.state.to_string(),
        creditor,
        debtors,
        claims,
        total,
        warnings,
        held,
    })
}

/// `GET /console/review`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<ReviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = CaseFilter {
        states: CaseState::IN_REVIEW.to_vec(),
        ..CaseFilter::default()
    };
    let rows = match state
        .store
        .cases_filtered(&filter, q.before, PAGE + 1)
        .await
    {
        Ok(r) => r,
        Err(e) => return failed(&caller, "review", &e),
    };
    let mut items = Vec::new();
    for row in rows.iter().take(PAGE as usize) {
        match item(&state, row).await {
            Ok(i) => items.push(i),
            Err(e) => return failed(&caller, "review", &e),
        }
    }
    let next = (rows.len() as i64 > PAGE)
        .then(|| items.last().map(|i| i.id))
        .flatten();
    let done = match (q.approved, q.held) {
        (Some(n), _) => format!("{n} case(s) approved."),
        (_, Some(n)) => format!("{n} case(s) held."),
        _ => String::new(),
    };
    html(&ReviewPage {
        c: Chrome::new(&caller, "Review queue", "review"),
        items,
        can_act: caller.token.role.allows(Permission::Approve),
        done,
        next,
    })
}

/// What the review form asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct ReviewForm {
    csrf: String,
    action: String,
    scope: String,
    reason: String,
    selected: Vec<i64>,
    shown: Vec<i64>,
}

fn parse_form(body: &[u8]) -> Result<ReviewForm, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("the form is not readable: {e}"))?;
    let mut f = ReviewForm::default();
    for (k, v) in pairs {
        let id = || {
            v.parse::<i64>()
                .map_err(|_| format!("{k}: {v:?} is not a case id"))
        };
        match k.as_str() {
            "csrf" => f.csrf = v,
            // The button pressed: `approve:selected`, `hold:shown`, …
            "do" => {
                let (action, scope) = v.split_once(':').unwrap_or((v.as_str(), ""));
                f.action = action.to_string();
                f.scope = scope.to_string();
            }
            "reason" => f.reason = v.trim().to_string(),
            "id" => f.selected.push(id()?),
            "shown" => f.shown.push(id()?),
            _ => {}
        }
    }
    Ok(f)
}

/// `POST /console/review`.
pub async fn act(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    body: Bytes,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = require(&caller, Permission::Approve) {
        return r;
    }
    let f = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return message(&caller, StatusCode::BAD_REQUEST, &e),
    };
    if let Err(r) = check_csrf(&caller, &f.csrf) {
        return r;
    }
    let all_shown = f.scope == "shown";
    let ids = if all_shown { &f.shown } else { &f.selected };
    if ids.is_empty() {
        return message(
            &caller,
            StatusCode::BAD_REQUEST,
            "Select at least one case (or use the buttons for all shown).",
        );
    }
    act_on(&state, &caller, &f, ids, all_shown).await
}

async fn act_on(
    state: &AppState,
    caller: &Caller,
    f: &ReviewForm,
    ids: &[i64],
    all_shown: bool,
) -> Response {
    let actor = caller.actor();
    let clock = state.clock.as_ref();
    match f.action.as_str() {
        "approve" => {
            match journal::approve_cases(&state.store, ids, all_shown, &actor, clock).await {
                Ok(n) => Redirect::to(&format!("/console/review?approved={n}")).into_response(),
                Err(e) => failed(caller, "review", &e),
            }
        }
        "hold" => {
            if f.reason.is_empty() || f.reason.chars().count() > super::case::MAX_TEXT {
                return message(
                    caller,
                    StatusCode::BAD_REQUEST,
                    "reason: say why the cases are held (1 to 2000 characters).",
                );
            }
            match journal::hold_cases(&state.store, ids, &f.reason, &actor, clock).await {
                Ok(n) => Redirect::to(&format!("/console/review?held={n}")).into_response(),
                Err(e) => failed(caller, "review", &e),
            }
        }
        other => message(
            caller,
            StatusCode::BAD_REQUEST,
            &format!("action: {other:?} is neither approve nor hold."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_repeated_ids_and_refuses_bad_ones() {
        let f =
            parse_form(b"csrf=t&do=approve%3Aselected&id=3&id=5&shown=3&shown=4&shown=5").unwrap();
        assert_eq!(f.selected, vec![3, 5]);
        assert_eq!(f.shown, vec![3, 4, 5]);
        assert_eq!(f.action, "approve");
        let e = parse_form(b"id=x").unwrap_err();
        assert_eq!(e, "id: \"x\" is not a case id");
    }
}
