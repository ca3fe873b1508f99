#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The ops console's store queries (`src/store/console.rs`), on SQLite and on PostgreSQL when
//! `FOGD_TEST_POSTGRES_URL` is set (a fresh schema): keyset paging walks every filtered case exactly once, newest
//! first; each filter (state, kind, intressentkod, creditor, file, creation range) narrows; totals per kind and
//! state add up the claimed amounts; state changes are counted per hour; notes are kept in order.

use chrono::{DateTime, TimeZone, Utc};
use fogd::domain::case::{Debtor, Party};
use fogd::domain::state::Cause;
use fogd::domain::{Amount, Case, CaseKind, CaseState, Claim, ClaimKind, IdKind, IdNumber};
use fogd::store::console::CaseFilter;
use fogd::store::debtor_keys::query_key;
use fogd::store::{CaseMove, CaseSelection, NewCase, Store, UpsertOutcome};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()
}

fn new_case(i: usize) -> NewCase {
    let kind = if i % 3 == 0 {
        CaseKind::Verkstallighet
    } else {
        CaseKind::Betalningsforelaggande
    };
    let creditor = if i % 2 == 0 {
        "165560360793"
    } else {
        "165566778808"
    };
    let case = Case {
        reference: format!("R-{i:04}"),
        kind,
        intressentkod: if i < 100 { "DEV" } else { "ALT" }.into(),
        creditor: Some(Party {
            id: IdNumber {
                kind: IdKind::Organisationsnummer,
                digits: creditor.into(),
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
        debtors: Vec::new(),
        claims: vec![Claim {
            kind: ClaimKind::Kapital,
            amount: Amount(10_000 + i as i64),
            due_date: None,
            invoice_number: Some(format!("F-{i:04}")),
            basis: None,
            interest: None,
            arose: None,
            accrued_interest: None,
            costs: Some(Amount(100)),
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
        kind: kind.as_str().into(),
        intressentkod: case.intressentkod.clone(),
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

async fn console_queries(store: &Store) {
    // 130 cases, created in two batches an hour apart.
    let batch: Vec<NewCase> = (0..130).map(new_case).collect();
    let mut ids = Vec::new();
    for (chunk, hour) in [(&batch[..60], 8), (&batch[60..], 9)] {
        for o in store.upsert_cases(chunk, "test", at(hour)).await.unwrap() {
            match o {
                UpsertOutcome::Inserted { id } => ids.push(id),
                other => panic!("{other:?}"),
            }
        }
    }

    // Keyset paging: 50 a page, newest first, every case once.
    let all = CaseFilter::default();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.cases_filtered(&all, before, 50).await.unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 50);
        before = Some(last.id);
        seen.extend(page.iter().map(|c| c.id));
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    // Each filter narrows.
    let count =
        |f: CaseFilter| async move { store.cases_filtered(&f, None, 1000).await.unwrap().len() };
    let kind = CaseFilter {
        kind: Some(CaseKind::Verkstallighet.as_str().into()),
        ..CaseFilter::default()
    };
    assert_eq!(count(kind).await, 44);
    let ik = CaseFilter {
        intressentkod: Some("ALT".into()),
        ..CaseFilter::default()
    };
    assert_eq!(count(ik).await, 30);
    let creditor = CaseFilter {
        creditor_digits: Some("165566778808".into()),
        ..CaseFilter::default()
    };
    assert_eq!(count(creditor).await, 65);
    let created = CaseFilter {
        created_from: Some(at(9)),
        created_to: Some(at(10)),
        ..CaseFilter::default()
    };
    assert_eq!(count(created).await, 70);

    // Moves: ten held, three of them released again; per-hour counts and per-state totals follow.
    let held = &ids[..10];
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, "ops", at(10)).reason(Some("check"));
    assert_eq!(
        store
            .move_cases(CaseSelection::Ids(held), &mv)
            .await
            .unwrap()
            .count,
        10
    );
    let mv = CaseMove::new(Cause::Release, CaseState::Journal, "ops", at(11));
    assert_eq!(
        store
            .move_cases(CaseSelection::Ids(&held[..3]), &mv)
            .await
            .unwrap()
            .count,
        3
    );
    let states = CaseFilter {
        states: vec![CaseState::Held],
        ..CaseFilter::default()
    };
    assert_eq!(count(states).await, 7);
    let per_hour = store
        .state_changes_per_hour(&[CaseState::Held, CaseState::Journal], at(10))
        .await
        .unwrap();
    let got: Vec<(DateTime<Utc>, CaseState, i64)> = per_hour
        .iter()
        .map(|c| (c.hour, c.state, c.count))
        .collect();
    assert_eq!(
        got,
        vec![
            (at(10), CaseState::Held, 10),
            (at(11), CaseState::Journal, 3)
        ]
    );

    let totals = store.kind_state_totals().await.unwrap();
    let held_total: i64 = totals
        .iter()
        .filter(|t| t.state == CaseState::Held)
        .map(|t| t.amount_ore)
        .sum();
    // Cases 3..=9 are held: capital 10 000 + i öre and 100 öre costs each.
    assert_eq!(held_total, (3..10).map(|i| 10_100 + i).sum::<i64>());
    let cases: i64 = totals.iter().map(|t| t.cases).sum();
    assert_eq!(cases, 130);

    // Notes, oldest first, with who and when.
    store
        .add_case_note(ids[0], "api:ops", at(12), "first")
        .await
        .unwrap();
    store
        .add_case_note(ids[0], "api:boss", at(13), "second")
        .await
        .unwrap();
    let notes = store.case_notes(ids[0]).await.unwrap();
    let got: Vec<(&str, &str, DateTime<Utc>)> = notes
        .iter()
        .map(|n| (n.actor.as_str(), n.text.as_str(), n.at.0))
        .collect();
    assert_eq!(
        got,
        vec![("api:ops", "first", at(12)), ("api:boss", "second", at(13))]
    );
    assert!(store.case_notes(ids[1]).await.unwrap().is_empty());
    assert!(store.files_of_case(ids[0]).await.unwrap().is_empty());
    assert_eq!(store.count_kvittens_overdue(at(23)).await.unwrap(), 0);

    // Search keys: exact and prefix, on reference, invoice and customer number, målnummer.
    let refs = |rows: Vec<fogd::store::CaseRow>| -> Vec<String> {
        rows.into_iter().map(|r| r.reference).collect()
    };
    let search =
        |q: &'static str| async move { refs(store.search_case_keys(q, 100).await.unwrap()) };
    assert_eq!(search("F-0042").await, ["R-0042"]);
    assert_eq!(search("F-004").await.len(), 10);
    assert_eq!(search("R-012").await.len(), 10);
    assert_eq!(search("R-0129").await, ["R-0129"]);
    let k7 = search("K-7").await;
    assert_eq!(k7.len(), 11, "K-7 and K-70..K-79: {k7:?}");
    assert!(search("nothing").await.is_empty());
    assert_eq!(
        store.search_case_keys("R-0", 5).await.unwrap().len(),
        5,
        "bounded"
    );
    // A move that sets the målnummer makes it a key; a replacement rewrites the keys.
    let mv = CaseMove::new(Cause::Hold, CaseState::Held, "ops", at(14)).update(
        fogd::store::CaseUpdate {
            malnummer: Some("12-345678-26".into()),
            ..Default::default()
        },
    );
    store
        .move_cases(CaseSelection::One(ids[20]), &mv)
        .await
        .unwrap();
    assert_eq!(search("12-345678").await, ["R-0020"]);
    let mut replaced = new_case(21);
    replaced.content_hash = "changed".into();
    replaced.case_json = Some(replaced.case_json.unwrap().replace("F-0021", "F-9999"));
    store
        .upsert_cases(&[replaced], "test", at(15))
        .await
        .unwrap();
    assert_eq!(search("F-9999").await, ["R-0021"]);
    assert!(search("F-0021").await.is_empty());
    // An invalid case whose input is not JSON still has its reference as a key, and is stored.
    let mut bad = new_case(500);
    bad.case_json = None;
    bad.input_json = "not json {".into();
    bad.state = CaseState::Invalid;
    store.upsert_cases(&[bad], "test", at(16)).await.unwrap();
    assert_eq!(search("R-0500").await, ["R-0500"]);
    assert!(search("F-0500").await.is_empty());
}

/// An alert log row's id, when it cleared, who acknowledged it and when.
type AlertFacts<'a> = (
    i64,
    Option<DateTime<Utc>>,
    Option<&'a str>,
    Option<DateTime<Utc>>,
);

/// A case of [`new_case`] with these debtors (identity digits, name).
fn case_with_debtors(i: usize, debtors: &[(Option<&str>, &str)]) -> NewCase {
    let mut c = new_case(i);
    let mut case: Case = serde_json::from_str(c.case_json.as_deref().unwrap()).unwrap();
    case.debtors = debtors
        .iter()
        .map(|(digits, name)| Debtor {
            id: digits.map(|d| IdNumber {
                kind: if d.starts_with("16") {
                    IdKind::Organisationsnummer
                } else {
                    IdKind::Personnummer
                },
                digits: d.into(),
            }),
            name: (*name).into(),
            care_of: None,
            street: Some("Gatan 1".into()),
            postal_code: Some("11122".into()),
            city: Some("Stockholm".into()),
            country: "SE".into(),
            phone: None,
            email: None,
            business: digits.is_some_and(|d| d.starts_with("16")),
        })
        .collect();
    c.case_json = Some(serde_json::to_string(&case).unwrap());
    c
}

/// The alert log (raised, raised again with a new message, cleared, acknowledged once: who and when), the debtor
/// search (exact number in any spelling, exact name whatever its case and spacing, replaced with the case's
/// content, gone with the case) and the kvittens latency query.
async fn alerts_debtors_and_latency(store: &Store) {
    // The alert log.
    let a = store
        .log_alert_raised(
            "cert:/id.pem",
            "certificate_expiry",
            "expires within 60 days",
            at(8),
        )
        .await
        .unwrap();
    let b = store
        .log_alert_raised("file_rejected:7", "file_rejected", "rejected whole", at(9))
        .await
        .unwrap();
    // A new message for an open key closes the old row and opens a new one.
    let a2 = store
        .log_alert_raised(
            "cert:/id.pem",
            "certificate_expiry",
            "expires within 30 days",
            at(10),
        )
        .await
        .unwrap();
    assert!(a2 > b && b > a);
    let open = store.open_alerts().await.unwrap();
    let open: Vec<(i64, &str)> = open.iter().map(|r| (r.id, r.message.as_str())).collect();
    assert_eq!(
        open,
        vec![(b, "rejected whole"), (a2, "expires within 30 days")]
    );
    assert!(store
        .log_alert_cleared("file_rejected:7", at(11))
        .await
        .unwrap());
    assert!(
        !store
            .log_alert_cleared("file_rejected:7", at(12))
            .await
            .unwrap(),
        "cleared once"
    );
    assert!(store
        .acknowledge_alert(a2, "api:ops", at(12))
        .await
        .unwrap());
    assert!(
        !store
            .acknowledge_alert(a2, "api:boss", at(13))
            .await
            .unwrap(),
        "the first acknowledgement stays"
    );
    assert!(!store
        .acknowledge_alert(9_999, "api:ops", at(13))
        .await
        .unwrap());
    let recent = store.recent_alerts(10).await.unwrap();
    let got: Vec<AlertFacts> = recent
        .iter()
        .map(|r| {
            (
                r.id,
                r.cleared_at.map(|t| t.0),
                r.acked_by.as_deref(),
                r.acked_at.map(|t| t.0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (a2, None, Some("api:ops"), Some(at(12))),
            (b, Some(at(11)), None, None),
            (a, Some(at(10)), None, None),
        ]
    );
    assert_eq!(store.recent_alerts(1).await.unwrap().len(), 1, "bounded");

    // The debtor search.
    let cases = vec![
        case_with_debtors(1, &[(Some("191212121212"), "Tolvan  Tolvansson")]),
        case_with_debtors(
            2,
            &[
                (Some("191212121212"), "TOLVAN TOLVANSSON"),
                (None, "Åsa Öberg"),
            ],
        ),
        case_with_debtors(3, &[(Some("165560360793"), "Exempel Kredit AB")]),
    ];
    let mut ids = Vec::new();
    for o in store.upsert_cases(&cases, "test", at(8)).await.unwrap() {
        match o {
            UpsertOutcome::Inserted { id } => ids.push(id),
            other => panic!("{other:?}"),
        }
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let by = |q: &'static str| async move {
        let key = query_key(q, today).unwrap();
        let rows = store.search_debtor_key(&key, 100).await.unwrap();
        rows.into_iter().map(|r| r.reference).collect::<Vec<_>>()
    };
    for q in [
        "19121212-1212",
        "121212+1212",
        "191212121212",
        " tolvan tolvansson ",
    ] {
        assert_eq!(by(q).await, ["R-0002", "R-0001"], "{q}");
    }
    assert_eq!(by("ÅSA ÖBERG").await, ["R-0002"]);
    assert_eq!(by("556036-0793").await, ["R-0003"]);
    assert!(by("Tolvan").await.is_empty(), "names are exact");
    assert!(by("19121212-1213").await.is_empty());
    let one = store
        .search_debtor_key(&query_key("19121212-1212", today).unwrap(), 1)
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "bounded");
    // A replacement rewrites the case's debtor keys.
    let mut replaced = case_with_debtors(1, &[(None, "Ny Gäldenär")]);
    replaced.content_hash = "changed".into();
    store
        .upsert_cases(&[replaced], "test", at(9))
        .await
        .unwrap();
    assert_eq!(by("19121212-1212").await, ["R-0002"]);
    assert_eq!(by("ny gäldenär").await, ["R-0001"]);
    // An invalid case (no validated content) has no debtor keys.
    let mut bad = case_with_debtors(4, &[(Some("191212121212"), "Tolvan Tolvansson")]);
    bad.case_json = None;
    bad.input_json = "{}".into();
    bad.state = CaseState::Invalid;
    store.upsert_cases(&[bad], "test", at(9)).await.unwrap();
    assert_eq!(by("19121212-1212").await, ["R-0002"]);

    // No file receipted yet: the latency query finds none.
    assert!(store
        .kvittens_latencies(at(0), 100)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn sqlite_alerts_debtors_and_latency() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url, 2).await.unwrap();
    alerts_debtors_and_latency(&store).await;
}

#[tokio::test]
async fn postgres_alerts_debtors_and_latency() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL alert-log and debtor-search test");
        return;
    };
    let schema = format!("fogd_console_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 2, Some(&schema))
        .await
        .unwrap();
    alerts_debtors_and_latency(&store).await;
    store.drop_test_schema(&schema).await.unwrap();
}

#[tokio::test]
async fn sqlite_console_queries() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url, 2).await.unwrap();
    console_queries(&store).await;
}

#[tokio::test]
async fn postgres_console_queries() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL console-queries test");
        return;
    };
    let schema = format!("fogd_console_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 2, Some(&schema))
        .await
        .unwrap();
    console_queries(&store).await;
    store.drop_test_schema(&schema).await.unwrap();
}
