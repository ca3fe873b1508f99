//! Files (batches), löpnummer series, `file_cases` and inbound SHS messages — the engine's tables
//! (`migrations/*/0002_files.sql`).
//!
//! Multi-step changes that must be atomic (the outbox rule; applying one receipt) run in a [`StoreTx`]: the engine
//! opens it with [`Store::begin`], calls the small typed steps below, and commits. On SQLite the first step of
//! every such transaction is a write ([`StoreTx::ensure_series`], [`StoreTx::claim_inbound_apply`]), so the
//! transaction holds the single writer lock from its start and cannot fail to upgrade later; on PostgreSQL the
//! series row is locked with `SELECT … FOR UPDATE` and send jobs are claimed with `FOR UPDATE SKIP LOCKED`.

use super::cases::time_text;
use super::{Pool, Store, StoreError};
use crate::domain::{CaseState, FileState};
use chrono::{DateTime, Utc};

/// An open transaction on either backend.
pub enum StoreTx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreTx::Sqlite(_) => "StoreTx::Sqlite",
            StoreTx::Postgres(_) => "StoreTx::Postgres",
        })
    }
}

/// Runs `$body` with `$t` bound to the concrete transaction and `$DB` to the database type.
macro_rules! with_tx {
    ($tx:expr, |$t:ident, $DB:ident| $body:expr) => {
        match $tx {
            StoreTx::Sqlite($t) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            StoreTx::Postgres($t) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

/// File states that still wait for their kvittens ("unreceipted").
pub const UNRECEIPTED: [FileState; 4] = [
    FileState::Built,
    FileState::Sending,
    FileState::Sent,
    FileState::OutcomeUnknown,
];

/// A stored file without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
    /// Intressentkod.
    pub intressentkod: String,
    /// Layout name (`bfo-ansokan`).
    pub layout: String,
    /// Filtyp (the series key with the intressentkod).
    pub filtyp: String,
    /// Löpnummer.
    pub lopnummer: i64,
    /// State.
    pub state: FileState,
    /// Transaction file name.
    pub file_name: String,
    /// SHA-256 (hex) of the file bytes.
    pub sha256: String,
    /// Missiv name.
    pub missiv_name: String,
    /// SHA-256 (hex) of the missiv.
    pub missiv_sha256: String,
    /// Cases in the file.
    pub case_count: i64,
    /// Records in the file.
    pub record_count: i64,
    /// TOT-BEL in öre.
    pub total_ore: i64,
    /// The SHS tx.id every send attempt of this file uses.
    pub tx_id: String,
    /// Built.
    pub created_at: String,
    /// Accepted by the node (202).
    pub sent_at: Option<String>,
    /// SHS confirm received.
    pub confirmed_at: Option<String>,
    /// Kvittens applied.
    pub receipted_at: Option<String>,
    /// Kvittens status (`G`/`U`).
    pub kvittens_status: Option<String>,
    /// Kvittens errors (JSON array of `KvittensError`).
    pub kvittens_errors_json: Option<String>,
    /// The file that replaced this rejected one.
    pub superseded_by: Option<i64>,
    /// Send attempts so far.
    pub attempts: i64,
    /// Earliest next send attempt.
    pub next_attempt_at: Option<String>,
    /// Last send error or SHS error report.
    pub last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawFileRow {
    id: i64,
    intressentkod: String,
    layout: String,
    filtyp: String,
    lopnummer: i64,
    state: String,
    file_name: String,
    sha256: String,
    missiv_name: String,
    missiv_sha256: String,
    case_count: i64,
    record_count: i64,
    total_ore: i64,
    tx_id: String,
    created_at: String,
    sent_at: Option<String>,
    confirmed_at: Option<String>,
    receipted_at: Option<String>,
    kvittens_status: Option<String>,
    kvittens_errors_json: Option<String>,
    superseded_by: Option<i64>,
    attempts: i64,
    next_attempt_at: Option<String>,
    last_error: Option<String>,
}

impl TryFrom<RawFileRow> for FileRow {
    type Error = StoreError;
    fn try_from(r: RawFileRow) -> Result<Self, StoreError> {
        let state = FileState::parse(&r.state).ok_or_else(|| StoreError::Corrupt {
            id: r.id,
            message: format!("file state {:?}", r.state),
        })?;
        Ok(FileRow {
            id: r.id,
            intressentkod: r.intressentkod,
            layout: r.layout,
            filtyp: r.filtyp,
            lopnummer: r.lopnummer,
            state,
            file_name: r.file_name,
            sha256: r.sha256,
            missiv_name: r.missiv_name,
            missiv_sha256: r.missiv_sha256,
            case_count: r.case_count,
            record_count: r.record_count,
            total_ore: r.total_ore,
            tx_id: r.tx_id,
            created_at: r.created_at,
            sent_at: r.sent_at,
            confirmed_at: r.confirmed_at,
            receipted_at: r.receipted_at,
            kvittens_status: r.kvittens_status,
            kvittens_errors_json: r.kvittens_errors_json,
            superseded_by: r.superseded_by,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
        })
    }
}

const FILE_COLUMNS: &str = "id, intressentkod, layout, filtyp, lopnummer, state, file_name, sha256, missiv_name, \
     missiv_sha256, case_count, record_count, total_ore, tx_id, created_at, sent_at, confirmed_at, receipted_at, \
     kvittens_status, kvittens_errors_json, superseded_by, attempts, next_attempt_at, last_error";

/// A file to insert (bytes frozen, hashes computed).
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Intressentkod.
    pub intressentkod: String,
    /// Layout name.
    pub layout: String,
    /// Filtyp.
    pub filtyp: String,
    /// Löpnummer.
    pub lopnummer: i64,
    /// File name.
    pub file_name: String,
    /// File bytes.
    pub bytes: Vec<u8>,
    /// Missiv name.
    pub missiv_name: String,
    /// Missiv bytes.
    pub missiv_bytes: Vec<u8>,
    /// Cases.
    pub case_count: i64,
    /// Records.
    pub record_count: i64,
    /// TOT-BEL, öre.
    pub total_ore: i64,
    /// The tx.id (a new UUID).
    pub tx_id: String,
}

/// An approved case ready to batch, with the målnummer of the case it concerns (follow-ups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchCandidate {
    /// Case id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Validated case JSON.
    pub case_json: Option<String>,
    /// Issues JSON (to append a build refusal to).
    pub issues_json: String,
    /// The concerned case's målnummer (follow-ups), or the case's own.
    pub malnummer: Option<String>,
}

/// An inbound message as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InboundRow {
    /// Row id.
    pub id: i64,
    /// SHS tx.id.
    pub tx_id: String,
    /// Product id.
    pub product: Option<String>,
    /// First data part's file name.
    pub file_name: Option<String>,
    /// `kvittens`, `bekraftelse`, `utslag`, `confirm`, `error` or `unknown`.
    pub kind: String,
    /// corr.id.
    pub corr_id: Option<String>,
    /// content.id.
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

type InboundTuple = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn inbound_row(t: InboundTuple) -> InboundRow {
    InboundRow {
        id: t.0,
        tx_id: t.1,
        product: t.2,
        file_name: t.3,
        kind: t.4,
        corr_id: t.5,
        content_id: t.6,
        sha256: t.7,
        received_at: t.8,
        acked_at: t.9,
        applied_at: t.10,
        apply_error: t.11,
    }
}

/// A new inbound message.
#[derive(Debug, Clone)]
pub struct NewInbound {
    /// SHS tx.id.
    pub tx_id: String,
    /// Product.
    pub product: Option<String>,
    /// First data part's file name.
    pub file_name: Option<String>,
    /// Kind (see [`InboundRow::kind`]).
    pub kind: String,
    /// corr.id.
    pub corr_id: Option<String>,
    /// content.id.
    pub content_id: Option<String>,
    /// The raw message bytes.
    pub bytes: Vec<u8>,
}

/// Extra columns set with a case state change.
#[derive(Debug, Clone, Default)]
pub struct CaseUpdate {
    /// Set `file_id` (`Some(None)` clears it).
    pub file_id: Option<Option<i64>>,
    /// Set `rejection_json`.
    pub rejection_json: Option<String>,
    /// Set `malnummer`.
    pub malnummer: Option<String>,
    /// Set `decision_json`.
    pub decision_json: Option<String>,
    /// Set `issues_json`.
    pub issues_json: Option<String>,
}

/// File/receipt columns of a case (for status views).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CaseFileInfo {
    /// Case id.
    pub case_id: i64,
    /// Current file id.
    pub file_id: Option<i64>,
    /// Its löpnummer.
    pub lopnummer: Option<i64>,
    /// Its name.
    pub file_name: Option<String>,
    /// Rejection (felkod + text) JSON.
    pub rejection_json: Option<String>,
    /// Decision JSON.
    pub decision_json: Option<String>,
}

impl Store {
    /// Opens a write transaction (see [`StoreTx`]); on SQLite it holds the write lock from the start (see
    /// [`super::SQLITE_TAKE_WRITE_LOCK`]).
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                sqlx::query(super::SQLITE_TAKE_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                StoreTx::Sqlite(tx)
            }
            Pool::Postgres(p) => StoreTx::Postgres(p.begin().await?),
        })
    }

    /// The (intressentkod, kind) pairs that have approved cases, in a stable order.
    pub async fn approved_groups(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT DISTINCT intressentkod, kind FROM cases WHERE state = 'approved' ORDER BY intressentkod, kind",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Claims the next file to send — `built` or `outcome_unknown` and due, or `sending` whose claim expired (a
    /// crash mid-send: treated as outcome unknown) — setting `sending`, the claim and attempts + 1, and commits.
    /// `skip` lists ids already handled in this pass. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`.
    pub async fn claim_file_to_send(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_for: chrono::Duration,
        skip: &[i64],
    ) -> Result<Option<(FileRow, FileState)>, StoreError> {
        let now_t = time_text(now);
        let until = time_text(now + claim_for);
        let skip_sql = if skip.is_empty() {
            String::new()
        } else {
            format!(
                " AND id NOT IN ({})",
                skip.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let lock = if self.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        // In löpnummer order within a series: a file waits while a lower number of its series is still unsent
        // (built, sending or outcome unknown) — the node refuses a number that is not last approved + 1 (0010).
        let pick = format!(
            "SELECT id, state FROM files WHERE ((state IN ('built', 'outcome_unknown') AND (next_attempt_at IS NULL \
             OR next_attempt_at <= $1)) OR (state = 'sending' AND (claimed_until IS NULL OR claimed_until < $1))){skip_sql} \
             AND NOT EXISTS (SELECT 1 FROM files p WHERE p.intressentkod = files.intressentkod \
             AND p.filtyp = files.filtyp AND p.lopnummer < files.lopnummer \
             AND p.state IN ('built', 'sending', 'outcome_unknown')) \
             ORDER BY id LIMIT 1{lock}"
        );
        let sql = format!(
            "UPDATE files SET state = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id = $3 AND state = $4 RETURNING {FILE_COLUMNS}"
        );
        crate::with_pool!(self, |pool, DB| {
            let mut tx = pool.begin().await?;
            if !self.is_postgres() {
                // Take the write lock first (SQLite): a no-op write.
                sqlx::query(super::SQLITE_TAKE_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let picked: Option<(i64, String)> = sqlx::query_as(&pick)
                .bind(&now_t)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((id, prev)) = picked else {
                return Ok(None);
            };
            let row: Option<RawFileRow> = sqlx::query_as(&sql)
                .bind(worker)
                .bind(&until)
                .bind(id)
                .bind(&prev)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            let prev = FileState::parse(&prev).ok_or_else(|| StoreError::Corrupt {
                id,
                message: format!("file state {prev:?}"),
            })?;
            row.map(|r| Ok((FileRow::try_from(r)?, prev))).transpose()
        })
    }

    /// The file's bytes and its missiv's bytes.
    pub async fn file_bytes(&self, id: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>, StoreError> {
        Ok(crate::with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT bytes, missiv_bytes FROM files WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Records a successful send: file `sending` → `sent`, its batched cases → `sent`.
    pub async fn mark_file_sent(
        &self,
        id: i64,
        now: DateTime<Utc>,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let done = tx
            .set_file_state(id, &[FileState::Sending], FileState::Sent, now, note)
            .await?;
        if done {
            tx.exec_file_sql(
                id,
                "UPDATE files SET sent_at = $2, claimed_by = NULL, claimed_until = NULL WHERE id = $1",
                Some(&time_text(now)),
            )
            .await?;
            tx.move_file_cases(
                id,
                &[CaseState::Batched],
                CaseState::Sent,
                note,
                "engine",
                now,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Records a failed send attempt: `sending` → `to` (`built` or `outcome_unknown`), with the error and the next
    /// attempt time; releases the claim.
    pub async fn mark_file_retry(
        &self,
        id: i64,
        to: FileState,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = crate::with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE files SET state = $1, last_error = $2, next_attempt_at = $3, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = $4 AND state = 'sending'",
            )
            .bind(to.as_str())
            .bind(error)
            .bind(time_text(next_attempt_at))
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        tracing::debug!(file = id, to = %to, at = %time_text(now), "send retry recorded");
        Ok(n == 1)
    }

    /// One file.
    pub async fn file_by_id(&self, id: i64) -> Result<Option<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE id = $1");
        let r: Option<RawFileRow> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        r.map(FileRow::try_from).transpose()
    }

    /// Every file, oldest first.
    pub async fn list_files(&self) -> Result<Vec<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files ORDER BY id");
        let rows: Vec<RawFileRow> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(FileRow::try_from).collect()
    }

    /// The cases a file carried (history), as ids.
    pub async fn file_case_ids(&self, file_id: i64) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT case_id FROM file_cases WHERE file_id = $1 ORDER BY case_id")
                .bind(file_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The series' last approved löpnummer, if the series exists.
    pub async fn series_last_approved(
        &self,
        intressentkod: &str,
        filtyp: &str,
    ) -> Result<Option<i64>, StoreError> {
        let r: Option<(i64,)> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT last_approved FROM series WHERE intressentkod = $1 AND filtyp = $2",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .fetch_optional(pool)
            .await?
        });
        Ok(r.map(|r| r.0))
    }

    /// File and receipt columns of every case (for status).
    pub async fn case_file_info(&self) -> Result<Vec<CaseFileInfo>, StoreError> {
        Ok(crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT c.id AS case_id, c.file_id, f.lopnummer, f.file_name, c.rejection_json, c.decision_json \
                 FROM cases c LEFT JOIN files f ON f.id = c.file_id ORDER BY c.id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// File and receipt columns of the cases `ids` (for status: only the cases shown, not every case).
    pub async fn case_file_info_for(&self, ids: &[i64]) -> Result<Vec<CaseFileInfo>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(super::bulk::ID_CHUNK) {
            let rows: Vec<CaseFileInfo> = crate::with_pool!(self, |pool, DB| {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "SELECT c.id AS case_id, c.file_id, f.lopnummer, f.file_name, c.rejection_json, \
                     c.decision_json FROM cases c LEFT JOIN files f ON f.id = c.file_id WHERE c.id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY c.id");
                qb.build_query_as().fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// The inbound message with this tx.id.
    pub async fn inbound_by_tx(&self, tx_id: &str) -> Result<Option<InboundRow>, StoreError> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound WHERE tx_id = $1");
        let r: Option<InboundTuple> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(tx_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(r.map(inbound_row))
    }

    /// Every inbound message, oldest first.
    pub async fn list_inbound(&self) -> Result<Vec<InboundRow>, StoreError> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound ORDER BY id");
        let r: Vec<InboundTuple> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(r.into_iter().map(inbound_row).collect())
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
        let now = time_text(now);
        crate::with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO inbound (tx_id, product, file_name, kind, corr_id, content_id, bytes, sha256, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tx_id) DO NOTHING",
            )
            .bind(&m.tx_id)
            .bind(&m.product)
            .bind(&m.file_name)
            .bind(&m.kind)
            .bind(&m.corr_id)
            .bind(&m.content_id)
            .bind(&m.bytes)
            .bind(&sha)
            .bind(&now)
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
        crate::with_pool!(self, |pool, DB| {
            sqlx::query("UPDATE inbound SET acked_at = $1 WHERE id = $2 AND acked_at IS NULL")
                .bind(time_text(now))
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ids of inbound messages not yet applied, oldest first.
    pub async fn unapplied_inbound(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT id FROM inbound WHERE applied_at IS NULL ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The raw bytes of an inbound message.
    pub async fn inbound_bytes(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let r: Option<(Vec<u8>,)> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT bytes FROM inbound WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(r.map(|r| r.0))
    }

    /// Resets files left in `sending` by a crash (claim expired or not) to `outcome_unknown`, so the next send pass
    /// re-sends the same bytes under the same tx.id. Call at start, before any send pass of this process.
    pub async fn recover_sending(&self) -> Result<u64, StoreError> {
        Ok(crate::with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE files SET state = 'outcome_unknown', claimed_by = NULL, claimed_until = NULL, \
                 next_attempt_at = NULL WHERE state = 'sending'",
            )
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}

impl StoreTx {
    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            StoreTx::Sqlite(t) => t.commit().await?,
            StoreTx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            StoreTx::Sqlite(t) => t.rollback().await?,
            StoreTx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Creates the series row if missing (with `first - 1`) and locks it; returns `last_approved`. Call first in a
    /// build transaction: it serialises every build of this series.
    pub async fn ensure_series(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        first: i64,
    ) -> Result<i64, StoreError> {
        let pg = matches!(self, StoreTx::Postgres(_));
        let lock = if pg { " FOR UPDATE" } else { "" };
        let select = format!(
            "SELECT last_approved FROM series WHERE intressentkod = $1 AND filtyp = $2{lock}"
        );
        with_tx!(self, |t, DB| {
            sqlx::query(
                "INSERT INTO series (intressentkod, filtyp, last_approved) VALUES ($1, $2, $3) \
                 ON CONFLICT (intressentkod, filtyp) DO NOTHING",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .bind(first - 1)
            .execute(&mut **t)
            .await?;
            if !pg {
                // SQLite: make sure this transaction holds the writer lock even when the row existed.
                sqlx::query(
                    "UPDATE series SET last_approved = last_approved WHERE intressentkod = $1 AND filtyp = $2",
                )
                .bind(intressentkod)
                .bind(filtyp)
                .execute(&mut **t)
                .await?;
            }
            let (last,): (i64,) = sqlx::query_as(&select)
                .bind(intressentkod)
                .bind(filtyp)
                .fetch_one(&mut **t)
                .await?;
            Ok(last)
        })
    }

    /// Sets the series' last approved löpnummer (never lowers it).
    pub async fn set_series_approved(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        lopnummer: i64,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query(
                "UPDATE series SET last_approved = $3 WHERE intressentkod = $1 AND filtyp = $2 AND last_approved < $3",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .bind(lopnummer)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// Unreceipted files of a series that are not superseded.
    pub async fn count_unreceipted(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
    ) -> Result<i64, StoreError> {
        with_tx!(self, |t, DB| {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM files WHERE intressentkod = $1 AND filtyp = $2 \
                 AND state IN ('built', 'sending', 'sent', 'outcome_unknown')",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .fetch_one(&mut **t)
            .await?;
            Ok(n)
        })
    }

    /// The löpnummer for a new file of the series: the lowest number above `last_approved` that no unreceipted
    /// file of the series holds. Normally `last approved + 1 + unreceipted`; after a file in the middle was
    /// rejected whole (status U, its number not consumed) it is that number again, not one past the files still
    /// in flight.
    pub async fn next_lopnummer(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        last_approved: i64,
    ) -> Result<i64, StoreError> {
        let taken: Vec<(i64,)> = with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT DISTINCT lopnummer FROM files WHERE intressentkod = $1 AND filtyp = $2 AND lopnummer > $3 \
                 AND state IN ('built', 'sending', 'sent', 'outcome_unknown') ORDER BY lopnummer",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .bind(last_approved)
            .fetch_all(&mut **t)
            .await?
        });
        let mut next = last_approved + 1;
        for (n,) in taken {
            if n != next {
                break;
            }
            next += 1;
        }
        Ok(next)
    }

    /// Up to `limit` approved cases of (intressentkod, kind), oldest first. For a follow-up kind (`parent_kind`
    /// given) only those with a målnummer of their own or whose concerned case (same intressentkod, parent kind,
    /// reference = `concerns`) has one; the candidate carries that målnummer.
    pub async fn batch_candidates(
        &mut self,
        intressentkod: &str,
        kind: &str,
        parent_kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<BatchCandidate>, StoreError> {
        let sql = match parent_kind {
            None => "SELECT c.id, c.reference, c.case_json, c.issues_json, c.malnummer FROM cases c \
                     WHERE c.intressentkod = $1 AND c.kind = $2 AND c.state = 'approved' AND $3 = $3 \
                     ORDER BY c.id LIMIT $4"
                .to_string(),
            Some(_) => "SELECT c.id, c.reference, c.case_json, c.issues_json, COALESCE(c.malnummer, p.malnummer) \
                        FROM cases c LEFT JOIN cases p ON p.intressentkod = c.intressentkod AND p.kind = $3 \
                        AND p.reference = c.concerns \
                        WHERE c.intressentkod = $1 AND c.kind = $2 AND c.state = 'approved' \
                        AND COALESCE(c.malnummer, p.malnummer) IS NOT NULL ORDER BY c.id LIMIT $4"
                .to_string(),
        };
        type Row = (i64, String, Option<String>, String, Option<String>);
        let rows: Vec<Row> = with_tx!(self, |t, DB| {
            sqlx::query_as(&sql)
                .bind(intressentkod)
                .bind(kind)
                .bind(parent_kind.unwrap_or(""))
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, reference, case_json, issues_json, malnummer)| BatchCandidate {
                    id,
                    reference,
                    case_json,
                    issues_json,
                    malnummer,
                },
            )
            .collect())
    }

    /// Inserts a file (state `built`) and its `file_cases` rows; returns its id.
    pub async fn insert_file(
        &mut self,
        f: &NewFile,
        case_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        use sha2::{Digest, Sha256};
        let sha = hex::encode(Sha256::digest(&f.bytes));
        let msha = hex::encode(Sha256::digest(&f.missiv_bytes));
        let now = time_text(now);
        let id = with_tx!(self, |t, DB| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO files (intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, \
                 missiv_name, missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, created_at) \
                 VALUES ($1, $2, $3, $4, 'built', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(&f.intressentkod)
            .bind(&f.layout)
            .bind(&f.filtyp)
            .bind(f.lopnummer)
            .bind(&f.file_name)
            .bind(&f.bytes)
            .bind(&sha)
            .bind(&f.missiv_name)
            .bind(&f.missiv_bytes)
            .bind(&msha)
            .bind(f.case_count)
            .bind(f.record_count)
            .bind(f.total_ore)
            .bind(&f.tx_id)
            .bind(&now)
            .fetch_one(&mut **t)
            .await?;
            id
        });
        self.insert_file_cases(id, case_ids).await?;
        Ok(id)
    }

    /// Marks `receipted_rejected` files of this series and number as superseded by `by`.
    pub async fn supersede_rejected(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        lopnummer: i64,
        by: i64,
    ) -> Result<u64, StoreError> {
        with_tx!(self, |t, DB| {
            Ok(sqlx::query(
                "UPDATE files SET state = 'superseded', superseded_by = $4 WHERE intressentkod = $1 AND filtyp = $2 \
                 AND lopnummer = $3 AND state = 'receipted_rejected'",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .bind(lopnummer)
            .bind(by)
            .execute(&mut **t)
            .await?
            .rows_affected())
        })
    }

    /// Moves a case from one of `from` to `to` with `update`'s extra columns and an audit event. Returns false
    /// (and changes nothing) when the case is not in `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_case_state(
        &mut self,
        id: i64,
        from: &[CaseState],
        to: CaseState,
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
        update: &CaseUpdate,
    ) -> Result<bool, StoreError> {
        let now = time_text(now);
        with_tx!(self, |t, DB| {
            let cur: Option<(String,)> = sqlx::query_as("SELECT state FROM cases WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?;
            let Some((cur,)) = cur else { return Ok(false) };
            let Some(cur) = CaseState::parse(&cur) else {
                return Err(StoreError::Corrupt {
                    id,
                    message: format!("unknown state {cur:?}"),
                });
            };
            if !from.contains(&cur) {
                return Ok(false);
            }
            let mut qb = sqlx::QueryBuilder::<DB>::new("UPDATE cases SET state = ");
            qb.push_bind(to.as_str());
            qb.push(", updated_at = ").push_bind(now.clone());
            if let Some(f) = update.file_id {
                qb.push(", file_id = ").push_bind(f);
            }
            if let Some(r) = &update.rejection_json {
                qb.push(", rejection_json = ").push_bind(r.clone());
            }
            if let Some(m) = &update.malnummer {
                qb.push(", malnummer = ").push_bind(m.clone());
            }
            if let Some(d) = &update.decision_json {
                qb.push(", decision_json = ").push_bind(d.clone());
            }
            if let Some(i) = &update.issues_json {
                qb.push(", issues_json = ").push_bind(i.clone());
            }
            qb.push(" WHERE id = ").push_bind(id);
            qb.push(" AND state = ").push_bind(cur.as_str());
            let n = qb.build().execute(&mut **t).await?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO case_events (case_id, from_state, to_state, reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(cur.as_str())
            .bind(to.as_str())
            .bind(reason)
            .bind(actor)
            .bind(&now)
            .execute(&mut **t)
            .await?;
            Ok(true)
        })
    }

    /// Moves a file from one of `from` to `to`; `note` goes to `last_error` when given. False when not in `from`.
    pub async fn set_file_state(
        &mut self,
        id: i64,
        from: &[FileState],
        to: FileState,
        now: DateTime<Utc>,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let _ = now;
        with_tx!(self, |t, DB| {
            let mut qb = sqlx::QueryBuilder::<DB>::new("UPDATE files SET state = ");
            qb.push_bind(to.as_str());
            if let Some(n) = note {
                qb.push(", last_error = ").push_bind(n.to_string());
            }
            qb.push(" WHERE id = ")
                .push_bind(id)
                .push(" AND state IN (");
            let mut sep = qb.separated(", ");
            for s in from {
                sep.push_bind(s.as_str());
            }
            qb.push(")");
            Ok(qb.build().execute(&mut **t).await?.rows_affected() == 1)
        })
    }

    /// Runs a one-parameter-or-two UPDATE on a file (`$1` = id, `$2` = `value`). Internal helper.
    pub(crate) async fn exec_file_sql(
        &mut self,
        id: i64,
        sql: &str,
        value: Option<&str>,
    ) -> Result<u64, StoreError> {
        with_tx!(self, |t, DB| {
            let q = sqlx::query(sql).bind(id);
            let q = if sql.contains("$2") { q.bind(value) } else { q };
            Ok(q.execute(&mut **t).await?.rows_affected())
        })
    }

    /// Records the kvittens on a file: state, status, errors, receipted_at.
    pub async fn record_kvittens(
        &mut self,
        id: i64,
        to: FileState,
        status: &str,
        errors_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query(
                "UPDATE files SET state = $1, kvittens_status = $2, kvittens_errors_json = $3, receipted_at = $4, \
                 claimed_by = NULL, claimed_until = NULL WHERE id = $5",
            )
            .bind(to.as_str())
            .bind(status)
            .bind(errors_json)
            .bind(time_text(now))
            .bind(id)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// The latest file of (intressentkod, filtyp, lopnummer) in one of `states`.
    pub async fn find_file(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        lopnummer: i64,
        states: &[FileState],
    ) -> Result<Option<FileRow>, StoreError> {
        let rows: Vec<RawFileRow> = with_tx!(self, |t, DB| {
            let mut qb = sqlx::QueryBuilder::<DB>::new(format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE intressentkod = "
            ));
            qb.push_bind(intressentkod)
                .push(" AND filtyp = ")
                .push_bind(filtyp)
                .push(" AND lopnummer = ")
                .push_bind(lopnummer)
                .push(" AND state IN (");
            let mut sep = qb.separated(", ");
            for s in states {
                sep.push_bind(s.as_str());
            }
            qb.push(") ORDER BY id DESC LIMIT 1");
            qb.build_query_as().fetch_all(&mut **t).await?
        });
        rows.into_iter().next().map(FileRow::try_from).transpose()
    }

    /// The file with this tx.id.
    pub async fn file_by_tx(&mut self, tx_id: &str) -> Result<Option<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE tx_id = $1");
        let r: Option<RawFileRow> = with_tx!(self, |t, DB| {
            sqlx::query_as(&sql)
                .bind(tx_id)
                .fetch_optional(&mut **t)
                .await?
        });
        r.map(FileRow::try_from).transpose()
    }

    /// The cases a file carried: (id, reference, kind, state, concerns).
    pub async fn file_cases(
        &mut self,
        file_id: i64,
    ) -> Result<Vec<(i64, String, String, CaseState, Option<String>)>, StoreError> {
        let rows: Vec<(i64, String, String, String, Option<String>)> = with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT c.id, c.reference, c.kind, c.state, c.concerns FROM file_cases fc JOIN cases c \
                 ON c.id = fc.case_id WHERE fc.file_id = $1 ORDER BY c.id",
            )
            .bind(file_id)
            .fetch_all(&mut **t)
            .await?
        });
        rows.into_iter()
            .map(|(id, r, k, s, c)| {
                let s = CaseState::parse(&s).ok_or_else(|| StoreError::Corrupt {
                    id,
                    message: format!("unknown state {s:?}"),
                })?;
                Ok((id, r, k, s, c))
            })
            .collect()
    }

    /// Case ids carried by a file.
    pub async fn file_case_ids(&mut self, file_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .file_cases(file_id)
            .await?
            .into_iter()
            .map(|c| c.0)
            .collect())
    }

    /// The case (id, state) of (intressentkod, kind, reference).
    pub async fn case_by_key(
        &mut self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
    ) -> Result<Option<(i64, CaseState)>, StoreError> {
        let r: Option<(i64, String)> = with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT id, state FROM cases WHERE intressentkod = $1 AND kind = $2 AND reference = $3",
            )
            .bind(intressentkod)
            .bind(kind)
            .bind(reference)
            .fetch_optional(&mut **t)
            .await?
        });
        r.map(|(id, s)| {
            CaseState::parse(&s)
                .map(|s| (id, s))
                .ok_or_else(|| StoreError::Corrupt {
                    id,
                    message: format!("unknown state {s:?}"),
                })
        })
        .transpose()
    }

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
            .bind(time_text(now))
            .bind(id)
            .execute(&mut **t)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Sets an inbound message's apply error.
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
