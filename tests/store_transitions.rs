#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The transition table is the only way a case moves: for every (from, to) pair of case states and every cause,
//! the store's one move operation succeeds exactly for the table's rows, and writes one audit event for each move.
//! On SQLite, and on PostgreSQL when `FOGD_TEST_POSTGRES_URL` is set (a fresh schema).

use chrono::TimeZone;
use fogd::domain::state::{Cause, Transition, TRANSITIONS};
use fogd::domain::CaseState;
use fogd::store::{CaseMove, CaseSelection, NewCase, Store, StoreError, UpsertOutcome};
use std::collections::BTreeSet;

fn case(reference: String, state: CaseState) -> NewCase {
    NewCase {
        reference: reference.clone(),
        kind: "betalningsforelaggande".into(),
        intressentkod: "DEV".into(),
        state,
        input_json: "{}".into(),
        case_json: None,
        content_hash: reference,
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

async fn exactly_the_table(store: &Store) {
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    // One case per (from, cause, to) whose (cause, to) is a row of the table, in state `from`.
    let mut tried = Vec::new();
    let mut batch = Vec::new();
    for &from in CaseState::ALL {
        for &cause in Cause::ALL {
            for &to in CaseState::ALL {
                if Transition::find(cause, to).is_some() {
                    batch.push(case(format!("{from}-{cause}-{to}"), from));
                    tried.push((from, cause, to));
                }
            }
        }
    }
    let ids: Vec<i64> = store
        .upsert_cases(&batch, "test", at)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            UpsertOutcome::Inserted { id } => id,
            other => panic!("{other:?}"),
        })
        .collect();

    let mut tx = store.begin().await.unwrap();
    let mut succeeded: BTreeSet<(CaseState, CaseState)> = BTreeSet::new();
    for (&(from, cause, to), &id) in tried.iter().zip(&ids) {
        let mv = CaseMove::new(cause, to, "test", at).reason(Some("table test"));
        let moved = tx.move_cases(CaseSelection::One(id), &mv).await.unwrap();
        let in_table = Transition::find(cause, to).unwrap().from.contains(&from);
        assert_eq!(moved.count == 1, in_table, "{from} → {to} under {cause}");
        if in_table {
            assert_eq!(moved.cases, vec![(id, from)]);
            succeeded.insert((from, to));
        }
    }
    tx.commit().await.unwrap();

    // A (cause, to) that is no row is refused before anything is read.
    for &cause in Cause::ALL {
        for &to in CaseState::ALL {
            if Transition::find(cause, to).is_none() {
                let err = store
                    .move_cases(
                        CaseSelection::One(ids[0]),
                        &CaseMove::new(cause, to, "test", at),
                    )
                    .await
                    .unwrap_err();
                assert!(matches!(err, StoreError::NoTransition { .. }), "{err}");
            }
        }
    }

    // Exactly the table's (from, to) pairs moved; every other pair of states never did.
    let table: BTreeSet<(CaseState, CaseState)> = TRANSITIONS
        .iter()
        .flat_map(|t| t.from.iter().map(move |&f| (f, t.to)))
        .collect();
    assert_eq!(succeeded, table);
    for &from in CaseState::ALL {
        for &to in CaseState::ALL {
            assert_eq!(
                succeeded.contains(&(from, to)),
                Transition::allowed(from, to),
                "{from} → {to}"
            );
        }
    }

    // Each successful move wrote one event from its state to the target, with the reason and actor.
    for (&(from, cause, to), &id) in tried.iter().zip(&ids) {
        let events = store.case_events(id).await.unwrap();
        let moved = Transition::find(cause, to).unwrap().from.contains(&from);
        assert_eq!(
            events.len(),
            if moved { 2 } else { 1 },
            "{from} {cause} {to}"
        );
        if moved {
            let e = &events[1];
            assert_eq!((e.from_state, e.to_state), (Some(from), to));
            assert_eq!(e.reason.as_deref(), Some("table test"));
            assert_eq!(e.actor, "test");
            let row = store.case_by_id(id).await.unwrap().unwrap();
            assert_eq!(row.state, to);
        }
    }
}

#[tokio::test]
async fn sqlite_moves_exactly_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url, 2).await.unwrap();
    exactly_the_table(&store).await;
}

#[tokio::test]
async fn postgres_moves_exactly_the_table() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL transition-table test");
        return;
    };
    let schema = format!("fogd_tt_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 2, Some(&schema))
        .await
        .unwrap();
    exactly_the_table(&store).await;
}

/// `approve --all`'s pages ([`fogd::store::StoreTx::move_page`]) move exactly the cases in the page's state, one
/// event each, never a held or approved case inside the id range; `status`'s stream
/// ([`Store::for_each_case_status`]) yields every case once in id order, without content, with "waiting for
/// målnummer" computed by the store.
async fn pages_and_status_stream(store: &Store) {
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mut batch: Vec<NewCase> = (0..10)
        .map(|i| {
            let state = match i {
                3 | 7 => CaseState::Held,
                _ => CaseState::Journal,
            };
            case(format!("P-{i}"), state)
        })
        .collect();
    // Parents (one with målnummer, one without) and three nedsättningar: of the one with, of the one without, of
    // none stored.
    let mut with = case("PARENT-M".into(), CaseState::Held);
    with.malnummer = Some("M-1".into());
    batch.push(with);
    batch.push(case("PARENT-0".into(), CaseState::Held));
    for (r, concerns) in [("N-M", "PARENT-M"), ("N-0", "PARENT-0"), ("N-X", "NONE")] {
        let mut n = case(r.into(), CaseState::Journal);
        n.kind = "nedsattning".into();
        n.concerns = Some(concerns.into());
        batch.push(n);
    }
    let ids: Vec<i64> = store
        .upsert_cases(&batch, "test", at)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            UpsertOutcome::Inserted { id } => id,
            other => panic!("{other:?}"),
        })
        .collect();

    // A move whose from-states leave out the page's state moves nothing.
    let held_only = [CaseState::Held];
    let mv = CaseMove::new(Cause::Approve, CaseState::Approved, "op", at).only_from(&held_only);
    let mut tx = store.begin().await.unwrap();
    assert!(tx
        .move_page(CaseState::Journal, 0, 3, &mv)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();

    let journal_only = [CaseState::Journal];
    let mv = CaseMove::new(Cause::Approve, CaseState::Approved, "op", at).only_from(&journal_only);
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let mut tx = store.begin().await.unwrap();
        let page = tx
            .move_page(CaseState::Journal, after, 3, &mv)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        pages.push(page.iter().map(|k| k.reference.clone()).collect::<Vec<_>>());
    }
    let refs = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        pages,
        vec![
            refs(&["P-0", "P-1", "P-2"]),
            refs(&["P-4", "P-5", "P-6"]),
            refs(&["P-8", "P-9", "N-M"]),
            refs(&["N-0", "N-X"]),
        ]
    );
    for (b, &id) in batch.iter().zip(&ids) {
        let row = store.case_by_id(id).await.unwrap().unwrap();
        let events = store.case_events(id).await.unwrap();
        if b.state == CaseState::Held {
            assert_eq!(row.state, CaseState::Held, "{}", b.reference);
            assert_eq!(events.len(), 1, "{}", b.reference);
        } else {
            assert_eq!(row.state, CaseState::Approved, "{}", b.reference);
            assert_eq!(events.len(), 2, "{}", b.reference);
            assert_eq!(
                (events[1].from_state, events[1].to_state),
                (Some(CaseState::Journal), CaseState::Approved)
            );
        }
    }

    let mut seen = Vec::new();
    let n = store
        .for_each_case_status(|r| -> Result<(), StoreError> {
            assert!(r.case.input_json.is_empty() && r.case.case_json.is_none());
            assert!(r.case.content_hash.is_empty());
            assert_eq!(r.file.case_id, r.case.id);
            seen.push((r.case.id, r.case.reference, r.waiting));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(n, ids.len() as u64);
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), ids);
    let waiting: Vec<&str> = seen.iter().filter(|s| s.2).map(|s| s.1.as_str()).collect();
    assert_eq!(waiting, vec!["N-0", "N-X"]);
    // The callback's error stops the stream.
    let mut calls = 0;
    let err = store
        .for_each_case_status(|_| {
            calls += 1;
            Err(StoreError::Invariant("stop".into()))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invariant(_)));
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn sqlite_pages_and_status_stream() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url, 2).await.unwrap();
    pages_and_status_stream(&store).await;
}

#[tokio::test]
async fn postgres_pages_and_status_stream() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the PostgreSQL paging test");
        return;
    };
    let schema = format!("fogd_pg_{}", uuid::Uuid::new_v4().simple());
    let store = Store::open_with_schema(&url, 2, Some(&schema))
        .await
        .unwrap();
    pages_and_status_stream(&store).await;
    store.drop_test_schema(&schema).await.unwrap();
}
