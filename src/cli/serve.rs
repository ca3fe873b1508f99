//! `fogd serve [--listen ADDR] [--no-jobs]`: the daemon. Serves the API, the ops page, `/metrics` and health,
//! and runs the scheduled jobs (alert checks, reports; the engine's send and poll passes). Prints
//! `listening on http://ADDR` once it accepts connections, tells systemd `READY=1` and pings the watchdog.
//! On SIGTERM or SIGINT it stops accepting requests, lets the job run in flight finish, closes the database and
//! exits 0.

use crate::alerts::Alerter;
use crate::api::{router, sd_notify, AppState};
use crate::cli::EXIT_OK;
use crate::config::Config;
use crate::engine::schedule::{job_fn, CronSpec, Job, Scheduler};
use crate::report::{write_report, ReportFormat, ReportKind};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
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
    let alerter = Arc::new(Alerter::new(&config.alerts));
    let tz = config.schedule.timezone.clone();

    let mut scheduler = Scheduler::new(clock.clone(), Some(store.clone()));
    if !args.no_jobs {
        let (a, c, cfg) = (alerter.clone(), clock.clone(), config.clone());
        scheduler.add(Job {
            name: "alerts".into(),
            spec: CronSpec::parse("alerts.check", &config.alerts.check, &tz)?,
            run: job_fn(move || {
                let (a, c, cfg) = (a.clone(), c.clone(), cfg.clone());
                async move {
                    check_alerts(&a, &cfg, c.now()).await;
                    Ok(())
                }
            }),
        });
        if let Some(expr) = &config.schedule.reports {
            let (s, c, dir) = (
                store.clone(),
                clock.clone(),
                config.schedule.reports_dir.clone(),
            );
            scheduler.add(Job {
                name: "reports".into(),
                spec: CronSpec::parse("schedule.reports", expr, &tz)?,
                run: job_fn(move || {
                    let (s, c, dir) = (s.clone(), c.clone(), dir.clone());
                    async move { scheduled_reports(&s, c.now(), &dir).await }
                }),
            });
        }
    }

    let state = Arc::new(AppState {
        jobs: scheduler.stats(),
        alerter: Some(alerter.clone()),
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
        let (a, cfg, now) = (alerter.clone(), config.clone(), clock.now());
        tokio::spawn(async move { check_alerts(&a, &cfg, now).await });
    }
    let jobs = tokio::spawn(scheduler.run(stop_rx.clone()));

    let app = router(state.clone());
    let mut srv_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = srv_stop.wait_for(|s| *s).await;
            })
            .await
    });

    state.ready.store(true, Ordering::SeqCst);
    println!("listening on http://{addr}");
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
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "HTTP server"),
        Err(e) => tracing::error!(error = %e, "HTTP server task"),
    }
    let _ = jobs.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(EXIT_OK)
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

/// One round of alert checks: certificates and the SHS node.
async fn check_alerts(alerter: &Alerter, config: &Config, now: chrono::DateTime<chrono::Utc>) {
    let paths = [config.tls.ca.as_path(), config.tls.identity.as_path()];
    alerter
        .check_certificates(&paths, &config.alerts.cert_warn_days, now)
        .await;
    alerter
        .check_shs(
            &config.shs.url,
            Duration::from_secs(config.shs.connect_timeout_secs.max(1)),
            now,
        )
        .await;
}

/// The scheduled reports: status and rejections of the previous Stockholm day, CSV and xlsx, in `dir`.
async fn scheduled_reports(
    store: &crate::store::Store,
    now: chrono::DateTime<chrono::Utc>,
    dir: &std::path::Path,
) -> Result<(), String> {
    let today = now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let day = today.pred_opt().unwrap_or(today);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for kind in [ReportKind::Status, ReportKind::Rejections] {
        for (format, ext) in [(ReportFormat::Csv, "csv"), (ReportFormat::Xlsx, "xlsx")] {
            let out = dir.join(format!("{}-{day}.{ext}", kind.as_str()));
            write_report(store, kind, day, day, format, &out)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
