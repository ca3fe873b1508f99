//! `GET /console/alerts`: the alerts now active (from the [`crate::alerts::Alerter`]) and the recent ones (raised,
//! cleared, acknowledged: the store's alert log, migration 0011), each with a link to what it concerns (a file, a
//! case, a deadline's case; a certificate or the SHS node by name). `POST /console/alerts/{id}/ack`: an operator
//! acknowledges an alert (anti-forgery token; audited in the log: who and when, shown on the page). The overview's
//! "Active alerts" counts the active ones nobody has acknowledged ([`unacknowledged`]).

use super::{check_csrf, failed, format, html, message, require, viewer, Chrome};
use crate::alerts::Alert;
use crate::api::auth::MaybeCaller;
use crate::api::AppState;
use crate::store::alert_log::AlertLogRow;
use crate::store::{Permission, StoreError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::sync::Arc;

/// Recent alerts shown.
pub const RECENT: i64 = 100;

/// What an alert concerns, as a label and (when the console has a page for it) a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concerns {
    /// What (`file 7`, `case 12 (deadline invandning)`, `certificate /etc/fogd/id.pem`, `SHS node`).
    pub label: String,
    /// Its console page, if any.
    pub href: Option<String>,
}

/// What the alert with `key` concerns: `file_rejected:<id>`, `cases_rejected:<id>` and `kvittens_overdue:<id>` a
/// file, `deadline:<case id>:<kind>` a case, `cert:<path>` a certificate, `shs` the SHS node.
pub fn concerns(key: &str) -> Concerns {
    let (prefix, rest) = key.split_once(':').unwrap_or((key, ""));
    let id_of = |s: &str| s.split(':').next().and_then(|i| i.parse::<i64>().ok());
    match (prefix, id_of(rest)) {
        ("file_rejected" | "cases_rejected" | "kvittens_overdue", Some(id)) => Concerns {
            label: format!("file {id}"),
            href: Some(format!("/console/file/{id}")),
        },
        ("deadline", Some(id)) => Concerns {
            label: match rest.split_once(':') {
                Some((_, kind)) => format!("case {id} (deadline {kind})"),
                None => format!("case {id} (deadline)"),
            },
            href: Some(format!("/console/case/{id}")),
        },
        ("cert", _) => Concerns {
            label: format!("certificate {rest}"),
            href: None,
        },
        ("shs", _) => Concerns {
            label: "SHS node".into(),
            href: None,
        },
        _ => Concerns {
            label: key.to_string(),
            href: None,
        },
    }
}

/// One alert as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertItem {
    /// The log row's id (the acknowledge form's target); `None` for an alert the log does not hold.
    pub id: Option<i64>,
    /// The kind's name.
    pub kind: String,
    /// The message.
    pub message: String,
    /// What it concerns.
    pub concerns: Concerns,
    /// Raised (Stockholm).
    pub raised: String,
    /// Cleared (Stockholm), empty while active.
    pub cleared: String,
    /// Who acknowledged it and when, empty if nobody has.
    pub acked: String,
}

impl AlertItem {
    fn of_log(r: &AlertLogRow) -> AlertItem {
        AlertItem {
            id: Some(r.id),
            kind: r.kind.clone(),
            message: r.message.clone(),
            concerns: concerns(&r.key),
            raised: format::time(r.raised_at.0),
            cleared: r.cleared_at.map(|t| format::time(t.0)).unwrap_or_default(),
            acked: acked_text(r),
        }
    }

    fn of_active(a: &Alert, log: Option<&AlertLogRow>) -> AlertItem {
        match log {
            Some(r) => AlertItem::of_log(r),
            None => AlertItem {
                id: None,
                kind: a.kind.as_str().to_string(),
                message: a.message.clone(),
                concerns: concerns(&a.key),
                raised: format::stored_time(Some(&a.since)),
                cleared: String::new(),
                acked: String::new(),
            },
        }
    }
}

fn acked_text(r: &AlertLogRow) -> String {
    match (&r.acked_by, r.acked_at) {
        (Some(who), Some(at)) => format!("{who}, {}", format::time(at.0)),
        (Some(who), None) => who.clone(),
        _ => String::new(),
    }
}

/// The active alerts, each with its open log row when the log holds one (the alerter writes it where it raises).
pub async fn current(state: &AppState) -> Result<Vec<AlertItem>, StoreError> {
    let Some(alerter) = &state.alerter else {
        return Ok(Vec::new());
    };
    let active = alerter.active();
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let open = state.store.open_alerts().await?;
    Ok(active
        .iter()
        .map(|a| {
            let log = open.iter().rev().find(|r| r.key == a.key);
            AlertItem::of_active(a, log)
        })
        .collect())
}

/// How many active alerts nobody has acknowledged (the overview's "Active alerts").
pub async fn unacknowledged(state: &AppState) -> Result<i64, StoreError> {
    Ok(current(state)
        .await?
        .iter()
        .filter(|a| a.acked.is_empty())
        .count() as i64)
}

#[derive(Template)]
#[template(path = "console/alerts.html")]
struct AlertsPage {
    c: Chrome,
    can_ack: bool,
    current: Vec<AlertItem>,
    recent: Vec<AlertItem>,
}

/// `GET /console/alerts`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let current = match current(&state).await {
        Ok(c) => c,
        Err(e) => return failed(&caller, "alerts", &e),
    };
    let recent = match state.store.recent_alerts(RECENT).await {
        Ok(r) => r
            .iter()
            .map(|row| {
                let mut item = AlertItem::of_log(row);
                // A row left open by a daemon that stopped (or by another instance) is not active here.
                if row.cleared_at.is_none() && !current.iter().any(|c| c.id == Some(row.id)) {
                    item.cleared = "not active in this daemon".into();
                }
                item
            })
            .collect(),
        Err(e) => return failed(&caller, "alerts", &e),
    };
    html(&AlertsPage {
        can_ack: caller.token.role.allows(Permission::Approve),
        c: Chrome::new(&caller, "Alerts", "alerts"),
        current,
        recent,
    })
}

/// The acknowledge form.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    /// The session's anti-forgery token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/alerts/{id}/ack` (operator, admin).
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<AckForm>,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) =
        require(&caller, Permission::Approve).and_then(|()| check_csrf(&caller, &f.csrf))
    {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return message(&caller, StatusCode::NOT_FOUND, "No such alert.");
    };
    let actor = caller.actor();
    match state
        .store
        .acknowledge_alert(id, &actor, state.clock.now())
        .await
    {
        Ok(true) => {
            tracing::info!(alert = id, actor = %actor, "alert acknowledged");
            Redirect::to("/console/alerts").into_response()
        }
        // Unknown or acknowledged already: the page shows which.
        Ok(false) => Redirect::to("/console/alerts").into_response(),
        Err(e) => failed(&caller, "alerts", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_alert_concerns() {
        let c = concerns("file_rejected:7");
        assert_eq!(c.href.as_deref(), Some("/console/file/7"));
        assert_eq!(
            concerns("kvittens_overdue:12").href.as_deref(),
            Some("/console/file/12")
        );
        assert_eq!(concerns("cases_rejected:3").label, "file 3");
        let d = concerns("deadline:42:invandning");
        assert_eq!(d.href.as_deref(), Some("/console/case/42"));
        assert_eq!(d.label, "case 42 (deadline invandning)");
        let cert = concerns("cert:/etc/fogd/id.pem");
        assert_eq!(
            (cert.label.as_str(), cert.href),
            ("certificate /etc/fogd/id.pem", None)
        );
        assert_eq!(concerns("shs").label, "SHS node");
        assert_eq!(concerns("file_rejected:x").href, None, "no id, no link");
    }
}
