//! Read queries and the one write (notes) of the ops console (`src/console`), named by what the pages need: totals
//! per kind and state, state changes per hour for the overview's chart, the filtered cases list with keyset paging,
//! a case's files and notes (`migrations/*/0006_console.sql`).

use super::cases::{CaseRow, CASE_COLUMNS};
use super::files::{FileRow, FILE_COLUMNS};
use super::types::StoredTime;
use super::{with_pool, Dialect, Store, StoreError};
use crate::domain::{Case, CaseState, FileState};
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::QueryBuilder;

/// Cases of one kind in one state, with the amount they claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStateTotal {
    /// Kind name.
    pub kind: String,
    /// State.
    pub state: CaseState,
    /// How many cases.
    pub cases: i64,
    /// What they claim together, in öre (valid cases; an invalid case has no validated amount).
    pub amount_ore: i64,
    /// How many of them have a validated amount (invalid cases have none).
    pub valued: i64,
}

/// How many cases moved into a state in one hour (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChangesInHour {
    /// The hour's start.
    pub hour: DateTime<Utc>,
    /// The state moved into.
    pub state: CaseState,
    /// How many moves.
    pub count: i64,
}

/// The cases list's filters; `None` (or empty) leaves a filter out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// One of these states.
    pub states: Vec<CaseState>,
    /// Kind name.
    pub kind: Option<String>,
    /// Intressentkod.
    pub intressentkod: Option<String>,
    /// The creditor's identity number as stored (12 digits).
    pub creditor_digits: Option<String>,
    /// A file the case travelled in: its id, name or tx.id.
    pub file: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
}

/// A note on a case (audited: who, when, what).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseNote {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Who wrote it.
    pub actor: String,
    /// When.
    pub at: StoredTime,
    /// What.
    pub text: String,
}

impl Store {
    /// Cases per kind and state with the amount they claim, ordered by kind and state. Reads every case's
    /// validated JSON in one streamed pass (memory stays one row).
    pub async fn kind_state_totals(&self) -> Result<Vec<KindStateTotal>, StoreError> {
        let mut totals: std::collections::BTreeMap<(String, CaseState), (i64, i64, i64)> =
            Default::default();
        with_pool!(self, |pool, DB| {
            let mut rows = sqlx::query_as::<DB, (i64, String, CaseState, Option<String>)>(
                "SELECT id, kind, state, case_json FROM cases",
            )
            .fetch(pool);
            while let Some((id, kind, state, json)) = rows.try_next().await? {
                let amount = match &json {
                    Some(j) => serde_json::from_str::<Case>(j)
                        .map_err(|source| StoreError::Corrupt {
                            table: "cases",
                            id,
                            column: "case_json",
                            source,
                        })?
                        .total_amount()
                        .ore(),
                    None => 0,
                };
                let e = totals.entry((kind, state)).or_default();
                e.0 += 1;
                e.1 = e.1.saturating_add(amount);
                e.2 += i64::from(json.is_some());
            }
        });
        Ok(totals
            .into_iter()
            .map(
                |((kind, state), (cases, amount_ore, valued))| KindStateTotal {
                    kind,
                    state,
                    cases,
                    amount_ore,
                    valued,
                },
            )
            .collect())
    }

    /// Moves into `states` since `since`, counted per hour (UTC), oldest first. When `states` are among
    /// [`CaseState::CHARTED`] (the console's chart) the partial index `case_events_charted` answers, whose predicate
    /// the query then repeats word for word (SQLite uses a partial index only for a query that states its
    /// condition); other states are counted by reading the events since `since`.
    pub async fn state_changes_per_hour(
        &self,
        states: &[CaseState],
        since: DateTime<Utc>,
    ) -> Result<Vec<StateChangesInHour>, StoreError> {
        let rows: Vec<(String, CaseState, i64)> = with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT substr(at, 1, 13) AS hour, to_state, COUNT(*) FROM case_events WHERE at >= ",
            );
            qb.push_bind(StoredTime(since).text());
            if states.iter().all(|s| CaseState::CHARTED.contains(s)) {
                qb.push(format!(" AND to_state IN ({})", charted_states_sql()));
            }
            qb.push(" AND to_state IN (");
            let mut sep = qb.separated(", ");
            for s in states {
                sep.push_bind(*s);
            }
            qb.push(") GROUP BY substr(at, 1, 13), to_state ORDER BY 1");
            qb.build_query_as().fetch_all(pool).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (hour, state, count) in rows {
            let hour = NaiveDateTime::parse_from_str(&format!("{hour}:00"), "%Y-%m-%dT%H:%M")
                .map_err(|_| StoreError::Invariant(format!("case_events.at hour {hour:?}")))?
                .and_utc();
            out.push(StateChangesInHour { hour, state, count });
        }
        Ok(out)
    }

    /// Cases matching `filter`, newest first, at most `limit`, starting below id `before` (keyset paging: the next
    /// page starts below the last id shown, so every page costs the same however deep).
    pub async fn cases_filtered(
        &self,
        filter: &CaseFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            let mut qb =
                QueryBuilder::<DB>::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
            if let Some(b) = before {
                qb.push(" AND id < ").push_bind(b);
            }
            if !filter.states.is_empty() {
                qb.push(" AND state IN (");
                let mut sep = qb.separated(", ");
                for s in &filter.states {
                    sep.push_bind(*s);
                }
                qb.push(")");
            }
            if let Some(k) = &filter.kind {
                qb.push(" AND kind = ").push_bind(k.clone());
            }
            if let Some(ik) = &filter.intressentkod {
                qb.push(" AND intressentkod = ").push_bind(ik.clone());
            }
            if let Some(c) = &filter.creditor_digits {
                qb.push(format!(" AND {} = ", <DB as Dialect>::CREDITOR_DIGITS))
                    .push_bind(c.clone());
            }
            if let Some(f) = &filter.file {
                qb.push(
                    " AND id IN (SELECT fc.case_id FROM file_cases fc JOIN files f ON f.id = fc.file_id \
                     WHERE f.file_name = ",
                )
                .push_bind(f.clone())
                .push(" OR f.tx_id = ")
                .push_bind(f.clone())
                .push(" OR CAST(f.id AS TEXT) = ")
                .push_bind(f.clone())
                .push(")");
            }
            if let Some(t) = filter.created_from {
                qb.push(" AND created_at >= ")
                    .push_bind(StoredTime(t).text());
            }
            if let Some(t) = filter.created_to {
                qb.push(" AND created_at < ")
                    .push_bind(StoredTime(t).text());
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(pool).await?
        }))
    }

    /// How many files were sent before `cutoff` and still wait for their kvittens (overdue receipts).
    pub async fn count_kvittens_overdue(&self, cutoff: DateTime<Utc>) -> Result<i64, StoreError> {
        let (n,): (i64,) = with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM files WHERE state = ");
            qb.push_bind(FileState::Sent)
                .push(" AND sent_at < ")
                .push_bind(StoredTime(cutoff).text());
            qb.build_query_as().fetch_one(pool).await?
        });
        Ok(n)
    }

    /// The (sent, kvittens) times of the files receipted at or after `since`, at most `limit`, oldest receipt
    /// first (the kvittens latency chart; a range of the `files_receipted_at` index).
    pub async fn kvittens_latencies(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(StoredTime, StoredTime)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(KVITTENS_LATENCY_SQL)
                .bind(StoredTime(since))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(s, r)| (s.0, r.0)).collect())
    }

    /// Cases with a search key (reference, målnummer, customer number, invoice number, a follow-up's målnummer)
    /// equal to or starting with `q`: up to `limit` of each kind in key order, each read as a range of an index
    /// (`cases_reference`, `cases_malnummer`, `case_keys_key`; `q` ≤ key < `q` + U+10FFFF, bytewise in both
    /// backends), their cases ordered by reference (at most `limit`).
    pub async fn search_case_keys(&self, q: &str, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let upper = format!("{q}\u{10FFFF}");
        Ok(with_pool!(self, |pool, DB| {
            let sql = search_sql(<DB as Dialect>::BYTEWISE);
            sqlx::query_as(&sql)
                .bind(q)
                .bind(&upper)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Files whose tx.id or name is `q` exactly, newest first (the tx.id is unique; names repeat per series).
    pub async fn search_files(&self, q: &str, limit: i64) -> Result<Vec<FileRow>, StoreError> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE tx_id = $1 OR file_name = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(q.trim())
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Files newest first, at most `limit`, below id `before` (keyset paging).
    pub async fn files_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FileRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(format!("SELECT {FILE_COLUMNS} FROM files"));
            if let Some(b) = before {
                qb.push(" WHERE id < ").push_bind(b);
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(pool).await?
        }))
    }

    /// The files a case travelled in, oldest first.
    pub async fn files_of_case(&self, case_id: i64) -> Result<Vec<FileRow>, StoreError> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE id IN \
             (SELECT file_id FROM file_cases WHERE case_id = $1) ORDER BY id"
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await?
        }))
    }

    /// A case's tracked deadlines (`case_deadlines`, by its primary key), earliest first.
    pub async fn deadlines_of_case(
        &self,
        case_id: i64,
    ) -> Result<Vec<super::life::DeadlineRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT d.case_id, c.reference, c.state, d.kind, d.due, d.source, d.alerted_at \
                 FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.case_id = $1 \
                 ORDER BY d.due, d.kind",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Adds a note to a case; returns its id.
    pub async fn add_case_note(
        &self,
        case_id: i64,
        actor: &str,
        at: DateTime<Utc>,
        text: &str,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "INSERT INTO case_notes (case_id, actor, at, text) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(case_id)
            .bind(actor)
            .bind(StoredTime(at))
            .bind(text)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// A case's notes, oldest first.
    pub async fn case_notes(&self, case_id: i64) -> Result<Vec<CaseNote>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, case_id, actor, at, text FROM case_notes WHERE case_id = $1 ORDER BY id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// The kvittens latency chart's statement: `$1` the earliest receipt time, `$2` the limit.
pub(crate) const KVITTENS_LATENCY_SQL: &str = "SELECT sent_at, receipted_at FROM files \
     WHERE receipted_at IS NOT NULL AND receipted_at >= $1 AND sent_at IS NOT NULL \
     ORDER BY receipted_at LIMIT $2";

/// The predicate list of the partial index `case_events_charted` as migration 0010 writes it: `'sent', 'accepted',
/// 'rejected'`.
pub(crate) fn charted_states_sql() -> String {
    CaseState::CHARTED
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The search's statement ([`Store::search_case_keys`]); `c` is the dialect's [`Dialect::BYTEWISE`]. `$1` the text,
/// `$2` its upper bound, `$3` the limit.
pub(crate) fn search_sql(c: &str) -> String {
    format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE id IN (\
         SELECT id FROM (SELECT id FROM cases WHERE reference{c} >= $1 AND reference{c} < $2 \
         ORDER BY reference{c} LIMIT $3) r \
         UNION SELECT id FROM (SELECT id FROM cases WHERE malnummer{c} >= $1 AND malnummer{c} < $2 \
         ORDER BY malnummer{c} LIMIT $3) m \
         UNION SELECT case_id FROM (SELECT case_id FROM case_keys WHERE key >= $1 AND key < $2 \
         ORDER BY key LIMIT $3) k) ORDER BY reference, id LIMIT $3"
    )
}
