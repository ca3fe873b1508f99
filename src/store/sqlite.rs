//! The SQLite side of the [`Dialect`]: connection options, migrations, and the statement that takes the write lock.

use super::{Dialect, StoreError, SQLITE_BUSY_TIMEOUT};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::Sqlite;
use std::str::FromStr;

/// SQLite page cache per connection (negative: KiB), 16 MiB instead of the default 2 MiB, so that an intake batch
/// (a few MB of rows and index pages) is built in memory instead of spilling pages to the WAL mid-transaction.
const CACHE_SIZE: &str = "-16384";

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
const TAKE_WRITE_LOCK: &str = "UPDATE cases SET id = id WHERE id = -1";

impl Dialect for Sqlite {
    const LOCK_ROWS: &'static str = "";
    const CLAIM_ROWS: &'static str = "";
    const JSON_TEXT_ELEMENTS: &'static str = "SELECT value FROM json_each($1)";
    const SINGLE_SENDER: bool = true;
    const CREDITOR_DIGITS: &'static str = "json_extract(case_json, '$.creditor.id.digits')";
    const BYTEWISE: &'static str = "";
    const IDS_BY_RANGE: bool = true;

    fn last_insert_id(done: &SqliteQueryResult) -> Option<i64> {
        Some(done.last_insert_rowid())
    }

    async fn after_begin(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
        sqlx::query(TAKE_WRITE_LOCK).execute(conn).await?;
        Ok(())
    }
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

/// Opens (creating the file and its directory) and migrates the database at `url`: WAL, `synchronous=FULL`,
/// foreign keys on, an explicit busy timeout.
pub(super) async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, StoreError> {
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
        .map_err(|e| StoreError::Url {
            url: url.to_string(),
            message: e.to_string(),
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .pragma("cache_size", CACHE_SIZE)
        // sqlx issues page_size before journal_mode, so a new file is created with it.
        .page_size(SQLITE_PAGE_SIZE);
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .connect_with(opts)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// See [`super::migration_status`].
pub(super) async fn migration_status(url: &str) -> Result<super::MigrationStatus, StoreError> {
    let path =
        sqlite_path(url).ok_or_else(|| StoreError::Unreachable("in-memory database".into()))?;
    if !path.exists() {
        return Err(StoreError::Unreachable(format!(
            "{} does not exist (fogd serve or fogd import creates it)",
            path.display()
        )));
    }
    let opts = SqliteConnectOptions::new().filename(&path).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| StoreError::Unreachable(format!("cannot open {}: {e}", path.display())))?;
    // None when the table is missing: a database never migrated.
    let applied: Vec<(i64,)> = sqlx::query_as(super::APPLIED_MIGRATIONS)
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
    let applied = applied.into_iter().map(|v| v.0).collect();
    pool.close().await;
    Ok(super::MigrationStatus {
        known: sqlx::migrate!("./migrations/sqlite")
            .iter()
            .map(|m| m.version)
            .collect(),
        applied,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::{Pool, Store};

    /// The pragmas of ARCHITECTURE.md, read on the store's own connections (they are per-connection settings).
    #[tokio::test]
    async fn pragmas_of_architecture_md() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/dir/fogd.db", dir.path().display());
        Store::open(&url, 4).await.unwrap().close().await;
        let again = Store::open(&url, 4).await.unwrap();
        let Pool::Sqlite(pool) = &again.pool else {
            panic!()
        };
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(busy, 10_000);
        // A new file is created with fogd's page size (set before WAL is switched on, or it would not take).
        let (page,): (i64,) = sqlx::query_as("PRAGMA page_size")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(page, i64::from(super::SQLITE_PAGE_SIZE));
    }
}
