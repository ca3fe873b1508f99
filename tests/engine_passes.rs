//! Engine passes (build → send → poll → apply) against an in-process fake SHS node, on SQLite and — when
//! `FOGD_TEST_POSTGRES_URL` is set — on PostgreSQL (a fresh schema per test). Same assertions on both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::domain::{CaseState, FileState};
use fogd::engine::Engine;
use fogd::formats::{Beslutstyp, KvittensStatus};
use fogd::shs::ShsClientError;
use fogd::store::Store;
use kit::*;

async fn state_of(e: &Engine, reference: &str, kind: &str) -> CaseState {
    e.store
        .cases_by_reference(reference, None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == kind)
        .unwrap()
        .state
}

const BFO: &str = "betalningsforelaggande";

/// Löpnummer allocation: contiguous per series, one unreceipted file per series, max cases per file.
async fn lopnummer_and_one_unreceipted(store: Store) {
    let mut cfg = config();
    cfg.batch.max_cases_per_file = 2;
    let (e, fake, _clock) = engine(store, cfg);
    let cases: Vec<_> = (1..=5).map(|i| bfo(&format!("L-{i}"))).collect();
    import_and_approve(&e, &serde_json::Value::Array(cases).to_string()).await;
    let r = e.build_pass().await.unwrap();
    assert_eq!(r.files.len(), 1, "one unreceipted file per series");
    assert_eq!(r.files[0].lopnummer, 1);
    assert_eq!(r.files[0].cases, 2, "max_cases_per_file");
    assert_eq!(r.waiting_series, 1);
    assert_eq!(
        e.build_pass().await.unwrap().files.len(),
        0,
        "still waiting for the kvittens"
    );
    let s = e.send_pass().await.unwrap();
    assert_eq!(s.sent, 1);
    assert_eq!(state_of(&e, "L-1", BFO).await, CaseState::Sent);
    assert_eq!(state_of(&e, "L-3", BFO).await, CaseState::Approved);
    for lop in 1..=3u32 {
        fake.reply(
            KVITTENS_PRODUCT,
            "SUPRO.DEV.KVITTENS",
            "kvittens",
            kvittens("ANSOKAN", lop, KvittensStatus::Godkand, vec![]),
            None,
        );
        let p = e.poll_pass().await.unwrap();
        assert_eq!(p.apply.applied, 1);
        assert_eq!(p.apply.unmatched, 0, "{p:?}");
        let b = e.build_pass().await.unwrap();
        if lop < 3 {
            assert_eq!(b.files.len(), 1);
            assert_eq!(
                b.files[0].lopnummer,
                i64::from(lop) + 1,
                "last approved + 1"
            );
            e.send_pass().await.unwrap();
        } else {
            assert!(b.files.is_empty());
        }
    }
    assert_eq!(
        e.store
            .series_last_approved("DEV", "ANSOKAN")
            .await
            .unwrap(),
        Some(3)
    );
    let files = e.store.list_files().await.unwrap();
    assert_eq!(
        files.iter().map(|f| f.lopnummer).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(files.iter().all(|f| f.state == FileState::ReceiptedOk));
    for i in 1..=5 {
        assert_eq!(
            state_of(&e, &format!("L-{i}"), BFO).await,
            CaseState::Accepted
        );
    }
    // The stored bytes are what was sent, and their hash is recorded.
    let sent = fake.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3);
    let (bytes, _) = e.store.file_bytes(files[0].id).await.unwrap().unwrap();
    assert_eq!(sent[0].parts[0].bytes().unwrap().as_ref(), bytes.as_slice());
    assert_eq!(sent[0].parts[0].datapart_type, "transaktionsfil");
    assert_eq!(sent[0].parts[1].datapart_type, "missiv");
    assert_eq!(sent[0].label.tx_id, files[0].tx_id);
}
both_backends!(lopnummer, lopnummer_and_one_unreceipted);

/// Kvittens G with a case-level (H) error; U → rebuilt with the same number and a new missiv; bekräftelse →
/// målnummer; follow-ups wait for it; utslag → decision; re-applying changes nothing.
async fn receipts_lifecycle(store: Store) {
    let (e, fake, _clock) = engine(store, config());
    let cases = serde_json::json!([bfo("R-1"), bfo("R-2"), bfo("R-3"), neds("R-9", "R-1")]);
    import_and_approve(&e, &cases.to_string()).await;
    let b = e.build_pass().await.unwrap();
    assert_eq!(
        b.files.len(),
        1,
        "the nedsättning waits for the målnummer of R-1: {b:?}"
    );
    e.send_pass().await.unwrap();
    // Whole file rejected.
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
    e.poll_pass().await.unwrap();
    assert_eq!(state_of(&e, "R-1", BFO).await, CaseState::Approved);
    let first = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(first.state, FileState::ReceiptedRejected);
    let b = e.build_pass().await.unwrap();
    assert_eq!(b.files.len(), 1);
    assert_eq!(
        b.files[0].lopnummer, 1,
        "a rejected file does not consume its number"
    );
    let files = e.store.list_files().await.unwrap();
    assert_eq!(files[0].state, FileState::Superseded);
    assert_eq!(files[0].superseded_by, Some(files[1].id));
    assert_ne!(files[0].tx_id, files[1].tx_id, "a new message");
    e.send_pass().await.unwrap();
    // Accepted, R-2 rejected with 0060.
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens(
            "ANSOKAN",
            1,
            KvittensStatus::Godkand,
            vec![h_error("R-2", "0060")],
        ),
        None,
    );
    let p = e.poll_pass().await.unwrap();
    assert_eq!((p.stored, p.acked, p.apply.applied), (1, 1, 1));
    assert_eq!(state_of(&e, "R-1", BFO).await, CaseState::Accepted);
    assert_eq!(state_of(&e, "R-2", BFO).await, CaseState::Rejected);
    let info = e.store.case_file_info().await.unwrap();
    let r2 = e.store.cases_by_reference("R-2", None).await.unwrap()[0].id;
    let rej = info
        .iter()
        .find(|i| i.case_id == r2)
        .unwrap()
        .rejection_json
        .clone()
        .unwrap();
    assert!(rej.contains("0060"), "{rej}");
    assert_eq!(
        e.store
            .series_last_approved("DEV", "ANSOKAN")
            .await
            .unwrap(),
        Some(1)
    );
    // Follow-up still waits.
    assert!(e.build_pass().await.unwrap().files.is_empty());
    // Bekräftelse.
    fake.reply(
        "2c92e378-4f27-5ea9-951b-6efc4980d971",
        "SUPRO.DEV.ANSBEKR",
        "bekraftelse",
        ansbekr(1, &[("R-1", "BF-000001-26"), ("R-3", "BF-000002-26")]),
        None,
    );
    e.poll_pass().await.unwrap();
    assert_eq!(state_of(&e, "R-1", BFO).await, CaseState::Registered);
    let r1 = e
        .store
        .cases_by_reference("R-1", None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == BFO)
        .unwrap();
    assert_eq!(r1.malnummer.as_deref(), Some("BF-000001-26"));
    // Now the nedsättning goes, in its own series, carrying the målnummer.
    let b = e.build_pass().await.unwrap();
    assert_eq!(b.files.len(), 1);
    assert_eq!(b.files[0].lopnummer, 1, "own series");
    e.send_pass().await.unwrap();
    let sent = fake.sent.lock().unwrap().last().cloned().unwrap();
    let text = String::from_utf8_lossy(sent.parts[0].bytes().unwrap()).to_string();
    assert!(
        text.contains("BF-000001-26"),
        "nedsättning carries the målnummer"
    );
    // Utslag.
    fake.reply(
        "9bc8220d-44bd-56b2-b6e8-4ad337371b24",
        "SUPRO.DEV.RAPPORT",
        "utslag",
        rapport(&[
            ("R-1", "BF-000001-26", Beslutstyp::Utslag),
            ("R-3", "BF-000002-26", Beslutstyp::Aterkallad),
        ]),
        None,
    );
    e.poll_pass().await.unwrap();
    assert_eq!(state_of(&e, "R-1", BFO).await, CaseState::Decided);
    assert_eq!(state_of(&e, "R-3", BFO).await, CaseState::Withdrawn);
    // Idempotent re-apply: every stored message again changes nothing.
    let before = e.store.list_cases(&[]).await.unwrap();
    for m in e.store.list_inbound().await.unwrap() {
        assert_eq!(
            e.apply_inbound(m.id).await.unwrap(),
            fogd::engine::apply::Applied::AlreadyApplied
        );
    }
    assert_eq!(e.store.list_cases(&[]).await.unwrap(), before);
    // A kvittens that matches nothing is kept with an apply error.
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens("ANSOKAN", 7, KvittensStatus::Godkand, vec![]),
        None,
    );
    let p = e.poll_pass().await.unwrap();
    assert_eq!(p.apply.unmatched, 1);
    let last = e.store.list_inbound().await.unwrap().pop().unwrap();
    assert!(last.apply_error.unwrap().contains("matches no file"));
    // Every message was acked once stored.
    assert!(e
        .store
        .list_inbound()
        .await
        .unwrap()
        .iter()
        .all(|m| m.acked_at.is_some()));
    assert!(fake.outbox.lock().unwrap().is_empty());
}
both_backends!(receipts, receipts_lifecycle);

/// outcome_unknown → re-send with the same tx.id → duplicate → sent; retryable errors back off.
async fn outcome_unknown_and_backoff(store: Store) {
    let (e, fake, clock) = engine(store, config());
    import_and_approve(&e, &serde_json::json!([bfo("U-1")]).to_string()).await;
    e.build_pass().await.unwrap();
    fake.faults
        .lock()
        .unwrap()
        .push_back(SendFault::Before(ShsClientError::Connect("refused".into())));
    let s = e.send_pass().await.unwrap();
    assert_eq!(s.retried, 1);
    let f = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(f.state, FileState::Built);
    assert_eq!(f.attempts, 1);
    assert!(f.last_error.unwrap().contains("refused"));
    // Not due yet: nothing is sent.
    assert_eq!(e.send_pass().await.unwrap().sent, 0);
    clock.advance(chrono::Duration::seconds(10));
    fake.faults
        .lock()
        .unwrap()
        .push_back(SendFault::After(ShsClientError::Timeout(
            "no answer".into(),
        )));
    let s = e.send_pass().await.unwrap();
    assert_eq!(s.unknown, 1);
    let f = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(f.state, FileState::OutcomeUnknown);
    assert!(f.next_attempt_at.is_some());
    clock.advance(chrono::Duration::seconds(20));
    let s = e.send_pass().await.unwrap();
    assert_eq!((s.sent, s.duplicates), (1, 1));
    let attempts = fake.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts.iter().all(|t| *t == f.tx_id),
        "the same tx.id on every attempt"
    );
    assert_eq!(
        fake.sent.lock().unwrap().len(),
        1,
        "stored once by the node"
    );
    let f = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(f.state, FileState::Sent);
    assert_eq!(state_of(&e, "U-1", BFO).await, CaseState::Sent);
    // A crash while `sending` is recovered as outcome_unknown.
    import_and_approve(&e, &serde_json::json!([bfo("U-2")]).to_string()).await;
}
both_backends!(outcome_unknown, outcome_unknown_and_backoff);

/// Issue 18 point 2: a refused file waits for the longest back-off; "retry now" makes it (and only a waiting file)
/// due at once, without moving its state.
async fn retry_now_makes_a_refused_file_due(store: Store) {
    let (e, fake, _clock) = engine(store, config());
    import_and_approve(&e, &serde_json::json!([bfo("R-1")]).to_string()).await;
    e.build_pass().await.unwrap();
    fake.faults
        .lock()
        .unwrap()
        .push_back(SendFault::Before(ShsClientError::Http {
            status: 403,
            body: "forbidden".into(),
        }));
    assert_eq!(e.send_pass().await.unwrap().refused, 1);
    let f = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(f.state, FileState::Built);
    assert!(f.last_error.as_deref().unwrap().contains("403"));
    assert_eq!(
        e.send_pass().await.unwrap().sent,
        0,
        "waits for its back-off"
    );
    // A file that does not exist is refused; the waiting one is made due, once.
    assert_eq!(
        e.make_retry_due(Some(f.id + 1)).await.unwrap(),
        Err(fogd::engine::send::RetryRefused::NoFile(f.id + 1))
    );
    assert_eq!(e.make_retry_due(None).await.unwrap(), Ok(vec![f.id]));
    assert_eq!(e.make_retry_due(Some(f.id)).await.unwrap(), Ok(vec![]));
    let g = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!((g.state, g.attempts), (FileState::Built, 1));
    assert_eq!(e.send_pass().await.unwrap().sent, 1);
    assert_eq!(state_of(&e, "R-1", BFO).await, CaseState::Sent);
    // A sent file is not waiting: refused with its state named.
    let err = e.make_retry_due(Some(f.id)).await.unwrap().unwrap_err();
    assert_eq!(
        err,
        fogd::engine::send::RetryRefused::NotWaiting {
            id: f.id,
            state: FileState::Sent
        }
    );
    assert!(err.to_string().contains("is sent"), "{err}");
}
both_backends!(retry_now, retry_now_makes_a_refused_file_due);

/// A follow-up whose concerned case does not exist is refused at intake.
#[tokio::test]
async fn follow_up_unknown_case_refused() {
    let (store, _dir) = sqlite_store().await;
    let (e, _fake, _clock) = engine(store, config());
    let src = fogd::domain::intake::open_source(
        serde_json::json!([neds("N-1", "NOPE")])
            .to_string()
            .as_bytes(),
        None,
    )
    .unwrap()
    .records()
    .unwrap()
    .collect::<Vec<_>>();
    let ctx = fogd::cli::import::validation_context(&e.config, e.clock.as_ref()).unwrap();
    let out = fogd::engine::import::import(
        Some(&e.store),
        src.into_iter(),
        &ctx,
        &fogd::engine::import::ImportOptions::file("x.json"),
        e.clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(out.summary.invalid, 1);
    assert!(
        out.problems
            .iter()
            .any(|p| p.rule == "follow_up.unknown_case"),
        "{:?}",
        out.problems
    );
    assert_eq!(state_of(&e, "N-1", "nedsattning").await, CaseState::Invalid);
}

/// Retention (`[database] retention_days`): after the period, a poll pass clears the bytes of receipted files and
/// applied messages but keeps the rows and their hashes; nothing is cleared before it, or while a file is in play.
async fn retention_clears_settled_bytes(store: Store) {
    let mut cfg = config();
    cfg.database.retention_days = 30;
    let (e, fake, clock) = engine(store, cfg);
    import_and_approve(&e, &serde_json::json!([bfo("T-1")]).to_string()).await;
    e.build_pass().await.unwrap();
    e.send_pass().await.unwrap();
    let file = e.store.list_files().await.unwrap()[0].clone();
    // In play (sent, no kvittens yet) and far past the period: kept.
    clock.advance(chrono::Duration::days(40));
    assert_eq!(e.poll_pass().await.unwrap().retention.files, 0);
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens("ANSOKAN", 1, KvittensStatus::Godkand, vec![]),
        None,
    );
    let p = e.poll_pass().await.unwrap();
    assert_eq!(p.retention, Default::default(), "receipted just now: kept");
    let (bytes, missiv) = e.store.file_bytes(file.id).await.unwrap().unwrap();
    assert!(!bytes.is_empty() && !missiv.is_empty());
    clock.advance(chrono::Duration::days(29));
    assert_eq!(
        e.poll_pass().await.unwrap().retention.files,
        0,
        "inside the period"
    );
    clock.advance(chrono::Duration::days(2));
    let r = e.poll_pass().await.unwrap().retention;
    assert_eq!((r.files, r.inbound), (1, 1));
    let (bytes, missiv) = e.store.file_bytes(file.id).await.unwrap().unwrap();
    assert!(bytes.is_empty() && missiv.is_empty());
    let after = e.store.list_files().await.unwrap()[0].clone();
    assert_eq!(
        after.sha256, file.sha256,
        "the hash stays as proof of what was sent"
    );
    assert_eq!(after.state, FileState::ReceiptedOk);
    assert_eq!(
        e.poll_pass().await.unwrap().retention,
        Default::default(),
        "idempotent"
    );
}
both_backends!(retention, retention_clears_settled_bytes);
