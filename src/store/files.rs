//! Files (batches), löpnummer series and `file_cases` — the outbox (`migrations/*/0002_files.sql`).
//!
//! The outbox rule's steps (allocate the löpnummer, freeze the bytes, assign the cases) run in one [`StoreTx`]
//! that the engine begins with [`Store::begin`]; the series row serialises every build of its series
//! ([`StoreTx::lock_series`]). Send jobs are claimed with [`Store::claim_file_to_send`].

use super::moves::ID_CHUNK;
use super::types::StoredTime;
use super::{with_pool, with_tx, Dialect, Store, StoreError, StoreTx};
use crate::domain::{CaseState, FileState};
use crate::formats::KvittensStatus;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

/// A stored file without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
    pub intressentkod: String,
    /// Layout name (`bfo-ansokan`).
    pub layout: String,
    /// Filtyp (the series key with the intressentkod).
    pub filtyp: String,
    /// Löpnummer.
    pub lopnummer: i64,
    pub state: FileState,
    /// Transaction file name.
    pub file_name: String,
    /// SHA-256 (hex) of the file bytes.
    pub sha256: String,
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
    pub kvittens_status: Option<KvittensStatus>,
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

pub(crate) const FILE_COLUMNS: &str = "id, intressentkod, layout, filtyp, lopnummer, state, file_name, sha256, missiv_name, \
     missiv_sha256, case_count, record_count, total_ore, tx_id, created_at, sent_at, confirmed_at, receipted_at, \
     kvittens_status, kvittens_errors_json, superseded_by, attempts, next_attempt_at, last_error";

impl CaseFileInfo {
    /// The case-level kvittens errors of the case, if it was rejected.
    pub fn rejections(&self) -> Result<Option<Vec<crate::formats::Rejection>>, StoreError> {
        self.rejection_json
            .as_deref()
            .map(|j| {
                serde_json::from_str(j).map_err(|source| StoreError::Corrupt {
                    table: "cases",
                    id: self.case_id,
                    column: "rejection_json",
                    source,
                })
            })
            .transpose()
    }

    /// The decision on the case, if one came.
    pub fn decision(&self) -> Result<Option<crate::formats::Decision>, StoreError> {
        self.decision_json
            .as_deref()
            .map(|j| {
                serde_json::from_str(j).map_err(|source| StoreError::Corrupt {
                    table: "cases",
                    id: self.case_id,
                    column: "decision_json",
                    source,
                })
            })
            .transpose()
    }
}

impl FileRow {
    /// The kvittens errors kept with the file (none before its kvittens).
    pub fn kvittens_errors(&self) -> Result<Vec<crate::formats::KvittensError>, StoreError> {
        self.kvittens_errors_json
            .as_deref()
            .map(|j| {
                serde_json::from_str(j).map_err(|source| StoreError::Corrupt {
                    table: "files",
                    id: self.id,
                    column: "kvittens_errors_json",
                    source,
                })
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

/// A file to insert (bytes frozen, hashes computed).
#[derive(Debug, Clone)]
pub struct NewFile {
    pub intressentkod: String,
    /// Layout name.
    pub layout: String,
    pub filtyp: String,
    /// Löpnummer.
    pub lopnummer: i64,
    pub file_name: String,
    /// File bytes.
    pub bytes: Vec<u8>,
    pub missiv_name: String,
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
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchCandidate {
    /// Case id.
    pub id: i64,
    pub reference: String,
    /// Validated case JSON.
    pub case_json: Option<String>,
    /// Issues JSON (to append a build refusal to).
    pub issues_json: String,
    /// The concerned case's målnummer (follow-ups), or the case's own.
    pub malnummer: Option<String>,
}

/// File/receipt columns of a case (for status views).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CaseFileInfo {
    pub case_id: i64,
    /// Current file id.
    pub file_id: Option<i64>,
    /// Its löpnummer.
    pub lopnummer: Option<i64>,
    /// Its name.
    pub file_name: Option<String>,
    /// Rejection (felkod + text) JSON.
    pub rejection_json: Option<String>,
    pub decision_json: Option<String>,
}

/// A case a file carried.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CarriedCase {
    /// Case id.
    pub id: i64,
    pub reference: String,
    /// Kind name.
    pub kind: String,
    /// State now.
    pub state: CaseState,
    /// The case it concerns (follow-ups).
    pub concerns: Option<String>,
}

/// Binds `states` as a parenthesised list (`IN (…)`).
fn push_states<'a, DB: sqlx::Database, T>(qb: &mut QueryBuilder<'a, DB>, states: &'a [T])
where
    T: sqlx::Encode<'a, DB> + sqlx::Type<DB> + Copy + Send + 'a,
{
    qb.push("(");
    let mut sep = qb.separated(", ");
    for s in states {
        sep.push_bind(*s);
    }
    qb.push(")");
}

impl Store {
    /// The (intressentkod, kind) pairs that have approved cases, in a stable order.
    pub async fn approved_groups(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT DISTINCT intressentkod, kind FROM cases WHERE state = $1 ORDER BY intressentkod, kind",
            )
            .bind(CaseState::Approved)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Claims the next file to send — `built` or `outcome_unknown` and due, or `sending` whose claim expired (a
    /// crash mid-send: treated as outcome unknown) — setting `sending`, the claim and attempts + 1, and commits.
    /// `skip` lists ids already handled in this pass. Returns the file and the state it was claimed from.
    pub async fn claim_file_to_send(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_for: chrono::Duration,
        skip: &[i64],
    ) -> Result<Option<(FileRow, FileState)>, StoreError> {
        let now = StoredTime(now);
        let until = StoredTime(now.0 + claim_for);
        let mut tx = self.begin().await?;
        let claimed = with_tx!(&mut tx, |t, DB| {
            // In löpnummer order within a series: a file waits while a lower number of its series is still unsent
            // (built, sending or outcome unknown) — the node refuses a number that is not last approved + 1 (0010).
            let mut qb = QueryBuilder::<DB>::new("SELECT id, state FROM files WHERE ((state IN ");
            push_states(&mut qb, FileState::TO_SEND);
            qb.push(" AND (next_attempt_at IS NULL OR next_attempt_at <= ")
                .push_bind(now)
                .push(")) OR (state = ")
                .push_bind(FileState::Sending)
                .push(" AND (claimed_until IS NULL OR claimed_until < ")
                .push_bind(now)
                .push(")))");
            if !skip.is_empty() {
                qb.push(" AND id NOT IN (");
                let mut sep = qb.separated(", ");
                for id in skip {
                    sep.push_bind(*id);
                }
                qb.push(")");
            }
            qb.push(
                " AND NOT EXISTS (SELECT 1 FROM files p WHERE p.intressentkod = files.intressentkod \
                 AND p.filtyp = files.filtyp AND p.lopnummer < files.lopnummer AND p.state IN ",
            );
            push_states(&mut qb, FileState::UNSENT);
            qb.push(") ORDER BY id LIMIT 1")
                .push(<DB as Dialect>::CLAIM_ROWS);
            let picked: Option<(i64, FileState)> =
                qb.build_query_as().fetch_optional(&mut **t).await?;
            match picked {
                None => None,
                Some((id, prev)) => {
                    let row: Option<FileRow> = sqlx::query_as(&format!(
                        "UPDATE files SET state = $1, claimed_by = $2, claimed_until = $3, attempts = attempts + 1 \
                         WHERE id = $4 AND state = $5 RETURNING {FILE_COLUMNS}"
                    ))
                    .bind(FileState::Sending)
                    .bind(worker)
                    .bind(until)
                    .bind(id)
                    .bind(prev)
                    .fetch_optional(&mut **t)
                    .await?;
                    row.map(|r| (r, prev))
                }
            }
        });
        tx.commit().await?;
        Ok(claimed)
    }

    /// The file's bytes and its missiv's bytes.
    pub async fn file_bytes(&self, id: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT bytes, missiv_bytes FROM files WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Records a successful send: file `sending` → `sent` (claim released, `sent_at` set), its batched cases →
    /// `sent`.
    pub async fn mark_file_sent(
        &self,
        id: i64,
        now: DateTime<Utc>,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let done = with_tx!(&mut tx, |t, DB| {
            let mut qb = QueryBuilder::<DB>::new("UPDATE files SET state = ");
            qb.push_bind(FileState::Sent)
                .push(", sent_at = ")
                .push_bind(StoredTime(now))
                .push(", claimed_by = NULL, claimed_until = NULL");
            if let Some(n) = note {
                qb.push(", last_error = ").push_bind(n);
            }
            qb.push(" WHERE id = ")
                .push_bind(id)
                .push(" AND state = ")
                .push_bind(FileState::Sending);
            qb.build().execute(&mut **t).await?.rows_affected() == 1
        });
        if done {
            tx.move_cases(
                super::CaseSelection::File(id),
                &super::CaseMove::new(
                    crate::domain::state::Cause::FileSent,
                    CaseState::Sent,
                    "engine",
                    now,
                )
                .reason(note),
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
    ) -> Result<bool, StoreError> {
        let n = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE files SET state = $1, last_error = $2, next_attempt_at = $3, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = $4 AND state = $5",
            )
            .bind(to)
            .bind(error)
            .bind(StoredTime(next_attempt_at))
            .bind(id)
            .bind(FileState::Sending)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// One file.
    pub async fn file_by_id(&self, id: i64) -> Result<Option<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE id = $1");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// Every file, oldest first.
    pub async fn list_files(&self) -> Result<Vec<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files ORDER BY id");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        }))
    }

    /// The cases a file carried (history), as ids.
    pub async fn file_case_ids(&self, file_id: i64) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = with_pool!(self, |pool, DB| {
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
        let r: Option<(i64,)> = with_pool!(self, |pool, DB| {
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
        Ok(with_pool!(self, |pool, DB| {
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
        for chunk in ids.chunks(ID_CHUNK) {
            let rows: Vec<CaseFileInfo> = with_pool!(self, |pool, DB| {
                let mut qb = QueryBuilder::<DB>::new(
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

    /// Resets files left in `sending` by a crash to `outcome_unknown`, so the next send pass re-sends the same
    /// bytes under the same tx.id — where this process is the only sender (SQLite: a file left `sending` at start
    /// is a crash's leftover). With PostgreSQL other instances may hold live claims, and expired ones are taken
    /// over by [`Store::claim_file_to_send`] instead, so nothing is reset. Call at start, before any send pass.
    pub async fn recover_sending(&self) -> Result<u64, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            if !<DB as Dialect>::SINGLE_SENDER {
                return Ok(0);
            }
            sqlx::query(
                "UPDATE files SET state = $1, claimed_by = NULL, claimed_until = NULL, next_attempt_at = NULL \
                 WHERE state = $2",
            )
            .bind(FileState::OutcomeUnknown)
            .bind(FileState::Sending)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}

impl StoreTx<'_> {
    /// Creates the series row if missing (with `first - 1`) and locks it; returns `last_approved`. Call first in a
    /// build transaction: it serialises every build of this series.
    pub async fn lock_series(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        first: i64,
    ) -> Result<i64, StoreError> {
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
            let (last,): (i64,) = sqlx::query_as(&format!(
                "SELECT last_approved FROM series WHERE intressentkod = $1 AND filtyp = $2{}",
                <DB as Dialect>::LOCK_ROWS
            ))
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

    /// Files of a series still awaiting their kvittens.
    pub async fn count_awaiting_kvittens(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
    ) -> Result<i64, StoreError> {
        with_tx!(self, |t, DB| {
            let mut qb =
                QueryBuilder::<DB>::new("SELECT COUNT(*) FROM files WHERE intressentkod = ");
            qb.push_bind(intressentkod)
                .push(" AND filtyp = ")
                .push_bind(filtyp)
                .push(" AND state IN ");
            push_states(&mut qb, FileState::AWAITING_KVITTENS);
            let (n,): (i64,) = qb.build_query_as().fetch_one(&mut **t).await?;
            Ok(n)
        })
    }

    /// The löpnummer for a new file of the series: the lowest number above `last_approved` that no file awaiting
    /// its kvittens holds. Normally `last approved + 1 + awaiting`; after a file in the middle was rejected whole
    /// (status underkänd, its number not consumed) it is that number again, not one past the files still in
    /// flight.
    pub async fn next_lopnummer(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        last_approved: i64,
    ) -> Result<i64, StoreError> {
        let taken: Vec<(i64,)> = with_tx!(self, |t, DB| {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT DISTINCT lopnummer FROM files WHERE intressentkod = ",
            );
            qb.push_bind(intressentkod)
                .push(" AND filtyp = ")
                .push_bind(filtyp)
                .push(" AND lopnummer > ")
                .push_bind(last_approved)
                .push(" AND state IN ");
            push_states(&mut qb, FileState::AWAITING_KVITTENS);
            qb.push(" ORDER BY lopnummer");
            qb.build_query_as().fetch_all(&mut **t).await?
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
                     WHERE c.intressentkod = $1 AND c.kind = $2 AND c.state = $5 AND $3 = $3 \
                     ORDER BY c.id LIMIT $4",
            Some(_) => "SELECT c.id, c.reference, c.case_json, c.issues_json, COALESCE(c.malnummer, p.malnummer) AS malnummer \
                        FROM cases c LEFT JOIN cases p ON p.intressentkod = c.intressentkod AND p.kind = $3 \
                        AND p.reference = c.concerns \
                        WHERE c.intressentkod = $1 AND c.kind = $2 AND c.state = $5 \
                        AND COALESCE(c.malnummer, p.malnummer) IS NOT NULL ORDER BY c.id LIMIT $4",
        };
        Ok(with_tx!(self, |t, DB| {
            sqlx::query_as(sql)
                .bind(intressentkod)
                .bind(kind)
                .bind(parent_kind.unwrap_or(""))
                .bind(limit)
                .bind(CaseState::Approved)
                .fetch_all(&mut **t)
                .await?
        }))
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
        with_tx!(self, |t, DB| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO files (intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, \
                 missiv_name, missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            )
            .bind(&f.intressentkod)
            .bind(&f.layout)
            .bind(&f.filtyp)
            .bind(f.lopnummer)
            .bind(FileState::Built)
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
            .bind(StoredTime(now))
            .fetch_one(&mut **t)
            .await?;
            for chunk in case_ids.chunks(ID_CHUNK) {
                let mut qb = QueryBuilder::<DB>::new("INSERT INTO file_cases (file_id, case_id) ");
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(id).push_bind(*c);
                });
                qb.build().execute(&mut **t).await?;
            }
            Ok(id)
        })
    }

    /// Marks the files of this series and number that were rejected whole as superseded by `by`.
    pub async fn supersede_rejected(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        lopnummer: i64,
        by: i64,
    ) -> Result<u64, StoreError> {
        with_tx!(self, |t, DB| {
            Ok(sqlx::query(
                "UPDATE files SET state = $5, superseded_by = $4 WHERE intressentkod = $1 AND filtyp = $2 \
                 AND lopnummer = $3 AND state = $6",
            )
            .bind(intressentkod)
            .bind(filtyp)
            .bind(lopnummer)
            .bind(by)
            .bind(FileState::Superseded)
            .bind(FileState::ReceiptedRejected)
            .execute(&mut **t)
            .await?
            .rows_affected())
        })
    }

    /// Sends a file back to `built` after the node reported an SHS error for it (from a state in
    /// [`FileState::ERROR_REPORTABLE`]), keeping the error and waiting until `retry_at`. False when the file was
    /// not in such a state.
    pub async fn return_file_to_built(
        &mut self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_tx!(self, |t, DB| {
            let mut qb = QueryBuilder::<DB>::new("UPDATE files SET state = ");
            qb.push_bind(FileState::Built)
                .push(", last_error = ")
                .push_bind(error)
                .push(", next_attempt_at = ")
                .push_bind(StoredTime(retry_at))
                .push(" WHERE id = ")
                .push_bind(id)
                .push(" AND state IN ");
            push_states(&mut qb, FileState::ERROR_REPORTABLE);
            Ok(qb.build().execute(&mut **t).await?.rows_affected() == 1)
        })
    }

    /// Records the node's SHS confirm of a file.
    pub async fn record_confirmation(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query("UPDATE files SET confirmed_at = $1 WHERE id = $2")
                .bind(StoredTime(at))
                .bind(id)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }

    /// Records the kvittens on a file: `receipted_ok` or `receipted_rejected` by its status, its errors (JSON),
    /// when; releases any claim.
    pub async fn record_kvittens(
        &mut self,
        id: i64,
        status: KvittensStatus,
        errors_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let to = match status {
            KvittensStatus::Godkand => FileState::ReceiptedOk,
            KvittensStatus::Underkand => FileState::ReceiptedRejected,
        };
        with_tx!(self, |t, DB| {
            sqlx::query(
                "UPDATE files SET state = $1, kvittens_status = $2, kvittens_errors_json = $3, receipted_at = $4, \
                 claimed_by = NULL, claimed_until = NULL WHERE id = $5",
            )
            .bind(to)
            .bind(status)
            .bind(errors_json)
            .bind(StoredTime(now))
            .bind(id)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// The latest file of (intressentkod, filtyp, lopnummer) still awaiting its kvittens.
    pub async fn file_awaiting_kvittens(
        &mut self,
        intressentkod: &str,
        filtyp: &str,
        lopnummer: i64,
    ) -> Result<Option<FileRow>, StoreError> {
        Ok(with_tx!(self, |t, DB| {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE intressentkod = "
            ));
            qb.push_bind(intressentkod)
                .push(" AND filtyp = ")
                .push_bind(filtyp)
                .push(" AND lopnummer = ")
                .push_bind(lopnummer)
                .push(" AND state IN ");
            push_states(&mut qb, FileState::AWAITING_KVITTENS);
            qb.push(" ORDER BY id DESC LIMIT 1");
            qb.build_query_as().fetch_optional(&mut **t).await?
        }))
    }

    /// The file with this tx.id.
    pub async fn file_by_tx(&mut self, tx_id: &str) -> Result<Option<FileRow>, StoreError> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE tx_id = $1");
        Ok(with_tx!(self, |t, DB| {
            sqlx::query_as(&sql)
                .bind(tx_id)
                .fetch_optional(&mut **t)
                .await?
        }))
    }

    /// The cases a file carried.
    pub async fn carried_cases(&mut self, file_id: i64) -> Result<Vec<CarriedCase>, StoreError> {
        Ok(with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT c.id, c.reference, c.kind, c.state, c.concerns FROM file_cases fc JOIN cases c \
                 ON c.id = fc.case_id WHERE fc.file_id = $1 ORDER BY c.id",
            )
            .bind(file_id)
            .fetch_all(&mut **t)
            .await?
        }))
    }

    /// The case (id, state) of (intressentkod, kind, reference).
    pub async fn case_by_key(
        &mut self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
    ) -> Result<Option<(i64, CaseState)>, StoreError> {
        Ok(with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT id, state FROM cases WHERE intressentkod = $1 AND kind = $2 AND reference = $3",
            )
            .bind(intressentkod)
            .bind(kind)
            .bind(reference)
            .fetch_optional(&mut **t)
            .await?
        }))
    }
}
