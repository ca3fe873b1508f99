//! The send pass: claim a file (`built`/`outcome_unknown` and due, or `sending` with an expired claim), commit
//! `sending` **before** the network call, send one SHS message (transaktionsfil first, then missiv; tx.id =
//! corr.id = the file's tx_id, the same on every attempt), then record the outcome:
//!
//! - 202 (duplicate or not) → `sent`, its cases `sent`.
//! - an error a retry can help, before the body left (connect refused, TLS, 5xx flagged transient) → back to
//!   `built` (or `outcome_unknown` if an earlier attempt's outcome was already unknown), next attempt after a
//!   capped exponential back-off with jitter ([`backoff`]).
//! - the connection died after the body left, or no answer in time → `outcome_unknown`; the next pass re-sends the
//!   same bytes under the same tx.id and the node answers "duplicate" if it had it.
//! - an SHS refusal no retry helps (`X-shs-errorcode`, e.g. a wrong product) → `built` with the error and the
//!   longest back-off, logged as an alert (an operator must act).

use super::{Engine, EngineError};
use crate::domain::FileState;
use crate::shs::label::Address;
use crate::shs::{DataPart, Label, ShsMessage};
use crate::store::{FileRow, Store};
use chrono::{DateTime, Duration, Utc};

/// Content type of the file parts.
pub const TEXT_LATIN1: &str = "text/plain; charset=ISO-8859-1";

/// What a send pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SendReport {
    /// Files the node accepted (202).
    pub sent: u64,
    /// Of those, answered "duplicate" (an earlier attempt had arrived).
    pub duplicates: u64,
    /// Attempts whose outcome is unknown (re-sent later with the same tx.id).
    pub unknown: u64,
    /// Attempts that failed and will be retried.
    pub retried: u64,
    /// Refusals that need an operator.
    pub refused: u64,
}

impl SendReport {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.unknown == 0 && self.retried == 0 && self.refused == 0
    }
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped at `max`, then "equal jitter" (half
/// fixed, half random from `rand01` in [0, 1)) so that many fogd instances do not retry in step.
pub fn backoff(attempts: i64, base_secs: u64, max_secs: u64, rand01: f64) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = base_secs
        .max(1)
        .saturating_mul(1u64 << exp)
        .min(max_secs.max(1)) as f64;
    let secs = full / 2.0 + full / 2.0 * rand01.clamp(0.0, 1.0);
    Duration::milliseconds((secs * 1000.0) as i64)
}

/// The SHS message for a file (deterministic but for the label's datetime).
pub fn file_message(
    engine: &Engine,
    file: &FileRow,
    bytes: Vec<u8>,
    missiv: Vec<u8>,
) -> Result<ShsMessage, EngineError> {
    let cfg = &engine.config;
    let product = cfg
        .shs
        .products
        .get(&file.layout)
        .ok_or_else(|| EngineError::NoProduct(file.layout.clone()))?;
    let local = engine
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .naive_local();
    let mut label = Label::new_event(
        Address::new(&cfg.ingivare.org_number, Some(&cfg.ingivare.name)),
        Address::new(&cfg.shs.node_org_number, None),
        product,
        cfg.shs.status.label(),
        local,
    );
    label.tx_id = file.tx_id.clone();
    label.corr_id = file.tx_id.clone();
    label.content_id = file.sha256.chars().take(36).collect();
    label.subject = Some(format!("{} {}", file.file_name, file.lopnummer));
    Ok(ShsMessage::new(
        label,
        vec![
            DataPart::new("transaktionsfil", Some(&file.file_name), TEXT_LATIN1, bytes),
            DataPart::new("missiv", Some(&file.missiv_name), TEXT_LATIN1, missiv),
        ],
    ))
}

/// Why a file cannot be pushed with "retry now".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryRefused {
    /// No file has this id.
    #[error("no file with id {0}")]
    NoFile(i64),
    /// The file is past sending (sent, receipted, superseded) or being sent right now.
    #[error(
        "file {id} is {state}: only a file waiting to be sent ({}) can be retried",
        to_send_names()
    )]
    NotWaiting {
        /// The file.
        id: i64,
        /// Its state.
        state: FileState,
    },
}

/// The states of a file waiting to be sent, for messages (`built or outcome_unknown`).
fn to_send_names() -> String {
    FileState::TO_SEND
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// "Retry now": makes the files waiting for a send retry due at `now` — all of them, or only file `only` (which
/// must exist and wait to be sent) — so that the next send pass sends them. Returns the ids made due (empty when
/// the named file was due already). Shared by `fogd send --retry-now` and the API.
pub async fn make_retry_due(
    store: &Store,
    now: DateTime<Utc>,
    only: Option<i64>,
) -> Result<Result<Vec<i64>, RetryRefused>, EngineError> {
    if let Some(id) = only {
        let Some(file) = store.file_by_id(id).await? else {
            return Ok(Err(RetryRefused::NoFile(id)));
        };
        if !FileState::TO_SEND.contains(&file.state) {
            return Ok(Err(RetryRefused::NotWaiting {
                id,
                state: file.state,
            }));
        }
    }
    let ids = store.make_retry_due_now(only, now).await?;
    if !ids.is_empty() {
        tracing::info!(files = ?ids, "files waiting for a send retry made due now");
    }
    Ok(Ok(ids))
}

impl Engine {
    /// [`make_retry_due`] with this engine's store and clock.
    pub async fn make_retry_due(
        &self,
        only: Option<i64>,
    ) -> Result<Result<Vec<i64>, RetryRefused>, EngineError> {
        make_retry_due(&self.store, self.clock.now(), only).await
    }

    /// Sends every file that is due, once each. Returns what happened.
    pub async fn send_pass(&self) -> Result<SendReport, EngineError> {
        let mut report = SendReport::default();
        let mut seen: Vec<i64> = Vec::new();
        let claim_for = Duration::seconds(
            i64::try_from(self.config.shs.request_timeout_secs.saturating_mul(2) + 60)
                .unwrap_or(600),
        );
        loop {
            let now = self.clock.now();
            let Some((file, prev)) = self
                .store
                .claim_file_to_send(&self.worker, now, claim_for, &seen)
                .await?
            else {
                break;
            };
            seen.push(file.id);
            crate::failpoint!("after_sending_commit");
            let Some((bytes, missiv)) = self.store.file_bytes(file.id).await? else {
                continue;
            };
            let msg = match file_message(self, &file, bytes, missiv) {
                Ok(m) => m,
                Err(e) => {
                    let at = now + Duration::seconds(self.max_backoff_secs());
                    self.store
                        .mark_file_retry(file.id, FileState::Built, &e.to_string(), at)
                        .await?;
                    tracing::error!(alert = true, file = file.id, error = %e, "file cannot be sent");
                    report.refused += 1;
                    continue;
                }
            };
            let result = self.shs.send(&msg).await;
            crate::failpoint!("after_network_send");
            let now = self.clock.now();
            match result {
                Ok(r) => {
                    let note = r
                        .duplicate
                        .then_some("node reported a duplicate: an earlier attempt had arrived");
                    self.store.mark_file_sent(file.id, now, note).await?;
                    report.sent += 1;
                    if r.duplicate {
                        report.duplicates += 1;
                    }
                    tracing::info!(file = file.id, tx_id = %file.tx_id, duplicate = r.duplicate, "file sent");
                }
                Err(e) if e.outcome_unknown() => {
                    let at = now + self.backoff_for(file.attempts);
                    self.store
                        .mark_file_retry(file.id, FileState::OutcomeUnknown, &e.to_string(), at)
                        .await?;
                    report.unknown += 1;
                    tracing::warn!(file = file.id, tx_id = %file.tx_id, error = %e, "send outcome unknown; will re-send the same tx.id");
                }
                Err(e) if e.is_retryable() => {
                    let back = if prev == FileState::OutcomeUnknown {
                        FileState::OutcomeUnknown
                    } else {
                        FileState::Built
                    };
                    let at = now + self.backoff_for(file.attempts);
                    self.store
                        .mark_file_retry(file.id, back, &e.to_string(), at)
                        .await?;
                    report.retried += 1;
                    tracing::warn!(file = file.id, error = %e, "send failed; will retry");
                }
                Err(e) => {
                    let back = if prev == FileState::OutcomeUnknown {
                        FileState::OutcomeUnknown
                    } else {
                        FileState::Built
                    };
                    let at = now + Duration::seconds(self.max_backoff_secs());
                    self.store
                        .mark_file_retry(file.id, back, &e.to_string(), at)
                        .await?;
                    report.refused += 1;
                    tracing::error!(alert = true, file = file.id, error = %e, "SHS node refused the file; an operator must act");
                }
            }
        }
        Ok(report)
    }

    fn max_backoff_secs(&self) -> i64 {
        i64::try_from(self.config.batch.send_retry_max_secs).unwrap_or(3600)
    }

    fn backoff_for(&self, attempts: i64) -> Duration {
        backoff(
            attempts,
            self.config.batch.send_retry_base_secs,
            self.config.batch.send_retry_max_secs,
            rand::random::<f64>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps_with_jitter() {
        assert_eq!(backoff(1, 30, 3600, 0.0), Duration::seconds(15));
        assert_eq!(backoff(1, 30, 3600, 0.999_999).num_seconds(), 29);
        assert_eq!(backoff(2, 30, 3600, 0.0), Duration::seconds(30));
        assert_eq!(backoff(3, 30, 3600, 0.0), Duration::seconds(60));
        assert_eq!(backoff(20, 30, 3600, 0.0), Duration::seconds(1800));
        assert_eq!(backoff(i64::MAX, 30, 3600, 1.0), Duration::seconds(3600));
        for a in 1..12 {
            let lo = backoff(a, 30, 3600, 0.0);
            let hi = backoff(a, 30, 3600, 1.0);
            assert!(lo <= hi && hi <= Duration::seconds(3600) && lo * 2 == hi);
        }
    }
}
