//! The state machines and jobs. Talks to the world only through [`crate::store`] (and, later, an `Shs` trait).
//!
//! - [`intake`]: validated, idempotent intake of cases from any source (CLI import, API).
//! - [`journal`]: the review step: list, approve, hold.
//! - [`schedule`]: cron schedules (DST-correct), the job runner (no overlap, catch-up once at start).

pub mod intake;
pub mod journal;
pub mod schedule;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A value could not be serialised (a bug).
    #[error("serialising {what}: {message}")]
    Serialise {
        /// What was being serialised.
        what: &'static str,
        /// The cause.
        message: String,
    },
}
