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
//!
//! Scale (issue 19, point 6), by environment:
//! - `FOGD_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test`: fogd keeps its state in PostgreSQL (a fresh
//!   database `fogd_bench_<pid>_<n>` made through that server and dropped afterwards) instead of SQLite.
//! - `FOGD_BENCH_SERIES=2`: half the cases are verkställighet applications, so that files go out in two series
//!   (BFÖ and verkställighet), each with one unreceipted file at a time.
//! - `FOGD_BENCH_INSTANCES=2` (PostgreSQL only): two fogd instances send and poll at once, each a loop of
//!   `send` / `poll` processes against the one database and the one simulator.
//!
//! At the end the simulator's own records are checked: every case registered exactly once (nothing lost, nothing
//! sent twice).
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

/// Where fogd keeps its state: SQLite beside the config, or a fresh PostgreSQL database (its URL, and the server's
/// URL it was made through).
#[derive(Clone)]
enum Backend {
    Sqlite(PathBuf),
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl Backend {
    fn url(&self) -> String {
        match self {
            Backend::Sqlite(p) => format!("sqlite://{}", p.display()),
            Backend::Postgres { url, .. } => url.clone(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A fresh PostgreSQL database for one run, made through the server at `admin`.
fn postgres_backend(admin: &str, n: usize) -> Backend {
    let name = format!("fogd_bench_{}_{n}", std::process::id());
    block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
    });
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Backend::Postgres {
        url: format!("{base}/{name}"),
        admin: admin.to_string(),
        name,
    }
}

fn drop_backend(b: &Backend) {
    if let Backend::Postgres { admin, name, .. } = b {
        block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .await
                .unwrap();
        });
    }
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

/// Accepted cases, read from fogd's database (SQLite over a read-only connection).
fn accepted(db: &Backend) -> u64 {
    const SQL: &str = "SELECT COUNT(*) FROM cases WHERE state = 'accepted'";
    block_on(async {
        use sqlx::{ConnectOptions, Connection};
        let (n,): (i64,) = match db {
            Backend::Sqlite(path) => {
                let mut c = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true)
                    .connect()
                    .await
                    .unwrap();
                sqlx::query_as(SQL).fetch_one(&mut c).await.unwrap()
            }
            Backend::Postgres { url, .. } => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query_as(SQL).fetch_one(&mut c).await.unwrap()
            }
        };
        n as u64
    })
}

/// The simulator's own record of what it registered: (cases, distinct (kind, handlingsref)).
fn sim_registered(sim_db: &Path) -> (i64, i64) {
    block_on(async {
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(sim_db)
            .read_only(true)
            .connect()
            .await
            .unwrap();
        sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT kind || '/' || handlingsref) FROM kf_cases WHERE status <> 'rejected'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap()
    })
}

/// `n` cases; with `series` 2, every other one a verkställighet application (its own series of files).
fn cases_json(n: usize, series: usize) -> String {
    let mut s = String::with_capacity(n * 520);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let (whole, cents) = (1000 + i % 5000, i % 100);
        if series > 1 && i % 2 == 1 {
            s.push_str(&format!(
                r#"{{"reference":"V-{i:07}","kind":"verkstallighet","creditor":{{"id":"556036-0793","name":"Exempel Kredit AB"}},"title":{{"kind":"utslag","reference":"12-{i:06}-26","date":"2026-04-20"}},"debtors":[{{"id":"556677-8808","name":"Bröderna Öhmans Åkeri AB","street":"Industrivägen 3","postal_code":"90325","city":"Umeå"}}],"claims":[{{"kind":"kapital","amount":"{whole}.{cents:02}","due_date":"2026-01-31","basis":"Utslag i mål om betalningsföreläggande","accrued_interest":"31.40","costs":"680"}}]}}"#
            ));
        } else {
            s.push_str(&format!(
                r#"{{"reference":"B-{i:07}","kind":"betalningsforelaggande","creditor":{{"id":"556036-0793","name":"Exempel Kredit AB"}},"debtors":[{{"id":"556677-8808","name":"Bröderna Öhmans Åkeri AB","street":"Industrivägen 3","postal_code":"90325","city":"Umeå"}}],"claims":[{{"kind":"kapital","amount":"{whole}.{cents:02}","due_date":"2026-05-15","invoice_number":"F-{i}","basis":"Faktura"}}]}}"#
            ));
        }
    }
    s.push(']');
    s
}

fn env_count(name: &str) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn bench(n: usize) {
    let bin = fogd_bin();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let series = env_count("FOGD_BENCH_SERIES");
    let instances = env_count("FOGD_BENCH_INSTANCES");
    let db = match std::env::var("FOGD_BENCH_POSTGRES") {
        Ok(admin) => postgres_backend(&admin, n),
        Err(_) => Backend::Sqlite(d.join("fogd.db")),
    };
    assert!(
        instances == 1 || matches!(db, Backend::Postgres { .. }),
        "several instances need FOGD_BENCH_POSTGRES"
    );
    let o = Command::new(&bin)
        .arg("dev-certs")
        .arg(d.join("certs"))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success());
    let c = d.join("certs");
    let base = format!(
        "[database]\nurl = \"{db}\"\n[sim]\nstate = \"{sim}\"\n[batch]\nmax_cases_per_file = {PER_FILE}\nmax_unreceipted_per_series = 1\n\
         [tls]\nca = \"{c}/ca.pem\"\nidentity = \"{c}/client-identity.pem\"\nserver_cert = \"{c}/server.pem\"\nserver_key = \"{c}/server-key.pem\"\n",
        db = db.url(),
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
    std::fs::write(d.join("cases.json"), cases_json(n, series)).unwrap();

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
    let t_approve = t.elapsed();
    // Each instance a loop of `send` and `poll` processes until every case is accepted; progress from the database
    // itself, not `fogd status` (which prints every case: an operator's report, not part of "import to accepted").
    let t_deliver = Instant::now();
    let loops: Vec<std::thread::JoinHandle<(u64, u64, u32)>> = (0..instances)
        .map(|_| {
            let (bin, d, db) = (bin.clone(), d.to_path_buf(), db.clone());
            std::thread::spawn(move || {
                let (mut rss_send, mut rss_poll, mut rounds) = (0u64, 0u64, 0u32);
                loop {
                    rounds += 1;
                    rss_send = rss_send.max(run(&bin, &d, &["send"]).1);
                    rss_poll = rss_poll.max(run(&bin, &d, &["poll"]).1);
                    if accepted(&db) >= n as u64 {
                        break;
                    }
                    assert!(rounds < 10_000, "not converging");
                }
                (rss_send, rss_poll, rounds)
            })
        })
        .collect();
    let (mut rss_send, mut rss_poll, mut rounds) = (0u64, 0u64, 0u32);
    for l in loops {
        let (s, p, r) = l.join().unwrap();
        rss_send = rss_send.max(s);
        rss_poll = rss_poll.max(p);
        rounds = rounds.max(r);
    }
    peak = peak.max(rss_send).max(rss_poll);
    let t_deliver = t_deliver.elapsed();
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
    // The crash invariants, from the other side: the simulator registered every case exactly once.
    let (registered, distinct) = sim_registered(&d.join("sim.db"));
    assert_eq!(
        (registered, distinct),
        (n as i64, n as i64),
        "the simulator registered a case twice or missed one"
    );
    let sim_rss = fogd::procinfo::peak_rss_kb(Some(sim.id())).unwrap_or(0);
    let _ = sim.kill();
    let _ = sim.wait();
    let storage = storage_report(&db, n);
    drop_backend(&db);
    println!(
        "{n:>7} cases, {}, {series} series, {instances} instance(s): wall {:.1} s (import {:.1} s, approve {:.1} s, send → accepted {:.1} s = {:.0} cases/s), {:.0} cases/s, fogd peak RSS {:.1} MB, sim peak RSS {:.1} MB (child process), {rounds} send/poll rounds of up to {PER_FILE} cases per file; then `status --format json` (every case) {:.1} s, {:.1} MB; every case registered once by the simulator",
        db.label(),
        wall.as_secs_f64(),
        t_import.as_secs_f64(),
        t_approve.as_secs_f64(),
        t_deliver.as_secs_f64(),
        n as f64 / t_deliver.as_secs_f64(),
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
    println!("         {storage}");
}

/// The bytes a database takes, as the backend counts them: SQLite's pages in use (after a checkpoint, without the
/// free list) and the file's size; PostgreSQL's `pg_database_size`.
async fn store_bytes(db: &Backend) -> (u64, u64) {
    use sqlx::{ConnectOptions, Connection};
    match db {
        Backend::Sqlite(path) => {
            let mut c = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .connect()
                .await
                .unwrap();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut c)
                .await
                .unwrap();
            let (pages, free, size): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count), \
                 (SELECT page_size FROM pragma_page_size)",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            (((pages - free) * size) as u64, (pages * size) as u64)
        }
        Backend::Postgres { url, .. } => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let (size,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())")
                .fetch_one(&mut c)
                .await
                .unwrap();
            (size as u64, size as u64)
        }
    }
}

/// Bytes per case (issue 19, point 5) as the run left the store, after the retention pass cleared the bytes of every
/// settled file and message (the pass timed: one statement per table, memory independent of the number of cases),
/// and after `VACUUM` gave the freed pages back (SQLite: the file shrinks only then; PostgreSQL's autovacuum makes
/// the space reusable without shrinking, `VACUUM` here is the plain one).
fn storage_report(db: &Backend, n: usize) -> String {
    block_on(async {
        let per_case = |b: u64| b as f64 / n as f64;
        let (used, file) = store_bytes(db).await;
        let store = fogd::store::Store::open(&db.url(), 2).await.unwrap();
        let t = Instant::now();
        let cleared = store
            .purge_bytes_before(chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .unwrap();
        let t_purge = t.elapsed();
        store.close().await;
        let (used_after, file_after) = store_bytes(db).await;
        match db {
            Backend::Sqlite(path) => {
                use sqlx::ConnectOptions;
                let mut c = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .connect()
                    .await
                    .unwrap();
                sqlx::query("VACUUM").execute(&mut c).await.unwrap();
            }
            Backend::Postgres { url, .. } => {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query("VACUUM").execute(&mut c).await.unwrap();
            }
        }
        let (_, file_vacuumed) = store_bytes(db).await;
        format!(
            "store per case: {:.0} B in use ({:.0} B file) after sending; retention pass {:.2} s clearing {} files and {} messages → {:.0} B in use ({:.0} B file); after VACUUM {:.0} B file",
            per_case(used),
            per_case(file),
            t_purge.as_secs_f64(),
            cleared.files,
            cleared.inbound,
            per_case(used_after),
            per_case(file_after),
            per_case(file_vacuumed)
        )
    })
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
