//! `fogd sim`: the simulated Kronofogden SHS node (kronofogden.md §2.6, shs.md §4).
//!
//! The node is generic SHS: mutual TLS (a client certificate signed by the configured CA is required; anything
//! else fails the handshake; connections bounded by `[limits]`, [`crate::http_server`]), `POST /shs/rs`, `GET /shs/ds/{outbox}`, `GET /shs/ds/{outbox}/{tx.id}`,
//! `POST /shs/ds/{outbox}/{tx.id}?action=ack`, duplicate detection by `tx.id`, confirm messages on ack, SHS error
//! codes with HTTP 400, a body limit (413), fault injection, and an admin JSON API under `/sim/v1` ([`admin`], for
//! an admin identity only). Identity: the client certificate's subject `serialNumber` is the caller's organisation;
//! a message's sender must equal it (`UnknownSender` otherwise, also without one, `[sim] check_sender`), and an
//! outbox can be listed, fetched from and acknowledged by its own organisation only. Its state lives
//! in its own SQLite file. What Kronofogden does with a file sits behind [`behaviour::Behaviour`].
//!
//! Uses `shs` documents; never `engine` or `store`.

pub mod admin;
pub mod admin_client;
pub mod behaviour;
pub mod db;
pub mod faults;
pub mod kronofogden;
mod node;

use crate::clock::SharedClock;
use crate::config::Config;
use behaviour::{Behaviour, SimContext};
use faults::Faults;
use sqlx::SqlitePool;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The node id written in `X-shs-nodeid` and `history/@node.id`.
pub const NODE_ID: &str = "fogd-sim";
/// How long a stopping sim lets requests in progress finish (a restart in a test must not wait for a hung fault).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);
/// The display name in the `from` of the node's own messages.
pub const NODE_NAME: &str = "Kronofogden (simulerad)";

/// Why the sim could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Certificates.
    #[error(transparent)]
    Certs(#[from] crate::certs::CertError),
    /// TLS set-up.
    #[error("sim TLS: {0}")]
    Tls(String),
    /// State file.
    #[error("sim state {path}: {source}")]
    Db {
        /// The file.
        path: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// Behaviour init.
    #[error(transparent)]
    Behaviour(#[from] behaviour::BehaviourError),
    /// Listening.
    #[error("sim listen {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Bad fault spec.
    #[error("sim faults: {0}")]
    Faults(String),
}

/// State shared by all connections.
pub struct SimShared {
    pub(crate) config: Arc<Config>,
    pub(crate) pool: SqlitePool,
    pub(crate) behaviour: Arc<dyn Behaviour>,
    pub(crate) faults: Faults,
    pub(crate) clock: SharedClock,
    pub(crate) tz: chrono_tz::Tz,
    /// Held through a whole [`SimShared::tick`], so that ticks do not overlap: a list's own tick waits for the
    /// periodic one in flight, and the list then shows every reply that tick stored, not the first of them.
    pub(crate) tick_lock: tokio::sync::Mutex<()>,
}

impl SimShared {
    pub(crate) fn context(&self) -> SimContext {
        let now = self.clock.now();
        SimContext {
            pool: self.pool.clone(),
            now,
            now_local: now.with_timezone(&self.tz).naive_local(),
            config: self.config.clone(),
            reject_with: None,
        }
    }

    /// Asks the behaviour for due replies and stores them.
    pub(crate) async fn tick(&self) -> Result<usize, String> {
        let _one_at_a_time = self.tick_lock.lock().await;
        let ctx = self.context();
        let replies = self.behaviour.due(&ctx).await.map_err(|e| e.to_string())?;
        if replies.is_empty() {
            return Ok(0);
        }
        node::store_replies(self, &ctx, replies).await
    }
}

/// A running sim.
pub struct SimHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// The state file's pool (tests and the demo may read it).
    pub pool: SqlitePool,
    shared: Arc<SimShared>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The base URL of the SHS endpoints, `https://ADDR/shs`.
    pub fn shs_url(&self) -> String {
        format!("https://{}/shs", self.addr)
    }
    /// Adds faults from a spec string (see [`faults`]), e.g. `reject=0021*1` to have the next received file
    /// rejected whole with felkod 0021 (what `fogd demo` does in-process).
    pub fn add_faults(&self, spec: &str) -> Result<(), SimError> {
        self.shared
            .faults
            .add(faults::parse_spec(spec).map_err(SimError::Faults)?);
        Ok(())
    }
    /// Stops accepting connections and the periodic tick, and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Options beyond the configuration.
#[derive(Default)]
pub struct StartOptions {
    /// Listen here instead of `sim.listen` (e.g. a listener bound to port 0).
    pub listener: Option<TcpListener>,
    /// A fault spec to start with.
    pub faults: Option<String>,
    /// The clock (default: system).
    pub clock: Option<SharedClock>,
}

/// Starts the sim with `config` (`sim.*`, `tls.*`, `shs.node_org_number`, `shs.products`) and `behaviour`,
/// listening on `sim.listen`. Dev certificates are created first when none of the `[tls]` files exist.
pub async fn start(config: Config, behaviour: Arc<dyn Behaviour>) -> Result<SimHandle, SimError> {
    start_with(config, behaviour, StartOptions::default()).await
}

fn server_tls(config: &Config) -> Result<rustls::ServerConfig, SimError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in crate::certs::load_certs(&config.tls.ca)? {
        roots
            .add(c)
            .map_err(|e| SimError::Tls(format!("CA {}: {e}", config.tls.ca.display())))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| SimError::Tls(e.to_string()))?;
    let certs = crate::certs::load_certs(&config.tls.server_cert)?;
    let key = crate::certs::load_private_key(&config.tls.server_key)?;
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(sc)
}

/// Starts the sim as Kronofogden in the FOGD-REF-1 profile ([`kronofogden::KronofogdenBehaviour`], layouts from
/// `[layouts]`): what `fogd sim` and `fogd demo` run.
pub async fn start_kronofogden(config: Config, opts: StartOptions) -> Result<SimHandle, SimError> {
    let b = kronofogden::KronofogdenBehaviour::from_config(&config)?;
    start_with(config, Arc::new(b), opts).await
}

/// Starts the sim with options (see [`start`]).
pub async fn start_with(
    config: Config,
    behaviour: Arc<dyn Behaviour>,
    opts: StartOptions,
) -> Result<SimHandle, SimError> {
    crate::certs::ensure_dev_certs(&config)?;
    let tls = tokio_rustls::TlsAcceptor::from(Arc::new(server_tls(&config)?));
    let pool = db::open(&config.sim.state)
        .await
        .map_err(|source| SimError::Db {
            path: config.sim.state.display().to_string(),
            source,
        })?;
    behaviour.init(&pool).await?;
    let faults = Faults::default();
    if let Some(spec) = &opts.faults {
        faults.add(faults::parse_spec(spec).map_err(SimError::Faults)?);
    }
    let listener = match opts.listener {
        Some(l) => l,
        None => TcpListener::bind(&config.sim.listen)
            .await
            .map_err(|source| SimError::Listen {
                addr: config.sim.listen.clone(),
                source,
            })?,
    };
    let addr = listener.local_addr().map_err(|source| SimError::Listen {
        addr: config.sim.listen.clone(),
        source,
    })?;
    let tz = config.sim.timezone;
    let shared = Arc::new(SimShared {
        config: Arc::new(config),
        pool: pool.clone(),
        behaviour,
        faults,
        clock: opts.clock.unwrap_or_else(crate::clock::system),
        tz,
        tick_lock: tokio::sync::Mutex::new(()),
    });
    let router = node::router(shared.clone());
    let router_shared = shared.clone();
    let (tx, rx) = watch::channel(false);

    // Periodic tick for the behaviour's scheduled replies.
    let mut tick_rx = rx.clone();
    let tick_shared = shared.clone();
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = iv.tick() => {
                    if let Err(e) = tick_shared.tick().await {
                        tracing::warn!(error = %e, "sim behaviour tick failed");
                    }
                }
                _ = tick_rx.changed() => break,
            }
        }
    });

    let limits = crate::http_server::ServerLimits::from_config(&shared.config.limits);
    let task = tokio::spawn(crate::http_server::serve(
        "sim",
        listener,
        Some(tls),
        limits,
        router,
        rx,
        SHUTDOWN_GRACE,
    ));
    Ok(SimHandle {
        addr,
        pool,
        shared: router_shared,
        shutdown: tx,
        task,
    })
}
