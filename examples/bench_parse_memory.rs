//! Memory of the streaming parser against file size (issue 3, point 7): builds BFÖ files of 10,000 and 100,000
//! cases, then parses each from a file reader in a fresh child process and prints the child's peak RSS (VmHWM).
//! Equal figures at both sizes show that parsing memory does not grow with the file.
//!
//! Run: `cargo run --release --example bench_parse_memory`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fogd::domain::{Case, CaseKind};
use fogd::formats::{self, FileFacts, FileStatus, LayoutSet};
use std::io::BufReader;
use std::process::Command;
use std::time::Instant;

fn build(n: usize, path: &std::path::Path) {
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/cases/bfo-ansokan.json"
    ))
    .unwrap();
    let base: Vec<Case> = serde_json::from_str(&json).unwrap();
    let cases: Vec<Case> = (0..n)
        .map(|i| {
            let mut c = base[i % base.len()].clone();
            c.reference = format!("B-{i:08}");
            c
        })
        .collect();
    let facts = FileFacts {
        intressentkod: "DEV".into(),
        lopnummer: 1,
        created: NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        status: FileStatus::Test,
        contact_name: "Drift".into(),
        contact_phone: "08".into(),
    };
    let set = LayoutSet::embedded();
    let built =
        formats::build_file(&set, CaseKind::Betalningsforelaggande, &cases, &facts).unwrap();
    std::fs::write(path, &built.bytes).unwrap();
}

fn parse(path: &std::path::Path) {
    let set = LayoutSet::embedded();
    let layout = set.get("bfo-ansokan").unwrap();
    let size = std::fs::metadata(path).unwrap().len();
    let before = fogd::procinfo::peak_rss_kb(None).unwrap_or(0);
    let t = Instant::now();
    let file = std::fs::File::open(path).unwrap();
    let (errors, summary) =
        formats::parse_reader(layout, BufReader::with_capacity(1 << 16, file), |_| {}).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(errors.is_empty(), "{errors:?}");
    println!(
        "parse {:>9} bytes, {:>7} records: {:7.1} MB/s, peak RSS {} kB (before parsing {} kB)",
        size,
        summary.records,
        size as f64 / secs / 1e6,
        fogd::procinfo::peak_rss_kb(None).unwrap_or(0),
        before
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--parse" {
        parse(std::path::Path::new(&args[2]));
        return;
    }
    if args.len() == 4 && args[1] == "--build" {
        build(args[2].parse().unwrap(), std::path::Path::new(&args[3]));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    for n in [10_000usize, 100_000] {
        let path = dir.path().join(format!("bfo-{n}.ANSOKAN"));
        let ok = Command::new(&me)
            .arg("--build")
            .arg(n.to_string())
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
        let ok = Command::new(&me)
            .arg("--parse")
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}
