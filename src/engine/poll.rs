//! The poll pass: list our outbox on the node, fetch each message not yet stored, store it raw (commit), then ack
//! it, then apply every unapplied message. A message stored but not acked (a crash between) is acked again; one
//! listed again after its ack (a lost ack answer, a duplicate list entry) is acked again and not stored twice.

use super::{Engine, EngineError};
use crate::domain::state::MessageKind;
use crate::formats::InboundKind;
use crate::shs::{ShsClientError, ShsMessage};
use crate::store::NewInbound;

/// What a poll pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PollReport {
    /// Entries listed.
    pub listed: u64,
    /// Messages fetched and stored.
    pub stored: u64,
    /// Acknowledgements sent.
    pub acked: u64,
    /// Fetch or ack failures (retried on the next pass).
    pub errors: u64,
    /// What applying did.
    pub apply: super::ApplyReport,
    /// Bytes cleared by the retention rule (`[database] retention_days`; nothing when 0).
    pub retention: crate::store::retention::RetentionReport,
}

impl PollReport {
    /// True when nothing failed (matching nothing is not a failure of the pass, but is counted in `apply`).
    pub fn ok(&self) -> bool {
        self.errors == 0 && self.apply.failed == 0
    }
}

/// The stored kind of a message: `confirm`/`error` for SHS management messages, else the inbound kind of its
/// first named data part (`kvittens`, `bekraftelse`, `utslag`, and FOGD-REF-2's `bestridande`, `sks_rapport`, `lub`,
/// `delred`, `nyttavgar`, `slutredovisning`), else `unknown`.
pub fn classify(engine: &Engine, msg: &ShsMessage) -> (MessageKind, Option<String>) {
    let product = msg.label.product_plain();
    let name = msg.parts.iter().find_map(|p| p.filename.clone());
    if product.eq_ignore_ascii_case("confirm") {
        return (MessageKind::Confirm, name);
    }
    if product.eq_ignore_ascii_case("error") {
        return (MessageKind::Error, name);
    }
    // FOGD-REF-2's documents after registration (a FOGD-REF-2 RAPPORT is an utslag report like FOGD-REF-1's).
    use crate::formats::ref2_inbound::Ref2Kind as R;
    let ref2 = name
        .as_deref()
        .and_then(|n| super::apply_life::ref2_layouts().kind_of_name(n))
        .and_then(|k| match k {
            R::Bestridande => Some(MessageKind::Bestridande),
            R::SksRapport => Some(MessageKind::SksRapport),
            R::Lub => Some(MessageKind::Lub),
            R::Delred => Some(MessageKind::Delred),
            R::Nyttavgar => Some(MessageKind::Nyttavgar),
            R::Slutredovisning => Some(MessageKind::Slutredovisning),
            R::Rapport => None,
        });
    if let Some(kind) = ref2 {
        return (kind, name);
    }
    let kind = name
        .as_deref()
        .and_then(|n| engine.layouts.classify_inbound(n))
        .map_or(MessageKind::Unknown, |f| match f.kind {
            InboundKind::Kvittens => MessageKind::Kvittens,
            InboundKind::Bekraftelse => MessageKind::Bekraftelse,
            InboundKind::Utslag => MessageKind::Utslag,
        });
    (kind, name)
}

impl Engine {
    /// One inbox pass: list, fetch, store, ack; then apply. Fails only when the list itself fails.
    pub async fn poll_pass(&self) -> Result<PollReport, EngineError> {
        let mut report = PollReport::default();
        let outbox = self.config.ingivare.org_number.clone();
        let list = self.shs.list(&outbox).await?;
        for entry in &list.messages {
            report.listed += 1;
            let tx_id = entry.tx_id.as_str();
            let id = match self.store.inbound_by_tx(tx_id).await? {
                Some(row) => {
                    if row.acked_at.is_some() {
                        tracing::debug!(tx_id, "listed again after ack; acking again");
                    }
                    row.id
                }
                None => {
                    let fetched = match self.shs.fetch(&outbox, tx_id).await {
                        Ok(f) => f,
                        Err(e) => {
                            tracing::warn!(tx_id, error = %e, "fetch failed; will retry");
                            report.errors += 1;
                            continue;
                        }
                    };
                    let (kind, file_name) = classify(self, &fetched.message);
                    let label = &fetched.message.label;
                    let new = NewInbound {
                        tx_id: tx_id.to_string(),
                        product: Some(label.product_plain().to_string()),
                        file_name,
                        kind,
                        corr_id: Some(label.corr_id.clone()),
                        content_id: Some(label.content_id.clone()),
                        bytes: fetched.raw.to_vec(),
                    };
                    let id = self.store.insert_inbound(&new, self.clock.now()).await?;
                    report.stored += 1;
                    tracing::info!(tx_id, kind = %new.kind, name = new.file_name.as_deref().unwrap_or(""), "inbound message stored");
                    crate::failpoint!("after_inbound_stored");
                    id
                }
            };
            match self.shs.ack(&outbox, tx_id).await {
                Ok(()) => {
                    report.acked += 1;
                    crate::failpoint!("after_ack");
                    self.store.mark_inbound_acked(id, self.clock.now()).await?;
                }
                Err(ShsClientError::NotFound(_)) => {
                    // Already acknowledged on the node (our earlier ack arrived, its answer did not).
                    self.store.mark_inbound_acked(id, self.clock.now()).await?;
                }
                Err(e) => {
                    tracing::warn!(tx_id, error = %e, "ack failed; will ack again on the next pass");
                    report.errors += 1;
                }
            }
        }
        report.apply = self.apply_pending().await?;
        report.retention = self.apply_retention().await?;
        Ok(report)
    }

    /// Clears the bytes of settled files and messages older than `[database] retention_days` (0 keeps everything
    /// forever). Runs at the end of every poll pass, so `fogd poll` and the daemon's poll job both apply it.
    pub async fn apply_retention(
        &self,
    ) -> Result<crate::store::retention::RetentionReport, EngineError> {
        let days = self.config.database.retention_days;
        if days == 0 {
            return Ok(Default::default());
        }
        let before = self.clock.now() - chrono::Duration::days(i64::from(days));
        let r = self.store.purge_bytes_before(before).await?;
        if r.files + r.inbound > 0 {
            tracing::info!(
                files = r.files,
                inbound = r.inbound,
                days,
                "retention: cleared bytes of settled records"
            );
        }
        Ok(r)
    }
}
