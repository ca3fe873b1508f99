//! The ops console's store queries at scale (issue 17; a bench, not a test): N cases (default 100,000) in a fresh
//! SQLite store, a tenth of them held, then p50/p99 over 30 runs of what each console page asks the store: the
//! overview's totals per kind and state and its chart's changes per hour, the cases list's first page, a page deep
//! in the list (keyset), a state-filtered page, the search by exact invoice number and by a reference prefix, by a
//! debtor's number and name (`debtor_keys`), the kvittens latency chart's files, the alerts page's log; then each
//! console page through the HTTP router with 50 concurrent clients (p50/p99 of 200 requests).
//!
//! `cargo run --release --example bench_console [N]` (a debug build gives slower, still comparable, figures).
//! Measured (2-core machine shared with other builds, debug build, 100,000 cases, 2026-12-01): overview totals p50
//! 1.75 s / p99 3.7 s (they read every case's JSON: linear in N, the one query far from the 50 ms target — the page
//! is cached per database generation, and a totals table kept by the store is the way out); chart changes per hour
//! p50 4 ms / p99 40 ms; cases first page 0.4 / 1.7 ms; a page deep in the list 0.4 / 0.9 ms; state = held 0.8 /
//! 1.1 ms; search by exact invoice number 0.07 / 0.36 ms; by reference prefix 1.6 / 1.8 ms.
//! With the debtor keys, the latency read and the alert log (same machine, load ~9, debug build, 100,000 cases,
//! 2026-12-01; 100,000 cases with one debtor each stored in 3.5 s): search by debtor number p50 0.05 / p99 0.19 ms;
//! by a debtor name shared by 1,000 cases (first 100) 0.62 / 3.5 ms; the kvittens latencies of 30 days 0.04 /
//! 0.18 ms; the alerts page's log (200 rows: open and last 100) 0.62 / 1.15 ms. Pages through the router, 50
//! concurrent clients, 200 requests each (same run conditions, 100,000 cases): overview p50 2.0 / p99 1485 ms (the
//! first render reads every case; the others wait for it and are then served from the cache); cases first page
//! 22 / 36 ms; deep 21 / 33 ms; state = held 23 / 36 ms; a case 19 / 22 ms; review queue 39 / 46 ms; search by
//! invoice 4.8 / 7.2 ms; by debtor number 5.5 / 7.7 ms; alerts 46 / 63 ms. Not run in release nor at 1,000,000
//! cases: the machine was shared by four builds (load ~9 on 2 cores).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use fogd::domain::case::{Debtor, Party};
use fogd::domain::state::Cause;
use fogd::domain::{Amount, Case, CaseKind, CaseState, Claim, ClaimKind, IdKind, IdNumber};
use fogd::store::console::CaseFilter;
use fogd::store::{CaseMove, CaseSelection, NewCase, Store};
use std::time::{Duration, Instant};

fn new_case(i: usize) -> NewCase {
    let case = Case {
        reference: format!("B-{i:08}"),
        kind: CaseKind::Betalningsforelaggande,
        intressentkod: "DEV".into(),
        creditor: Some(Party {
            id: IdNumber {
                kind: IdKind::Organisationsnummer,
                digits: "165560360793".into(),
            },
            name: "Kredit AB".into(),
            street: None,
            postal_code: None,
            city: None,
            phone: None,
            email: None,
            reference: None,
        }),
        agent: None,
        customer_number: Some(format!("K-{i}")),
        promissory_note: false,
        // One debtor per case: a number of its own, a name shared by a thousand cases.
        debtors: vec![Debtor {
            id: Some(IdNumber {
                kind: IdKind::Personnummer,
                digits: format!("19{:010}", i),
            }),
            name: format!("Debtor Name {}", i % 100),
            care_of: None,
            street: Some("Gatan 1".into()),
            postal_code: Some("11122".into()),
            city: Some("Stockholm".into()),
            country: "SE".into(),
            phone: None,
            email: None,
            business: false,
        }],
        claims: vec![Claim {
            kind: ClaimKind::Kapital,
            amount: Amount(10_000 + i as i64),
            due_date: None,
            invoice_number: Some(format!("F-{i:08}")),
            basis: None,
            interest: None,
            arose: None,
            accrued_interest: None,
            costs: None,
        }],
        title: None,
        debt_restructuring_case: None,
        concerns: None,
        malnummer: None,
        amount: None,
        claim_index: None,
        date: None,
        reason: None,
        change: None,
        request: None,
        original_creditor: None,
        requests: Default::default(),
        paid_since_title: None,
        decision_date: None,
        publication_date: None,
        deadline: None,
        security: None,
    };
    NewCase {
        reference: case.reference.clone(),
        kind: CaseKind::Betalningsforelaggande.as_str().into(),
        intressentkod: "DEV".into(),
        state: CaseState::Journal,
        input_json: String::new(),
        case_json: Some(serde_json::to_string(&case).unwrap()),
        content_hash: case.reference.clone(),
        issues_json: "[]".into(),
        hold_reason: None,
        concerns: None,
        malnummer: None,
        source: None,
        source_line: None,
        search_keys: None,
        debtor_keys: None,
    }
}

async fn time<F, Fut, T>(name: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut runs: Vec<Duration> = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        std::hint::black_box(f().await);
        runs.push(t.elapsed());
    }
    runs.sort();
    let p = |q: f64| runs[((runs.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<40} p50 {:>9.2} ms   p99 {:>9.2} ms",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url, 4).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    let t = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for start in (0..n).step_by(1000) {
        let batch: Vec<NewCase> = (start..(start + 1000).min(n)).map(new_case).collect();
        for o in store.upsert_cases(&batch, "bench", at).await.unwrap() {
            if let fogd::store::UpsertOutcome::Inserted { id } = o {
                ids.push(id);
            }
        }
    }
    println!("{n} cases stored in {:.1} s", t.elapsed().as_secs_f64());
    let held: Vec<i64> = ids.iter().copied().step_by(10).collect();
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, "bench", at).reason(Some("bench"));
    for chunk in held.chunks(1000) {
        store
            .move_cases(CaseSelection::Ids(chunk), &mv)
            .await
            .unwrap();
    }

    time("overview: totals per kind and state", || {
        store.kind_state_totals()
    })
    .await;
    let since = at - chrono::Duration::days(30);
    time("overview: chart changes per hour", || {
        store.state_changes_per_hour(&[CaseState::Held, CaseState::Sent], since)
    })
    .await;
    let all = CaseFilter::default();
    time("cases: first page", || store.cases_filtered(&all, None, 51)).await;
    let deep = ids[n / 10];
    time("cases: page deep in the list (keyset)", || {
        store.cases_filtered(&all, Some(deep), 51)
    })
    .await;
    let held_filter = CaseFilter {
        states: vec![CaseState::Held],
        ..CaseFilter::default()
    };
    time("cases: state = held, first page", || {
        store.cases_filtered(&held_filter, None, 51)
    })
    .await;
    let invoice = format!("F-{:08}", n / 2);
    time("search: exact invoice number", || {
        store.search_case_keys(&invoice, 100)
    })
    .await;
    time("search: reference prefix", || {
        store.search_case_keys("B-0000", 100)
    })
    .await;
    let number = format!("id:19{:010}", n / 3);
    time("search: debtor number (exact)", || {
        store.search_debtor_key(&number, 100)
    })
    .await;
    time("search: debtor name (1 in 100 cases, first 100)", || {
        store.search_debtor_key("name:debtor name 42", 100)
    })
    .await;
    time("overview: kvittens latencies (30 days)", || {
        store.kvittens_latencies(since, 20_000)
    })
    .await;
    for k in 0..200 {
        let key = format!("file_rejected:{k}");
        store
            .log_alert_raised(&key, "file_rejected", "bench", at)
            .await
            .unwrap();
        if k % 2 == 0 {
            store.log_alert_cleared(&key, at).await.unwrap();
        }
    }
    time("alerts: open and the last 100", || async {
        (store.open_alerts().await, store.recent_alerts(100).await)
    })
    .await;

    // Each page through the HTTP router, with CLIENTS concurrent clients (an operator's bearer token).
    let (_, token) = store
        .create_token("bench", fogd::store::Role::Operator, at)
        .await
        .unwrap();
    let state = std::sync::Arc::new(fogd::api::AppState::new(
        store.clone(),
        fogd::config::Config::default(),
        fogd::clock::system(),
    ));
    // As `fogd serve` with `[api] cache` (the default): the page cache follows the SQLite file's version.
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    fogd::api::cache::spawn_sqlite_watcher(
        fogd::store::sqlite_path(&url).unwrap(),
        state.cache.clone(),
        stop_rx,
    );
    let app = fogd::api::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let pages: Vec<(&str, String)> = vec![
        ("page: overview", "/console".into()),
        ("page: cases, first", "/console/cases".into()),
        (
            "page: cases, deep (keyset)",
            format!("/console/cases?before={deep}"),
        ),
        (
            "page: cases, state = held",
            "/console/cases?state=held".into(),
        ),
        ("page: a case", format!("/console/case/{}", ids[n / 2])),
        ("page: review queue", "/console/review".into()),
        (
            "page: search, invoice",
            format!("/console/search?q=F-{:08}", n / 2),
        ),
        (
            "page: search, debtor number",
            format!("/console/search?q=19{:010}", n / 3),
        ),
        ("page: alerts", "/console/alerts".into()),
    ];
    for (name, path) in pages {
        let url = format!("http://{addr}{path}");
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                for _ in 0..PER_CLIENT {
                    let t = Instant::now();
                    let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(r.status(), 200, "{url}");
                    std::hint::black_box(r.bytes().await.unwrap());
                    took.push(t.elapsed());
                }
                took
            }));
        }
        let mut runs: Vec<Duration> = Vec::new();
        for t in tasks {
            runs.extend(t.await.unwrap());
        }
        runs.sort();
        let p = |q: f64| runs[((runs.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "{name:<40} p50 {:>9.2} ms   p99 {:>9.2} ms   ({CLIENTS} clients)",
            p(0.5).as_secs_f64() * 1e3,
            p(0.99).as_secs_f64() * 1e3
        );
    }
}

/// Concurrent clients per page, and requests each.
const CLIENTS: usize = 50;
const PER_CLIENT: usize = 4;
