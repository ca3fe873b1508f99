//! `fogd demo`: the main job end to end on the embedded default. With no configuration it makes dev certificates
//! and a SQLite store under `./fogd-data` (its own files `demo.db` and `demo-sim.db`, started afresh each run),
//! starts the simulated Kronofogden in-process on a free loopback port, imports `fixtures/demo-cases.json`
//! (embedded: all six kinds; one invalid case; one nedsättning naming a målnummer Kronofogden does not know, which
//! it rejects with 0050; the first BFÖ file rejected whole with 0021 through the simulator's hook, to show that
//! the corrected file gets the same löpnummer), approves, then runs build+send and poll passes, triggering the
//! simulator's evening run once files are accepted, until every case reached its expected state (or 50 s pass),
//! and prints a summary table of every case and file. Exit 0 when every case reached its expected state, 3
//! otherwise.
//!
//! The result can be explored afterwards: the demo writes `fogd-data/demo.toml` (its effective configuration, with
//! the database `fogd-data/demo.db`, and `[shs] url` on `[sim] listen` so that `fogd --config fogd-data/demo.toml
//! sim` serves it again) and ends by printing the exact commands (`fogd --config fogd-data/demo.toml status`,
//! `… serve`). Its story goes to stdout; the logs go to `fogd-data/demo.log` (stderr shows warnings only),
//! or to stderr with `--verbose`.

use crate::cli::status::{case_views, write_cases, write_files};
use crate::cli::{EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::CaseState;
use crate::engine::import::{import, ImportOptions};
use crate::engine::journal::{approve, Selection};
use crate::engine::Engine;
use crate::sim::kronofogden::KronofogdenBehaviour;
use crate::sim::{start_with, StartOptions};
use crate::store::Store;
use anyhow::Context;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The demo's cases (all six kinds).
pub const DEMO_CASES: &str = include_str!("../../fixtures/demo-cases.json");

/// What each demo case must end as: (reference, kind, state).
pub const EXPECTED: &[(&str, &str, CaseState)] = &[
    ("D-BFO-1", "betalningsforelaggande", CaseState::Decided),
    ("D-BFO-2", "betalningsforelaggande", CaseState::Withdrawn),
    ("D-BFO-3", "betalningsforelaggande", CaseState::Decided),
    ("D-NED-1", "nedsattning", CaseState::Accepted),
    ("D-NED-2", "nedsattning", CaseState::Rejected),
    ("D-ATK-1", "aterkallelse", CaseState::Accepted),
    ("D-VST-1", "verkstallighet", CaseState::Registered),
    ("D-AND-1", "verkstallighet_andring", CaseState::Accepted),
    ("D-SKS-1", "fordringsanmalan", CaseState::Lodged),
    ("D-BAD-1", "betalningsforelaggande", CaseState::Invalid),
];

/// What the story tells of the FOGD-REF-2 content of the demo's applications (fogd-ref-2.md §2.1): per BFÖ case
/// with an ombud, a bought claim, requests or rättegångskostnader, one line naming them.
async fn ref2_story(store: &Store) -> anyhow::Result<Vec<String>> {
    use crate::domain::case::ClaimKind;
    let mut out = Vec::new();
    for row in store
        .list_cases(&[CaseState::Journal, CaseState::Approved])
        .await?
    {
        let Some(case) = row
            .case_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<crate::domain::Case>(j).ok())
        else {
            continue;
        };
        let mut parts = Vec::new();
        if let Some(a) = &case.agent {
            parts.push(format!(
                "ombud {} (ref {})",
                a.name,
                a.reference.as_deref().unwrap_or("-")
            ));
        }
        if let Some(o) = &case.original_creditor {
            parts.push(format!("bought from {} on {}", o.name, o.transfer_date));
        }
        if case.requests.enforcement {
            parts.push("requests enforcement of the utslag".into());
        }
        if case.requests.court_if_disputed {
            parts.push("hand-over to tingsrätt if disputed".into());
        }
        let costs: i64 = case
            .claims
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    ClaimKind::Ansokningsavgift | ClaimKind::Ombudsarvode
                )
            })
            .map(|c| c.amount.0)
            .sum();
        if costs > 0 {
            parts.push(format!(
                "rättegångskostnader {} kr",
                crate::domain::Amount(costs)
            ));
        }
        if !parts.is_empty() {
            out.push(format!("  {}: {}", case.reference, parts.join(", ")));
        }
    }
    Ok(out)
}

/// Arguments of `fogd demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 50)]
    pub timeout_secs: u64,
    /// Show the logs on stderr instead of writing them to fogd-data/demo.log.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Where the demo's logs go without `--verbose`.
pub fn log_file() -> std::path::PathBuf {
    std::path::PathBuf::from("fogd-data").join("demo.log")
}

/// The configuration file the demo leaves behind for `fogd --config … status|serve`.
pub fn config_file() -> std::path::PathBuf {
    std::path::PathBuf::from("fogd-data").join("demo.toml")
}

/// Writes `config` (the demo's, with `[shs] url` on `[sim] listen`) to [`config_file`], mode 0600 (it may hold a
/// PKCS#12 password copied from `fogd.toml`).
fn write_config(config: &Config) -> anyhow::Result<std::path::PathBuf> {
    let mut c = config.clone();
    c.shs.url = format!("https://{}/shs", c.sim.listen);
    let text = format!(
        "# Written by `fogd demo`: its database and simulator state. Use from the directory the demo ran in:\n\
         #   fogd --config {path} status\n\
         #   fogd --config {path} serve\n\
         #   fogd --config {path} sim      (the simulator on [sim] listen, with the demo's state)\n\n{}",
        toml::to_string(&c)?,
        path = config_file().display()
    );
    let path = config_file();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(&p);
    }
}

async fn reached(store: &Store) -> anyhow::Result<(usize, Vec<String>)> {
    let mut missing = Vec::new();
    let mut ok = 0;
    for (r, k, want) in EXPECTED {
        let got = store
            .cases_by_reference(r, None)
            .await?
            .into_iter()
            .find(|c| c.kind == *k)
            .map(|c| c.state);
        if got == Some(*want) {
            ok += 1;
        } else {
            missing.push(format!(
                "{r} is {}, expected {want}",
                got.map(|s| s.as_str()).unwrap_or("missing")
            ));
        }
    }
    Ok((ok, missing))
}

/// Runs the command.
pub async fn run(mut config: Config, args: DemoArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let data = std::path::PathBuf::from("fogd-data");
    crate::fsperm::create_private_dir_all(&data).context("creating ./fogd-data")?;
    let db = data.join("demo.db");
    let sim_db = data.join("demo-sim.db");
    remove_db(&db);
    remove_db(&sim_db);
    config.database.url = format!("sqlite://{}", db.display());
    config.sim.state = sim_db;
    config.sim.utslag_delay_secs = 3;
    config.batch.send_retry_base_secs = 1;
    config.batch.send_retry_max_secs = 2;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "fogd demo: ten cases of all six kinds through a simulated Kronofogden (logs in {}; --verbose shows them here)",
        log_file().display()
    )?;
    let created = crate::certs::ensure_dev_certs(&config)?;
    if created {
        writeln!(
            w,
            "made dev certificates under {}",
            config
                .tls
                .ca
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let behaviour = Arc::new(KronofogdenBehaviour::from_config(&config)?);
    let sim = start_with(
        config.clone(),
        behaviour,
        StartOptions {
            listener: Some(listener),
            faults: Some("reject=0021*1".into()),
            clock: None,
        },
    )
    .await?;
    let saved = write_config(&config)?;
    config.shs.url = sim.shs_url();
    writeln!(w, "simulated Kronofogden listening on {}", sim.shs_url())?;
    drop(w);
    let store = Store::open(&config.database.url, 4).await?;
    let result = drive(&config, &store, &args, started).await;
    store.close().await;
    sim.shutdown().await;
    let code = result?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(w)?;
    writeln!(w, "Explore the result from this directory:")?;
    writeln!(w, "  fogd --config {} status", saved.display())?;
    writeln!(
        w,
        "  fogd --config {} serve      (ops page on http://{}/)",
        saved.display(),
        config.api.listen
    )?;
    Ok(code)
}

async fn evening_run(config: &Config) -> anyhow::Result<()> {
    let ca = std::fs::read(&config.tls.ca)?;
    let id = std::fs::read(&config.tls.identity)?;
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
        .identity(reqwest::Identity::from_pem(&id)?)
        .build()?;
    let base = config.shs.url.trim_end_matches("/shs");
    let resp = client
        .post(format!("{base}/sim/v1/evening-run"))
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "evening run: HTTP {}",
        resp.status()
    );
    Ok(())
}

async fn drive(
    config: &Config,
    store: &Store,
    args: &DemoArgs,
    started: Instant,
) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    let source = crate::domain::intake::open_source(DEMO_CASES.as_bytes(), None)?;
    let ctx = crate::cli::import::validation_context(config, clock.as_ref())?;
    let out = import(
        Some(store),
        source.records()?,
        &ctx,
        &ImportOptions::file("demo-cases.json"),
        clock.as_ref(),
        &mut |_| {},
    )
    .await?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "imported {} case(s): {} to the journal, {} invalid, {} held",
        out.summary.read, out.summary.accepted, out.summary.invalid, out.summary.held
    )?;
    for p in &out.problems {
        writeln!(
            w,
            "  {} line {}: {} [{}] {}",
            p.source,
            p.line,
            p.reference.as_deref().unwrap_or("-"),
            p.rule,
            p.message
        )?;
    }
    let a = approve(store, &Selection::All, "demo", clock.as_ref()).await?;
    writeln!(w, "approved {} case(s)", a.changed.len())?;
    drop(w);
    let say = |line: String| -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut w = stdout.lock();
        writeln!(w, "{line}")
    };
    let engine = Engine::from_config(store.clone(), config.clone()).await?;
    say(format!(
        "files are built in edition {} (the edition this new database records)",
        engine.layouts.edition().unwrap_or("?")
    ))?;
    for line in ref2_story(store).await? {
        say(line)?;
    }
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let mut evenings = 0;
    loop {
        let b = engine.build_pass().await?;
        for f in &b.files {
            say(format!(
                "built file {} {} löpnummer {} with {} case(s)",
                f.id, f.name, f.lopnummer, f.cases
            ))?;
        }
        let s = engine.send_pass().await?;
        if s.sent > 0 {
            say(format!("sent {} file(s)", s.sent))?;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let p = engine.poll_pass().await?;
        if p.stored > 0 {
            say(format!(
                "received {} message(s), applied {}",
                p.stored, p.apply.applied
            ))?;
        }
        let accepted = store
            .list_cases(&[CaseState::Accepted])
            .await?
            .iter()
            .any(|c| c.kind == "betalningsforelaggande" || c.kind == "verkstallighet");
        let in_flight = store
            .list_files()
            .await?
            .iter()
            .any(|f| crate::domain::FileState::AWAITING_KVITTENS.contains(&f.state));
        if accepted && !in_flight && evenings < 3 {
            evening_run(config).await?;
            evenings += 1;
            say("simulator evening run (bekräftelser)".to_string())?;
        }
        let (_, missing) = reached(store).await?;
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let views = case_views(store, store.list_cases(&[]).await?).await?;
    let files = store.list_files().await?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(w)?;
    write_cases(&mut w, &views)?;
    writeln!(w)?;
    write_files(&mut w, &files)?;
    let (ok, missing) = reached(store).await?;
    writeln!(w)?;
    writeln!(
        w,
        "{ok} of {} case(s) reached their expected state in {:.1} s",
        EXPECTED.len(),
        started.elapsed().as_secs_f64()
    )?;
    for m in &missing {
        writeln!(w, "  {m}")?;
    }
    Ok(if missing.is_empty() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}
