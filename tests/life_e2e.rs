//! A case's life after registration end to end, fogd ↔ the simulated Kronofogden (issue 16, fogd-ref-2.md §5–§6):
//! FOGD-REF-2 applications imported, approved, built, sent over mutual TLS and receipted; the simulator's calendar
//! moved with `POST /sim/v1/advance` and fogd polling what follows. A disputed case handed over on a begäran
//! (`request court` within `sista_dag`), a disputed one written off after `sista_dag`, an utslag enforced (asked for
//! in the application) through LUB and DELREDs to a slutredovisning with the payments in fogd's ledger, and a
//! fordringsanmälan decided (SKSRAPP). On SQLite and on PostgreSQL (`FOGD_TEST_POSTGRES_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fogd::config::Config;
use fogd::domain::case::BegaranRequest;
use fogd::domain::CaseState;
use fogd::engine::import::{import, ImportOptions};
use fogd::engine::journal::{approve, Selection};
use fogd::engine::Engine;
use fogd::sim::kronofogden::is_disputed;
use fogd::sim::kronofogden::life::garnishment_plan;
use fogd::sim::{SimHandle, StartOptions};
use fogd::store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

const IK: &str = "DEV";

/// The first `{prefix}-{n}` for which `f` holds and that is not in `taken`.
fn pick(prefix: &str, taken: &[String], f: impl Fn(&str) -> bool) -> String {
    (1..10_000)
        .map(|n| format!("{prefix}-{n}"))
        .find(|r| !taken.contains(r) && f(r))
        .unwrap()
}

/// The four cases' references, chosen so that the simulator's hash-based choices give each its path.
struct Refs {
    court: String,
    written_off: String,
    enforced: String,
    /// How many DELREDs pay the enforced case.
    months: u64,
    sks: String,
}

fn refs(c: &Config) -> Refs {
    let share = c.sim.disputed_share;
    let mut taken = Vec::new();
    let court = pick("E2E-D", &taken, |r| is_disputed(IK, r, share));
    taken.push(court.clone());
    let written_off = pick("E2E-D", &taken, |r| is_disputed(IK, r, share));
    taken.push(written_off.clone());
    // Paid in full over at least two months: a DELRED a month pays it all.
    let enforced = pick("E2E-U", &taken, |r| {
        let (months, _, left) = garnishment_plan(c, IK, r, 100_000);
        !is_disputed(IK, r, share) && months >= 2 && left.is_none()
    });
    let months = garnishment_plan(c, IK, &enforced, 100_000).0;
    Refs {
        court,
        written_off,
        enforced,
        months,
        sks: "E2E-S-1".into(),
    }
}

fn config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.tls.ca = dir.join("certs/ca.pem");
    c.tls.identity = dir.join("certs/client-identity.pem");
    c.tls.server_cert = dir.join("certs/server.pem");
    c.tls.server_key = dir.join("certs/server-key.pem");
    c.sim.state = dir.join("sim.db");
    c.sim.utslag_delay_secs = 3600;
    c.sim.disputed_share = 0.5;
    c.sim.life.max_payment_months = 3;
    c.sim.life.no_assets_share = 0.0;
    c.sim.life.sks_granted_share = 1.0;
    c.database.url = format!("sqlite://{}/fogd.db", dir.display());
    c.batch.send_retry_base_secs = 1;
    c.batch.send_retry_max_secs = 2;
    c
}

fn bfo(reference: &str, enforcement: bool) -> serde_json::Value {
    serde_json::json!({
        "reference": reference, "kind": "betalningsforelaggande", "intressentkod": IK,
        "creditor": { "id": "556036-0793", "name": "Exempel Kredit AB" },
        "agent": { "id": "556677-8808", "name": "Ombudsbyrån i Stockholm AB", "street": "Kungsgatan 5",
                   "postal_code": "111 43", "city": "Stockholm", "reference": "OMB-1" },
        "requests": { "enforcement": enforcement, "court_if_disputed": false },
        "debtors": [ { "id": "19121212-1212", "name": "Tolvan Tolvansson", "street": "Storgatan 1",
                       "postal_code": "111 22", "city": "Stockholm" } ],
        "claims": [
            { "kind": "kapital", "amount": "4500", "due_date": "2025-09-30", "basis": "Obetald faktura 1001" },
            { "kind": "ansokningsavgift", "amount": "300", "basis": "Ansökningsavgift" }
        ]
    })
}

fn sks(reference: &str) -> serde_json::Value {
    serde_json::json!({
        "reference": reference, "kind": "fordringsanmalan", "intressentkod": IK,
        "creditor": { "id": "556036-0793", "name": "Exempel Kredit AB" },
        "debt_restructuring_case": "SKS 1234-26", "decision_date": "2026-11-20", "publication_date": "2026-11-25",
        "debtors": [ { "id": "570574-9959", "name": "Märta Ståhlberg", "street": "Kyrkogatan 7",
                       "postal_code": "411 15", "city": "Göteborg" } ],
        "claims": [ { "kind": "kapital", "amount": "15000", "due_date": "2025-09-30",
                      "basis": "Lån enligt skuldebrev 2024-03-01", "accrued_interest": "1200", "costs": "180" } ]
    })
}

async fn start_sim(config: &mut Config) -> SimHandle {
    fogd::certs::ensure_dev_certs(config).unwrap();
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
    sim
}

/// `POST /sim/v1/advance {"days": days}`.
async fn advance(config: &Config, days: u32) -> serde_json::Value {
    let ca = std::fs::read(&config.tls.ca).unwrap();
    let id = std::fs::read(&config.tls.identity).unwrap();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .identity(reqwest::Identity::from_pem(&id).unwrap())
        .build()
        .unwrap();
    let url = format!("{}/sim/v1/advance", config.shs.url.trim_end_matches("/shs"));
    let r = http
        .post(url)
        .json(&serde_json::json!({ "days": days }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Build, send and poll passes until `done` holds for the store (or 20 s pass).
async fn passes_until(e: &Engine, what: &str, done: impl AsyncFnMut(&Store) -> bool) {
    let mut done = done;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        e.build_pass().await.unwrap();
        e.send_pass().await.unwrap();
        e.poll_pass().await.unwrap();
        if done(&e.store).await {
            return;
        }
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn state(store: &Store, reference: &str) -> CaseState {
    store
        .cases_by_reference(reference, None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind != "begaran")
        .unwrap()
        .state
}

async fn states_are(store: &Store, want: &[(&str, CaseState)]) -> bool {
    for (r, s) in want {
        if state(store, r).await != *s {
            return false;
        }
    }
    true
}

async fn lifecycle(store: Store, dir: &Path, mut config: Config) {
    let sim = start_sim(&mut config).await;
    let r = refs(&config);
    let clock = fogd::clock::system();
    let input = serde_json::json!([
        bfo(&r.court, false),
        bfo(&r.written_off, false),
        bfo(&r.enforced, true),
        sks(&r.sks),
    ])
    .to_string();
    let src = fogd::domain::intake::open_source(input.as_bytes(), None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&config, clock.as_ref()).unwrap();
    let out = import(
        Some(&store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("life.json"),
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(out.summary.accepted, 4, "{:?}", out.problems);
    approve(&store, &Selection::All, "test", clock.as_ref())
        .await
        .unwrap();
    let e = Engine::from_config(store.clone(), config.clone())
        .await
        .unwrap();
    assert_eq!(e.layouts.edition(), Some("FOGD-REF-2"));

    // Sent and receipted (G): the BFÖ cases accepted, the fordringsanmälan lodged.
    passes_until(&e, "kvittenser", async |s: &Store| {
        states_are(
            s,
            &[
                (&r.court, CaseState::Accepted),
                (&r.enforced, CaseState::Accepted),
                (&r.sks, CaseState::Lodged),
            ],
        )
        .await
    })
    .await;
    let files = store.list_files().await.unwrap();
    assert_eq!(files.len(), 2, "{files:?}");

    // Day 1 the evening run registers them, day 2 the utslag: BESTRID for the disputed, RAPPORT U for the other.
    advance(&config, 2).await;
    passes_until(&e, "bestridanden and the utslag", async |s: &Store| {
        states_are(
            s,
            &[
                (&r.court, CaseState::Disputed),
                (&r.written_off, CaseState::Disputed),
                (&r.enforced, CaseState::Enforcement),
            ],
        )
        .await
    })
    .await;
    let enf = store
        .cases_by_reference(&r.enforced, None)
        .await
        .unwrap()
        .remove(0);
    let life = store.case_life(enf.id).await.unwrap();
    assert!(
        life.enforcement_malnummer.is_some(),
        "the RAPPORT U carried vs_malnummer"
    );

    // The operator asks for överlämnande of one disputed case, within its sista_dag.
    let court = store
        .cases_by_reference(&r.court, None)
        .await
        .unwrap()
        .remove(0);
    let asked = fogd::engine::request::request_begaran(
        &store,
        &ctx,
        clock.as_ref(),
        &r.court,
        BegaranRequest::Court,
        chrono::Utc::now().date_naive(),
        "E2E-BEG-1",
        "test",
    )
    .await
    .unwrap();
    assert_eq!(asked.state, CaseState::Approved, "{:?}", asked.problems);
    assert!(court.malnummer.is_some());
    // Within its window: fogd tracks the BESTRID's sista_dag as the överlämnande deadline.
    let sista = store
        .deadline_of(court.id, "overlamnande")
        .await
        .unwrap()
        .expect("sista_dag tracked");
    assert!(chrono::Utc::now().date_naive() <= sista, "{sista}");
    passes_until(&e, "the begäran accepted", async |s: &Store| {
        s.cases_by_reference("E2E-BEG-1", None)
            .await
            .unwrap()
            .iter()
            .any(|c| c.state == CaseState::Accepted)
    })
    .await;

    // The next day it is handed over; the other disputed case is written off the day after its sista_dag
    // (4 weeks); the enforcement's LUB after 14 days, then a DELRED a month until paid; the SKSRAPP after 30 days.
    advance(&config, 1).await;
    passes_until(&e, "handed over", async |s: &Store| {
        states_are(s, &[(&r.court, CaseState::HandedToCourt)]).await
    })
    .await;
    assert_eq!(state(&store, &r.written_off).await, CaseState::Disputed);
    advance(&config, 30).await;
    passes_until(
        &e,
        "written off, garnishment, SKSRAPP",
        async |s: &Store| {
            states_are(
                s,
                &[
                    (&r.written_off, CaseState::WrittenOff),
                    (&r.enforced, CaseState::Garnishment),
                    (&r.sks, CaseState::Decided),
                ],
            )
            .await
        },
    )
    .await;
    advance(&config, 150).await;
    passes_until(&e, "slutredovisning", async |s: &Store| {
        states_are(s, &[(&r.enforced, CaseState::Closed)]).await
    })
    .await;
    assert_eq!(state(&store, &r.court).await, CaseState::HandedToCourt);

    // The ledger: what the DELREDs paid out, and the remaining amount as the slutredovisning says.
    let table = fogd::domain::interest::ReferensrantaTable::embedded();
    let enf = store
        .cases_by_reference(&r.enforced, None)
        .await
        .unwrap()
        .remove(0);
    // As of the day it closed on the simulator's calendar (advanced past fogd's today).
    let closed: chrono::NaiveDate = store
        .case_life(enf.id)
        .await
        .unwrap()
        .outcome_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|o| o["avslutat"].as_str().and_then(|d| d.parse().ok()))
        .expect("the slutredovisning's avslutat");
    let life = fogd::cli::status::life_json(&store, &enf, closed, &table)
        .await
        .unwrap();
    let ledger = &life["ledger"];
    let paid: i64 = fogd::domain::Amount::parse_kronor(ledger["paid_out"].as_str().unwrap())
        .unwrap()
        .0;
    assert!(paid > 0, "{life}");
    let rows = store.ledger_entries(enf.id).await.unwrap();
    let paid_rows: i64 = rows
        .iter()
        .filter(|l| l.kind == "paid_out")
        .map(|l| l.amount_ore)
        .sum();
    assert_eq!(paid, paid_rows, "{rows:?}");
    assert_eq!(
        rows.iter().filter(|l| l.kind == "paid_out").count() as u64,
        r.months,
        "one DELRED a month: {rows:?}"
    );
    let remaining = rows
        .iter()
        .rfind(|l| l.kind == "remaining")
        .expect("the slutredovisning's Aterstar");
    assert_eq!(
        ledger["remaining"].as_str(),
        Some(
            fogd::domain::Amount(remaining.amount_ore)
                .to_string()
                .as_str()
        ),
        "{life}"
    );
    assert_eq!(life["outcome"]["orsak"], "betald", "{life}");
    assert_eq!(
        life["outcome"]["totalt_redovisat"], ledger["paid_out"],
        "{life}"
    );

    // `fogd status --case REF --format json` shows the same (SQLite: the binary reads the database file).
    if config.database.url.starts_with("sqlite:") {
        let cfg = dir.join("fogd.toml");
        std::fs::write(&cfg, toml::to_string(&config).unwrap()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fogd"))
            .args(["--config", cfg.to_str().unwrap(), "status", "--case"])
            .arg(&r.enforced)
            .args(["--format", "json", "--as-of", &closed.to_string()])
            .env_remove("FOGD_CONFIG")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let c = &doc["cases"][0];
        assert_eq!(c["state"], "closed", "{text}");
        assert_eq!(c["ledger"]["paid_out"], ledger["paid_out"], "{text}");
        assert_eq!(c["ledger"]["remaining"], ledger["remaining"], "{text}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cases_life_through_the_simulator_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let store = Store::open(&config.database.url, 4).await.unwrap();
    lifecycle(store, dir.path(), config).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cases_life_through_the_simulator_on_postgres() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    // The store is a fresh schema of it (the binary's `status` is exercised on SQLite only).
    config.database.url = url.clone();
    let schema = format!("fogd_life_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 4, Some(&schema))
        .await
        .unwrap();
    lifecycle(store, dir.path(), config).await;
}
