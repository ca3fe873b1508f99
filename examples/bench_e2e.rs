//! End-to-end bench (issue 5, point 8; a bench, not a test): N BFÖ cases from import to all accepted through
//! the simulator over mutual TLS on loopback, for N = 10,000 and 100,000 (separate fresh runs). Runs the release
//! binary: `fogd sim` as a child process, then `fogd import`, `journal approve --all`, and `send`/`poll` until
//! every case is accepted. Prints wall time, cases/s, fogd's peak RSS (the largest of its processes, by
//! `/usr/bin/time -f %M`, also per command) and the sim's own peak RSS (VmHWM of its process) separately.
//! Progress is read from fogd's database; one `status --format json` (every case) runs after the clock stops and
//! is reported on its own.
//!
//! Measured (2-core machine, load average 1.4–2.3, three runs each, 2026-11-21, after the JSON records became
//! lazy): 10,000 cases 1.1–1.2 s (8,500–8,800 cases/s), fogd peak 95–96 MB (send), sim 62 MB; 100,000 cases
//! 10.9–12.2 s (8,200–9,200 cases/s), fogd peak 121–122 MB (send; import 109 MB, approve 45 MB, poll 50 MB),
//! sim 127–142 MB. `status --format json` of 100,000 cases afterwards: 1.3–1.6 s, 69–70 MB.
//! With jemalloc as the allocator (later the same day, another and busier machine, runs alternating with a
//! `--no-default-features` build): 100,000 cases 14.3–15.8 s, fogd peak 112–114 MB; glibc malloc 15.8–16.1 s, 108 MB.
//!
//! `cargo build --release && cargo run --release --example bench_e2e [N…]` (binary: `FOGD_BIN` or
//! `target/release/fogd` beside the example).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn fogd_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FOGD_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("fogd")
}

/// Runs a fogd command under `/usr/bin/time`; returns (stdout, peak RSS KiB).
fn run(bin: &Path, dir: &Path, args: &[&str]) -> (String, u64) {
    let o = Command::new("/usr/bin/time")
        .args(["-f", "RSS_KB=%M"])
        .arg(bin)
        .args(["--config", "fogd.toml"])
        .args(args)
        .current_dir(dir)
        .env("FOGD_LOG", "error")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let rss = err
        .lines()
        .filter_map(|l| l.strip_prefix("RSS_KB="))
        .next_back()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "fogd {args:?}: {err}"
    );
    (String::from_utf8_lossy(&o.stdout).into_owned(), rss)
}

/// Cases per file in the bench. Realistic: Kronofogden's BFÖ file takes many thousands of applications per
/// file (the layout's counters are 7 digits), and a bulk creditor sends one file per day per series; with
/// `max_unreceipted_per_series = 1` (Kronofogden's rule, kept) every file costs one send/poll round trip, so the
/// file size sets the number of rounds (10 at 100,000 cases).
const PER_FILE: usize = 10_000;

/// Accepted cases, read from fogd's SQLite database over a read-only connection.
fn accepted(db: &Path) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db)
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases WHERE state = 'accepted'")
            .fetch_one(&mut c)
            .await
            .unwrap();
        n as u64
    })
}

fn cases_json(n: usize) -> String {
    let mut s = String::with_capacity(n * 480);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"reference":"B-{i:07}","kind":"betalningsforelaggande","creditor":{{"id":"556036-0793","name":"Exempel Kredit AB"}},"debtors":[{{"id":"556677-8808","name":"Bröderna Öhmans Åkeri AB","street":"Industrivägen 3","postal_code":"90325","city":"Umeå"}}],"claims":[{{"kind":"kapital","amount":"{}.{:02}","due_date":"2026-05-15","invoice_number":"F-{i}","basis":"Faktura"}}]}}"#,
            1000 + i % 5000,
            i % 100
        ));
    }
    s.push(']');
    s
}

fn bench(n: usize) {
    let bin = fogd_bin();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = Command::new(&bin)
        .arg("dev-certs")
        .arg(d.join("certs"))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success());
    let c = d.join("certs");
    let base = format!(
        "[database]\nurl = \"sqlite://{db}\"\n[sim]\nstate = \"{sim}\"\n[batch]\nmax_cases_per_file = {PER_FILE}\nmax_unreceipted_per_series = 1\n\
         [tls]\nca = \"{c}/ca.pem\"\nidentity = \"{c}/client-identity.pem\"\nserver_cert = \"{c}/server.pem\"\nserver_key = \"{c}/server-key.pem\"\n",
        db = d.join("fogd.db").display(),
        sim = d.join("sim.db").display(),
        c = c.display()
    );
    std::fs::write(d.join("fogd.toml"), &base).unwrap();
    let mut sim = Command::new(&bin)
        .args(["--config", "fogd.toml", "sim", "--listen", "127.0.0.1:0"])
        .current_dir(d)
        .env("FOGD_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap()
        .to_string();
    std::fs::write(
        d.join("fogd.toml"),
        base.replace(
            "[sim]",
            &format!("[shs]\nurl = \"https://{addr}/shs\"\n[sim]"),
        ),
    )
    .unwrap();
    std::fs::write(d.join("cases.json"), cases_json(n)).unwrap();

    let start = Instant::now();
    let mut peak = 0u64;
    let (_, r) = run(&bin, d, &["import", "cases.json"]);
    peak = peak.max(r);
    let rss_import = r;
    let t_import = start.elapsed();
    let t = Instant::now();
    let (_, r) = run(&bin, d, &["journal", "approve", "--all"]);
    peak = peak.max(r);
    let rss_approve = r;
    let (mut rss_send, mut rss_poll) = (0u64, 0u64);
    let t_approve = t.elapsed();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let (_, r) = run(&bin, d, &["send"]);
        peak = peak.max(r);
        rss_send = rss_send.max(r);
        let (_, r) = run(&bin, d, &["poll"]);
        peak = peak.max(r);
        rss_poll = rss_poll.max(r);
        // Progress from the database itself (read-only), not `fogd status`: status prints every case, which
        // at 100,000 cases is an operator's report, not part of "import to all accepted".
        if accepted(&d.join("fogd.db")) >= n as u64 {
            break;
        }
        assert!(rounds < 10_000, "not converging");
    }
    let wall = start.elapsed();
    let t = Instant::now();
    let (out, status_rss) = run(&bin, d, &["status", "--format", "json"]);
    let t_status = t.elapsed();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let all_accepted = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "accepted")
        .count();
    assert_eq!(all_accepted, n, "status disagrees");
    let sim_rss = fogd::procinfo::peak_rss_kb(Some(sim.id())).unwrap_or(0);
    let _ = sim.kill();
    let _ = sim.wait();
    println!(
        "{n:>7} cases: wall {:.1} s (import {:.1} s, approve {:.1} s), {:.0} cases/s, fogd peak RSS {:.1} MB, sim peak RSS {:.1} MB (child process), {rounds} send/poll rounds of up to {PER_FILE} cases per file; then `status --format json` (every case) {:.1} s, {:.1} MB",
        wall.as_secs_f64(),
        t_import.as_secs_f64(),
        t_approve.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        peak as f64 / 1024.0,
        sim_rss as f64 / 1024.0,
        t_status.as_secs_f64(),
        status_rss as f64 / 1024.0
    );
    println!(
        "         fogd peak RSS per command: import {:.1} MB, approve {:.1} MB, send {:.1} MB, poll {:.1} MB",
        rss_import as f64 / 1024.0,
        rss_approve as f64 / 1024.0,
        rss_send as f64 / 1024.0,
        rss_poll as f64 / 1024.0
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    for n in sizes {
        bench(n);
    }
}
