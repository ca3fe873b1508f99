//! [`serve`]: the daemon's start-up, run and shutdown, as a library call (the shape of mini-redis's `server::run`:
//! the caller hands in the configuration and a future that completes when the daemon should stop).
//!
//! Start-up: the store is opened; with jobs, dev certificates are made when none exist (as every command that talks
//! SHS), a private key file (`[tls] identity`, `[api] tls_key`) that group or others may read is refused, and
//! [`Engine::recover`] turns a file left `sending` by a crash into `outcome_unknown`. Then the listener is bound
//! (`[api] listen`; port 0 picks a free port), the HTTP server ([`crate::http_server`], bounded by `[limits]`) and
//! the scheduler start, [`ServeOptions::ready`] is told the address, systemd is told `READY=1` and the watchdog is
//! pinged. When `shutdown` completes it stops accepting requests and starting jobs, lets the job runs in flight
//! finish (a send pass under way completes and records its outcome, so no file is left `sending`), closes the
//! database and returns.

use super::{check_alerts, engine_jobs, scheduled_reports, timed_engine, ReportDelivery};
use crate::alerts::Alerter;
use crate::api::{router, AppState};
use crate::certs::CertError;
use crate::config::Config;
use crate::daemon::sd_notify;
use crate::engine::schedule::{job_fn, CronSpec, Job, Scheduler};
use crate::engine::{Engine, EngineError};
use crate::metrics::Histogram;
use crate::store::{Store, StoreError};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};

/// How [`serve`] runs besides its configuration.
#[derive(Debug)]
pub struct ServeOptions {
    /// Run the scheduled jobs; false serves HTTP only (benchmarks, a second read-only instance).
    pub jobs: bool,
    /// Told where the daemon listens once it accepts connections.
    pub ready: Option<oneshot::Sender<Listening>>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            jobs: true,
            ready: None,
        }
    }
}

/// Where a started daemon accepts connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// The bound address (the real port when `[api] listen` asked for port 0).
    pub addr: SocketAddr,
    /// Whether it speaks HTTPS (`[api] tls_cert`).
    pub tls: bool,
}

impl Listening {
    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// Why the daemon could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine could not be set up or recover.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Dev certificates could not be made, or a certificate or key not read.
    #[error(transparent)]
    Certs(#[from] CertError),
    /// A private key file that group or others may read.
    #[error("{0}")]
    KeyNotPrivate(#[source] CertError),
    /// `[api] tls_cert` / `tls_key` do not make a TLS server configuration.
    #[error("[api] tls_cert: {0}")]
    ApiTls(#[source] rustls::Error),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// `[api] listen`.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket has no local address.
    #[error("listening socket: {0}")]
    Socket(#[source] std::io::Error),
    /// The e-mail settings of the scheduled reports.
    #[error(transparent)]
    Email(#[from] crate::email::EmailError),
    /// The referensränta table (`[interest] referensranta`) cannot be read or is not valid.
    #[error(transparent)]
    InterestTable(#[from] crate::interest_table::InterestTableError),
}

impl DaemonError {
    /// Whether the error is the operator's to fix in the configuration or the files it names (exit 2), rather
    /// than an internal failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            DaemonError::KeyNotPrivate(_)
                | DaemonError::ApiTls(_)
                | DaemonError::Listen { .. }
                | DaemonError::InterestTable(_)
        )
    }
}

/// Runs the daemon until `shutdown` completes (see the module doc), then returns once requests and jobs in flight
/// are done and the database is closed.
pub async fn serve(
    config: Config,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let clock = crate::clock::system();
    // Checked at start: a broken table stops the daemon with its error instead of holding cases.
    let interest = Arc::new(crate::interest_table::load(&config)?);
    let store = Store::open(&config.database.url, config.database.max_connections).await?;
    let alerter = Arc::new(
        Alerter::new(&config.alerts)
            .with_email(crate::email::Mailer::from_config(&config.email)?)
            .with_log(store.clone()),
    );
    let send_latency: Arc<Histogram> = Arc::default();

    let mut scheduler = Scheduler::new(clock.clone(), Some(store.clone()));
    let tls = api_tls(&config)?;
    let mut sender = None;
    if options.jobs {
        crate::certs::ensure_dev_certs(&config)?;
        crate::certs::check_key_private(&config.tls.identity)
            .map_err(DaemonError::KeyNotPrivate)?;
        let engine = Engine::from_config(store.clone(), config.clone()).await?;
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
        sender = Some(engine.clone());
        for job in engine_jobs(&engine, &alerter, &config) {
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
            spec: CronSpec::new(&config.alerts.check, config.schedule.timezone),
            run: job_fn(move || {
                let (a, s, c, cfg) = (a.clone(), s.clone(), c.clone(), cfg.clone());
                async move { check_alerts(&a, &s, &cfg, c.now()).await }
            }),
        });
        if let Some(reports) = &config.schedule.reports {
            let (s, c, d) = (
                store.clone(),
                clock.clone(),
                ReportDelivery::from_config(&config)?,
            );
            scheduler.add(Job {
                name: "reports".into(),
                spec: CronSpec::new(reports, config.schedule.timezone),
                run: job_fn(move || {
                    let (s, c, d) = (s.clone(), c.clone(), d.clone());
                    async move { scheduled_reports(&s, c.now(), &d).await }
                }),
            });
        }
    }

    let edition = crate::engine::installation_edition(&store, &config).await?;
    let state = Arc::new(AppState {
        jobs: scheduler.stats(),
        alerter: Some(alerter.clone()),
        send_latency,
        sender,
        interest,
        edition,
        ..AppState::new(store.clone(), config.clone(), clock.clone())
    });
    state.ready.store(false, Ordering::SeqCst);

    let listen = config.api.listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| DaemonError::Listen {
            addr: listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(DaemonError::Socket)?;

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    if options.jobs {
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
    let listening = Listening {
        addr,
        tls: tls.is_some(),
    };
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
    if let Some(ready) = options.ready {
        let _ = ready.send(listening);
    }
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
    Ok(())
}

/// The TLS acceptor of `[api] tls_cert` / `tls_key`, if configured (no client certificates asked for).
fn api_tls(config: &Config) -> Result<Option<tokio_rustls::TlsAcceptor>, DaemonError> {
    let (Some(cert), Some(key)) = (&config.api.tls_cert, &config.api.tls_key) else {
        return Ok(None);
    };
    crate::certs::check_key_private(key).map_err(DaemonError::KeyNotPrivate)?;
    let certs = crate::certs::load_certs(cert)?;
    let key = crate::certs::load_private_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(DaemonError::ApiTls)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(DaemonError::ApiTls)?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(sc))))
}
