//! Pushing files that wait for a send retry: an operator's "retry now" (`fogd send --retry-now`,
//! `POST /api/v1/files/{id}/retry`, the ops page's button) makes them due at once instead of after their back-off.
//! Only the retry time changes; the file state stays as it is (`built` or `outcome_unknown`).

use super::types::StoredTime;
use super::{with_pool, Store, StoreError};
use crate::domain::FileState;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

impl Store {
    /// Makes files waiting for a send retry (state `built` or `outcome_unknown` with `next_attempt_at` after
    /// `now`) due at `now` — all of them, or only file `only`. Returns the ids it made due, in id order.
    pub async fn make_retry_due_now(
        &self,
        only: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = StoredTime(now);
        let mut ids: Vec<i64> = with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new("UPDATE files SET next_attempt_at = ");
            qb.push_bind(now).push(" WHERE state IN (");
            let mut sep = qb.separated(", ");
            for s in FileState::TO_SEND {
                sep.push_bind(*s);
            }
            qb.push(") AND next_attempt_at > ").push_bind(now);
            if let Some(id) = only {
                qb.push(" AND id = ").push_bind(id);
            }
            qb.push(" RETURNING id");
            qb.build_query_scalar().fetch_all(pool).await?
        });
        ids.sort_unstable();
        Ok(ids)
    }
}
