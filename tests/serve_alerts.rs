//! File alerts of `fogd serve` with a manual clock, an in-process fake SHS node and a local webhook receiver:
//! kvittens overdue → recovered when the kvittens arrives; file rejected whole (U) → recovered when its
//! replacement is receipted G; cases rejected (niva H) → recovered after the alert window. And the jobs of
//! `fogd serve` with and without the batch cut-off, the reports of receipts and rejections, and the search by
//! målnummer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
mod engine_kit;

use axum::routing::post;
use chrono::Duration;
use engine_kit::*;
use fogd::alerts::{Alerter, CASE_REJECTION_ALERT_DAYS};
use fogd::clock::Clock;
use fogd::config::AlertsConfig;
use fogd::daemon::{build_and_send, poll_and_alert};
use fogd::formats::KvittensStatus;
use fogd::report::ReportKind;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// A webhook receiver on port 0; returns its URL and what it received.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(v): axum::Json<Value>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(v);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

/// The notices received since `from`, as `status kind key`.
fn since(seen: &Mutex<Vec<Value>>, from: usize) -> Vec<String> {
    seen.lock().unwrap()[from..]
        .iter()
        .map(|v| {
            format!(
                "{} {} {}",
                v["status"].as_str().unwrap(),
                v["kind"].as_str().unwrap(),
                v["key"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn overdue_rejected_and_recovered_notices() {
    let (store, _dir) = sqlite_store().await;
    let (e, fake, clock) = engine(store.clone(), config());
    let (url, seen) = receiver().await;
    let alerter = Alerter::new(&AlertsConfig {
        webhook: Some(url),
        webhook_backoff_ms: 5,
        ..AlertsConfig::default()
    });
    let cases = serde_json::json!([bfo("R-1"), bfo("R-2")]);
    import_and_approve(&e, &cases.to_string()).await;
    build_and_send(&e, true).await.unwrap();
    let first = store.list_files().await.unwrap()[0].clone();

    // 29 minutes after sending: not overdue yet; the poll finds nothing.
    clock.advance(Duration::minutes(29));
    poll_and_alert(&e, &alerter, 30).await.unwrap();
    assert!(alerter.active().is_empty());
    assert!(since(&seen, 0).is_empty());

    // 31 minutes: overdue.
    clock.advance(Duration::minutes(2));
    alerter.check_files(&store, 30, clock.now()).await.unwrap();
    let overdue = format!("kvittens_overdue:{}", first.id);
    assert_eq!(
        since(&seen, 0),
        [format!("firing kvittens_overdue {overdue}")]
    );
    // Checking again changes nothing (no storm).
    alerter.check_files(&store, 30, clock.now()).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);

    // The file is rejected whole: overdue recovers, file_rejected fires.
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens(
            "ANSOKAN",
            1,
            KvittensStatus::Underkand,
            vec![f_error("0021")],
        ),
        Some(&first.tx_id), // Kronofogden answers with the corr.id of the file's message
    );
    poll_and_alert(&e, &alerter, 30).await.unwrap();
    let mut got = since(&seen, 1);
    got.sort();
    let rejected = format!("file_rejected:{}", first.id);
    assert_eq!(
        got,
        [
            format!("firing file_rejected {rejected}"),
            format!("recovered kvittens_overdue {overdue}"),
        ]
    );
    let msg = seen.lock().unwrap()[1..]
        .iter()
        .find(|v| v["status"] == "firing")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("0021") && msg.contains("rejected"), "{msg}");

    // Rebuilt (same löpnummer), sent, receipted G with R-2 rejected: file_rejected recovers, cases_rejected fires.
    build_and_send(&e, true).await.unwrap();
    let second = store.list_files().await.unwrap()[1].clone();
    clock.advance(Duration::minutes(5));
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens(
            "ANSOKAN",
            1,
            KvittensStatus::Godkand,
            vec![h_error("R-2", "0060")],
        ),
        Some(&second.tx_id),
    );
    poll_and_alert(&e, &alerter, 30).await.unwrap();
    let mut got = since(&seen, 3);
    got.sort();
    assert_eq!(
        got,
        [
            format!("firing file_rejected cases_rejected:{}", second.id),
            format!("recovered file_rejected {rejected}"),
        ]
    );
    let active = alerter.active();
    assert_eq!(active.len(), 1);
    assert!(
        active[0].message.contains("R-2") && active[0].message.contains("0060"),
        "{active:?}"
    );

    // After the alert window the case-level alert recovers.
    clock.advance(Duration::days(CASE_REJECTION_ALERT_DAYS) + Duration::minutes(1));
    alerter.check_files(&store, 30, clock.now()).await.unwrap();
    assert_eq!(
        since(&seen, 5),
        [format!(
            "recovered file_rejected cases_rejected:{}",
            second.id
        )]
    );
    assert!(alerter.active().is_empty());

    // Reports of the period: the file rejected whole and the rejected case; both kvittens.
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let r = fogd::report::build(
        &store,
        ReportKind::Rejections,
        d("2026-06-01"),
        d("2026-06-30"),
    )
    .await
    .unwrap();
    // Cells as CSV text (typed cells: dates, amounts).
    let t = |c: &fogd::report::Cell| c.csv_text().into_owned();
    assert_eq!(r.rows.len(), 2, "{:?}", r.rows);
    assert_eq!(t(&r.rows[0][1]), "file");
    assert!(t(&r.rows[0][0]).contains(&first.file_name) && t(&r.rows[0][3]).contains("0021"));
    assert!(
        t(&r.rows[0][4]).starts_with("File-level"),
        "{:?}",
        r.rows[0]
    );
    assert_eq!(t(&r.rows[1][0]), "R-2");
    assert!(t(&r.rows[1][3]).contains("0060"));
    assert!(r.summary.contains(&("files rejected whole".into(), 1)));
    let r = fogd::report::build(
        &store,
        ReportKind::Receipts,
        d("2026-06-01"),
        d("2026-06-30"),
    )
    .await
    .unwrap();
    let statuses: Vec<String> = r.rows.iter().map(|row| t(&row[5])).collect();
    assert_eq!(
        statuses,
        ["file rejected (U)", "file accepted (G)"],
        "{:?}",
        r.rows
    );
    assert!(r
        .rows
        .iter()
        .all(|row| t(&row[1]) == "kvittens" && t(&row[6]) == "applied"));
    assert_eq!(t(&r.rows[0][3]), first.file_name);
    let empty = fogd::report::build(
        &store,
        ReportKind::Receipts,
        d("2026-05-01"),
        d("2026-05-31"),
    )
    .await
    .unwrap();
    assert!(empty.rows.is_empty());
}

/// The batch cut-off: with `[schedule] cutoff` set, the send job only sends and the cutoff job builds (then
/// sends); without it the send job builds too.
#[tokio::test]
async fn cutoff_job_builds_and_send_job_only_sends() {
    let (store, _dir) = sqlite_store().await;
    let mut cfg = config();
    cfg.schedule.cutoff = Some(fogd::config::CronExpr::parse("0 18 * * 1-5").unwrap());
    let (e, fake, _clock) = engine(store.clone(), cfg.clone());
    let alerter = Arc::new(Alerter::new(&AlertsConfig::default()));
    import_and_approve(&e, &serde_json::json!([bfo("C-1")]).to_string()).await;
    let jobs = fogd::daemon::engine_jobs(&e, &alerter, &cfg);
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["send", "cutoff", "poll"]);
    (jobs[0].run)().await.unwrap();
    assert!(
        store.list_files().await.unwrap().is_empty(),
        "send job built"
    );
    (jobs[1].run)().await.unwrap();
    let files = store.list_files().await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].state, fogd::domain::FileState::Sent);
    assert_eq!(fake.sent.lock().unwrap().len(), 1);

    // Without a cut-off the send job builds.
    let (store, _dir2) = sqlite_store().await;
    let cfg = config();
    let (e, _fake, _clock) = engine(store.clone(), cfg.clone());
    import_and_approve(&e, &serde_json::json!([bfo("C-2")]).to_string()).await;
    let jobs = fogd::daemon::engine_jobs(&e, &alerter, &cfg);
    assert_eq!(jobs.len(), 2);
    (jobs[0].run)().await.unwrap();
    assert_eq!(store.list_files().await.unwrap().len(), 1);
}

/// The ops search by målnummer finds the case with that målnummer and its follow-ups.
#[tokio::test]
async fn search_by_malnummer_finds_the_case_and_its_follow_ups() {
    let (store, _dir) = sqlite_store().await;
    let (e, fake, _clock) = engine(store.clone(), config());
    let cases = serde_json::json!([bfo("M-1"), bfo("M-2"), neds("M-9", "M-1")]);
    import_and_approve(&e, &cases.to_string()).await;
    build_and_send(&e, true).await.unwrap();
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens("ANSOKAN", 1, KvittensStatus::Godkand, vec![]),
        None,
    );
    e.poll_pass().await.unwrap();
    fake.reply(
        "2c92e378-4f27-5ea9-951b-6efc4980d971",
        "SUPRO.DEV.ANSBEKR",
        "bekraftelse",
        ansbekr(1, &[("M-1", "BF-000001-26"), ("M-2", "BF-000002-26")]),
        None,
    );
    e.poll_pass().await.unwrap();
    let refs = |rows: Vec<fogd::store::CaseRow>| {
        let mut r: Vec<String> = rows.into_iter().map(|c| c.reference).collect();
        r.sort();
        r
    };
    assert_eq!(
        refs(store.search_cases("BF-000001-26", 50).await.unwrap()),
        ["M-1", "M-9"]
    );
    assert_eq!(
        refs(store.search_cases("BF-000002-26", 50).await.unwrap()),
        ["M-2"]
    );
    assert!(store
        .search_cases("BF-000003-26", 50)
        .await
        .unwrap()
        .is_empty());
}
