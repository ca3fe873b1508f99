//! The alert log (migration 0011 `alert_log`): every alert raised and cleared, written by
//! [`crate::alerts::Alerter`] where it notifies, read by the console's alerts page, and acknowledged there by an
//! operator (audited: who and when). The kind is kept as the alert kind's name (`file_rejected`, …) so that the
//! store does not depend on the alerter.

use super::types::StoredTime;
use super::{with_pool, Store, StoreError};
use chrono::{DateTime, Utc};

/// One raising of an alert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertLogRow {
    /// Row id.
    pub id: i64,
    /// The condition's key (`file_rejected:7`, `shs`, `cert:/path`).
    pub key: String,
    /// The alert kind's name.
    pub kind: String,
    /// What a person should know.
    pub message: String,
    /// When it was raised.
    pub raised_at: StoredTime,
    /// When it cleared (or was replaced by a new message for the same key); `None` while open.
    pub cleared_at: Option<StoredTime>,
    /// Who acknowledged it.
    pub acked_by: Option<String>,
    /// When.
    pub acked_at: Option<StoredTime>,
}

const ALERT_COLUMNS: &str = "id, key, kind, message, raised_at, cleared_at, acked_by, acked_at";

impl Store {
    /// Records that `key` was raised (or raised again with a new message) at `at`: an open row of the key is
    /// closed and a new one opened. Returns the new row's id.
    pub async fn log_alert_raised(
        &self,
        key: &str,
        kind: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = super::with_tx!(&mut tx, |t, DB| {
            sqlx::query(
                "UPDATE alert_log SET cleared_at = $1 WHERE key = $2 AND cleared_at IS NULL",
            )
            .bind(StoredTime(at))
            .bind(key)
            .execute(&mut **t)
            .await?;
            sqlx::query_as(
                "INSERT INTO alert_log (key, kind, message, raised_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(key)
            .bind(kind)
            .bind(message)
            .bind(StoredTime(at))
            .fetch_one(&mut **t)
            .await?
        });
        tx.commit().await?;
        Ok(id)
    }

    /// Records that `key` cleared at `at` (its open row is closed). Returns whether one was open.
    pub async fn log_alert_cleared(
        &self,
        key: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE alert_log SET cleared_at = $1 WHERE key = $2 AND cleared_at IS NULL",
            )
            .bind(StoredTime(at))
            .bind(key)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// The open alerts (raised, not cleared), oldest first.
    pub async fn open_alerts(&self) -> Result<Vec<AlertLogRow>, StoreError> {
        let sql =
            format!("SELECT {ALERT_COLUMNS} FROM alert_log WHERE cleared_at IS NULL ORDER BY id");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        }))
    }

    /// The last `limit` alerts raised, open or cleared, newest first.
    pub async fn recent_alerts(&self, limit: i64) -> Result<Vec<AlertLogRow>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alert_log ORDER BY id DESC LIMIT $1");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?
        }))
    }

    /// Acknowledges alert `id` as `actor` at `at`. Returns false when there is no such alert or it was
    /// acknowledged already (the first acknowledgement stays).
    pub async fn acknowledge_alert(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE alert_log SET acked_by = $1, acked_at = $2 WHERE id = $3 AND acked_by IS NULL",
            )
            .bind(actor)
            .bind(StoredTime(at))
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }
}
