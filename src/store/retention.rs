//! Retention of audit bytes (`[database] retention_days`): every file sent and every message received is kept with
//! its bytes and SHA-256; after the retention period the **bytes** of settled records are cleared, while the row,
//! its names, sizes of meaning (counts, totals) and its hash stay, so the audit trail still proves what was sent.
//! Settled means: a file `receipted_ok` or `superseded` (its receipt arrived before the cut-off), an inbound message
//! applied without error before the cut-off. Files still in play and messages that failed to apply are never purged.

use super::types::StoredTime;
use super::{with_pool, Store, StoreError};
use crate::domain::FileState;
use chrono::{DateTime, Utc};

/// What a retention run cleared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// Files whose file and missiv bytes were cleared.
    pub files: u64,
    /// Inbound messages whose bytes were cleared.
    pub inbound: u64,
}

impl Store {
    /// Clears the bytes of files receipted and inbound messages applied before `before` (see the module doc).
    pub async fn purge_bytes_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<RetentionReport, StoreError> {
        let cutoff = StoredTime(before);
        let empty: Vec<u8> = Vec::new();
        let (files, inbound) = with_pool!(self, |pool, DB| {
            let files = sqlx::query(
                "UPDATE files SET bytes = $1, missiv_bytes = $1 WHERE state IN ($3, $4) \
                 AND receipted_at IS NOT NULL AND receipted_at < $2 AND (length(bytes) > 0 OR length(missiv_bytes) > 0)",
            )
            .bind(&empty)
            .bind(cutoff)
            .bind(FileState::SETTLED[0])
            .bind(FileState::SETTLED[1])
            .execute(pool)
            .await?
            .rows_affected();
            let inbound = sqlx::query(
                "UPDATE inbound SET bytes = $1 WHERE applied_at IS NOT NULL AND applied_at < $2 \
                 AND apply_error IS NULL AND length(bytes) > 0",
            )
            .bind(&empty)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected();
            (files, inbound)
        });
        Ok(RetentionReport { files, inbound })
    }
}
