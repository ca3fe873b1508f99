//! Focused regression tests for engine bugs the crash and fault harness (`tests/crash_harness.rs`) found, on
//! SQLite and — when `FOGD_TEST_POSTGRES_URL` is set — PostgreSQL, against the in-process fake SHS node.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::domain::FileState;
use fogd::formats::KvittensStatus;
use fogd::shs::ShsClientError;
use fogd::store::Store;
use kit::*;

/// Bug: with two unreceipted files per series, a send error on löpnummer 1 (back-off) let the same pass send
/// löpnummer 2 first, which the node refuses (0010, not last approved + 1). A file now waits while a lower
/// number of its series is unsent.
async fn send_in_lopnummer_order(store: Store) {
    let mut cfg = config();
    cfg.batch.max_cases_per_file = 1;
    cfg.batch.max_unreceipted_per_series = 2;
    let (e, fake, clock) = engine(store, cfg);
    import_and_approve(&e, &serde_json::json!([bfo("O-1"), bfo("O-2")]).to_string()).await;
    let b = e.build_pass().await.unwrap();
    assert_eq!(
        b.files.iter().map(|f| f.lopnummer).collect::<Vec<_>>(),
        vec![1, 2]
    );
    fake.faults
        .lock()
        .unwrap()
        .push_back(SendFault::Before(ShsClientError::Connect("refused".into())));
    let s = e.send_pass().await.unwrap();
    assert_eq!(s.retried, 1);
    assert_eq!(s.sent, 0, "löpnummer 2 must wait for 1: {s:?}");
    assert!(fake.sent.lock().unwrap().is_empty());
    clock.advance(chrono::Duration::seconds(3600));
    let s = e.send_pass().await.unwrap();
    assert_eq!(s.sent, 2);
    let order: Vec<String> = fake
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.label.tx_id.clone())
        .collect();
    let files = e.store.list_files().await.unwrap();
    assert_eq!(order, vec![files[0].tx_id.clone(), files[1].tx_id.clone()]);
}
both_backends!(send_order, send_in_lopnummer_order);

/// Bug: with two unreceipted files per series, löpnummer 1 rejected whole (U) while 2 was in flight: the rebuilt
/// file got `last approved + 1 + unreceipted` = 2 — a number already in flight — instead of 1 again.
async fn rebuilt_file_takes_the_rejected_number(store: Store) {
    let mut cfg = config();
    cfg.batch.max_cases_per_file = 1;
    cfg.batch.max_unreceipted_per_series = 2;
    let (e, fake, _clock) = engine(store, cfg);
    import_and_approve(&e, &serde_json::json!([bfo("R-1"), bfo("R-2")]).to_string()).await;
    e.build_pass().await.unwrap();
    assert_eq!(e.send_pass().await.unwrap().sent, 2);
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens(
            "ANSOKAN",
            1,
            KvittensStatus::Underkand,
            vec![f_error("0021")],
        ),
        None,
    );
    let p = e.poll_pass().await.unwrap();
    assert_eq!(p.apply.applied, 1);
    let b = e.build_pass().await.unwrap();
    assert_eq!(b.files.len(), 1, "{b:?}");
    assert_eq!(
        b.files[0].lopnummer, 1,
        "the rejected number again, not 3 or 2"
    );
    let files = e.store.list_files().await.unwrap();
    assert_eq!(files[0].state, FileState::Superseded);
    assert_eq!(files[1].lopnummer, 2);
    assert_eq!(files[2].lopnummer, 1);
}
both_backends!(rejected_number, rebuilt_file_takes_the_rejected_number);
