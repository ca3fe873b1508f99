//! Inbound SHS messages (`inbound`): stored raw and durably before they are acknowledged, then applied once each
//! (ARCHITECTURE.md, the outbox rule).

use super::types::StoredTime;
use super::{with_pool, with_tx, Store, StoreError, StoreTx};
use crate::domain::state::MessageKind;
use chrono::{DateTime, Utc};

/// An inbound message as stored, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InboundRow {
    /// Row id.
    pub id: i64,
    /// SHS tx.id.
    pub tx_id: String,
    /// Product id.
    pub product: Option<String>,
    /// First data part's file name.
    pub file_name: Option<String>,
    /// What the message is.
    pub kind: MessageKind,
    /// SHS corr.id: the tx.id of the message it answers.
    pub corr_id: Option<String>,
    /// SHS content.id.
    pub content_id: Option<String>,
    /// SHA-256 of the raw bytes.
    pub sha256: String,
    /// Stored.
    pub received_at: String,
    /// Acknowledged to the node.
    pub acked_at: Option<String>,
    /// Applied.
    pub applied_at: Option<String>,
    /// Why applying matched nothing or failed (kept for operators, never dropped).
    pub apply_error: Option<String>,
}

const INBOUND_COLUMNS: &str =
    "id, tx_id, product, file_name, kind, corr_id, content_id, sha256, received_at, \
     acked_at, applied_at, apply_error";

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewInbound {
    /// SHS tx.id.
    pub tx_id: String,
    pub product: Option<String>,
    /// First data part's file name.
    pub file_name: Option<String>,
    /// What the message is.
    pub kind: MessageKind,
    pub corr_id: Option<String>,
    pub content_id: Option<String>,
    /// The raw message bytes.
    pub bytes: Vec<u8>,
}

impl Store {
    /// The inbound message with this tx.id.
    pub async fn inbound_by_tx(&self, tx_id: &str) -> Result<Option<InboundRow>, StoreError> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound WHERE tx_id = $1");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(tx_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Every inbound message, oldest first.
    pub async fn list_inbound(&self) -> Result<Vec<InboundRow>, StoreError> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound ORDER BY id");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        }))
    }

    /// Stores a received message raw (committed before it is acknowledged). Returns its id; an already stored
    /// tx.id returns the existing id.
    pub async fn insert_inbound(
        &self,
        m: &NewInbound,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        use sha2::{Digest, Sha256};
        let sha = hex::encode(Sha256::digest(&m.bytes));
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO inbound (tx_id, product, file_name, kind, corr_id, content_id, bytes, sha256, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tx_id) DO NOTHING",
            )
            .bind(&m.tx_id)
            .bind(&m.product)
            .bind(&m.file_name)
            .bind(m.kind)
            .bind(&m.corr_id)
            .bind(&m.content_id)
            .bind(&m.bytes)
            .bind(&sha)
            .bind(StoredTime(now))
            .execute(pool)
            .await?;
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM inbound WHERE tx_id = $1")
                .bind(&m.tx_id)
                .fetch_one(pool)
                .await?;
            Ok(id)
        })
    }

    /// Records the acknowledgement of an inbound message.
    pub async fn mark_inbound_acked(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        with_pool!(self, |pool, DB| {
            sqlx::query("UPDATE inbound SET acked_at = $1 WHERE id = $2 AND acked_at IS NULL")
                .bind(StoredTime(now))
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ids of inbound messages not yet applied, oldest first.
    pub async fn unapplied_inbound(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT id FROM inbound WHERE applied_at IS NULL ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The raw bytes of an inbound message.
    pub async fn inbound_bytes(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let r: Option<(Vec<u8>,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT bytes FROM inbound WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(r.map(|r| r.0))
    }
}

impl StoreTx<'_> {
    /// Claims an inbound message for applying (sets `applied_at`); false when it was already applied. The first
    /// statement of an apply transaction, so applying twice changes nothing.
    pub async fn claim_inbound_apply(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_tx!(self, |t, DB| {
            Ok(sqlx::query(
                "UPDATE inbound SET applied_at = $1 WHERE id = $2 AND applied_at IS NULL",
            )
            .bind(StoredTime(now))
            .bind(id)
            .execute(&mut **t)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Keeps why an inbound message matched nothing or failed to apply.
    pub async fn set_apply_error(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query("UPDATE inbound SET apply_error = $1 WHERE id = $2")
                .bind(error)
                .bind(id)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }
}
