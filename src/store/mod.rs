//! The database: SQLite (embedded default) or PostgreSQL behind one repository API.
//!
//! [`Store::open`] takes the `[database] url`. SQLite files (and their directories) are created on first use and
//! opened with WAL, `synchronous=FULL`, foreign keys on and an explicit busy timeout. Migrations live in
//! `migrations/sqlite/` and `migrations/postgres/` (the same schema). SQL is kept portable: `$1` placeholders
//! (SQLite accepts them too), no backend-specific functions; `with_pool!` / `with_tx!` run one piece of sqlx code
//! against either backend, and every difference between the two (row locks, claiming, JSON array elements, the
//! write-lock preamble, how inserted ids come back) is a constant or method of the [`Dialect`] seam in `sqlite.rs`
//! and `postgres.rs`. Each area has its own `impl Store` file (`cases.rs`, …); a case changes state only through
//! [`moves`].

use std::time::Duration;

pub mod alert_log;
pub mod cases;
pub mod console;
pub mod debtor_keys;
pub mod files;
pub mod inbound;
pub mod life;
pub mod moves;
/// Read-only queries for ops views, the API and reports.
pub mod ops;
mod postgres;
pub mod retention;
/// "Retry now": files waiting for a send retry made due at once.
pub mod retry;
mod search_keys;
pub mod settings;
mod sqlite;
mod status;
/// API tokens and the run log of scheduled jobs.
pub mod tokens;
pub mod types;
pub mod watch;

pub use cases::{CaseEvent, CaseRow, NewCase, UpsertOutcome};
pub use files::{BatchCandidate, CaseFileInfo, FileRow, NewFile};
pub use inbound::{InboundRow, NewInbound};
pub use moves::{CaseMove, CaseSelection, CaseUpdate, Moved};
pub use search_keys::keys_of;
pub use sqlite::sqlite_path;
pub use status::CaseStatusRow;
pub use tokens::{JobRun, Permission, Role, SessionRow, TokenRow};

/// How long SQLite waits for a lock held by another connection or process before failing.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
pub use sqlite::SQLITE_PAGE_SIZE;

/// Which schema migrations this fogd has and which a database has applied (`fogd doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The versions this build carries.
    pub known: Vec<i64>,
    /// The versions applied successfully to the database.
    pub applied: Vec<i64>,
}

/// Reads the applied migrations of the database at `url` without changing it (SQLite is opened read-only and must
/// exist already; PostgreSQL is given five seconds to answer).
pub async fn migration_status(url: &str) -> Result<MigrationStatus, StoreError> {
    if url.starts_with("sqlite:") {
        sqlite::migration_status(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::migration_status(url).await
    } else {
        Err(StoreError::Url {
            url: url.to_string(),
            message: "must start with sqlite: or postgres://".into(),
        })
    }
}

/// The applied versions, from sqlx's migration table.
const APPLIED_MIGRATIONS: &str = "SELECT version FROM _sqlx_migrations WHERE success";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not a SQLite or PostgreSQL URL, or cannot be parsed.
    #[error("database url {url:?}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The database directory could not be created.
    #[error("cannot create database directory {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A database error.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that cannot be read back (a bug or a hand-edited database), naming the row.
    #[error("stored data of {table} row {id}, {column}: {source}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row id.
        id: i64,
        /// The column.
        column: &'static str,
        /// What does not read.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be written as JSON for the database.
    #[error("{what} as JSON: {source}")]
    Serialise {
        /// What was written.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A case move that the transition table does not have (a bug in the caller).
    #[error("no transition {cause} → {to} in the transition table")]
    NoTransition {
        /// The cause asked for.
        cause: crate::domain::state::Cause,
        /// The state asked for.
        to: crate::domain::CaseState,
    },
    /// The database did something the store's own statements rule out (counts that disagree within one
    /// transaction).
    #[error("store invariant broken: {0}")]
    Invariant(String),
    /// The database is not there or does not answer (`fogd doctor`).
    #[error("{0}")]
    Unreachable(String),
    /// A case that cannot be replaced any more (intake.md §1).
    #[error("case {reference} ({kind}) is {state} and cannot be replaced; corrections after sending go through nedsattning, aterkallelse or verkstallighet_andring")]
    Refused {
        /// The reference.
        reference: String,
        /// The kind.
        kind: String,
        /// The state it is in.
        state: crate::domain::CaseState,
    },
}

/// What differs between the backends, in one place: `sqlite.rs` and `postgres.rs` implement it, and the store's
/// code runs generically over it inside [`with_pool!`] / [`with_tx!`], which bind `DB` to the backend.
pub(crate) trait Dialect: sqlx::Database {
    /// Appended to a `SELECT` of rows the transaction is about to change: PostgreSQL locks them (`FOR UPDATE`);
    /// SQLite needs nothing, its write transactions hold the single writer lock from the start.
    const LOCK_ROWS: &'static str;
    /// Like [`Dialect::LOCK_ROWS`], skipping rows another transaction holds (claiming send jobs).
    const CLAIM_ROWS: &'static str;
    /// A sub-select of the text elements of the JSON array bound as `$1`.
    const JSON_TEXT_ELEMENTS: &'static str;
    /// True when one process is the only sender (SQLite), so that a file left `sending` at start is a crash's
    /// leftover; with several instances (PostgreSQL) expired claims are taken over by the claim query instead.
    const SINGLE_SENDER: bool;
    /// True when a multi-row insert's ids are the range ending at the last inserted row id (SQLite), so no
    /// `RETURNING` is needed; otherwise (PostgreSQL) the insert returns them.
    const IDS_BY_RANGE: bool;
    /// The creditor's identity digits in a case's validated JSON (`case_json`), as an SQL expression (the cases
    /// list's creditor filter).
    const CREDITOR_DIGITS: &'static str;
    /// Appended to a text column in a comparison so that it compares bytewise, as the search's indexes are built
    /// (PostgreSQL: `COLLATE "C"`; SQLite's default collation already is).
    const BYTEWISE: &'static str;

    /// The last row id a statement inserted, where the backend reports it.
    fn last_insert_id(done: &Self::QueryResult) -> Option<i64>;

    /// Runs first in every write transaction (see `sqlite::TAKE_WRITE_LOCK`).
    async fn after_begin(conn: &mut Self::Connection) -> Result<(), sqlx::Error>;
}

/// Begins a write transaction on `conn` the one way fogd does: `BEGIN`, then the dialect's first statement.
async fn begin_write<'c, DB: Dialect>(
    conn: impl sqlx::Acquire<'c, Database = DB>,
) -> Result<sqlx::Transaction<'c, DB>, StoreError> {
    let mut tx = conn.begin().await?;
    DB::after_begin(&mut tx).await?;
    Ok(tx)
}

/// One connection taken from the pool and held for a run of write transactions (an import's batches). SQLite keeps
/// a connection's page cache between its transactions only while no other connection has written, and the pool
/// hands out its idle connections in turn, so batch after batch on pooled connections re-read the tables' pages.
/// (One A/B series of `examples/bench_import.rs`, 100,000 cases: 1.13 s on one connection, 1.24 s on eight.)
#[derive(Debug)]
pub enum WriteSession {
    /// A SQLite connection.
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    /// A PostgreSQL connection.
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl WriteSession {
    /// Begins a write transaction on this session's connection.
    pub async fn begin(&mut self) -> Result<StoreTx<'_>, StoreError> {
        Ok(match self {
            WriteSession::Sqlite(c) => StoreTx::Sqlite(begin_write(&mut **c).await?),
            WriteSession::Postgres(c) => StoreTx::Postgres(begin_write(&mut **c).await?),
        })
    }
}

/// The connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The repository: every database access of fogd goes through a `Store`.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// An open write transaction on either backend, begun by [`Store::begin`] or [`WriteSession::begin`]. Multi-step
/// changes that must be atomic (the outbox rule; applying one receipt) call the typed steps of the store's files
/// on it and commit. On SQLite it holds the single writer lock from its start; on PostgreSQL rows are locked where
/// a step reads what it then changes ([`Dialect::LOCK_ROWS`]).
pub enum StoreTx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl std::fmt::Debug for StoreTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreTx::Sqlite(_) => "StoreTx::Sqlite",
            StoreTx::Postgres(_) => "StoreTx::Postgres",
        })
    }
}

impl StoreTx<'_> {
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
}

/// Runs `$body` with `$p` bound to the concrete pool (`&SqlitePool` or `&PgPool`) and `$DB` to the database type,
/// so one piece of portable sqlx code serves both backends.
macro_rules! with_pool {
    ($store:expr, |$p:ident, $DB:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            $crate::store::Pool::Postgres($p) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use with_pool;

/// Runs `$body` with `$t` bound to the concrete transaction of a [`StoreTx`] and `$DB` to the database type.
macro_rules! with_tx {
    ($tx:expr, |$t:ident, $DB:ident| $body:expr) => {
        match $tx {
            $crate::store::StoreTx::Sqlite($t) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            $crate::store::StoreTx::Postgres($t) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

impl Store {
    /// Opens (and creates, for SQLite) the database at `url` and runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        Store::open_with_schema(url, max_connections, None).await
    }

    /// Like [`Store::open`]; for PostgreSQL, `schema` (created if missing) becomes the search path — tests use a
    /// fresh schema each.
    pub async fn open_with_schema(
        url: &str,
        max_connections: u32,
        schema: Option<&str>,
    ) -> Result<Store, StoreError> {
        let pool = if url.starts_with("sqlite:") {
            Pool::Sqlite(sqlite::connect(url, max_connections).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(postgres::connect(url, max_connections, schema).await?)
        } else {
            return Err(StoreError::Url {
                url: url.to_string(),
                message: "must start with sqlite: or postgres://".into(),
            });
        };
        Ok(Store { pool })
    }

    /// Takes a connection from the pool for a run of writes (see [`WriteSession`]).
    pub async fn write_session(&self) -> Result<WriteSession, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => WriteSession::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => WriteSession::Postgres(p.acquire().await?),
        })
    }

    /// Begins a write transaction (see [`StoreTx`]).
    pub async fn begin(&self) -> Result<StoreTx<'static>, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => StoreTx::Sqlite(begin_write(p).await?),
            Pool::Postgres(p) => StoreTx::Postgres(begin_write(p).await?),
        })
    }

    /// Drops a PostgreSQL schema made for a test by [`Store::open_with_schema`] (nothing on SQLite).
    pub async fn drop_test_schema(&self, schema: &str) -> Result<(), StoreError> {
        if let Pool::Postgres(p) = &self.pool {
            if !schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(StoreError::Url {
                    url: schema.to_string(),
                    message: "schema name must be letters, digits and _".into(),
                });
            }
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(p)
                .await?;
        }
        Ok(())
    }

    /// Closes the pool (flushes SQLite's WAL on the last connection).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::state::MessageKind;
    use crate::domain::{CaseState, FileState};
    use crate::formats::KvittensStatus;

    /// Each stored name of the enums is accepted by the 0004 constraints and a name that is not is refused.
    async fn constraints_follow_the_enums(store: &Store) {
        with_pool!(store, |pool, DB| {
            let insert_case = |state: &'static str, reference: String| {
                sqlx::query(
                    "INSERT INTO cases (reference, kind, intressentkod, state, input_json, content_hash, \
                     created_at, updated_at) VALUES ($1, 'k', 'IK', $2, '{}', 'h', 't', 't')",
                )
                .bind(reference)
                .bind(state)
                .execute(pool)
            };
            for s in CaseState::ALL {
                insert_case(s.as_str(), format!("ok-{s}")).await.unwrap();
            }
            assert!(insert_case("lost", "bad".into()).await.is_err());
            let insert_file = |state: &'static str, status: Option<&'static str>, tx: String| {
                sqlx::query(
                    "INSERT INTO files (intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, \
                     missiv_name, missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, \
                     created_at, kvittens_status) \
                     VALUES ('IK', 'l', 'F', 1, $1, 'f', $2, 's', 'm', $2, 's', 0, 0, 0, $3, 't', $4)",
                )
                .bind(state)
                .bind(vec![0u8])
                .bind(tx)
                .bind(status)
                .execute(pool)
            };
            for s in FileState::ALL {
                insert_file(s.as_str(), None, format!("tx-{s}"))
                    .await
                    .unwrap();
            }
            for k in KvittensStatus::ALL {
                insert_file("receipted_ok", Some(k.as_str()), format!("tx-k-{k}"))
                    .await
                    .unwrap();
            }
            assert!(insert_file("lost", None, "tx-bad".into()).await.is_err());
            assert!(insert_file("built", Some("X"), "tx-bad2".into())
                .await
                .is_err());
            let insert_inbound = |kind: &'static str, tx: String| {
                sqlx::query(
                    "INSERT INTO inbound (tx_id, kind, bytes, sha256, received_at) VALUES ($1, $2, $3, 's', 't')",
                )
                .bind(tx)
                .bind(kind)
                .bind(vec![0u8])
                .execute(pool)
            };
            for k in MessageKind::ALL {
                insert_inbound(k.as_str(), format!("in-{k}")).await.unwrap();
            }
            assert!(insert_inbound("other", "in-bad".into()).await.is_err());
            for r in Role::ALL {
                sqlx::query(
                    "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ('n', $1, $2, 't')",
                )
                .bind(*r)
                .bind(format!("h-{r}"))
                .execute(pool)
                .await
                .unwrap();
            }
        });
    }

    #[tokio::test]
    async fn sqlite_constraints_follow_the_enums() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 1).await.unwrap();
        constraints_follow_the_enums(&store).await;
    }

    #[tokio::test]
    async fn postgres_constraints_follow_the_enums() {
        let Ok(url) = std::env::var("FOGD_TEST_POSTGRES_URL") else {
            eprintln!("FOGD_TEST_POSTGRES_URL not set; skipping");
            return;
        };
        let schema = format!("fogd_ck_{}", uuid::Uuid::new_v4().simple());
        let store = Store::open_with_schema(&url, 1, Some(&schema))
            .await
            .unwrap();
        constraints_follow_the_enums(&store).await;
    }

    /// A SQLite database made by migrations 0001–0003 keeps its rows, ids, links, indexes and id counters when 0004
    /// rebuilds its tables.
    #[tokio::test]
    async fn sqlite_database_of_0003_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let url = format!("sqlite://{}", path.display());
        {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .foreign_keys(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            let mut old = sqlx::migrate!("./migrations/sqlite");
            old.migrations = old
                .migrations
                .iter()
                .filter(|m| m.version <= 3)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            old.run(&pool).await.unwrap();
            for sql in [
                "INSERT INTO cases (reference, kind, intressentkod, state, input_json, content_hash, created_at, \
                 updated_at) VALUES ('A', 'k', 'IK', 'sent', '{}', 'h', 't', 't'), \
                 ('B', 'k', 'IK', 'journal', '{}', 'h', 't', 't'), ('C', 'k', 'IK', 'held', '{}', 'h', 't', 't')",
                "DELETE FROM cases WHERE reference = 'C'",
                "INSERT INTO case_events (case_id, to_state, actor, at) VALUES (1, 'sent', 'x', 't'), \
                 (2, 'journal', 'x', 't')",
                "INSERT INTO files (intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, \
                 missiv_name, missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, created_at) \
                 VALUES ('IK', 'l', 'F', 1, 'sent', 'f', x'01', 's', 'm', x'02', 's', 1, 1, 0, 'tx', 't')",
                "INSERT INTO file_cases (file_id, case_id) VALUES (1, 1)",
                "UPDATE cases SET file_id = 1 WHERE id = 1",
            ] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        let store = Store::open(&url, 1).await.unwrap();
        let cases = store.list_cases(&[]).await.unwrap();
        assert_eq!(
            cases
                .iter()
                .map(|c| (c.id, c.reference.as_str(), c.state))
                .collect::<Vec<_>>(),
            vec![(1, "A", CaseState::Sent), (2, "B", CaseState::Journal)]
        );
        assert_eq!(store.case_events(1).await.unwrap().len(), 1);
        assert_eq!(store.file_case_ids(1).await.unwrap(), vec![1]);
        assert_eq!(
            store.file_by_id(1).await.unwrap().unwrap().state,
            FileState::Sent
        );
        // The counter survived: case 3 was deleted, so the next case is 4, not 3.
        let t = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let out = store
            .upsert_cases(
                &[crate::store::NewCase {
                    reference: "D".into(),
                    kind: "k".into(),
                    intressentkod: "IK".into(),
                    state: CaseState::Journal,
                    input_json: "{}".into(),
                    case_json: None,
                    content_hash: "h".into(),
                    issues_json: "[]".into(),
                    hold_reason: None,
                    concerns: None,
                    malnummer: None,
                    source: None,
                    source_line: None,
                    search_keys: None,
                    debtor_keys: None,
                }],
                "test",
                t,
            )
            .await
            .unwrap();
        assert_eq!(out, vec![UpsertOutcome::Inserted { id: 4 }]);
        // The foreign keys point at the rebuilt tables: deleting a case cascades to its events.
        with_pool!(store, |pool, DB| {
            let fk: Vec<(String,)> =
                sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_list('case_events')")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            assert_eq!(fk, vec![("cases".to_string(),)]);
            let idx: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            // The seven of 0001–0003, rebuilt by 0004, 0005's session index, 0006's console indexes as 0010 left
            // them, 0009's follow-up index, and 0011's open alerts and files by receipt time.
            let names: Vec<&str> = idx.iter().map(|(n,)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "alert_log_open",
                    "api_sessions_expires_at",
                    "case_deadlines_due",
                    "case_events_case",
                    "case_events_charted",
                    "case_keys_key",
                    "case_notes_case",
                    "cases_concerns",
                    "cases_created_at",
                    "cases_kind_state",
                    "cases_malnummer",
                    "cases_reference",
                    "cases_state",
                    "file_cases_case",
                    "files_file_name",
                    "files_receipted_at",
                    "files_series",
                    "files_state",
                    "ledger_entries_case",
                ]
            );
        });
    }

    /// The console's search and chart read ranges of indexes, never the whole table (SQLite's plan; the same
    /// statements run on PostgreSQL with its bytewise indexes).
    #[tokio::test]
    async fn search_and_chart_read_through_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = Store::open(&url, 1).await.unwrap();
        let plan = |sql: String| {
            let store = &store;
            async move {
                with_pool!(store, |pool, DB| {
                    let rows: Vec<(i64, i64, i64, String)> =
                        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                            .bind("R-1")
                            .bind("R-1\u{10FFFF}")
                            .bind(10i64)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
                })
            }
        };
        let search = plan(console::search_sql("")).await;
        for index in ["cases_reference", "cases_malnummer", "case_keys_key"] {
            assert!(search.contains(index), "{index} not used:\n{search}");
        }
        let full_scan = |plan: &str| {
            plan.lines().any(|l| {
                let l = l.trim_start();
                ["SCAN cases", "SCAN case_keys", "SCAN case_events"]
                    .iter()
                    .any(|t| l.starts_with(t))
                    && !l.contains("INDEX")
            })
        };
        assert!(!full_scan(&search), "a full scan:\n{search}");
        let chart = plan(format!(
            "SELECT substr(at, 1, 13), to_state, COUNT(*) FROM case_events WHERE at >= $1 \
             AND to_state IN ({}) AND to_state IN ('sent') AND $2 = $2 AND $3 = $3 GROUP BY 1, 2",
            console::charted_states_sql()
        ))
        .await;
        assert!(chart.contains("case_events_charted"), "{chart}");
        assert!(!full_scan(&chart), "a full scan:\n{chart}");
        // The debtor search is a range of `debtor_keys`' primary key, the latency chart one of its index.
        let plan2 = |sql: String, a: String| {
            let store = &store;
            async move {
                with_pool!(store, |pool, DB| {
                    let rows: Vec<(i64, i64, i64, String)> =
                        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                            .bind(a)
                            .bind(10i64)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
                })
            }
        };
        let debtors = plan2(debtor_keys::debtor_search_sql(), "id:191212121212".into()).await;
        assert!(
            debtors.contains("SEARCH debtor_keys USING PRIMARY KEY (key=?)"),
            "{debtors}"
        );
        assert!(!full_scan(&debtors), "a full scan:\n{debtors}");
        let latency = plan2(
            console::KVITTENS_LATENCY_SQL.to_string(),
            "2026-11-01T00:00:00Z".into(),
        )
        .await;
        assert!(latency.contains("files_receipted_at"), "{latency}");
        assert!(
            !latency.contains("SCAN files\n") && !latency.ends_with("SCAN files"),
            "{latency}"
        );
        // The follow-up checks' look-up of earlier nedsättningar uses the partial index of 0009.
        let reductions = with_pool!(store, |pool, DB| {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", cases::REDUCTIONS_SQL))
                    .bind("IK")
                    .bind("nedsattning")
                    .bind("R-1")
                    .bind("R-2")
                    .bind(CaseState::Invalid)
                    .bind(CaseState::Withdrawn)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
        });
        assert!(reductions.contains("cases_concerns"), "{reductions}");
    }
}
