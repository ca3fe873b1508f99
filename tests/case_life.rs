//! The case after registration (fogd-ref-2.md §3, §5; issue 16): every inbound FOGD-REF-2 document applied
//! through the engine's poll — BESTRID, the extended RAPPORT, SKSRAPP, LUB, DELRED, NYTTAVGAR, slutredovisning —
//! moving cases by the transition table with an event naming the message, filling the ledger, tracking
//! `sista_dag`; twice-delivered messages change nothing, a DELRED before its LUB is right, a document that does
//! not read or match is kept with an apply error and changes nothing; the ledger through the API, the status report
//! and `fogd status`. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;
#[path = "common/life_kit.rs"]
mod life_kit;

use chrono::{TimeZone, Utc};
use fogd::domain::interest::ReferensrantaTable;
use fogd::domain::{Amount, CaseState};
use fogd::store::Store;
use kit::*;
use life_kit::*;

async fn lifecycle(store: Store) {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let cases = vec![
        new_case("B1", BFO, CaseState::Registered, Some("BF-1")),
        new_case("B2", BFO, CaseState::Registered, Some("BF-2")),
        new_case("B3", BFO, CaseState::Registered, Some("BF-3")),
        new_case("B4", BFO, CaseState::Registered, Some("BF-4")),
        new_case("V1", VST, CaseState::Registered, Some("VS-1")),
        new_case("S1", SKS, CaseState::Lodged, None),
    ];
    store.upsert_cases(&cases, "test", at).await.unwrap();
    let (e, fake, _clock) = engine(store, config());
    let table = ReferensrantaTable::embedded();

    // BESTRID: B1 and B2 disputed, sista_dag tracked; an unknown reference is named, the rest applies.
    let err = deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[
            ("B1", "BF-1", "20261120", "20261218"),
            ("B2", "BF-2", "20261121", "20261219"),
            ("NOPE", "BF-9", "20261121", "20261219"),
        ]),
    )
    .await;
    assert!(err.unwrap().contains("NOPE"));
    let b1 = case(&e, "B1", BFO).await;
    assert_eq!(b1.state, CaseState::Disputed);
    let ev = e.store.case_events(b1.id).await.unwrap();
    let last = ev.last().unwrap();
    assert_eq!(last.actor, "bestrid");
    assert!(
        last.reason
            .as_deref()
            .unwrap()
            .contains("SUPRO.DEV.BESTRID (tx "),
        "{last:?}"
    );
    let dl = e.store.deadlines(None).await.unwrap();
    assert_eq!(
        dl.iter()
            .map(|d| (d.reference.as_str(), d.kind.as_str(), d.due.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("B1", "overlamnande", "2026-12-18"),
            ("B2", "overlamnande", "2026-12-19")
        ]
    );
    // The same BESTRID again (a new tx.id): nothing changes.
    let n = events(&e).await;
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B1", "BF-1", "20261120", "20261218")]),
    )
    .await;
    assert_eq!(events(&e).await, n);

    // RAPPORT (FOGD-REF-2): D → handed_to_court with the court, A → written_off, U with vs_malnummer → decided →
    // enforcement, R → withdrawn.
    let err = deliver(
        &e,
        &fake,
        "SUPRO.DEV.RAPPORT",
        rapport2(&[
            ("B1", "BF-1", "D", "Göteborgs tingsrätt", ""),
            ("B2", "BF-2", "A", "", ""),
            ("B3", "BF-3", "U", "", "VS-3"),
            ("B4", "BF-4", "R", "", ""),
        ]),
    )
    .await;
    assert_eq!(err, None);
    assert_eq!(case(&e, "B1", BFO).await.state, CaseState::HandedToCourt);
    let life = e.store.case_life(b1.id).await.unwrap();
    assert!(life.outcome_json.unwrap().contains("Göteborgs tingsrätt"));
    assert_eq!(case(&e, "B2", BFO).await.state, CaseState::WrittenOff);
    assert_eq!(case(&e, "B4", BFO).await.state, CaseState::Withdrawn);
    let b3 = case(&e, "B3", BFO).await;
    assert_eq!(b3.state, CaseState::Enforcement);
    let life = e.store.case_life(b3.id).await.unwrap();
    assert_eq!(life.enforcement_malnummer.as_deref(), Some("VS-3"));
    let states: Vec<_> = e
        .store
        .case_events(b3.id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.to_state)
        .collect();
    assert_eq!(
        states,
        vec![
            CaseState::Registered,
            CaseState::Decided,
            CaseState::Enforcement
        ]
    );

    // A DELRED before its LUB: the payment is recorded, the state waits for the LUB.
    let err = deliver(
        &e,
        &fake,
        "2027-01-31_DEV_DELRED_01.xml",
        delred("VS-3", "B3", "2027-01", "2500.00", "9812.40"),
    )
    .await;
    assert_eq!(err, None);
    assert_eq!(case(&e, "B3", BFO).await.state, CaseState::Enforcement);
    assert_eq!(
        deliver(&e, &fake, "2027-01-10_DEV_LUB_01.xml", lub("VS-3", "B3")).await,
        None
    );
    assert_eq!(case(&e, "B3", BFO).await.state, CaseState::Garnishment);
    // The same DELRED under a new tx.id, a second month, a fee.
    deliver(
        &e,
        &fake,
        "2027-01-31_DEV_DELRED_01.xml",
        delred("VS-3", "B3", "2027-01", "2500.00", "9812.40"),
    )
    .await;
    deliver(
        &e,
        &fake,
        "2027-02-28_DEV_DELRED_01.xml",
        delred("VS-3", "B3", "2027-02", "2500.00", "7312.40"),
    )
    .await;
    deliver(
        &e,
        &fake,
        "2027-03-01_DEV_NYTTAVGAR_01.xml",
        nyttavgar("VS-3", "B3"),
    )
    .await;
    let row = case(&e, "B3", BFO).await;
    let l = fogd::engine::ledger::case_ledger(&e.store, &row, d("2027-03-31"), &table)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l.claimed, Amount(1_000_000));
    assert_eq!(
        l.paid_out,
        Amount(500_000),
        "the repeated DELRED counts once"
    );
    assert_eq!(l.fees, Amount(30_000));
    assert_eq!(l.remaining, Some(Amount(731_240)));
    // The shipped referensränta table lacks 2026-07-01 (fogd-ref-2.md §4): interest unknown, named by rule.
    assert_eq!(l.interest, None);
    assert!(l
        .interest_problem
        .unwrap()
        .starts_with("interest.rate_unknown"));
    // Up to a date the table covers: the spec's worked example (10 000 kr, reference + 8, from 2024-05-10).
    let l = fogd::engine::ledger::case_ledger(&e.store, &row, d("2025-02-15"), &table)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l.interest, Some(Amount(91_151)));
    // As of an earlier date: only what was reported by then.
    let l = fogd::engine::ledger::case_ledger(&e.store, &row, d("2027-02-01"), &table)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (l.paid_out, l.remaining),
        (Amount(250_000), Some(Amount(981_240)))
    );

    // Slutredovisning → closed with Orsak; Aterstar is what remains.
    assert_eq!(
        deliver(&e, &fake, "ints001x1_DEV.xml", slut("VS-3", "B3")).await,
        None
    );
    let row = case(&e, "B3", BFO).await;
    assert_eq!(row.state, CaseState::Closed);
    let life = e.store.case_life(row.id).await.unwrap();
    assert!(life
        .outcome_json
        .unwrap()
        .contains("\"orsak\":\"inga_tillgangar\""));
    let l = fogd::engine::ledger::case_ledger(&e.store, &row, d("2027-06-30"), &table)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l.remaining, Some(Amount(720_000)));

    // Stored under their own kinds (not `unknown`); the FOGD-REF-2 RAPPORT is an utslag report.
    let kinds: std::collections::BTreeSet<String> = e
        .store
        .list_inbound()
        .await
        .unwrap()
        .iter()
        .map(|m| m.kind.to_string())
        .collect();
    for k in [
        "bestridande",
        "utslag",
        "delred",
        "lub",
        "nyttavgar",
        "slutredovisning",
    ] {
        assert!(kinds.contains(k), "{k}: {kinds:?}");
    }
    assert!(!kinds.contains("unknown"), "{kinds:?}");

    // A verkställighet case: LUB from registered.
    deliver(&e, &fake, "2027-01-10_DEV_LUB_01.xml", lub("VS-1", "V1")).await;
    assert_eq!(case(&e, "V1", VST).await.state, CaseState::Garnishment);

    // SKSRAPP: lodged → decided with the decision kept; a changed plan (N) moves it again, once.
    assert_eq!(
        deliver(
            &e,
            &fake,
            "REX.DEV.SKSRAPP",
            sksrapp("S1", "B", "0000001543210", "060", "0180")
        )
        .await,
        None
    );
    let s1 = case(&e, "S1", SKS).await;
    assert_eq!(s1.state, CaseState::Decided);
    let o = e
        .store
        .case_life(s1.id)
        .await
        .unwrap()
        .outcome_json
        .unwrap();
    assert!(
        o.contains("\"beslut\":\"beviljad\"")
            && o.contains("\"godkant_belopp\":\"15432.10\"")
            && o.contains("\"utdelning_promille\":180"),
        "{o}"
    );
    for _ in 0..2 {
        deliver(
            &e,
            &fake,
            "REX.DEV.SKSRAPP",
            sksrapp("S1", "N", "0000000980000", "036", "1000"),
        )
        .await;
    }
    let ev = e.store.case_events(s1.id).await.unwrap();
    assert_eq!(ev.len(), 3, "created, decided, plan changed once: {ev:?}");
    assert!(e
        .store
        .case_life(s1.id)
        .await
        .unwrap()
        .outcome_json
        .unwrap()
        .contains("forandrad_plan"));

    // A document that does not read is kept with its error, and nothing changes.
    let n = events(&e).await;
    let before = e.store.list_cases(&[]).await.unwrap();
    let mut bad = delred("VS-1", "V1", "2027-03", "2500.00", "100.00");
    let text = String::from_utf8(bad.clone()).unwrap();
    bad = text
        .replace(
            "<Redovisat>2500.00</Redovisat>",
            "<Redovisat>25,00</Redovisat>",
        )
        .into_bytes();
    let err = deliver(&e, &fake, "2027-03-31_DEV_DELRED_01.xml", bad).await;
    assert!(err.unwrap().contains("delred"), "names the layout");
    assert_eq!(events(&e).await, n);
    assert_eq!(e.store.list_cases(&[]).await.unwrap(), before);
    let v1 = case(&e, "V1", VST).await;
    assert!(e.store.ledger_entries(v1.id).await.unwrap().is_empty());
    // Re-applying every stored message changes nothing.
    for m in e.store.list_inbound().await.unwrap() {
        assert_eq!(
            e.apply_inbound(m.id).await.unwrap(),
            fogd::engine::apply::Applied::AlreadyApplied
        );
    }
    assert_eq!(events(&e).await, n);

    // The status report's "remaining" column: Kronofogden's latest Aterstar, empty while unknown.
    let r = fogd::report::build(
        &e.store,
        fogd::report::ReportKind::Status,
        d("2026-11-01"),
        d("2026-11-01"),
    )
    .await
    .unwrap();
    let col = r.headers.iter().position(|h| h == "remaining_kr").unwrap();
    let row_of = |reference: &str| {
        r.rows
            .iter()
            .find(|row| row[0] == fogd::report::Cell::text(reference))
            .unwrap()
    };
    assert_eq!(
        row_of("B3")[col],
        fogd::report::Cell::Amount(Amount(720_000))
    );
    assert_eq!(row_of("B1")[col], fogd::report::Cell::Empty);

    // The API answers the ledger as of a date, with the enforcement målnummer and the outcome.
    let state = std::sync::Arc::new(fogd::api::AppState::new(
        e.store.clone(),
        config(),
        e.clock.clone(),
    ));
    let (_, token) = e
        .store
        .create_token("lead", fogd::store::Role::Operator, at)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = fogd::api::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let get = |q: &str| {
        http.get(format!("http://{addr}/api/v1/cases/B3{q}"))
            .bearer_auth(&token)
            .send()
    };
    let v: serde_json::Value = get("?as_of=2027-06-30")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = &v["cases"][0];
    assert_eq!(c["state"], "closed");
    assert_eq!(c["enforcement_malnummer"], "VS-3");
    assert_eq!(c["outcome"]["orsak"], "inga_tillgangar");
    let l = &c["ledger"];
    assert_eq!(
        (
            &l["claimed"],
            &l["reductions"],
            &l["fees"],
            &l["paid_out"],
            &l["remaining"]
        ),
        (
            &serde_json::json!("10000.00"),
            &serde_json::json!("0.00"),
            &serde_json::json!("300.00"),
            &serde_json::json!("5000.00"),
            &serde_json::json!("7200.00")
        )
    );
    assert_eq!(l["interest"], serde_json::Value::Null);
    let v: serde_json::Value = get("?as_of=2025-02-15")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let l = &v["cases"][0]["ledger"];
    assert_eq!(
        (&l["interest"], &l["remaining"]),
        (&serde_json::json!("911.51"), &serde_json::Value::Null)
    );
    assert_eq!(
        get("?as_of=2025-13-01").await.unwrap().status(),
        reqwest::StatusCode::BAD_REQUEST
    );
}
both_backends!(life, lifecycle);

/// `fogd status --case REF --as-of DATE` shows the ledger (JSON and text); `fogd status --deadlines` lists
/// `sista_dag`.
#[tokio::test]
async fn status_cli_shows_ledger_and_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fogd.db");
    let config = dir.path().join("fogd.toml");
    std::fs::write(
        &config,
        format!("[database]\nurl = \"sqlite://{}\"\n", db.display()),
    )
    .unwrap();
    let store = Store::open(&format!("sqlite://{}", db.display()), 2)
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    store
        .upsert_cases(
            &[
                new_case("V1", VST, CaseState::Registered, Some("VS-1")),
                new_case("B1", BFO, CaseState::Registered, Some("BF-1")),
            ],
            "test",
            at,
        )
        .await
        .unwrap();
    let (e, fake, _clock) = engine(store, kit::config());
    deliver(
        &e,
        &fake,
        "2027-01-31_DEV_DELRED_01.xml",
        delred("VS-1", "V1", "2027-01", "2500.00", "9812.40"),
    )
    .await;
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B1", "BF-1", "20261120", "20261218")]),
    )
    .await;
    e.store.close().await;
    let fogd = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_fogd"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("FOGD_LOG", "warn")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&fogd(&[
        "status",
        "--case",
        "V1",
        "--as-of",
        "2027-02-01",
        "--format",
        "json",
    ]))
    .unwrap();
    let l = &v["cases"][0]["ledger"];
    assert_eq!(l["paid_out"], "2500.00");
    assert_eq!(l["remaining"], "9812.40");
    assert_eq!(l["claimed"], "10000.00");
    let v: serde_json::Value = serde_json::from_str(&fogd(&[
        "status",
        "--case",
        "V1",
        "--as-of",
        "2027-01-01",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        v["cases"][0]["ledger"]["remaining"],
        serde_json::Value::Null
    );
    let text = fogd(&["status", "--case", "V1", "--as-of", "2027-02-01"]);
    assert!(
        text.contains("paid out 2500.00 kr, remaining 9812.40 kr"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&fogd(&["status", "--deadlines", "--format", "json"])).unwrap();
    assert_eq!(v["deadlines"][0]["reference"], "B1");
    assert_eq!(v["deadlines"][0]["kind"], "overlamnande");
    assert_eq!(v["deadlines"][0]["due"], "2026-12-18");
    assert!(fogd(&["status", "--deadlines"]).contains("2026-12-18  overlamnande"));

    // `fogd request` and `fogd paper-decision` (the begäran is approved; the paper decision moves the case).
    let v: serde_json::Value = serde_json::from_str(&fogd(&[
        "request",
        "overlamnande",
        "--case",
        "B1",
        "--date",
        "2026-11-25",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        (&v["reference"], &v["state"]),
        (&serde_json::json!("B1-O"), &serde_json::json!("approved"))
    );
    let text = fogd(&[
        "paper-decision",
        "--case",
        "B1",
        "--decision",
        "written-off",
        "--note",
        "avskrivningsbeslut på papper",
    ]);
    assert!(text.contains("B1: disputed → written_off"), "{text}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_fogd"))
        .arg("--config")
        .arg(&config)
        .args([
            "request",
            "enforcement",
            "--case",
            "B1",
            "--date",
            "2026-11-25",
        ])
        .env("FOGD_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("begaran.enforcement_no_utslag"));
}
