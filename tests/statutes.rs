//! The statutes the repository cites (issue 15 point 6): agencies copy fixture text into the grund of real
//! applications, so the examples must cite the law correctly.
//!
//! - Costs of collection: lag (1981:739) om ersättning för inkassokostnader m.m. — påminnelseavgift 2 §,
//!   inkassokostnad 3 § 1, amorteringsplan 3 § 2, the amounts in 4 § (since SFS 2013:56), förseningsersättning 4 a §.
//!   It is a lag, not a förordning; the förordning that held the amounts until 2013, (1981:1057), is repealed
//!   (SFS 2013:59); räntelagen (1975:635) has no förseningsersättning.
//! - Interest: räntelagen (1975:635) 6 § (referensränta + 8) and 9 § (the referensränta per half-year).
//!
//! `known_wrong_citations_appear_nowhere` scans every tracked text file; `fixture_costs_cite_their_statute` reads
//! the claims of every fixture (JSON and CSV) and checks the basis of each cost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Lower case with runs of whitespace as one space (citations wrap in text).
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Citations that are wrong wherever they appear, with what is right.
const WRONG: &[(&str, &str)] = &[
    (
        "förordning (1981:739)",
        "1981:739 is a lag: lag (1981:739) om ersättning för inkassokostnader m.m.",
    ),
    (
        "förordningen (1981:739)",
        "1981:739 is a lag: lagen (1981:739) om ersättning för inkassokostnader m.m.",
    ),
    (
        "räntelagen 4 a §",
        "förseningsersättning is 4 a § lag (1981:739)",
    ),
    (
        "4 a § räntelagen",
        "förseningsersättning is 4 a § lag (1981:739)",
    ),
    (
        "räntelagen (1975:635) 4 a §",
        "förseningsersättning is 4 a § lag (1981:739)",
    ),
    (
        "4 a § räntelagen (1975:635)",
        "förseningsersättning is 4 a § lag (1981:739)",
    ),
    (
        "förordning (1982:790)",
        "there is no such förordning on collection costs; cite lag (1981:739)",
    ),
    (
        "förordning (1981:1057)",
        "repealed by SFS 2013:59; the amounts are in 4 § lag (1981:739)",
    ),
    (
        "förordningen (1981:1057)",
        "repealed by SFS 2013:59; the amounts are in 4 § lag (1981:739)",
    ),
];

fn tracked_files() -> Vec<PathBuf> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output();
    match out {
        Ok(o) if o.status.success() => o
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root().join(String::from_utf8_lossy(p).as_ref()))
            .collect(),
        // Not a git checkout (a source tarball): walk the tree instead.
        _ => {
            let mut files = Vec::new();
            let mut dirs = vec![root()];
            while let Some(d) = dirs.pop() {
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    let p = e.path();
                    let name = e.file_name();
                    if name == "target" || name == ".git" {
                        continue;
                    }
                    if p.is_dir() {
                        dirs.push(p);
                    } else {
                        files.push(p);
                    }
                }
            }
            files
        }
    }
}

#[test]
fn known_wrong_citations_appear_nowhere() {
    let me = Path::new(file!()).file_name().unwrap();
    let mut found = Vec::new();
    for path in tracked_files() {
        if path.file_name() == Some(me) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        // Latin-1 files (golden transaction files) are read by code point.
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
        };
        let text = normalise(&text);
        for (wrong, right) in WRONG {
            if text.contains(wrong) {
                found.push(format!("{}: cites {wrong:?}: {right}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "wrong citations:\n{}", found.join("\n"));
}

/// What a cost claim's basis must cite when it cites a statute at all.
fn required_citation(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "inkassokostnad" | "paminnelseavgift" | "amorteringsplan" => Some(&["lag (1981:739)"]),
        "forseningsersattning" => Some(&["4 a § lag (1981:739)", "lag (1981:739) 4 a §"]),
        _ => None,
    }
}

fn cites_a_statute(basis: &str) -> bool {
    let b = normalise(basis);
    b.contains('§') || b.contains("lag") || b.contains("förordning") || b.contains("sfs")
}

fn check_claim(source: &str, kind: &str, basis: &str, problems: &mut Vec<String>) {
    let Some(required) = required_citation(kind) else {
        return;
    };
    if !cites_a_statute(basis) {
        return;
    }
    let b = normalise(basis);
    if !required.iter().any(|r| b.contains(r)) {
        problems.push(format!(
            "{source}: claim kind {kind}: the basis {basis:?} does not cite {}",
            required.join(" or ")
        ));
    }
}

fn walk_json(source: &str, v: &serde_json::Value, problems: &mut Vec<String>, seen: &mut usize) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(kind), Some(basis)) = (
                m.get("kind").and_then(|k| k.as_str()),
                m.get("basis").and_then(|b| b.as_str()),
            ) {
                *seen += 1;
                check_claim(source, kind, basis, problems);
            }
            for x in m.values() {
                walk_json(source, x, problems, seen);
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                walk_json(source, x, problems, seen);
            }
        }
        _ => {}
    }
}

#[test]
fn fixture_costs_cite_their_statute() {
    let mut problems = Vec::new();
    let mut seen = 0usize;
    for path in tracked_files() {
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        if !rel.starts_with("fixtures/") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if rel.ends_with(".json") {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue; // the bad-input fixtures
            };
            walk_json(&rel, &v, &mut problems, &mut seen);
        } else if rel.ends_with(".jsonl") {
            for line in text.lines() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                    walk_json(&rel, &v, &mut problems, &mut seen);
                }
            }
        } else if rel.ends_with(".csv") {
            let sep = if text.lines().next().unwrap_or("").contains(';') {
                b';'
            } else {
                b','
            };
            let mut r = csv::ReaderBuilder::new()
                .delimiter(sep)
                .flexible(true)
                .from_reader(text.as_bytes());
            let headers = r.headers().unwrap().clone();
            let col = |name: &str| headers.iter().position(|h| h.trim() == name);
            let (Some(k), Some(b)) = (col("claim_kind"), col("basis")) else {
                continue;
            };
            for (i, rec) in r.records().enumerate() {
                let Ok(rec) = rec else { continue };
                if let (Some(kind), Some(basis)) = (rec.get(k), rec.get(b)) {
                    seen += 1;
                    check_claim(&format!("{rel} row {}", i + 2), kind, basis, &mut problems);
                }
            }
        }
    }
    assert!(
        seen > 20,
        "found only {seen} claims with a basis in the fixtures"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check itself: the old fixture texts fail it.
#[test]
fn the_check_catches_the_old_texts() {
    let mut problems = Vec::new();
    check_claim(
        "x",
        "inkassokostnad",
        &format!("Inkassokostnad enligt {}örordning (1981:739)", 'f'),
        &mut problems,
    );
    check_claim(
        "x",
        "forseningsersattning",
        &format!("Förseningsersättning enligt ränte{} 4 a §", "lagen"),
        &mut problems,
    );
    check_claim(
        "x",
        "forseningsersattning",
        "Förseningsersättning enligt lag (1981:739)",
        &mut problems,
    );
    assert_eq!(problems.len(), 3, "{problems:#?}");
    let mut problems = Vec::new();
    check_claim(
        "x",
        "forseningsersattning",
        "Förseningsersättning enligt 4 a § lag (1981:739) om ersättning för inkassokostnader m.m.",
        &mut problems,
    );
    check_claim(
        "x",
        "inkassokostnad",
        "Inkassokrav 2026-01-10",
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
