//! The database: SQLite (embedded default) or PostgreSQL behind one repository API.
//!
//! [`Store::open`] takes the `[database] url`. SQLite files (and their directories) are created on first use and
//! opened with WAL, `synchronous=FULL`, foreign keys on and an explicit busy timeout. Migrations live in
//! `migrations/sqlite/` and `migrations/postgres/` (the same schema). SQL is kept portable: `$1` placeholders
//! (SQLite accepts them too), no backend-specific functions; where a statement must differ, [`with_pool!`] runs
//! the same code against either pool type. Each area has its own `impl Store` file (`cases.rs`, …).

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Set-based case moves (whole files, pages of cases) for the engine's hot paths.
pub mod bulk;
pub mod cases;
pub mod files;
/// Read-only queries for ops views, the API and reports.
pub mod ops;
/// API tokens and the run log of scheduled jobs.
pub mod retention;
pub mod tokens;
pub mod watch;

pub use cases::{CaseEvent, CaseRow, NewCase, UpsertOutcome};
pub use files::{
    BatchCandidate, CaseFileInfo, CaseUpdate, FileRow, InboundRow, NewFile, NewInbound, StoreTx,
};
pub use tokens::{JobRun, Permission, Role, SessionRow, TokenRow};

/// How long SQLite waits for a lock held by another connection or process before failing.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Stored data that cannot be read back (a bug or a hand-edited database).
    #[error("stored data of case {id}: {message}")]
    Corrupt {
        /// The case id.
        id: i64,
        /// What is wrong.
        message: String,
    },
    /// A case that cannot be replaced any more (intake.md §1).
    #[error("case {reference} ({kind}) is {state} and cannot be replaced; corrections after sending go through nedsattning, aterkallelse or verkstallighet_andring")]
    Refused {
        /// The reference.
        reference: String,
        /// The kind.
        kind: String,
        /// The state it is in.
        state: String,
    },
}

/// SQLite page cache per connection (negative: KiB), 16 MiB instead of the default 2 MiB, so that an intake batch
/// (a few MB of rows and index pages) is built in memory instead of spilling pages to the WAL mid-transaction.
const SQLITE_CACHE_SIZE: &str = "-16384";

/// SQLite page size of a new database file, 32 KiB instead of the default 4 KiB. A case row is about 1 KB (its
/// validated JSON), so 4 KiB pages hold three or four rows, and every page goes through the WAL and the
/// checkpoint as a write of its own: with bigger pages an import writes the same bytes in far fewer writes.
/// `examples/bench_import.rs`, 100,000 cases: 4 KiB → 16 KiB took a quarter off the import time, 16 → 32 KiB
/// another 5–8 %, 64 KiB no more. The cost is that a single-row change writes a whole page to the WAL, which
/// matters little here: state changes come in sets (a file's cases). Only applies when the file is created: an
/// existing database keeps its page size (SQLite cannot change it in WAL mode).
pub const SQLITE_PAGE_SIZE: u32 = 32768;

/// A write that changes nothing, run first in every SQLite write transaction so that the transaction takes
/// SQLite's write lock at its start. A deferred transaction that reads first holds a read snapshot, and its first
/// write fails at once, without the busy timeout, when another connection holds the write lock (SQLITE_BUSY, 5) or
/// has committed since the snapshot (SQLITE_BUSY_SNAPSHOT, 517), both "database is locked": waiting could
/// deadlock, so SQLite does not. A first statement that writes waits for the lock (the busy timeout applies, as no
/// snapshot is held yet) and then reads the newest data. Test: `tests/intake_storage.rs`, four writers at once.
///
/// Why not `BEGIN IMMEDIATE`: with sqlx 0.8, a transaction whose future is cut off while its `BEGIN` runs (a client
/// gone mid-request, a cancelled handler) can leave the connection inside the transaction without the guard that
/// rolls it back, and an immediate transaction left so keeps the write lock for good (the crash harness stalled on
/// it). Here the lock is taken by a statement inside a begun transaction, whose guard rolls it back when dropped.
pub const SQLITE_TAKE_WRITE_LOCK: &str = "UPDATE cases SET id = id WHERE id = -1";

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

/// Runs `$body` with `$tx` bound to a write transaction begun on the connection of a [`WriteSession`] (on SQLite
/// holding the write lock, see [`SQLITE_TAKE_WRITE_LOCK`]) and `$DB` to the database type, like [`with_pool!`].
#[macro_export]
macro_rules! in_write_tx {
    ($session:expr, |$tx:ident, $DB:ident| $body:expr) => {
        match $session {
            $crate::store::WriteSession::Sqlite(conn) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                let mut $tx = sqlx::Connection::begin(&mut **conn).await?;
                sqlx::query($crate::store::SQLITE_TAKE_WRITE_LOCK)
                    .execute(&mut *$tx)
                    .await?;
                $body
            }
            $crate::store::WriteSession::Postgres(conn) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                let mut $tx = sqlx::Connection::begin(&mut **conn).await?;
                $body
            }
        }
    };
}

/// The connection pool of either backend.
#[derive(Debug, Clone)]
pub enum Pool {
    /// Embedded SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The repository: every database access of fogd goes through a `Store`.
#[derive(Debug, Clone)]
pub struct Store {
    /// The pool (public so that later areas can add their own `impl Store` blocks in this module's files).
    pub pool: Pool,
}

/// Runs `$body` with `$p` bound to the concrete pool (`&SqlitePool` or `&PgPool`) and `$DB` to the database type,
/// so one piece of portable sqlx code serves both backends.
#[macro_export]
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

/// The filesystem path of a SQLite URL (`sqlite://fogd-data/fogd.db`, `sqlite:x.db?mode=rwc`), `None` for memory.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

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
        let bad = |message: String| StoreError::Url {
            url: url.to_string(),
            message,
        };
        if url.starts_with("sqlite:") {
            if let Some(path) = sqlite_path(url) {
                // Private to the owner whatever the umask: directory 0700, database file (and so its WAL) 0600.
                let dir_err = |dir: &std::path::Path, source| StoreError::Dir {
                    path: dir.display().to_string(),
                    source,
                };
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::fsperm::create_private_dir_all(dir).map_err(|e| dir_err(dir, e))?;
                }
                crate::fsperm::create_private_file(&path).map_err(|e| dir_err(&path, e))?;
            }
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| bad(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("cache_size", SQLITE_CACHE_SIZE)
                // sqlx issues page_size before journal_mode, so a new file is created with it.
                .page_size(SQLITE_PAGE_SIZE);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Ok(Store {
                pool: Pool::Sqlite(pool),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut opts = PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
            if let Some(schema) = schema {
                if !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(bad(format!(
                        "schema name {schema:?} must be letters, digits and _"
                    )));
                }
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts.clone())
                    .await?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                opts = opts.options([("search_path", schema)]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Ok(Store {
                pool: Pool::Postgres(pool),
            })
        } else {
            Err(bad("must start with sqlite: or postgres://".into()))
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Takes a connection from the pool for a run of writes (see [`WriteSession`]).
    pub async fn write_session(&self) -> Result<WriteSession, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => WriteSession::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => WriteSession::Postgres(p.acquire().await?),
        })
    }

    /// Closes the pool (flushes SQLite's WAL on the last connection).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
