//! `fogd demo` as a binary in a temp working directory: exit 0, summary printed, well under a minute.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .arg("demo")
        .current_dir(dir.path())
        .env_remove("FOGD_CONFIG")
        .env("FOGD_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        stdout.contains("10 of 10 case(s) reached their expected state"),
        "{stdout}"
    );
    // FOGD-REF-2 (fogd-ref-2.md §2.1): the edition, and an application with an ombud, a bought claim, both requests
    // and rättegångskostnader.
    assert!(
        stdout.contains("files are built in edition FOGD-REF-2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("D-BFO-3: ombud Ombudsbyrån i Stockholm AB (ref OMB-2026-17), bought from Fastighets AB Götgatan on 2026-05-04, requests enforcement of the utslag, hand-over to tingsrätt if disputed, rättegångskostnader 680.00 kr"),
        "{stdout}"
    );
    // The whole-file rejection and the löpnummer reset are visible.
    assert!(stdout.contains("superseded by file"), "{stdout}");
    assert!(
        stdout.contains("0050"),
        "the case Kronofogden rejected: {stdout}"
    );
    assert!(dir.path().join("fogd-data/demo.db").exists());
    assert!(dir.path().join("fogd-data/certs/ca.pem").exists());
    // A second run starts afresh and passes too; with --verbose its logs are on stderr.
    let again = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .args(["demo", "--verbose"])
        .current_dir(dir.path())
        .env_remove("FOGD_CONFIG")
        .env_remove("FOGD_LOG")
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("INFO"),
        "--verbose shows the logs"
    );
}

/// After the demo a newcomer can look around: the demo prints the exact commands, and `fogd --config
/// fogd-data/demo.toml status` shows its cases with words for the codes. Without `--verbose` the terminal shows the
/// story only; the logs are in fogd-data/demo.log.
#[test]
fn demo_result_can_be_explored_and_logs_stay_out_of_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .arg("demo")
        .current_dir(dir.path())
        .env_remove("FOGD_CONFIG")
        .env_remove("FOGD_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        !stderr.contains("INFO"),
        "no info logs on the terminal: {stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("fogd-data/demo.log")).unwrap();
    assert!(
        log.lines().count() > 5 && log.contains("\"level\":\"INFO\""),
        "{log}"
    );
    assert!(
        stdout.contains("fogd --config fogd-data/demo.toml status"),
        "{stdout}"
    );
    assert!(stdout.contains("fogd --config fogd-data/demo.toml serve"));
    let status = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .args(["--config", "fogd-data/demo.toml", "status"])
        .current_dir(dir.path())
        .env_remove("FOGD_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{text}");
    assert!(
        text.contains("D-BFO-1") && text.contains("D-SKS-1"),
        "{text}"
    );
    assert!(text.contains("decision utslag "), "{text}");
    assert!(text.contains("file rejected (U)"), "{text}");
    assert!(text.contains("file accepted (G)"), "{text}");
}
