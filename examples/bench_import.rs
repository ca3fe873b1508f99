#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end intake benchmark: generates N cases (default 100,000; first argument overrides) as CSV in a temp
//! directory, imports them through `fogd import`'s own code path into a fresh SQLite database, and prints cases/s
//! and peak RSS, beside the time `sqlite3 .import` takes for the same rows into a plain table. Both are run
//! `BENCH_RUNS` times (default 3), alternating, and the ratio is taken between the medians, so one disturbed run
//! on a shared machine does not decide the figure (the ratio of the best runs is printed beside it). Peak RSS is the
//! process's peak over all runs.
//! Run: `cargo run --release --example bench_import [N]` (`BENCH_KEEP=1` keeps the CSV and databases).

use std::io::Write;
use std::time::Instant;

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat` (clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("cases.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
        writeln!(w, "reference;kind;creditor_id;creditor_name;customer_number;debtor_id;debtor_name;debtor_street;debtor_postal_code;debtor_city;claim_kind;amount;due_date;invoice_number;basis;interest_kind;interest_rate;interest_from").unwrap();
        for i in 0..n {
            writeln!(
                w,
                "B-{i:08};betalningsforelaggande;556036-0793;Exempel Kredit AB;K-{i};19121212-1212;Åsa Öberg {i};Storgatan {};111 22;Stockholm;kapital;{},{:02};2026-02-09;F-{i};Avgift för extra offentlig kontroll enligt beslut 2026-01-10;reference_plus;8,00;2026-02-10",
                i % 200 + 1,
                100 + i % 9000,
                i % 100
            )
            .unwrap();
        }
    }
    let bytes = std::fs::metadata(&csv_path).unwrap().len();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "cases: {n} ({:.1} MB CSV), {runs} runs of each, alternating",
        bytes as f64 / 1e6
    );
    let mut fogd_times = Vec::new();
    let mut sqlite_times = Vec::new();
    for run in 1..=runs {
        let db = dir.path().join(format!("data-{run}/fogd.db"));
        let mut config = fogd::config::Config::default();
        config.database.url = format!("sqlite://{}", db.display());
        let args = fogd::cli::import::ImportArgs {
            file: csv_path.clone(),
            dry_run: std::env::var_os("BENCH_DRY_RUN").is_some(),
            format: fogd::cli::import::OutputFormat::Json,
            encoding: None,
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
        };
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let cpu0 = cpu_secs();
        let start = Instant::now();
        let code = rt.block_on(fogd::cli::import::run(config, args)).unwrap();
        let fogd_secs = start.elapsed().as_secs_f64();
        let fogd_cpu = cpu_secs() - cpu0;
        assert_eq!(code, 0, "every generated case must be accepted");
        println!(
            "run {run}: fogd import {fogd_secs:.2} s ({:.0} cases/s, CPU user+sys {fogd_cpu:.2} s, load before {})",
            n as f64 / fogd_secs,
            load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
        fogd_times.push(fogd_secs);
        let plain = dir.path().join(format!("plain-{run}.db"));
        let start = Instant::now();
        let out = std::process::Command::new("sqlite3")
            .arg(&plain)
            .arg(".mode csv")
            .arg(".separator ;")
            .arg(format!(".import {} plain", csv_path.display()))
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "run {run}: sqlite3 .import {secs:.2} s ({:.0} rows/s)",
                    n as f64 / secs
                );
                sqlite_times.push(secs);
            }
            Ok(o) => println!(
                "sqlite3 .import failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => println!("sqlite3 not available ({e}); no comparison"),
        }
    }
    let rss = fogd::procinfo::peak_rss_kb(None).unwrap_or(0);
    let fogd_median = median(&mut fogd_times);
    println!(
        "fogd import: median {fogd_median:.2} s, {:.0} cases/s, peak RSS {:.1} MB",
        n as f64 / fogd_median,
        rss as f64 / 1024.0
    );
    if !sqlite_times.is_empty() {
        let sqlite_median = median(&mut sqlite_times);
        println!(
            "sqlite3 .import: median {sqlite_median:.2} s, {:.0} rows/s; ratio fogd/sqlite3 = {:.2}",
            n as f64 / sqlite_median,
            fogd_median / sqlite_median
        );
        // Best of the runs on each side (what each takes when the machine does not get in the way), beside the
        // ratio of medians above, which is the figure reported.
        let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "best runs: fogd {:.2} s, sqlite3 {:.2} s; ratio = {:.2}",
            best(&fogd_times),
            best(&sqlite_times),
            best(&fogd_times) / best(&sqlite_times)
        );
    }
    if std::env::var_os("BENCH_KEEP").is_some() {
        // Keep the CSV and the databases for a look at what was stored.
        println!("kept: {}", dir.keep().display());
    }
}

/// The median of `v` (the mean of the middle two for an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}
