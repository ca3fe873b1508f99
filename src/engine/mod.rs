//! The state machines and jobs. Talks to the world only through [`crate::store`] and the [`ShsPort`] trait (the
//! real [`crate::shs::ShsClient`], or an in-process stand-in for tests).
//!
//! - [`import`]: validated, idempotent intake of cases from any source (CLI import, API).
//! - [`journal`]: the review step: list, approve, hold.
//! - [`schedule`]: cron schedules (DST-correct), the job runner (no overlap, catch-up once at start).
//! - [`batch`]: the build pass — approved cases → files with löpnummer, bytes frozen, in one transaction each.
//! - [`send`]: the send pass — one SHS message per file, back-off, `outcome_unknown`, same tx.id on every try.
//! - [`poll`]: the poll pass — list, fetch, store raw, ack; then apply.
//! - [`apply`]: receipts applied idempotently (kvittens, bekräftelse, utslag, SHS confirm/error).
//!
//! [`Engine`] bundles what the passes need; `fogd send`, `fogd poll`, `fogd demo` and the daemon call its passes.

pub mod apply;
pub mod apply_life;
pub mod batch;
pub mod deadlines;
mod follow_ups;
pub mod import;
pub mod journal;
pub mod ledger;
pub mod paper;
pub mod poll;
pub mod request;
pub mod schedule;
pub mod send;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::formats::LayoutSet;
use crate::shs::{
    FetchedMessage, ListFilter, MessageList, SendReceipt, ShsClient, ShsClientError, ShsMessage,
};
use crate::store::Store;
use futures_util::future::BoxFuture;
use std::sync::Arc;

pub use apply::ApplyReport;
pub use batch::{BuildReport, BuiltFile};
pub use poll::PollReport;
pub use send::SendReport;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A value could not be serialised (a bug).
    #[error("serialising {what}: {source}")]
    Serialise {
        /// What was being serialised.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The configured layout files do not load.
    #[error("configuration: {0}")]
    Layouts(#[from] crate::layout_files::LayoutFilesError),
    /// No layout for a kind of case.
    #[error("configuration: no layout for {0}")]
    NoLayout(crate::domain::CaseKind),
    /// No SHS product id for a layout.
    #[error("configuration: no SHS product for {0} in [shs.products]")]
    NoProduct(String),
    /// A löpnummer the file format cannot hold.
    #[error("building {layout} löpnummer {lopnummer}: löpnummer out of range")]
    LopnummerRange {
        layout: String,
        /// Löpnummer.
        lopnummer: i64,
    },
    /// A file could not be built for a reason that is not one case's fault (a layout problem).
    #[error("building {layout} löpnummer {lopnummer}: {source}")]
    Build {
        layout: String,
        /// Löpnummer.
        lopnummer: i64,
        /// The builder's error.
        #[source]
        source: Box<crate::formats::BuildError>,
    },
    /// The SHS node could not be reached for listing (a poll pass cannot start).
    #[error("SHS: {0}")]
    Shs(#[from] ShsClientError),
    /// A task of the engine was cancelled (the runtime is shutting down).
    #[error("{0} was cancelled")]
    Cancelled(&'static str),
    /// fogd's own intake record of a request or decision does not read (a bug).
    #[error("intake record: {0}")]
    OwnRecord(String),
}

/// The SHS operations the engine uses: the seam between the engine and the network, implemented by
/// [`ShsClient`] and by in-process fakes in tests.
pub trait ShsPort: Send + Sync {
    /// Sends one message (see [`ShsClient::send`]).
    fn send<'a>(
        &'a self,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<SendReceipt, ShsClientError>>;
    /// Lists the outbox.
    fn list<'a>(&'a self, outbox: &'a str) -> BoxFuture<'a, Result<MessageList, ShsClientError>>;
    /// Fetches one message.
    fn fetch<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<FetchedMessage, ShsClientError>>;
    /// Acknowledges one message.
    fn ack<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ShsClientError>>;
}

impl ShsPort for ShsClient {
    fn send<'a>(
        &'a self,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<SendReceipt, ShsClientError>> {
        Box::pin(ShsClient::send(self, msg))
    }
    fn list<'a>(&'a self, outbox: &'a str) -> BoxFuture<'a, Result<MessageList, ShsClientError>> {
        Box::pin(async move { ShsClient::list(self, outbox, &ListFilter::default()).await })
    }
    fn fetch<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<FetchedMessage, ShsClientError>> {
        Box::pin(ShsClient::fetch(self, outbox, tx_id))
    }
    fn ack<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ShsClientError>> {
        Box::pin(ShsClient::ack(self, outbox, tx_id))
    }
}

/// Everything the passes need.
#[derive(Clone)]
pub struct Engine {
    /// The store.
    pub store: Store,
    /// The SHS node.
    pub shs: Arc<dyn ShsPort>,
    /// Layouts (embedded FOGD-REF-1 plus overrides).
    pub layouts: Arc<LayoutSet>,
    /// Configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: SharedClock,
    /// This instance's name for send claims (`claimed_by`).
    pub worker: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over these parts; the worker name is a new UUID.
    pub fn new(
        store: Store,
        shs: Arc<dyn ShsPort>,
        layouts: Arc<LayoutSet>,
        config: Arc<Config>,
        clock: SharedClock,
    ) -> Engine {
        Engine {
            store,
            shs,
            layouts,
            config,
            clock,
            worker: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// An engine from configuration with the real SHS client (mutual TLS) and the system clock. It builds files
    /// of the edition `[layouts] edition` names, else of the edition the database started with
    /// ([`Store::layouts_edition`]; a new database records FOGD-REF-2).
    pub async fn from_config(store: Store, config: Config) -> Result<Engine, EngineError> {
        let edition = installation_edition(&store, &config).await?;
        let layouts = crate::layout_files::load_edition(&config, &edition)?;
        let client = ShsClient::new(crate::shs::ClientSettings::from_config(&config))?;
        Ok(Engine::new(
            store,
            Arc::new(client),
            Arc::new(layouts),
            Arc::new(config),
            crate::clock::system(),
        ))
    }

    /// Call once at start: a file left in `sending` by a crash becomes `outcome_unknown` (re-sent with the same
    /// tx.id). Returns how many.
    pub async fn recover(&self) -> Result<u64, EngineError> {
        Ok(self.store.recover_sending().await?)
    }
}

/// Aborts the process when the environment variable `FOGD_FAILPOINT` names this point (crash tests). Compiled
/// in only with the cargo feature `failpoints`.
#[macro_export]
macro_rules! failpoint {
    ($name:expr) => {
        #[cfg(feature = "failpoints")]
        {
            $crate::engine::failpoint_hit($name);
        }
    };
}
pub use crate::failpoint;

/// The names of every fail point, in the order a file and a receipt meet them.
pub const FAILPOINTS: [&str; 6] = [
    "after_build_commit",
    "after_sending_commit",
    "after_network_send",
    "after_inbound_stored",
    "after_ack",
    "inside_apply",
];

/// Fail points of applying FOGD-REF-2's documents after registration: `inside_ref2_apply` aborts after the
/// first entry of a document was applied, before the rest and the commit (`tests/case_life_crash.rs`). Kept apart
/// from [`FAILPOINTS`], which the crash harness drives through the simulator's FOGD-REF-1 traffic.
pub const REF2_FAILPOINTS: [&str; 1] = ["inside_ref2_apply"];

/// Aborts when `FOGD_FAILPOINT` equals `name` (see [`failpoint!`]).
pub fn failpoint_hit(name: &str) {
    if std::env::var("FOGD_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("fogd: fail point {name} reached; aborting");
        std::process::abort();
    }
}

/// The edition this installation files: `[layouts] edition`, else the one its database started with
/// ([`Store::layouts_edition`]; a new database records FOGD-REF-2). The builder and intake's rules both follow it.
pub async fn installation_edition(
    store: &Store,
    config: &crate::config::Config,
) -> Result<String, crate::store::StoreError> {
    match &config.layouts.edition {
        Some(e) => Ok(e.clone()),
        None => {
            store
                .layouts_edition(crate::formats::edition::DEFAULT_EDITION)
                .await
        }
    }
}
