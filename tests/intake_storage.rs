//! How intake stores cases (the choices made for import speed, issue 2): the validated case is stored and the input
//! only for invalid cases, and search and the ops page still find both; an import holds one connection for its
//! batches but gives it back for the follow-up check, so a pool of one connection does not wait on itself; and
//! SQLite write transactions take the write lock at their start, so that writers on several connections do not fail
//! with SQLITE_BUSY_SNAPSHOT ("database is locked").
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::domain::state::Cause;
use fogd::domain::CaseState;
use fogd::engine::import::{import, ImportOptions, ImportOutcome};
use fogd::engine::Engine;
use fogd::store::{CaseMove, CaseSelection, NewCase, Store, UpsertOutcome};
use kit::*;
use std::time::Duration;

async fn import_json(e: &Engine, json: &serde_json::Value) -> ImportOutcome {
    let text = json.to_string();
    let src = fogd::domain::intake::open_source(text.as_bytes(), None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&e.config, e.clock.as_ref()).unwrap();
    import(
        Some(&e.store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("cases.json"),
        e.clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap()
}

/// A valid case keeps its validated JSON and no input; an invalid one keeps its input. Search finds the valid case
/// by customer and invoice number (in its validated JSON) and the invalid one by customer and invoice number (in its
/// input); the keys are computed by the engine from the typed case or input (`NewCase::search_keys`).
async fn input_kept_only_for_invalid_cases(store: Store) {
    let (e, _fake, _clock) = engine(store, config());
    let mut good = bfo("S-GOOD");
    good["customer_number"] = "K-77".into();
    good["claims"][0]["invoice_number"] = "F-9001".into();
    let mut bad = bfo("S-BAD");
    bad["customer_number"] = "K-88".into();
    bad["claims"][0]["invoice_number"] = "F-8001".into();
    bad["debtors"][0]["id"] = "19121212-1213".into(); // wrong check digit
    let out = import_json(&e, &serde_json::json!([good, bad])).await;
    assert_eq!((out.summary.accepted, out.summary.invalid), (1, 1));

    let good_row = &e.store.cases_by_reference("S-GOOD", None).await.unwrap()[0];
    assert_eq!(good_row.input_json, "");
    let case: serde_json::Value =
        serde_json::from_str(good_row.case_json.as_deref().unwrap()).unwrap();
    assert_eq!(case["customer_number"], "K-77");
    let bad_row = &e.store.cases_by_reference("S-BAD", None).await.unwrap()[0];
    assert_eq!(bad_row.state, CaseState::Invalid);
    assert!(bad_row.case_json.is_none());
    let input: serde_json::Value = serde_json::from_str(&bad_row.input_json).unwrap();
    assert_eq!(input["debtors"][0]["id"], "19121212-1213");

    let found = |q: &'static str| {
        let store = e.store.clone();
        async move {
            store
                .search_cases(q, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.reference)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("K-77").await, ["S-GOOD"]);
    assert_eq!(found("F-9001").await, ["S-GOOD"]);
    assert_eq!(found("K-88").await, ["S-BAD"]);
    // The keys of an invalid case come from its typed input (the engine), as they would from its stored JSON.
    assert_eq!(found("F-8001").await, ["S-BAD"]);

    // Re-importing the same content changes nothing: the hash is over the input, stored or not. The case that is
    // still invalid is counted as invalid (its errors are reported again), the other as unchanged.
    let again = import_json(&e, &serde_json::json!([good, bad])).await;
    assert_eq!(again.summary.unchanged, 1, "{:?}", again.summary);
    assert_eq!(again.summary.invalid, 1, "{:?}", again.summary);
}
both_backends!(stored_json, input_kept_only_for_invalid_cases);

/// With `max_connections = 1`, an import whose batches hold follow-ups (looked up through the pool, beside the
/// connection the import holds for its batches) completes instead of waiting for a connection forever.
#[tokio::test]
async fn follow_ups_with_a_pool_of_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/fogd.db", dir.path().display());
    let store = Store::open(&url, 1).await.unwrap();
    let (e, _fake, _clock) = engine(store, config());
    let first = tokio::time::timeout(
        Duration::from_secs(60),
        import_json(
            &e,
            &serde_json::json!([bfo("P-1"), neds("N-1", "P-1"), bfo("P-2")]),
        ),
    )
    .await
    .expect("the import must not wait on its own connection");
    assert_eq!(first.summary.accepted, 3, "{:?}", first.problems);
    // A follow-up whose case is only in the database (not in the batch): the check reads through the pool.
    let second = tokio::time::timeout(
        Duration::from_secs(60),
        import_json(
            &e,
            &serde_json::json!([neds("N-2", "P-2"), neds("N-3", "NOPE")]),
        ),
    )
    .await
    .expect("the import must not wait on its own connection");
    assert_eq!(
        (second.summary.accepted, second.summary.invalid),
        (1, 1),
        "{:?}",
        second.problems
    );
}

fn new_case(reference: String) -> NewCase {
    NewCase {
        input_json: String::new(),
        case_json: Some(format!("{{\"reference\":\"{reference}\"}}")),
        reference,
        kind: "betalningsforelaggande".into(),
        intressentkod: "DEV".into(),
        state: CaseState::Journal,
        content_hash: "h".into(),
        issues_json: "[]".into(),
        hold_reason: None,
        concerns: None,
        malnummer: None,
        source: Some("t.csv".into()),
        source_line: Some(2),
        search_keys: None,
        debtor_keys: None,
    }
}

/// A multi-row insert binds the values that every row of a chunk shares once, and the others per row: whatever the
/// pattern (a column shared, mixed, or NULL in some rows only; a batch of one), every inserted id reads back its
/// own row with every column as given, and its creation event.
async fn inserts_keep_each_rows_values(store: Store) {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut batch: Vec<NewCase> = (0..7).map(|i| new_case(format!("M-{i}"))).collect();
    for (i, c) in batch.iter_mut().enumerate() {
        c.source_line = Some(10 + i as i64);
        c.content_hash = format!("hash-{i}");
    }
    batch[1].state = CaseState::Held;
    batch[1].hold_reason = Some("cost.cap".into());
    batch[2].kind = "verkstallighet".into();
    batch[3].malnummer = Some("KFM-1".into());
    batch[4].state = CaseState::Invalid;
    batch[4].case_json = None;
    batch[4].input_json = "{\"reference\":\"M-4\"}".into();
    batch[4].issues_json = "[{\"rule\":\"x\"}]".into();
    batch[5].source = None;
    batch[6].intressentkod = "OTHER".into();
    let single = vec![new_case("M-single".into())];
    for batch in [batch, single] {
        let outcomes = store.upsert_cases(&batch, "test", now).await.unwrap();
        assert_eq!(outcomes.len(), batch.len());
        for (c, o) in batch.iter().zip(outcomes) {
            let UpsertOutcome::Inserted { id } = o else {
                panic!("{} not inserted: {o:?}", c.reference);
            };
            let row = store.case_by_id(id).await.unwrap().unwrap();
            assert_eq!(
                (
                    &row.reference,
                    &row.kind,
                    &row.intressentkod,
                    row.state,
                    &row.input_json,
                    &row.case_json,
                    &row.content_hash,
                    &row.issues_json,
                ),
                (
                    &c.reference,
                    &c.kind,
                    &c.intressentkod,
                    c.state,
                    &c.input_json,
                    &c.case_json,
                    &c.content_hash,
                    &c.issues_json,
                ),
                "row {id}"
            );
            assert_eq!(
                (
                    &row.hold_reason,
                    &row.concerns,
                    &row.malnummer,
                    &row.source,
                    row.source_line,
                ),
                (
                    &c.hold_reason,
                    &c.concerns,
                    &c.malnummer,
                    &c.source,
                    c.source_line,
                ),
                "row {id}"
            );
            assert_eq!(row.created_at, "2026-11-20T10:00:00.000000Z");
            assert_eq!(row.updated_at, row.created_at);
            let events = store.case_events(id).await.unwrap();
            assert_eq!(events.len(), 1, "row {id}");
            assert_eq!(events[0].to_state, c.state);
            assert_eq!(events[0].reason, c.hold_reason);
        }
    }
}
both_backends!(insert_values, inserts_keep_each_rows_values);

/// Several writers at once on one SQLite file, each transaction reading before it writes (the upsert looks up
/// existing cases, the state change reads the current state): none fails. With a deferred `BEGIN` such a
/// transaction fails with SQLITE_BUSY_SNAPSHOT when another connection commits between its read and its write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_sqlite_do_not_fail() {
    let (store, _dir) = sqlite_store().await;
    let t0 = chrono::Utc::now();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..15 {
                let batch: Vec<NewCase> = (0..40)
                    .map(|i| new_case(format!("W{w}-B{b}-{i}")))
                    .collect();
                let out = store.upsert_cases(&batch, "test", t0).await.unwrap();
                for o in out {
                    let UpsertOutcome::Inserted { id } = o else {
                        panic!("{o:?}")
                    };
                    if id % 3 == 0 {
                        let mv = CaseMove::new(Cause::Hold, CaseState::Held, "test", t0)
                            .reason(Some("review"));
                        let moved = store.move_cases(CaseSelection::One(id), &mv).await.unwrap();
                        assert_eq!(moved.cases, vec![(id, CaseState::Journal)]);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.list_cases(&[]).await.unwrap().len(), 4 * 15 * 40);
}
