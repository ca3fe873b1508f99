//! Two fogd instances on one PostgreSQL database and one simulator (issue 5, point 7): 5,000 BFÖ cases imported
//! once, then two processes each running `fogd send` / `fogd poll` in a loop, concurrently, until every case is
//! accepted; then the sim's evening run and the same until every case is registered. Asserts no duplicate
//! submission through the sim's admin API (each handlingsref approved once, no tx.id with other bytes than fogd
//! froze, löpnummer series contiguous, no number approved twice) — see `kit::check_invariants`.
//!
//! Skips with a printed note when `FOGD_TEST_POSTGRES_URL` is unset. Uses a fresh schema, passed to the fogd
//! processes in `database.url` as `options=-c search_path=SCHEMA`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/crash_kit.rs"]
mod kit;

use kit::{Harness, Setup};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn two_instances_no_duplicate_submission() {
    let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
        eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping the two-instance PostgreSQL test");
        return;
    };
    let schema = format!("fogd_two_{}", uuid::Uuid::new_v4().simple());
    // Create the schema and run the migrations once, before either instance starts.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = fogd::store::Store::open_with_schema(&url, 1, Some(&schema))
            .await
            .unwrap();
        s.close().await;
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let h = Arc::new(Harness::new(Setup {
        cases: 5000,
        max_cases_per_file: 250,
        max_unreceipted: 2,
        request_timeout_secs: 10,
        database_url: Some(db),
        allow_0010: false,
    }));
    let start = Instant::now();
    h.run_ok(&["import", "cases.json"]);
    h.run_ok(&["journal", "approve", "--all"]);
    eprintln!("imported and approved 5000 cases in {:?}", start.elapsed());
    let done = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let h = h.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut rounds = 0u32;
                while !done.load(Ordering::SeqCst) {
                    let _ = h.run(&["send"]);
                    let _ = h.run(&["poll"]);
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    let wait = |states: &[&str]| {
        let t = Instant::now();
        loop {
            let st = h.fogd_states();
            if st.len() == h.references.len() && st.values().all(|s| states.contains(&s.as_str())) {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "not done: {}",
                h.status()["files"]
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    wait(&["accepted"]);
    h.admin_post("/sim/v1/evening-run", serde_json::Value::Null);
    wait(&["registered"]);
    done.store(true, Ordering::SeqCst);
    let rounds: Vec<u32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    eprintln!(
        "two instances done in {:?}; rounds per instance {rounds:?}",
        start.elapsed()
    );
    h.assert_invariants();
    let sim_files = h.admin("/sim/v1/files");
    assert_eq!(
        sim_files.as_array().unwrap().len(),
        20,
        "5000 cases / 250 per file, each file received once"
    );
}
