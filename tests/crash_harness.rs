//! Crash and fault proof (issue 5, point 7): `fogd sim` runs as a child process; `fogd import`, `journal approve
//! --all`, `send` and `poll` run as child processes on one SQLite database and are
//!
//! - SIGKILLed at random moments (seeded; the seed is printed, replay with `FOGD_CRASH_SEED`), at least 50 times
//!   across the phases, each restarted;
//! - aborted once at every named fail point (`--features failpoints`);
//! - run against a whole-file rejection and injected SHS faults (500/503, a reset after the body arrived, a timeout, a reset mid-body on
//!   fetch, duplicate list entries, a withheld kvittens and bekräftelse released later);
//!
//! then driven to the end (every case accepted, the sim's evening run, every case registered) and checked through
//! the sim's admin API and `fogd status --format json` (see `kit::check_invariants`): every case reached exactly
//! one terminal state, agreeing with the sim; no handlingsref approved twice; each löpnummer series contiguous; no
//! löpnummer approved with two different contents; every approved file `receipted_ok` in fogd.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/crash_kit.rs"]
mod kit;

use kit::{Harness, Setup};
use rand::{Rng, SeedableRng};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `args` until it completes once, killing it at a random moment at most `max_kills` times. Returns the kills.
fn phase(
    h: &Harness,
    rng: &mut rand::rngs::StdRng,
    args: &[&str],
    max_kills: u32,
    est: &mut u64,
) -> u32 {
    let mut kills = 0;
    loop {
        if kills >= max_kills {
            h.run_ok(args);
            return kills;
        }
        let delay = Duration::from_millis(rng.gen_range(0..=*est));
        let (killed, took) = h.run_and_kill(args, delay);
        if killed {
            kills += 1;
        } else {
            *est = ema(*est, took);
            return kills;
        }
    }
}

/// The estimate of a whole run: the longest seen (at most 1 s), so kills spread over startup, build, network
/// and commit rather than bunching at process start.
fn ema(est: u64, took: Duration) -> u64 {
    est.max(took.as_millis() as u64).min(1000)
}

#[test]
fn sigkill_at_random_moments() {
    let seed = kit::seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let h = Harness::new(Setup::default());
    let mut kills = 0u32;
    // Estimates of a whole run (ms); kills land uniformly in 0..=estimate, so many hit mid-work.
    let (mut e_import, mut e_approve, mut e_send, mut e_poll) = (400u64, 150u64, 60u64, 60u64);
    kills += phase(&h, &mut rng, &["import", "cases.json"], 8, &mut e_import);
    kills += phase(
        &h,
        &mut rng,
        &["journal", "approve", "--all"],
        6,
        &mut e_approve,
    );
    let before = kills;
    let mut rounds = 0;
    while kills < 50 + before.min(10) && rounds < 400 {
        rounds += 1;
        let (k, took) = h.run_and_kill(&["send"], Duration::from_millis(rng.gen_range(0..=e_send)));
        if k {
            kills += 1;
        } else {
            e_send = ema(e_send, took);
        }
        let (k, took) = h.run_and_kill(&["poll"], Duration::from_millis(rng.gen_range(0..=e_poll)));
        if k {
            kills += 1;
        } else {
            e_poll = ema(e_poll, took);
        }
    }
    eprintln!(
        "{kills} kills in all: {before} in import/approve, the rest in {rounds} send/poll rounds (estimates: send {e_send} ms, poll {e_poll} ms)"
    );
    assert!(kills >= 50, "only {kills} kills");
    // A journal approve after the kills: cases an import killed half-way may have come in late.
    h.run_ok(&["journal", "approve", "--all"]);
    h.finish(LIMIT);
    h.assert_invariants();
}

#[test]
fn shs_faults_injected() {
    let h = Harness::new(Setup {
        request_timeout_secs: 2,
        allow_0010: true,
        ..Setup::default()
    });
    h.run_ok(&["import", "cases.json"]);
    h.run_ok(&["journal", "approve", "--all"]);
    // One file rejected whole (0021): its cases are rebuilt under the same number.
    h.faults("reject=0021*1");
    // Sends: 503s and a 500 before anything is stored, then a reset after the body arrived, then a timeout.
    h.faults("status=503@rs*2,status=500@rs*1");
    for _ in 0..3 {
        let _ = h.run(&["send"]);
        std::thread::sleep(Duration::from_millis(1100));
    }
    h.faults("reset@rs*1");
    let _ = h.run(&["send"]);
    h.faults("timeout@rs*1");
    let _ = h.run(&["send"]);
    // Polls: a failing list, a reset mid-body on fetch, a failing ack, duplicate list entries, a withheld
    // kvittens (released on a later list).
    h.faults("status=500@list*1,reset@fetch*1,status=503@ack*1,duplicate@list*3,withhold*2");
    for _ in 0..4 {
        let _ = h.run(&["poll"]);
        let _ = h.run(&["send"]);
    }
    h.faults("timeout@fetch*1,delay=300@list*2");
    let _ = h.run(&["poll"]);
    h.drive_until(&["accepted"], LIMIT);
    // A withheld bekräftelse and duplicate entries during the evening run's delivery.
    h.faults("withhold*1,duplicate@list*2");
    h.admin_post("/sim/v1/evening-run", serde_json::Value::Null);
    h.drive_until(&["registered"], LIMIT);
    let v = h.status();
    let lost = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["last_error"].is_string())
        .count();
    eprintln!("{lost} file(s) met a send fault or were re-sent as a duplicate");
    assert!(lost >= 2, "the faults were exercised: {}", v["files"]);
    let rejected = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kvittens_status"] == "U")
        .count();
    assert!(rejected >= 1, "the whole-file rejection was exercised");
    h.assert_invariants();
}

#[cfg(feature = "failpoints")]
#[test]
fn abort_at_every_fail_point() {
    let h = Harness::new(Setup::default());
    h.run_ok(&["import", "cases.json"]);
    h.run_ok(&["journal", "approve", "--all"]);
    let abort = |args: &[&str], point: &str| {
        let o = h
            .command(args)
            .env("FOGD_FAILPOINT", point)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(&format!("fail point {point} reached")),
            "fogd {args:?} with {point}: {:?} {err}",
            o.status
        );
    };
    for point in fogd::engine::FAILPOINTS {
        let args: &[&str] = match point {
            "after_build_commit" | "after_sending_commit" | "after_network_send" => &["send"],
            _ => &["poll"],
        };
        abort(args, point);
        if point == "after_network_send" {
            // Give the poll-side points something to receive.
            h.run_ok(&["send"]);
        }
    }
    // Each point once more in the middle of the run, then to the end.
    for point in fogd::engine::FAILPOINTS {
        let args: &[&str] = match point {
            "after_build_commit" | "after_sending_commit" | "after_network_send" => &["send"],
            _ => &["poll"],
        };
        let o = h
            .command(args)
            .env("FOGD_FAILPOINT", point)
            .output()
            .unwrap();
        let _ = o;
        let _ = h.run(&["send"]);
        let _ = h.run(&["poll"]);
    }
    h.finish(LIMIT);
    h.assert_invariants();
}
