//! What operators do with a case after registration (issue 16): a begäran (`fogd request`, `POST
//! /api/v1/cases/{ref}/requests`) checked, built, sent and receipted; deadlines tracked and alerted ahead; decisions
//! that came on paper entered (`fogd paper-decision`, `POST /api/v1/cases/{ref}/decisions`). On SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;
#[path = "common/life_kit.rs"]
mod life_kit;

use chrono::{TimeZone, Utc};
use fogd::domain::CaseState;
use fogd::engine::Engine;
use fogd::store::Store;
use kit::*;
use life_kit::*;

/// A begäran (fogd-ref-2.md §2.5): checked against what fogd knows (court only for a disputed case and no later
/// than its sista_dag; enforcement only after an utslag and once), approved by the operator, built into
/// `{ik}.BEGARAN` (its own löpnummer series, O/V and the case's målnummer), sent, and accepted by its kvittens
/// `SUPRO.{ik}.BEGKVITT`.
async fn begaran(store: Store) {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    store
        .upsert_cases(
            &[
                new_case("B1", BFO, CaseState::Registered, Some("BF-1")),
                new_case("B2", BFO, CaseState::Registered, Some("BF-2")),
                new_case("B3", BFO, CaseState::Registered, Some("BF-3")),
            ],
            "test",
            at,
        )
        .await
        .unwrap();
    let config = kit::config();
    let fake = std::sync::Arc::new(FakeShs::default());
    let clock =
        fogd::clock::ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 10, 10, 0, 0).unwrap());
    let shared: fogd::clock::SharedClock = std::sync::Arc::new(clock.clone());
    let e = Engine::new(
        store,
        fake.clone(),
        std::sync::Arc::new(fogd::layout_files::load(&config).unwrap()),
        std::sync::Arc::new(config.clone()),
        shared,
    );
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B1", "BF-1", "20261120", "20261218")]),
    )
    .await;
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.RAPPORT",
        rapport2(&[("B3", "BF-3", "U", "", "")]),
    )
    .await;
    let ctx = fogd::cli::import::validation_context(&config, e.clock.as_ref()).unwrap();
    let ask = |concerns: &'static str, r, date: &'static str, own: &'static str| {
        let e = &e;
        let ctx = &ctx;
        async move {
            fogd::engine::request::request_begaran(
                &e.store,
                ctx,
                e.clock.as_ref(),
                concerns,
                r,
                d(date),
                own,
                "lead",
            )
            .await
            .unwrap()
        }
    };
    use fogd::domain::case::BegaranRequest::{Court, Enforcement};
    let rule = |o: &fogd::engine::request::RequestOutcome| {
        assert_eq!(o.state, CaseState::Invalid, "{o:?}");
        o.problems[0].rule.clone()
    };
    // Refused: not disputed; after sista_dag; no utslag; enforcement twice.
    assert_eq!(
        rule(&ask("B2", Court, "2026-12-10", "B2-O").await),
        "begaran.court_not_disputed"
    );
    clock.set(Utc.with_ymd_and_hms(2026, 12, 20, 10, 0, 0).unwrap());
    let ctx_late = fogd::cli::import::validation_context(&config, e.clock.as_ref()).unwrap();
    let late = fogd::engine::request::request_begaran(
        &e.store,
        &ctx_late,
        e.clock.as_ref(),
        "B1",
        Court,
        d("2026-12-19"),
        "B1-O-LATE",
        "lead",
    )
    .await
    .unwrap();
    assert_eq!(rule(&late), "begaran.court_too_late");
    clock.set(Utc.with_ymd_and_hms(2026, 12, 10, 10, 0, 0).unwrap());
    assert_eq!(
        rule(&ask("B2", Enforcement, "2026-12-10", "B2-V").await),
        "begaran.enforcement_no_utslag"
    );
    assert_eq!(
        rule(&ask("NOPE", Court, "2026-12-10", "NOPE-O").await),
        "follow_up.unknown_case"
    );
    // A refused request is answered, not kept as an invalid case to clear up.
    for refused in ["B2-O", "B1-O-LATE", "B2-V", "NOPE-O"] {
        let kept = e.store.cases_by_reference(refused, None).await.unwrap();
        assert!(kept.is_empty(), "{refused}: {kept:?}");
    }
    // B4's application asked for överlämnande if disputed: Kronofogden hands it over without a begäran.
    let mut b4 = new_case("B4", BFO, CaseState::Disputed, Some("BF-4"));
    let mut j: serde_json::Value = serde_json::from_str(b4.case_json.as_deref().unwrap()).unwrap();
    j["requests"] = serde_json::json!({"enforcement": false, "court_if_disputed": true});
    b4.case_json = Some(j.to_string());
    e.store.upsert_cases(&[b4], "test", at).await.unwrap();
    assert_eq!(
        rule(&ask("B4", Court, "2026-12-10", "B4-O").await),
        "begaran.court_in_application"
    );
    // Accepted: överlämnande for B1 within its window, verkställighet for B3; a second V is refused.
    let o = ask("B1", Court, "2026-12-10", "B1-O").await;
    assert_eq!(
        (o.state, o.problems.len()),
        (CaseState::Approved, 0),
        "{o:?}"
    );
    let row = case(&e, "B1-O", "begaran").await;
    let ev = e.store.case_events(row.id).await.unwrap();
    assert_eq!(ev.last().unwrap().actor, "lead");
    let o = ask("B3", Enforcement, "2026-12-10", "B3-V").await;
    assert_eq!(o.state, CaseState::Approved, "{o:?}");
    assert_eq!(
        rule(&ask("B3", Enforcement, "2026-12-10", "B3-V2").await),
        "begaran.enforcement_already_requested"
    );

    // Built into {ik}.BEGARAN, löpnummer 1 of its own series, and sent.
    let b = e.build_pass().await.unwrap();
    let begaran: Vec<_> = b
        .files
        .iter()
        .filter(|f| f.name.ends_with(".BEGARAN"))
        .collect();
    assert_eq!(begaran.len(), 1, "{b:?}");
    assert_eq!((begaran[0].lopnummer, begaran[0].cases), (1, 2));
    let file = e
        .store
        .list_files()
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.id == begaran[0].id)
        .unwrap();
    assert_eq!(
        (file.layout.as_str(), file.filtyp.as_str()),
        ("bfo-begaran", "BEGARAN")
    );
    e.send_pass().await.unwrap();
    let sent = fake
        .sent
        .lock()
        .unwrap()
        .iter()
        .flat_map(|m| m.parts.clone())
        .find(|p| p.filename.as_deref() == Some("DEV.BEGARAN"))
        .unwrap();
    let text = String::from_utf8_lossy(sent.bytes().unwrap()).to_string();
    let recs: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with("10")).collect();
    assert_eq!(recs.len(), 2, "{text}");
    let o = recs.iter().find(|r| r[2..22].trim() == "B1-O").unwrap();
    assert_eq!(
        (o[22..42].trim(), &o[42..43], &o[43..51]),
        ("BF-1", "O", "20261210")
    );
    let v = recs.iter().find(|r| r[2..22].trim() == "B3-V").unwrap();
    assert_eq!((v[22..42].trim(), &v[42..43]), ("BF-3", "V"));

    // Its kvittens accepts both.
    assert_eq!(
        deliver(
            &e,
            &fake,
            "SUPRO.DEV.BEGKVITT",
            kvittens("BEGARAN", 1, fogd::formats::KvittensStatus::Godkand, vec![]),
        )
        .await,
        None
    );
    assert_eq!(case(&e, "B1-O", "begaran").await.state, CaseState::Accepted);
    assert_eq!(case(&e, "B3-V", "begaran").await.state, CaseState::Accepted);

    // The API: POST /api/v1/cases/{ref}/requests — 422 with the rule when refused, 201 when it will be sent.
    let state = std::sync::Arc::new(fogd::api::AppState::new(
        e.store.clone(),
        config.clone(),
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
    let post = |reference: &str, body: serde_json::Value| {
        http.post(format!("http://{addr}/api/v1/cases/{reference}/requests"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let r = post("B2", serde_json::json!({"request": "court"}))
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["problems"][0]["rule"], "begaran.court_not_disputed");
    let r = post("B2", serde_json::json!({"request": "tingsratt"}))
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B2", "BF-2", "20261201", "20261229")]),
    )
    .await;
    let r = post(
        "B2",
        serde_json::json!({"request": "court", "reference": "B2-COURT"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let row = case(&e, "B2-COURT", "begaran").await;
    assert_eq!(row.state, CaseState::Approved);
    assert_eq!(
        e.store
            .case_events(row.id)
            .await
            .unwrap()
            .last()
            .unwrap()
            .actor,
        "api:lead"
    );
}
both_backends!(begaran_requests, begaran);

/// Deadlines: a bestridande's sista_dag alerts `[alerts] deadline_warn_days` ahead while the case is disputed and
/// recovers when it is handed over; an accepted ändring with an uppskov tracks the uppskov's end on its
/// verkställighet case.
async fn deadlines(store: Store) {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut andring = new_case("A1", "verkstallighet_andring", CaseState::Approved, None);
    andring.case_json = Some(
        serde_json::json!({
            "reference": "A1", "kind": "verkstallighet_andring", "intressentkod": "DEV", "concerns": "V1",
            "malnummer": "VS-1", "date": "2026-11-01", "change": { "kind": "uppskov", "until": "2027-03-01" }
        })
        .to_string(),
    );
    andring.concerns = Some("V1".into());
    andring.malnummer = Some("VS-1".into());
    store
        .upsert_cases(
            &[
                new_case("B1", BFO, CaseState::Registered, Some("BF-1")),
                new_case("V1", VST, CaseState::Registered, Some("VS-1")),
                andring,
            ],
            "test",
            at,
        )
        .await
        .unwrap();
    let (e, fake, clock) = engine(store, kit::config());
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B1", "BF-1", "20261120", "20261218")]),
    )
    .await;
    let conditions = |day: &'static str| {
        let store = e.store.clone();
        async move {
            fogd::alerts::deadline_conditions(&store, 7, d(day))
                .await
                .unwrap()
        }
    };
    assert!(conditions("2026-12-10").await.is_empty(), "8 days ahead");
    let c = conditions("2026-12-11").await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].1, fogd::alerts::AlertKind::Deadline);
    assert!(
        c[0].2.contains("överlämnande of case B1 is 2026-12-18"),
        "{}",
        c[0].2
    );
    assert!(conditions("2026-12-20").await[0]
        .2
        .contains("passed on 2026-12-18"));
    // The alerter raises it once, records when, and clears it when the case is handed over.
    let alerter = fogd::alerts::Alerter::new(&fogd::config::AlertsConfig::default());
    let now = Utc.with_ymd_and_hms(2026, 12, 12, 8, 0, 0).unwrap();
    alerter.check_deadlines(&e.store, 7, now).await.unwrap();
    assert_eq!(alerter.active().len(), 1);
    let dl = e.store.deadlines(None).await.unwrap();
    assert!(dl[0].alerted_at.is_some());
    deliver(
        &e,
        &fake,
        "SUPRO.DEV.RAPPORT",
        rapport2(&[("B1", "BF-1", "D", "Solna tingsrätt", "")]),
    )
    .await;
    alerter.check_deadlines(&e.store, 7, now).await.unwrap();
    assert!(alerter.active().is_empty());

    // The ändring's uppskov: built, sent, accepted → the verkställighet case tracks its end.
    clock.set(at);
    let b = e.build_pass().await.unwrap();
    assert_eq!(b.files.len(), 1, "{b:?}");
    e.send_pass().await.unwrap();
    deliver(
        &e,
        &fake,
        "REX.DEV.KVITTENS",
        kvittens("ANDRING", 1, fogd::formats::KvittensStatus::Godkand, vec![]),
    )
    .await;
    assert_eq!(
        case(&e, "A1", "verkstallighet_andring").await.state,
        CaseState::Accepted
    );
    let dl = e.store.deadlines(None).await.unwrap();
    let u = dl.iter().find(|d| d.kind == "uppskov_end").unwrap();
    assert_eq!((u.reference.as_str(), u.due.as_str()), ("V1", "2027-03-01"));
    assert!(conditions("2027-02-25")
        .await
        .iter()
        .any(|c| c.2.contains("uppskov of case V1")));

    // A fordringsanmälan not yet sent: its filing deadline (publication date + 1 month) is tracked and alerted.
    let mut sks = new_case("S1", SKS, CaseState::Journal, None);
    sks.case_json = Some(
        serde_json::json!({
            "reference": "S1", "kind": "fordringsanmalan", "intressentkod": "DEV",
            "debt_restructuring_case": "SKS-1", "publication_date": "2026-11-10"
        })
        .to_string(),
    );
    e.store.upsert_cases(&[sks], "test", at).await.unwrap();
    let track = || fogd::engine::deadlines::track_filing_deadlines(&e.store);
    assert_eq!(track().await.unwrap(), 1);
    assert_eq!(track().await.unwrap(), 0, "tracked once");
    let c = conditions("2026-12-05").await;
    assert!(
        c.iter().any(|c| c
            .2
            .contains("skuldsanering filing deadline of case S1 is 2026-12-10")),
        "{c:?}"
    );
}
both_backends!(deadline_alerts, deadlines);

/// A decision on paper: moves the case by the table with the operator and the note in its event and outcome; a
/// move the table does not allow is refused and changes nothing. Through the engine and the API.
async fn paper(store: Store) {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    store
        .upsert_cases(
            &[
                new_case("B1", BFO, CaseState::Registered, Some("BF-1")),
                new_case("B2", BFO, CaseState::Registered, Some("BF-2")),
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
        "SUPRO.DEV.BESTRID",
        bestrid(&[("B1", "BF-1", "20261120", "20261218")]),
    )
    .await;
    use fogd::engine::paper::{record_paper_decision, PaperDecision};
    let o = record_paper_decision(
        &e.store,
        "B1",
        PaperDecision::WrittenOff,
        d("2026-12-22"),
        "avskrivningsbeslut 2026-12-22, dnr 123",
        "lead",
        e.clock.as_ref(),
    )
    .await
    .unwrap();
    assert_eq!(
        (o.from, o.to, o.problem.as_deref()),
        (Some(CaseState::Disputed), Some(CaseState::WrittenOff), None)
    );
    let row = case(&e, "B1", BFO).await;
    assert_eq!(row.state, CaseState::WrittenOff);
    let ev = e.store.case_events(row.id).await.unwrap();
    let last = ev.last().unwrap();
    assert_eq!(last.actor, "lead");
    assert!(last.reason.as_deref().unwrap().contains("dnr 123"));
    // The note is kept once, in the event (with the operator) and the outcome, not again as a case note: the
    // case page's timeline shows events and notes together.
    let notes = e.store.case_notes(row.id).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(e
        .store
        .case_life(row.id)
        .await
        .unwrap()
        .outcome_json
        .unwrap()
        .contains("\"paper\":true"));
    // Not allowed from its state (written off cannot be closed): refused, nothing changes.
    let n = ev.len();
    let o = record_paper_decision(
        &e.store,
        "B1",
        PaperDecision::Closed,
        d("2026-12-22"),
        "x",
        "lead",
        e.clock.as_ref(),
    )
    .await
    .unwrap();
    assert!(o.problem.unwrap().contains("cannot become closed"));
    assert_eq!(e.store.case_events(row.id).await.unwrap().len(), n);

    // The API.
    let state = std::sync::Arc::new(fogd::api::AppState::new(
        e.store.clone(),
        kit::config(),
        e.clock.clone(),
    ));
    let (_, token) = e
        .store
        .create_token("lead", fogd::store::Role::Operator, at)
        .await
        .unwrap();
    let (_, viewer) = e
        .store
        .create_token("look", fogd::store::Role::Viewer, at)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = fogd::api::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post = |reference: &str, token: &str, body: serde_json::Value| {
        http.post(format!("http://{addr}/api/v1/cases/{reference}/decisions"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let body = serde_json::json!({"decision": "handed_to_court", "note": "beslut om överlämnande, Solna tingsrätt"});
    assert_eq!(
        post("B2", &viewer, body.clone()).await.unwrap().status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let r = post("B2", &token, body.clone()).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(case(&e, "B2", BFO).await.state, CaseState::HandedToCourt);
    assert_eq!(
        post("B2", &token, body).await.unwrap().status(),
        reqwest::StatusCode::CONFLICT
    );
    assert_eq!(
        post(
            "B2",
            &token,
            serde_json::json!({"decision": "lost", "note": "x"})
        )
        .await
        .unwrap()
        .status(),
        reqwest::StatusCode::BAD_REQUEST
    );
}
both_backends!(paper_decisions, paper);
