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
    // The whole-file rejection and the löpnummer reset are visible.
    assert!(stdout.contains("superseded by file"), "{stdout}");
    assert!(
        stdout.contains("0050"),
        "the case Kronofogden rejected: {stdout}"
    );
    assert!(dir.path().join("fogd-data/demo.db").exists());
    assert!(dir.path().join("fogd-data/certs/ca.pem").exists());
    // A second run starts afresh and passes too.
    let again = Command::new(env!("CARGO_BIN_EXE_fogd"))
        .arg("demo")
        .current_dir(dir.path())
        .env("FOGD_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
