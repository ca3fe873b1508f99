//! Read-only queries for the ops views, the API, metrics, alerts and reports: paged case lists, search, events in
//! a period, file and receipt figures.

use super::cases::CaseRow;
use super::types::StoredTime;
use super::{with_pool, Store, StoreError};
use crate::domain::state::MessageKind;
use crate::domain::{CaseState, FileState};
use crate::formats::KvittensStatus;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::cases::CASE_COLUMNS as COLUMNS;

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A case state change in a period (for reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInPeriod {
    /// The case.
    pub case: CaseRow,
    /// State before.
    pub from_state: Option<CaseState>,
    /// State after.
    pub to_state: CaseState,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// File and receipt figures for `/metrics` (one round of cheap aggregate queries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFigures {
    /// Files per state.
    pub files_by_state: Vec<(FileState, i64)>,
    /// Files the node ever accepted (`sent_at` set).
    pub files_sent: i64,
    /// Files per kvittens status.
    pub kvittens_by_status: Vec<(KvittensStatus, i64)>,
    /// Inbound messages per (kind, apply status), the status one of `pending`, `applied`, `unmatched`.
    pub inbound_by_kind: Vec<(MessageKind, String, i64)>,
    /// When the oldest file still waiting for its kvittens was sent (or built, when not yet sent), RFC 3339.
    pub oldest_unreceipted: Option<String>,
}

type FigureRows = (
    Vec<(FileState, i64)>,
    (i64,),
    Vec<(KvittensStatus, i64)>,
    Vec<(MessageKind, String, i64)>,
    (Option<String>,),
);

/// An inbound message with the file it answers (matched by its `corr.id`, which is the file's tx.id: fogd sends
/// every file with corr.id = tx.id and Kronofogden's replies carry the corr.id of the message they answer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReceiptRow {
    /// The stored message.
    #[serde(flatten)]
    pub inbound: super::InboundRow,
    /// The file it answers, if one matches.
    pub file_id: Option<i64>,
    /// That file's name.
    pub file_name: Option<String>,
    /// That file's löpnummer.
    pub lopnummer: Option<i64>,
    /// That file's kvittens status, for kvittens messages.
    pub kvittens_status: Option<KvittensStatus>,
}

/// Which inbound messages [`Store::receipts_query`] reads.
#[derive(Debug, Clone, Copy)]
enum ReceiptFilter<'a> {
    All,
    Period(DateTime<Utc>, DateTime<Utc>),
    File(&'a str),
}

impl Store {
    /// Figures about files and inbound messages for `/metrics`.
    pub async fn file_figures(&self) -> Result<FileFigures, StoreError> {
        let (by_state, sent, kv, inbound, oldest): FigureRows = with_pool!(self, |pool, DB| {
            let a =
                sqlx::query_as("SELECT state, COUNT(*) FROM files GROUP BY state ORDER BY state")
                    .fetch_all(pool)
                    .await?;
            let b = sqlx::query_as("SELECT COUNT(*) FROM files WHERE sent_at IS NOT NULL")
                .fetch_one(pool)
                .await?;
            let c = sqlx::query_as(
                "SELECT kvittens_status, COUNT(*) FROM files WHERE kvittens_status IS NOT NULL \
                 GROUP BY kvittens_status ORDER BY kvittens_status",
            )
            .fetch_all(pool)
            .await?;
            let d = sqlx::query_as(
                "SELECT kind, CASE WHEN applied_at IS NULL THEN 'pending' WHEN apply_error IS NOT NULL \
                 THEN 'unmatched' ELSE 'applied' END AS st, COUNT(*) FROM inbound GROUP BY kind, st ORDER BY kind, st",
            )
            .fetch_all(pool)
            .await?;
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT MIN(COALESCE(sent_at, created_at)) FROM files WHERE state IN (",
            );
            let mut sep = qb.separated(", ");
            for s in FileState::AWAITING_KVITTENS {
                sep.push_bind(*s);
            }
            qb.push(")");
            let e = qb.build_query_as().fetch_one(pool).await?;
            (a, b, c, d, e)
        });
        Ok(FileFigures {
            files_by_state: by_state,
            files_sent: sent.0,
            kvittens_by_status: kv,
            inbound_by_kind: inbound,
            oldest_unreceipted: oldest.0,
        })
    }

    /// Inbound messages, newest first, with the file each answers (see [`ReceiptRow`]); at most `limit` after
    /// skipping `offset`.
    pub async fn receipts_page(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ReceiptRow>, StoreError> {
        self.receipts_query(ReceiptFilter::All, limit, offset).await
    }

    /// The inbound messages that answer the file with this tx.id, newest first.
    pub async fn receipts_for_file(&self, tx_id: &str) -> Result<Vec<ReceiptRow>, StoreError> {
        self.receipts_query(ReceiptFilter::File(tx_id), i64::MAX, 0)
            .await
    }

    /// Inbound messages received in `[from, to)` (RFC 3339 bounds), oldest first, with their files.
    pub async fn receipts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReceiptRow>, StoreError> {
        let rows = self
            .receipts_query(ReceiptFilter::Period(from, to), i64::MAX, 0)
            .await?;
        Ok(rows.into_iter().rev().collect())
    }

    async fn receipts_query(
        &self,
        filter: ReceiptFilter<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ReceiptRow>, StoreError> {
        let (cond, from, to) = match filter {
            ReceiptFilter::All => ("$1 = $2", String::new(), String::new()),
            ReceiptFilter::Period(from, to) => (
                "i.received_at >= $1 AND i.received_at < $2",
                StoredTime(from).text(),
                StoredTime(to).text(),
            ),
            ReceiptFilter::File(tx) => ("i.corr_id = $1 AND f.tx_id = $2", tx.into(), tx.into()),
        };
        let sql = format!(
            "SELECT i.id, i.tx_id, i.product, i.file_name, i.kind, i.corr_id, i.content_id, i.sha256, i.received_at, \
             i.acked_at, i.applied_at, i.apply_error, f.id, f.file_name, f.lopnummer, f.kvittens_status \
             FROM inbound i LEFT JOIN files f ON f.tx_id = i.corr_id WHERE {cond} ORDER BY i.id DESC LIMIT $3 OFFSET $4"
        );
        let rows: Vec<ReceiptRow> = with_pool!(self, |pool, DB| {
            use sqlx::Row;
            let rows = sqlx::query(&sql)
                .bind(&from)
                .bind(&to)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let kind: MessageKind = r.try_get(4)?;
                let status: Option<KvittensStatus> = r.try_get(15)?;
                out.push(ReceiptRow {
                    inbound: super::InboundRow {
                        id: r.try_get(0)?,
                        tx_id: r.try_get(1)?,
                        product: r.try_get(2)?,
                        file_name: r.try_get(3)?,
                        kind,
                        corr_id: r.try_get(5)?,
                        content_id: r.try_get(6)?,
                        sha256: r.try_get(7)?,
                        received_at: r.try_get(8)?,
                        acked_at: r.try_get(9)?,
                        applied_at: r.try_get(10)?,
                        apply_error: r.try_get(11)?,
                    },
                    file_id: r.try_get(12)?,
                    file_name: r.try_get(13)?,
                    lopnummer: r.try_get(14)?,
                    kvittens_status: status.filter(|_| kind == MessageKind::Kvittens),
                });
            }
            out
        });
        Ok(rows)
    }

    /// Cases in `states` (all when empty), newest first, at most `limit` after skipping `offset`.
    pub async fn cases_page(
        &self,
        states: &[CaseState],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(format!("SELECT {COLUMNS} FROM cases"));
            if !states.is_empty() {
                qb.push(" WHERE state IN (");
                let mut sep = qb.separated(", ");
                for s in states {
                    sep.push_bind(*s);
                }
                qb.push(")");
            }
            qb.push(" ORDER BY id DESC LIMIT ");
            qb.push_bind(limit);
            qb.push(" OFFSET ");
            qb.push_bind(offset);
            qb.build_query_as().fetch_all(pool).await?
        }))
    }

    /// Cases matching `q` exactly as case reference or målnummer, or as a customer number, invoice number or
    /// målnummer in the submitted case (matched in the stored JSON — the validated case, or the input of an invalid
    /// one: follow-ups name the målnummer they concern), or follow-ups of the case with that målnummer, newest
    /// first, at most `limit`.
    pub async fn search_cases(&self, q: &str, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let quoted = serde_json::to_string(q).unwrap_or_else(|_| format!("\"{q}\""));
        let customer = format!("%\"customer_number\":{}%", like_escape(&quoted));
        let invoice = format!("%\"invoice_number\":{}%", like_escape(&quoted));
        let malnummer = format!("%\"malnummer\":{}%", like_escape(&quoted));
        let sql = format!(
            "SELECT {COLUMNS} FROM cases WHERE reference = $1 OR malnummer = $1 \
             OR input_json LIKE $2 ESCAPE '\\' OR input_json LIKE $3 ESCAPE '\\' OR input_json LIKE $5 ESCAPE '\\' \
             OR case_json LIKE $2 ESCAPE '\\' OR case_json LIKE $3 ESCAPE '\\' OR case_json LIKE $5 ESCAPE '\\' \
             OR concerns IN (SELECT reference FROM cases WHERE malnummer = $1) ORDER BY id DESC LIMIT $4"
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(q)
                .bind(&customer)
                .bind(&invoice)
                .bind(limit)
                .bind(&malnummer)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Cases created in `[from, to)` (RFC 3339 bounds), oldest first.
    pub async fn cases_created_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM cases WHERE created_at >= $1 AND created_at < $2 ORDER BY id"
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(StoredTime(from))
                .bind(StoredTime(to))
                .fetch_all(pool)
                .await?
        }))
    }

    /// State changes into `to_state` in `[from, to)`, oldest first, with their case.
    pub async fn events_into_state_between(
        &self,
        to_state: CaseState,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<EventInPeriod>, StoreError> {
        let cols: String = COLUMNS
            .split(", ")
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, e.from_state, e.to_state, e.reason, e.at FROM case_events e \
             JOIN cases c ON c.id = e.case_id WHERE e.to_state = $1 AND e.at >= $2 AND e.at < $3 ORDER BY e.id"
        );
        Ok(with_pool!(self, |pool, DB| {
            use sqlx::{FromRow, Row};
            let rows = sqlx::query(&sql)
                .bind(to_state)
                .bind(StoredTime(from))
                .bind(StoredTime(to))
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(EventInPeriod {
                    case: CaseRow::from_row(&r)?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    reason: r.try_get("reason")?,
                    at: r.try_get("at")?,
                });
            }
            out
        }))
    }

    /// A cheap round trip to the database (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: (i64,) = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT CAST(1 AS BIGINT)")
                .fetch_one(pool)
                .await?
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
