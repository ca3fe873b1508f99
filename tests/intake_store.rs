#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cases repository on SQLite, and on PostgreSQL when `FOGD_TEST_POSTGRES_URL` is set (a fresh schema per
//! test). Same assertions on both backends.

use chrono::TimeZone;
use fogd::domain::state::Cause;
use fogd::domain::CaseState;
use fogd::store::{CaseMove, CaseSelection, NewCase, Store, UpsertOutcome};

fn case(reference: &str, hash: &str, state: CaseState) -> NewCase {
    NewCase {
        reference: reference.into(),
        kind: "betalningsforelaggande".into(),
        intressentkod: "DEV".into(),
        state,
        input_json: format!("{{\"reference\":\"{reference}\"}}"),
        case_json: None,
        content_hash: hash.into(),
        issues_json: "[]".into(),
        hold_reason: (state == CaseState::Held).then(|| "cost.cap".to_string()),
        concerns: None,
        malnummer: None,
        source: Some("t.csv".into()),
        source_line: Some(2),
        search_keys: None,
        debtor_keys: None,
    }
}

async fn conformance(store: &Store) {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let batch: Vec<NewCase> = (0..450)
        .map(|i| {
            case(
                &format!("R-{i}"),
                "h1",
                if i % 10 == 0 {
                    CaseState::Held
                } else {
                    CaseState::Journal
                },
            )
        })
        .collect();
    let out = store.upsert_cases(&batch, "import", t0).await.unwrap();
    assert!(out
        .iter()
        .all(|o| matches!(o, UpsertOutcome::Inserted { .. })));
    // Each reported id is the row of that case (SQLite derives the ids of a multi-row INSERT from
    // last_insert_rowid, PostgreSQL reads them back with RETURNING); a batch larger than one INSERT statement.
    let big: Vec<NewCase> = (0..2300)
        .map(|i| case(&format!("BIG-{i}"), "h1", CaseState::Journal))
        .collect();
    let big_out = store.upsert_cases(&big, "import", t0).await.unwrap();
    for (c, o) in big.iter().zip(&big_out) {
        let UpsertOutcome::Inserted { id } = *o else {
            panic!("{o:?}")
        };
        let row = store.case_by_id(id).await.unwrap().unwrap();
        assert_eq!(row.reference, c.reference);
        assert_eq!(store.case_events(id).await.unwrap().len(), 1);
    }
    // Same content: unchanged. Different content while in the journal: replaced.
    let again = store
        .upsert_cases(
            &[
                case("R-1", "h1", CaseState::Journal),
                case("R-2", "h2", CaseState::Invalid),
            ],
            "import",
            t0,
        )
        .await
        .unwrap();
    assert!(matches!(
        again[0],
        UpsertOutcome::Unchanged {
            state: CaseState::Journal,
            ..
        }
    ));
    let UpsertOutcome::Replaced {
        id,
        from: CaseState::Journal,
    } = again[1]
    else {
        panic!("{again:?}")
    };
    let row = store.case_by_id(id).await.unwrap().unwrap();
    assert_eq!(row.state, CaseState::Invalid);
    assert_eq!(row.content_hash, "h2");
    assert_eq!(row.created_at, "2026-11-20T08:00:00.000000Z");
    // After sending: refused.
    let r3 = &store.cases_by_reference("R-3", None).await.unwrap()[0];
    let t1 = t0 + chrono::Duration::minutes(5);
    let one = CaseSelection::One(r3.id);
    assert_eq!(
        store
            .move_cases(
                one,
                &CaseMove::new(Cause::Approve, CaseState::Approved, "operator", t1)
            )
            .await
            .unwrap()
            .cases,
        vec![(r3.id, CaseState::Journal)]
    );
    // A transition from the wrong state does nothing.
    assert_eq!(
        store
            .move_cases(
                one,
                &CaseMove::new(Cause::Approve, CaseState::Approved, "operator", t1)
                    .reason(Some("x"))
            )
            .await
            .unwrap()
            .count,
        0
    );
    for (cause, to) in [
        (Cause::Batch, CaseState::Batched),
        (Cause::FileSent, CaseState::Sent),
    ] {
        let moved = store
            .move_cases(one, &CaseMove::new(cause, to, "engine", t1))
            .await
            .unwrap();
        assert_eq!(moved.count, 1);
    }
    let refused = store
        .upsert_cases(&[case("R-3", "other", CaseState::Journal)], "import", t1)
        .await
        .unwrap();
    assert!(matches!(
        refused[0],
        UpsertOutcome::Refused {
            state: CaseState::Sent,
            ..
        }
    ));
    let events = store.case_events(r3.id).await.unwrap();
    let path: Vec<(Option<&str>, &str)> = events
        .iter()
        .map(|e| (e.from_state.map(CaseState::as_str), e.to_state.as_str()))
        .collect();
    assert_eq!(
        path,
        vec![
            (None, "journal"),
            (Some("journal"), "approved"),
            (Some("approved"), "batched"),
            (Some("batched"), "sent")
        ]
    );
    assert_eq!(events[1].actor, "operator");
    // Listing and counting.
    assert_eq!(
        store.list_cases(&[CaseState::Held]).await.unwrap().len(),
        45
    );
    let counts = store.count_by_state().await.unwrap();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 450 + 2300);
    // Re-opening an existing database runs no migration twice.
}

#[tokio::test]
async fn sqlite_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/fogd.db", dir.path().display());
    let store = Store::open(&url, 4).await.unwrap();
    conformance(&store).await;
    store.close().await;
    let again = Store::open(&url, 4).await.unwrap();
    assert_eq!(again.list_cases(&[]).await.unwrap().len(), 450 + 2300);
    // The pragmas of ARCHITECTURE.md: `store::sqlite::tests::pragmas_of_architecture_md` (they are settings of
    // the store's own connections, which only the store reaches).
}

#[tokio::test]
async fn postgres_conformance() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL run");
        return;
    };
    let schema = format!("fogd_test_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 4, Some(&schema))
        .await
        .unwrap();
    conformance(&store).await;
    store.drop_test_schema(&schema).await.unwrap();
    store.close().await;
}
