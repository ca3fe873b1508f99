//! A real round trip of `fogd serve`'s jobs against the in-process simulated Kronofogden (mutual TLS on loopback):
//! import + approve, the send job (build + send, timed), the poll job (poll + apply + file alerts); then the
//! file and receipt metrics, the `/files*` and `/receipts` API with roles, the ops page's files table, and the
//! receipts report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/prom_text.rs"]
mod prom_text;

use fogd::alerts::Alerter;
use fogd::api::{router, AppState};
use fogd::config::Config;
use fogd::daemon::{build_and_send, poll_and_alert, timed_engine};
use fogd::engine::import::{import, ImportOptions};
use fogd::engine::journal::{approve, Selection};
use fogd::engine::schedule::JobStats;
use fogd::engine::Engine;
use fogd::metrics::{render, Histogram};
use fogd::report::{build, ReportKind};
use fogd::sim::StartOptions;
use fogd::store::{Role, Store};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The value of the sample `name` (exact, labels included) in a metrics text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// Every family of the exposition parses strictly, with fogd's names, types and HELP texts, and the figures of
/// this round trip: `n` files sent and receipted, the job `job`, both certificates, every alert kind.
fn check_exposition(text: &str, job: &str, n: f64) {
    let fams = prom_text::check_fogd(text);
    let fam = |name: &str| fams.iter().find(|f| f.name == name).unwrap();
    let one = |name: &str, key: &str, val: &str| {
        fam(name)
            .samples
            .iter()
            .find(|s| s.label(key) == Some(val))
            .unwrap_or_else(|| panic!("{name}{{{key}={val:?}}} missing in\n{text}"))
            .value
    };
    assert_eq!(fam("fogd_up").samples[0].value, 1.0);
    assert_eq!(
        fam("fogd_cases").samples.len(),
        fogd::domain::CaseState::ALL.len()
    );
    assert_eq!(
        fam("fogd_files").samples.len(),
        fogd::domain::FileState::ALL.len()
    );
    assert_eq!(fam("fogd_files_sent_total").samples[0].value, n);
    assert_eq!(one("fogd_kvittens_total", "status", "G"), n);
    assert_eq!(one("fogd_receipts_total", "kind", "kvittens"), n);
    let hist = fam("fogd_send_latency_seconds");
    // Twelve bounds and +Inf, then _sum and _count.
    assert_eq!(hist.samples.len(), fogd::metrics::LATENCY_BUCKETS.len() + 3);
    assert_eq!(one("fogd_job_runs_total", "job", job), 3.0);
    assert_eq!(one("fogd_job_failures_total", "job", job), 0.0);
    assert_eq!(one("fogd_job_running", "job", job), 0.0);
    assert_eq!(one("fogd_job_last_duration_seconds", "job", job), 1.25);
    for cert in ["ca", "identity"] {
        let left = one("fogd_certificate_expiry_seconds", "cert", cert);
        assert!(left > 86_400.0, "{cert}: {left}");
    }
    for kind in fogd::alerts::AlertKind::ALL {
        assert_eq!(one("fogd_alerts_active", "kind", kind.as_str()), 0.0);
    }
}

#[test]
fn the_strict_exposition_reader_refuses_malformed_text() {
    prom_text::self_check();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_metrics_api_page_and_report_after_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut config = Config::default();
    config.tls.ca = d.join("certs/ca.pem");
    config.tls.identity = d.join("certs/client-identity.pem");
    config.tls.server_cert = d.join("certs/server.pem");
    config.tls.server_key = d.join("certs/server-key.pem");
    config.sim.state = d.join("sim.db");
    config.database.url = format!("sqlite://{}/fogd.db", d.display());
    config.batch.send_retry_base_secs = 1;
    config.batch.send_retry_max_secs = 2;
    fogd::certs::ensure_dev_certs(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = fogd::sim::start_kronofogden(
        config.clone(),
        StartOptions {
            listener: Some(listener),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    config.shs.url = sim.shs_url();

    let store = Store::open(&config.database.url, 8).await.unwrap();
    let clock = fogd::clock::system();
    let cases = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cases/cases.json"
    ))
    .unwrap();
    let src = fogd::domain::intake::open_source(&cases, None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&config, clock.as_ref()).unwrap();
    import(
        Some(&store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("cases.json"),
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    approve(&store, &Selection::All, "test", clock.as_ref())
        .await
        .unwrap();

    let latency: Arc<Histogram> = Arc::default();
    let engine = timed_engine(
        Engine::from_config(store.clone(), config.clone())
            .await
            .unwrap(),
        latency.clone(),
    );
    let alerter = Arc::new(Alerter::new(&config.alerts));
    // A job name with a quote, a backslash and a newline: the encoder escapes label values.
    let odd_job = "send \"eu\"\\night\nrun".to_string();
    let job_stats = Arc::new(JobStats::default());
    job_stats
        .runs
        .store(3, std::sync::atomic::Ordering::Relaxed);
    job_stats
        .last_duration_ms
        .store(1250, std::sync::atomic::Ordering::Relaxed);
    let state = Arc::new(AppState {
        alerter: Some(alerter.clone()),
        send_latency: latency.clone(),
        jobs: vec![(odd_job.clone(), job_stats)],
        ..AppState::new(store.clone(), config.clone(), clock.clone())
    });

    // The send job: files built and sent; before the poll they wait for their kvittens.
    build_and_send(&engine, true).await.unwrap();
    let files = store.list_files().await.unwrap();
    assert!(!files.is_empty(), "the send job built files");
    let m = render(&state.metric_sources()).await.unwrap();
    assert_eq!(
        metric(&m, "fogd_files_sent_total"),
        files.len() as f64,
        "{m}"
    );
    assert_eq!(
        metric(&m, "fogd_send_latency_seconds_count"),
        files.len() as f64
    );
    let sum = metric(&m, "fogd_send_latency_seconds_sum");
    assert!(sum > 0.0 && sum < 30.0, "send latency sum {sum}");
    let age = metric(&m, "fogd_oldest_unreceipted_file_age_seconds");
    assert!((0.0..60.0).contains(&age), "age {age}");
    assert_eq!(metric(&m, "fogd_files{state=\"sent\"}"), files.len() as f64);

    // The poll job until every file has its kvittens.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        poll_and_alert(&engine, &alerter, 30).await.unwrap();
        let files = store.list_files().await.unwrap();
        if files.iter().all(|f| f.kvittens_status.is_some()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no kvittens within 20 s: {files:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let files = store.list_files().await.unwrap();
    let n = files.len() as f64;
    let m = render(&state.metric_sources()).await.unwrap();
    assert_eq!(metric(&m, "fogd_kvittens_total{status=\"G\"}"), n, "{m}");
    assert_eq!(metric(&m, "fogd_kvittens_total{status=\"U\"}"), 0.0);
    assert_eq!(
        metric(
            &m,
            "fogd_receipts_total{kind=\"kvittens\",status=\"applied\"}"
        ),
        n
    );
    assert_eq!(metric(&m, "fogd_oldest_unreceipted_file_age_seconds"), 0.0);
    assert_eq!(metric(&m, "fogd_files{state=\"receipted_ok\"}"), n);
    let bucket_inf = metric(&m, "fogd_send_latency_seconds_bucket{le=\"+Inf\"}");
    assert_eq!(bucket_inf, n);
    check_exposition(&m, &odd_job, n);
    assert!(alerter.active().is_empty(), "{:?}", alerter.active());

    // The API over HTTP.
    let (_, viewer) = store
        .create_token("ops", Role::Viewer, clock.now())
        .await
        .unwrap();
    let (_, submitter) = store
        .create_token("sys", Role::Submitter, clock.now())
        .await
        .unwrap();
    let (_, operator) = store
        .create_token("lead", Role::Operator, clock.now())
        .await
        .unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let app = router(state.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let mut r = http.get(format!("{base}{path}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(
        get("/api/v1/files", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("/api/v1/files", Some(&submitter))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get("/api/v1/receipts", Some(&submitter))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let list: Value = get("/api/v1/files", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = list["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len());
    assert!(
        listed[0]["id"].as_i64() > listed[listed.len() - 1]["id"].as_i64() || listed.len() == 1,
        "newest first"
    );
    let f = &files[0];
    assert!(listed.iter().any(|x| x["tx_id"] == f.tx_id.as_str()
        && x["kvittens_status"] == "G"
        && x["lopnummer"] == f.lopnummer));
    let one: Value = get(&format!("/api/v1/files/{}", f.id), Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["file_name"], f.file_name.as_str());
    assert_eq!(one["cases"].as_array().unwrap().len() as i64, f.case_count);
    assert_eq!(one["receipts"][0]["kind"], "kvittens");
    assert_eq!(one["receipts"][0]["file_id"], f.id);
    assert_eq!(
        get("/api/v1/files/99999", Some(&viewer))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/api/v1/files/x", Some(&viewer))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    // The raw bytes hold debtors' personal numbers in full: operators and admins only.
    for who in [&viewer, &submitter] {
        let refused = get(&format!("/api/v1/files/{}/raw", f.id), Some(who))
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let raw = get(&format!("/api/v1/files/{}/raw", f.id), Some(&operator))
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(
        raw.headers()["content-type"].to_str().unwrap(),
        "application/octet-stream"
    );
    assert!(raw.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&f.file_name));
    let (bytes, missiv) = store.file_bytes(f.id).await.unwrap().unwrap();
    assert_eq!(
        raw.bytes().await.unwrap().to_vec(),
        bytes,
        "the frozen bytes"
    );
    let rawm = get(
        &format!("/api/v1/files/{}/raw?part=missiv", f.id),
        Some(&operator),
    )
    .await
    .unwrap();
    assert_eq!(rawm.bytes().await.unwrap().to_vec(), missiv);
    let receipts: Value = get("/api/v1/receipts", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rs = receipts["receipts"].as_array().unwrap();
    assert_eq!(rs.len(), files.len());
    for r in rs {
        assert_eq!(r["kind"], "kvittens");
        assert_eq!(r["kvittens_status"], "G");
        assert!(r["applied_at"].is_string() && r["apply_error"].is_null());
        assert!(files.iter().any(|f| Some(f.id) == r["file_id"].as_i64()));
    }
    let doc: Value = get("/api/v1/openapi.json", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in ["/files", "/files/{id}", "/files/{id}/raw", "/receipts"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} documented");
    }

    // The ops page: the files table.
    let page = get("/", Some(&viewer)).await.unwrap().text().await.unwrap();
    assert!(page.contains("<table id=\"files\">"), "{page}");
    for f in &files {
        assert!(
            page.contains(&f.tx_id),
            "tx.id of file {} on the page",
            f.id
        );
    }
    assert!(!page.contains("receipts-overdue"));

    // The receipts report of today.
    let today = clock
        .now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let r = build(&store, ReportKind::Receipts, today, today)
        .await
        .unwrap();
    assert_eq!(r.rows.len(), files.len());
    let t = |c: &fogd::report::Cell| c.csv_text().into_owned();
    assert!(r.rows.iter().all(|row| t(&row[1]) == "kvittens"
        && t(&row[5]) == "file accepted (G)"
        && t(&row[6]) == "applied"));
    assert!(r.summary.contains(&(
        "kvittens: file accepted (G)".to_string(),
        files.len() as i64
    )));

    store.close().await;
    sim.shutdown().await;
}
