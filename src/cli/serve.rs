//! `fogd serve [--listen ADDR] [--no-jobs]`: the daemon. Serves the API, the ops page, `/metrics` and health,
//! and runs the scheduled jobs ([`crate::daemon`]: send, poll, the batch cut-off, alert checks, reports). At start
//! it calls [`crate::engine::Engine::recover`] on SQLite (a file left `sending` by a crash becomes
//! `outcome_unknown`) and makes dev certificates when none exist (as every command that talks SHS). Prints
//! `listening on http://ADDR` (`https://` with `[api] tls_cert`) once it accepts connections, tells systemd
//! `READY=1` and pings the watchdog. Refuses a private key file (`[tls] identity`, `[api] tls_key`) that group or
//! others may read. HTTP connections are bounded by `[limits]` ([`crate::http_server`]).
//! On SIGTERM or SIGINT it stops accepting requests and starting jobs, lets the job runs in flight finish (a send
//! pass under way completes and records its outcome, so no file is left `sending`), closes the database and
//! exits 0.

use crate::alerts::Alerter;
use crate::api::metrics::Histogram;
use crate::api::{router, sd_notify, AppState};
use crate::cli::EXIT_OK;
use crate::config::Config;
use crate::daemon::{check_alerts, engine_jobs, scheduled_reports, timed_engine, ReportDelivery};
use crate::engine::schedule::{job_fn, CronSpec, Job, Scheduler};
use crate::engine::Engine;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::watch;

/// Arguments of `fogd serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Listen address (overrides `[api] listen`); port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve HTTP only; run no scheduled jobs (benchmarks, a second read-only instance).
    #[arg(long)]
    pub no_jobs: bool,
}

/// Runs the command.
pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    let store = crate::cli::import::open_store(&config).await?;
    let alerter = Arc::new(
        Alerter::new(&config.alerts).with_email(crate::email::Mailer::from_config(&config.email)?),
    );
    let tz = config.schedule.timezone.clone();

    let send_latency: Arc<Histogram> = Arc::default();

    let mut scheduler = Scheduler::new(clock.clone(), Some(store.clone()));
    let tls = api_tls(&config)?;
    if !args.no_jobs {
        crate::certs::ensure_dev_certs(&config)?;
        crate::cli::require_private_key(&config.tls.identity)?;
        let engine = Engine::from_config(store.clone(), config.clone())?;
        let engine = timed_engine(engine, send_latency.clone());
        // As `fogd send`: on SQLite this process is the only sender, so a file left `sending` is a crash's
        // leftover; on PostgreSQL other instances may hold live claims (expired ones are taken over instead).
        let recovered = engine.recover().await?;
        if recovered > 0 {
            tracing::warn!(
                files = recovered,
                "files left `sending` by a crash are now `outcome_unknown`; they will be re-sent with the same tx.id"
            );
        }
        for job in engine_jobs(&engine, &alerter, &config)? {
            scheduler.add(job);
        }
        let (a, s, c, cfg) = (
            alerter.clone(),
            store.clone(),
            clock.clone(),
            config.clone(),
        );
        scheduler.add(Job {
            name: "alerts".into(),
            spec: CronSpec::parse("alerts.check", &config.alerts.check, &tz)?,
            run: job_fn(move || {
                let (a, s, c, cfg) = (a.clone(), s.clone(), c.clone(), cfg.clone());
                async move { check_alerts(&a, &s, &cfg, c.now()).await }
            }),
        });
        if let Some(expr) = &config.schedule.reports {
            let (s, c, d) = (
                store.clone(),
                clock.clone(),
                ReportDelivery::from_config(&config)?,
            );
            scheduler.add(Job {
                name: "reports".into(),
                spec: CronSpec::parse("schedule.reports", expr, &tz)?,
                run: job_fn(move || {
                    let (s, c, d) = (s.clone(), c.clone(), d.clone());
                    async move { scheduled_reports(&s, c.now(), &d).await }
                }),
            });
        }
    }

    let state = Arc::new(AppState {
        jobs: scheduler.stats(),
        alerter: Some(alerter.clone()),
        send_latency,
        ..AppState::new(store.clone(), config.clone(), clock.clone())
    });
    state.ready.store(false, Ordering::SeqCst);

    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| config.api.listen.clone());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| crate::cli::UsageError(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr()?;

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(wait_for_signal(stop_tx));

    if !args.no_jobs {
        // First alert check right away (banners and metrics without waiting a minute).
        let (a, s, cfg, now) = (alerter.clone(), store.clone(), config.clone(), clock.now());
        tokio::spawn(async move {
            if let Err(e) = check_alerts(&a, &s, &cfg, now).await {
                tracing::warn!(error = %e, "alert check");
            }
        });
    }
    if config.api.cache {
        if let Some(path) = crate::store::sqlite_path(&config.database.url) {
            crate::api::cache::spawn_sqlite_watcher(path, state.cache.clone(), stop_rx.clone());
        }
    }
    let jobs = tokio::spawn(scheduler.run(stop_rx.clone()));

    let app = router(state.clone());
    let limits = crate::http_server::ServerLimits::from_config(&config.limits);
    tracing::info!(
        max_connections = limits.max_connections,
        "connection cap (the lower of [limits] max_connections and the file limit less a reserve)"
    );
    let scheme = if tls.is_some() { "https" } else { "http" };
    let server = tokio::spawn(crate::http_server::serve(
        "api",
        listener,
        tls,
        limits,
        app,
        stop_rx.clone(),
        crate::http_server::SHUTDOWN_GRACE,
    ));

    state.ready.store(true, Ordering::SeqCst);
    println!("listening on {scheme}://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, "fogd serve ready");
    if let Err(e) = sd_notify::notify("READY=1") {
        tracing::warn!(error = %e, "cannot notify systemd");
    }
    if let Some(every) = sd_notify::watchdog_interval() {
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                let _ = sd_notify::notify("WATCHDOG=1");
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        });
    }

    let mut stop = stop_rx.clone();
    let _ = stop.wait_for(|s| *s).await;
    state.ready.store(false, Ordering::SeqCst);
    let _ = sd_notify::notify("STOPPING=1");
    tracing::info!("shutting down: waiting for requests and the job in flight");
    if let Err(e) = server.await {
        tracing::error!(error = %e, "HTTP server task");
    }
    let _ = jobs.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(EXIT_OK)
}

/// The TLS acceptor of `[api] tls_cert` / `tls_key`, if configured (no client certificates asked for).
fn api_tls(config: &Config) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    let (Some(cert), Some(key)) = (&config.api.tls_cert, &config.api.tls_key) else {
        return Ok(None);
    };
    crate::cli::require_private_key(key)?;
    let certs = crate::certs::load_certs(cert)?;
    let key = crate::certs::load_private_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| crate::cli::UsageError(format!("[api] tls_cert: {e}")))?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(sc))))
}

/// Waits for SIGTERM or SIGINT, then flips `stop`.
async fn wait_for_signal(stop: watch::Sender<bool>) {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM"),
                _ = int.recv() => tracing::info!("SIGINT"),
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    let _ = stop.send(true);
}
