//! Crash safety of applying FOGD-REF-2's documents (issue 16 point 7; cargo feature `failpoints`): a process that
//! dies after the first entry of a LUB was applied, before its commit, leaves nothing applied — no case moved, the
//! message not marked applied — and applying it again after the restart moves every case once.
//!
//! The test runs itself as a child process (the same test binary, `FOGD_CRASH_CHILD` naming the database) that
//! applies the stored message with `FOGD_FAILPOINT=inside_ref2_apply` and aborts.
#![cfg(feature = "failpoints")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use chrono::{TimeZone, Utc};
use fogd::domain::state::MessageKind;
use fogd::domain::CaseState;
use fogd::store::{NewCase, NewInbound, Store};
use kit::*;

fn registered(reference: &str, malnummer: &str) -> NewCase {
    NewCase {
        reference: reference.into(),
        kind: "verkstallighet".into(),
        intressentkod: "DEV".into(),
        state: CaseState::Registered,
        input_json: "{}".into(),
        case_json: None,
        content_hash: reference.into(),
        issues_json: "[]".into(),
        hold_reason: None,
        concerns: None,
        malnummer: Some(malnummer.into()),
        source: None,
        source_line: None,
        search_keys: None,
        debtor_keys: None,
    }
}

fn lub() -> Vec<u8> {
    let entry = |m: &str, r: &str| {
        format!(
            "<Beslut><Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref>\
             <Beslutsdatum>2027-01-10</Beslutsdatum><BeloppPerManad>2500.00</BeloppPerManad>\
             <FranOchMed>2027-02-01</FranOchMed></Beslut>"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Loneutmatningsbeslut xmlns=\"urn:fogd:ref2\" \
         utgava=\"FOGD-REF-2\"><Huvud><Intressentkod>DEV</Intressentkod><Skapad>2027-01-10T19:05:00</Skapad>\
         </Huvud>{}{}</Loneutmatningsbeslut>\n",
        entry("VS-1", "V1"),
        entry("VS-2", "V2")
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_inside_a_ref2_apply_leaves_nothing_applied() {
    if let Ok(db) = std::env::var("FOGD_CRASH_CHILD") {
        // The child: apply with the fail point set; this aborts the process.
        let store = Store::open(&format!("sqlite://{db}"), 1).await.unwrap();
        let (e, _fake, _clock) = engine(store, config());
        e.apply_pending().await.unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fogd.db");
    let store = Store::open(&format!("sqlite://{}", db.display()), 1)
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap();
    store
        .upsert_cases(
            &[registered("V1", "VS-1"), registered("V2", "VS-2")],
            "test",
            at,
        )
        .await
        .unwrap();
    let fake = FakeShs::default();
    let tx = fake.reply("lub", "2027-01-10_DEV_LUB_01.xml", "lub", lub(), None);
    let bytes = fake.outbox.lock().unwrap()[0].1.to_vec();
    store
        .insert_inbound(
            &NewInbound {
                tx_id: tx,
                product: Some("lub".into()),
                file_name: Some("2027-01-10_DEV_LUB_01.xml".into()),
                kind: MessageKind::Lub,
                corr_id: None,
                content_id: None,
                bytes,
            },
            at,
        )
        .await
        .unwrap();
    store.close().await;

    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_crash_inside_a_ref2_apply_leaves_nothing_applied",
            "--nocapture",
        ])
        .env("FOGD_CRASH_CHILD", &db)
        .env("FOGD_FAILPOINT", "inside_ref2_apply")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("fail point inside_ref2_apply reached"),
        "{:?} {err}",
        out.status
    );

    // Nothing of the half-applied document stayed.
    let store = Store::open(&format!("sqlite://{}", db.display()), 1)
        .await
        .unwrap();
    let states = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .list_cases(&[])
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.reference, c.state))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        states(&store).await,
        vec![
            ("V1".to_string(), CaseState::Registered),
            ("V2".to_string(), CaseState::Registered)
        ]
    );
    let m = store.list_inbound().await.unwrap().pop().unwrap();
    assert!(m.applied_at.is_none(), "{m:?}");

    // After the restart it applies whole, once.
    let (e, _fake, _clock) = engine(store, config());
    let r = e.apply_pending().await.unwrap();
    assert_eq!((r.applied, r.unmatched, r.failed), (1, 0, 0));
    assert_eq!(
        states(&e.store).await,
        vec![
            ("V1".to_string(), CaseState::Garnishment),
            ("V2".to_string(), CaseState::Garnishment)
        ]
    );
    for c in e.store.list_cases(&[]).await.unwrap() {
        assert_eq!(e.store.case_events(c.id).await.unwrap().len(), 2);
    }
    assert_eq!(e.apply_pending().await.unwrap().applied, 0);
}
