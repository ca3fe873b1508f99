//! `GET /console`: the overview. Cases per state and per kind with the amounts they claim, what needs a person now
//! (rejected and invalid cases, the review queue, files whose kvittens is overdue, active alerts), each linking to
//! its list, the chart of cases sent, accepted and rejected per day ([`super::chart`]) and the kvittens latency
//! chart ([`super::latency`]). "Active alerts" counts those nobody has acknowledged ([`super::alerts`]).

use super::chart::{self, Chart};
use super::latency::{self, LatencyChart};
use super::{failed, format, html, viewer, Chrome};
use crate::api::auth::MaybeCaller;
use crate::api::AppState;
use crate::domain::CaseState;
use crate::store::console::KindStateTotal;
use crate::store::StoreError;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One row of a totals table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalRow {
    /// State or kind.
    pub name: String,
    /// Link to the cases list filtered by it.
    pub href: String,
    /// Cases.
    pub cases: i64,
    /// Amount claimed (Swedish form).
    pub amount: String,
}

/// One thing that needs a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Element id (for tests and anchors).
    pub id: &'static str,
    /// What.
    pub label: &'static str,
    /// How many.
    pub count: i64,
    /// Where its list is.
    pub href: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    c: Chrome,
    needs: Vec<Need>,
    per_state: Vec<TotalRow>,
    per_kind: Vec<TotalRow>,
    total: TotalRow,
    chart: Chart,
    latency: LatencyChart,
}

/// `GET /console`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // The totals read every case: the page is cached like the ops page ([`crate::api::cache`]: never older than
    // the database, at most PAGE_MAX_AGE for the alerts), per session (it carries the sign-out form's token).
    let chrome = Chrome::new(&caller, "Overview", "overview");
    let key = format!("console:overview:{}:{}", caller.token.id, chrome.csrf);
    let max_age = Some(crate::api::cache::PAGE_MAX_AGE);
    if let Some(body) = state.cache.get(&key, max_age) {
        return super::html_body(body);
    }
    let lock = state.cache.render_lock(&key);
    let _rendering = lock.lock().await;
    if let Some(body) = state.cache.get(&key, max_age) {
        return super::html_body(body);
    }
    let generation = state.cache.generation();
    let page = match build(&state).await {
        Ok((needs, per_state, per_kind, total, chart, latency)) => OverviewPage {
            c: chrome,
            needs,
            per_state,
            per_kind,
            total,
            chart,
            latency,
        },
        Err(e) => return failed(&caller, "overview", &e),
    };
    match page.render() {
        Ok(text) => {
            let body = axum::body::Bytes::from(text);
            state.cache.put(key, generation, body.clone());
            super::html_body(body)
        }
        Err(_) => html(&page),
    }
}

type Built = (
    Vec<Need>,
    Vec<TotalRow>,
    Vec<TotalRow>,
    TotalRow,
    Chart,
    LatencyChart,
);

async fn build(state: &AppState) -> Result<Built, StoreError> {
    let totals = state.store.kind_state_totals().await?;
    let (per_state, per_kind, total) = tables(&totals);
    let count = |states: &[CaseState]| -> i64 {
        totals
            .iter()
            .filter(|t| states.contains(&t.state))
            .map(|t| t.cases)
            .sum()
    };
    let now = state.clock.now();
    let overdue_minutes = i64::from(state.config.batch.kvittens_overdue_minutes);
    let overdue = state
        .store
        .count_kvittens_overdue(now - chrono::Duration::minutes(overdue_minutes))
        .await?;
    let alerts = super::alerts::unacknowledged(state).await?;
    let needs = vec![
        Need {
            id: "need-rejected",
            label: "Rejected by Kronofogden: correct and send again",
            count: count(&[CaseState::Rejected]),
            href: "/console/problems#rejected-h".to_string(),
        },
        Need {
            id: "need-invalid",
            label: "Invalid at intake: correct in the source system",
            count: count(&[CaseState::Invalid]),
            href: "/console/problems#invalid-h".to_string(),
        },
        Need {
            id: "need-review",
            label: "Review queue (journal and held)",
            count: count(CaseState::IN_REVIEW),
            href: "/console/review".to_string(),
        },
        Need {
            id: "need-overdue",
            label: "Files whose kvittens is overdue",
            count: overdue,
            href: "/console/files".to_string(),
        },
        Need {
            id: "need-alerts",
            label: "Active alerts nobody has acknowledged",
            count: alerts,
            href: "/console/alerts".to_string(),
        },
    ];
    let today = format::day_of(now);
    let since = format::day_start(today - chrono::Days::new(chart::DAYS - 1));
    let changes = state
        .store
        .state_changes_per_hour(chart::SERIES, since)
        .await?;
    let chart = chart::draw(today, &changes);
    let receipts = state
        .store
        .kvittens_latencies(since, latency::MAX_FILES)
        .await?;
    let latency = latency::draw(today, &receipts);
    Ok((needs, per_state, per_kind, total, chart, latency))
}

/// The cases list filtered to `states`.
pub fn cases_href(states: &[CaseState]) -> String {
    let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    format!("/console/cases?state={}", names.join(","))
}

/// A total in Swedish form, or a dash when none of its cases has a validated amount (invalid cases).
fn amount_of(ore: i64, valued: i64) -> String {
    if valued == 0 {
        "—".to_string()
    } else {
        format::amount(ore)
    }
}

/// Totals per state (in the state machine's order), per kind, and over all.
fn tables(totals: &[KindStateTotal]) -> (Vec<TotalRow>, Vec<TotalRow>, TotalRow) {
    let mut per_state: BTreeMap<usize, (CaseState, i64, i64, i64)> = BTreeMap::new();
    let mut per_kind: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    let (mut all_cases, mut all_ore) = (0i64, 0i64);
    for t in totals {
        let order = CaseState::ALL
            .iter()
            .position(|s| *s == t.state)
            .unwrap_or(usize::MAX);
        let e = per_state.entry(order).or_insert((t.state, 0, 0, 0));
        e.1 += t.cases;
        e.2 = e.2.saturating_add(t.amount_ore);
        e.3 += t.valued;
        let k = per_kind.entry(t.kind.as_str()).or_default();
        k.0 += t.cases;
        k.1 = k.1.saturating_add(t.amount_ore);
        k.2 += t.valued;
        all_cases += t.cases;
        all_ore = all_ore.saturating_add(t.amount_ore);
    }
    let per_state = per_state
        .into_values()
        .map(|(s, cases, ore, valued)| TotalRow {
            name: s.to_string(),
            href: cases_href(&[s]),
            cases,
            amount: amount_of(ore, valued),
        })
        .collect();
    let per_kind = per_kind
        .into_iter()
        .map(|(k, (cases, ore, valued))| TotalRow {
            name: k.to_string(),
            href: format!("/console/cases?kind={k}"),
            cases,
            amount: amount_of(ore, valued),
        })
        .collect();
    let total = TotalRow {
        name: "All cases".into(),
        href: "/console/cases".into(),
        cases: all_cases,
        amount: format::amount(all_ore),
    };
    (per_state, per_kind, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_per_state_and_kind() {
        let t = |kind: &str, state, cases, amount_ore| KindStateTotal {
            kind: kind.into(),
            state,
            cases,
            amount_ore,
            valued: cases,
        };
        let (per_state, per_kind, total) = tables(&[
            t("verkstallighet", CaseState::Sent, 1, 50_000),
            t("betalningsforelaggande", CaseState::Sent, 2, 123_450),
            t("betalningsforelaggande", CaseState::Journal, 1, 100),
            KindStateTotal {
                kind: "betalningsforelaggande".into(),
                state: CaseState::Invalid,
                cases: 2,
                amount_ore: 0,
                valued: 0,
            },
        ]);
        // The state machine's order: invalid, journal, sent; invalid cases have no amount.
        assert_eq!(per_state[0].name, "invalid");
        assert_eq!(per_state[0].amount, "—");
        assert_eq!(per_state[1].name, "journal");
        assert_eq!(per_state[2].cases, 3);
        assert_eq!(per_state[2].amount, "1\u{a0}734,50\u{a0}kr");
        assert_eq!(per_state[2].href, "/console/cases?state=sent");
        assert_eq!(per_kind[0].name, "betalningsforelaggande");
        assert_eq!(per_kind[0].cases, 5);
        assert_eq!(total.cases, 6);
        assert_eq!(total.amount, "1\u{a0}735,50\u{a0}kr");
        assert_eq!(
            cases_href(CaseState::IN_REVIEW),
            "/console/cases?state=journal,held"
        );
    }
}
