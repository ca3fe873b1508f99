//! The case after registration (fogd-ref-2.md §3, §5; issue 16): every inbound FOGD-REF-2 document applied
//! through the engine's poll — BESTRID, the extended RAPPORT, SKSRAPP, LUB, DELRED, NYTTAVGAR, slutredovisning —
//! moving cases by the transition table with an event naming the message, filling the ledger, tracking
//! `sista_dag`; twice-delivered messages change nothing, a DELRED before its LUB is right, a document that does
//! not read or match is kept with an apply error and changes nothing. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use chrono::{NaiveDate, TimeZone, Utc};
use fogd::domain::interest::ReferensrantaTable;
use fogd::domain::{Amount, CaseState};
use fogd::engine::Engine;
use fogd::store::{NewCase, Store};
use kit::*;

const PRODUCT: &str = "0b7c4b3a-5d1e-5f5e-9a43-3f0a0d6b2c11";

/// A fixed-width record of 256 characters: (1-based start, text) pieces on spaces.
fn rec(parts: &[(usize, &str)]) -> Vec<u8> {
    let mut line = vec![b' '; 256];
    for (start, text) in parts {
        for (i, c) in text.chars().enumerate() {
            line[start - 1 + i] = u8::try_from(u32::from(c)).unwrap();
        }
    }
    line
}

/// A fixed-width document: head `00`, the entries, tail `99` with the record count; CRLF.
fn fixed(filtyp: &str, entries: Vec<Vec<u8>>) -> Vec<u8> {
    let mut lines = vec![rec(&[
        (1, "00"),
        (3, "DEV"),
        (6, filtyp),
        (14, "20261201"),
        (22, "FOGD-REF-2"),
    ])];
    lines.extend(entries);
    let count = format!("{:07}", lines.len() + 1);
    lines.push(rec(&[(1, "99"), (3, &count)]));
    let mut out = Vec::new();
    for l in lines {
        out.extend(l);
        out.extend(b"\r\n");
    }
    out
}

fn bestrid(entries: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    fixed(
        "BESTRID",
        entries
            .iter()
            .map(|(r, m, d, s)| rec(&[(1, "10"), (3, r), (23, m), (43, d), (51, s)]))
            .collect(),
    )
}

/// RAPPORT entries: (ref, målnummer, beslutstyp, domstol, vs_malnummer).
fn rapport2(entries: &[(&str, &str, &str, &str, &str)]) -> Vec<u8> {
    fixed(
        "RAPPORT",
        entries
            .iter()
            .map(|(r, m, b, court, vs)| {
                let amount = if *b == "U" {
                    "0000001271250"
                } else {
                    "0000000000000"
                };
                rec(&[
                    (1, "01"),
                    (3, r),
                    (23, m),
                    (43, b),
                    (44, "20261214"),
                    (52, amount),
                    (65, "U-1"),
                    (85, court),
                    (145, vs),
                ])
            })
            .collect(),
    )
}

fn sksrapp(r: &str, beslut: &str, belopp: &str, plan: &str, promille: &str) -> Vec<u8> {
    fixed(
        "SKSRAPP",
        vec![rec(&[
            (1, "10"),
            (3, r),
            (23, "SKS-2026-00812"),
            (43, beslut),
            (44, "20270114"),
            (52, belopp),
            (65, plan),
            (68, promille),
        ])],
    )
}

fn xml(root: &str, entry: &str, bodies: &[String]) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"urn:fogd:ref2\" utgava=\"FOGD-REF-2\">\n\
         <Huvud><Intressentkod>DEV</Intressentkod><Skapad>2027-01-31T19:05:00</Skapad></Huvud>\n"
    );
    for b in bodies {
        s.push_str(&format!("<{entry}>{b}</{entry}>\n"));
    }
    s.push_str(&format!("</{root}>\n"));
    s.into_bytes()
}

fn lub(m: &str, r: &str) -> Vec<u8> {
    xml(
        "Loneutmatningsbeslut",
        "Beslut",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Beslutsdatum>2027-01-10</Beslutsdatum>\
             <BeloppPerManad>2500.00</BeloppPerManad><FranOchMed>2027-02-01</FranOchMed>"
        )],
    )
}

fn delred(m: &str, r: &str, month: &str, paid: &str, left: &str) -> Vec<u8> {
    xml(
        "Delredovisning",
        "Redovisning",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref>\
             <Period><Fran>{month}-01</Fran><Till>{month}-28</Till></Period><Utredning>LONEUTMATNING</Utredning>\
             <Redovisat>{paid}</Redovisat><AvdragnaAvgifter>0.00</AvdragnaAvgifter><Aterstar>{left}</Aterstar>"
        )],
    )
}

fn nyttavgar(m: &str, r: &str) -> Vec<u8> {
    xml(
        "NyGrundavgift",
        "Avgift",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Belopp>300.00</Belopp>\
             <Debiteras>2027-03-15</Debiteras>"
        )],
    )
}

fn slut(m: &str, r: &str) -> Vec<u8> {
    xml(
        "Slutredovisning",
        "Mal",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Avslutat>2027-05-31</Avslutat>\
             <Orsak>INGA_TILLGANGAR</Orsak><TotaltRedovisat>5000.00</TotaltRedovisat><Aterstar>7200.00</Aterstar>"
        )],
    )
}

fn case_json(reference: &str, kind: &str) -> String {
    serde_json::json!({
        "reference": reference, "kind": kind, "intressentkod": "DEV",
        "claims": [{ "kind": "kapital", "amount": "10000.00",
                     "interest": { "kind": "reference_plus", "rate_bp": 800, "from": "2024-05-10" } }]
    })
    .to_string()
}

fn new_case(reference: &str, kind: &str, state: CaseState, malnummer: Option<&str>) -> NewCase {
    NewCase {
        reference: reference.into(),
        kind: kind.into(),
        intressentkod: "DEV".into(),
        state,
        input_json: String::new(),
        case_json: Some(case_json(reference, kind)),
        content_hash: reference.into(),
        issues_json: "[]".into(),
        hold_reason: None,
        concerns: None,
        malnummer: malnummer.map(String::from),
        source: None,
        source_line: None,
    }
}

const BFO: &str = "betalningsforelaggande";
const VST: &str = "verkstallighet";
const SKS: &str = "fordringsanmalan";

async fn case(e: &Engine, reference: &str, kind: &str) -> fogd::store::CaseRow {
    e.store
        .cases_by_reference(reference, None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == kind)
        .unwrap()
}

async fn events(e: &Engine) -> usize {
    let mut n = 0;
    for c in e.store.list_cases(&[]).await.unwrap() {
        n += e.store.case_events(c.id).await.unwrap().len();
    }
    n
}

/// Delivers `bytes` as `name`, polls, and returns the stored message's apply error.
async fn deliver(e: &Engine, fake: &FakeShs, name: &str, bytes: Vec<u8>) -> Option<String> {
    fake.reply(PRODUCT, name, "data", bytes, None);
    let p = e.poll_pass().await.unwrap();
    assert_eq!(p.apply.failed, 0);
    e.store
        .list_inbound()
        .await
        .unwrap()
        .pop()
        .unwrap()
        .apply_error
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

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

/// A decision on paper: moves the case by the table with the operator and the note in its event and notes; a
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
    let notes = e.store.case_notes(row.id).await.unwrap();
    assert_eq!(notes.len(), 1);
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
