//! fogd — a gateway daemon for Kronofogden's file services.
//!
//! Data flows one way: intake → journal → build → outbox → SHS send → Kronofogden (or `fogd sim`) → inbox poll →
//! receipts applied → case and file states → ops views. See `ARCHITECTURE.md` in the shared folder.
//!
//! Modules and their roles:
//! - [`domain`]: pure types and rules (cases, debtors, claims, amounts in öre, identity numbers, validation). No I/O.
//! - [`formats`]: pure codecs (layout model and loader, fixed-width builder and parser, Latin-1, missiv, receipts).
//! - [`shs`]: the SHS protocol (label, message list, management documents, MIME message, mutual-TLS client).
//! - [`store`]: the database (SQLite default, PostgreSQL), migrations, one repository API.
//! - [`engine`]: the state machines and jobs (journal, batch building, send, poll, reconcile).
//! - [`sim`]: `fogd sim`, the simulated Kronofogden SHS node.
//! - [`api`]: axum JSON API, ops web page, `/metrics`, health.
//! - [`cli`]: clap commands, thin calls into the library.
//! - [`config`]: layered configuration (file → env `FOGD_*` → flags), validated at start.
//! - [`console`]: the ops console under `/console` (askama templates in `templates/console/`): overview, cases, a case.
//! - [`clock`]: the only place that reads the wall clock.
//! - [`certs`]: development certificates (rcgen) and certificate loading helpers.
//! - [`daemon`]: `fogd serve` as a library call ([`daemon::serve`]: start, run until shut down, stop), the scheduled
//!   job bodies, timed SHS sends, systemd notification.
//! - [`metrics`]: the Prometheus figures (`/metrics`) and the send-latency histogram the daemon fills.
//! - [`alerts`]: alert conditions, the webhook and e-mail (retried) and recovery notices.
//! - [`email`]: SMTP delivery (lettre) for alerts and scheduled reports.
//! - [`report`]: case status, receipts and rejections reports in CSV and Excel.
//! - [`procinfo`]: peak memory of a process from `/proc`, for the bench reports.
//! - [`layout_files`]: reads the configured layout set (embedded FOGD-REF-1 plus `[layouts] dir`).
//! - [`interest_table`]: reads the referensränta table (`[interest] referensranta`, or the shipped one).
//! - [`fsperm`]: private directories (0700) and files (0600) whatever the umask.
//! - [`limits`]: `[limits]`, the bounds on connections, requests and inputs.
//! - [`http_server`]: the HTTP/1.1 server loop of `fogd serve` and `fogd sim` (timeouts, connection cap).

/// The global allocator: jemalloc (feature `jemalloc`, on by default), for every program built on this library
/// (the `fogd` binary, its benchmarks and tests alike, so that what is measured is what runs). With glibc's malloc,
/// a sixth of an import's CPU time went to allocating and freeing (strings made on one thread and freed on another;
/// `examples/bench_import.rs`). Built without the feature (`--no-default-features`, as the fuzz targets are), the
/// system allocator is used.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod alerts;
pub mod api;
pub mod certs;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod daemon;
pub mod domain;
pub mod email;
pub mod engine;
pub mod formats;
pub mod fsperm;
pub mod http_server;
pub mod interest_table;
pub mod layout_files;
pub mod limits;
pub mod mask;
pub mod metrics;
pub mod procinfo;
pub mod report;
pub mod shs;
pub mod sim;
pub mod store;
