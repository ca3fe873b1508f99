//! File alerts of `fogd serve` with a manual clock, an in-process fake SHS node and a local webhook receiver:
//! kvittens overdue → recovered when the kvittens arrives; file rejected whole (U) → recovered when its
//! replacement is receipted G; cases rejected (niva H) → recovered after the alert window.
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
        kvittens("ANSOKAN", 1, KvittensStatus::U, vec![f_error("0021")]),
        None,
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
    clock.advance(Duration::minutes(5));
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens(
            "ANSOKAN",
            1,
            KvittensStatus::G,
            vec![h_error("R-2", "0060")],
        ),
        None,
    );
    poll_and_alert(&e, &alerter, 30).await.unwrap();
    let second = store.list_files().await.unwrap()[1].clone();
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
}
