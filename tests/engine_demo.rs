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
        stdout.contains("11 of 11 case(s) reached their expected state"),
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
    // A fordringsanmälan whose interest fogd computed up to the decision date (fogd-ref-2.md §4).
    assert!(
        stdout.contains(
            "D-SKS-1: interest 1101.37 kr computed by fogd up to the decision date 2026-06-26"
        ),
        "{stdout}"
    );
    life_after_the_utslag(&stdout);
    assert!(started.elapsed() < Duration::from_secs(60));
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

/// The lines of the timeline of `reference` in the demo's output: (date, rest of the line).
fn timeline<'a>(stdout: &'a str, reference: &str) -> Vec<(chrono::NaiveDate, &'a str)> {
    stdout
        .lines()
        .skip_while(|l| *l != reference)
        .skip(1)
        .take_while(|l| l.starts_with("  2"))
        .map(|l| {
            let l = l.trim_start();
            (l[..10].parse().unwrap(), &l[10..])
        })
        .collect()
}

fn date_after(line: &str, marker: &str) -> chrono::NaiveDate {
    let at = line
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {line}"))
        + marker.len();
    line[at..at + 10].parse().unwrap()
}

/// The second act (issue 16 point 5): each followed case's timeline, with the message each event came from.
fn life_after_the_utslag(stdout: &str) {
    // The disputed D-BFO-1: a begäran O within its sista_dag, then handed over to the tingsrätt.
    let request = stdout
        .lines()
        .find(|l| {
            l.starts_with("fogd request court --case D-BFO-1: begäran D-BEG-1 approved (sista_dag ")
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    let sista = date_after(request, "sista_dag ");
    let t = timeline(stdout, "D-BFO-1");
    assert!(
        t[0].1.contains("disputed — bestridande")
            && t[0].1.contains("<- BESTRID SUPRO.DEV.BESTRID"),
        "{t:?}"
    );
    assert!(
        t[1].1
            .contains("begäran O (hand over to tingsrätt) sent, accepted")
            && t[1].0 <= sista,
        "{t:?}"
    );
    let handed = t
        .iter()
        .find(|l| l.1.contains("handed_to_court — överlämnat till tingsrätt"))
        .unwrap_or_else(|| panic!("{t:?}"));
    assert!(handed.1.contains("<- RAPPORT SUPRO.DEV.RAPPORT"), "{t:?}");
    // The day after the begäran, within the window.
    assert_eq!(handed.0, t[1].0 + chrono::Days::new(1), "{t:?}");
    // The disputed D-BFO-5 nobody asked for: written off after its sista_dag.
    let t = timeline(stdout, "D-BFO-5");
    let sista = date_after(t[0].1, "sista dag ");
    let off = t
        .iter()
        .find(|l| l.1.contains("written_off — avskrivet"))
        .unwrap_or_else(|| panic!("{t:?}"));
    assert!(off.1.contains("<- RAPPORT"), "{t:?}");
    assert_eq!(
        off.0,
        sista + chrono::Days::new(1),
        "the day after sista_dag: {t:?}"
    );
    // D-BFO-3: utslag → enforcement → LUB → five monthly DELREDs → slutredovisning, paid in full.
    let t = timeline(stdout, "D-BFO-3");
    let steps: Vec<&str> = t
        .iter()
        .map(|l| l.1.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        steps[..3],
        ["decided", "enforcement", "garnishment"],
        "{t:?}"
    );
    assert!(t[2].1.contains("<- LUB"), "{t:?}");
    let payments: Vec<_> = t
        .iter()
        .filter(|l| l.1.contains("paid out") && l.1.contains("<- DELRED"))
        .collect();
    assert_eq!(payments.len(), 5, "{t:?}");
    assert!(
        payments.windows(2).all(|w| w[0].0 < w[1].0),
        "monthly: {t:?}"
    );
    let last = t.last().unwrap();
    assert!(
        last.1.contains("closed — avslutat")
            && last.1.contains("orsak betald")
            && last.1.contains("<- slutredovisning"),
        "{t:?}"
    );
    assert!(
        stdout.contains("paid out 5070.50 kr, remaining 0.00 kr"),
        "{stdout}"
    );
    // The fordringsanmälan decided by Kronofogden's SKSRAPP.
    let t = timeline(stdout, "D-SKS-1");
    assert!(
        t.iter()
            .any(|l| l.1.contains("decided — beviljad") && l.1.contains("<- SKSRAPP")),
        "{t:?}"
    );
    assert!(
        stdout.contains("all four cases lived the life after the utslag"),
        "{stdout}"
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
