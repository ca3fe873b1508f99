//! The simulated node's own SQLite file (sqlx directly, never the fogd store): stored messages per outbox, their
//! state (received → fetched), acknowledgement, and list withholding. Survives restarts.

use crate::shs::ListEntry;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::time::Duration;

/// Opens (creating if needed) the state file and its tables.
pub async fn open(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::fsperm::create_private_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    crate::fsperm::create_private_file(path).map_err(sqlx::Error::Io)?;
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS shs_messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            tx_id TEXT NOT NULL UNIQUE,
            outbox TEXT NOT NULL,
            sender TEXT NOT NULL,
            corr_id TEXT NOT NULL,
            content_id TEXT NOT NULL,
            product TEXT NOT NULL,
            sequence_type TEXT NOT NULL,
            arrival TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'received',
            state_changed TEXT NOT NULL,
            acked INTEGER NOT NULL DEFAULT 0,
            hidden_lists INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL,
            entry_json TEXT NOT NULL,
            raw BLOB NOT NULL
        )",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "CREATE INDEX IF NOT EXISTS shs_messages_outbox ON shs_messages (outbox, state, seq)",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

/// A stored message's header data.
#[derive(Debug, Clone)]
pub struct StoredMeta {
    /// `tx.id`.
    pub tx_id: String,
    /// Recipient org number.
    pub outbox: String,
    /// Sender org number.
    pub sender: String,
    /// `corr.id`.
    pub corr_id: String,
    /// `content.id`.
    pub content_id: String,
    /// Product (plain).
    pub product: String,
    /// `sequence-type`.
    pub sequence_type: String,
    /// Arrival (node-local `yyyy-MM-ddTHH:mm:ss`).
    pub arrival: String,
    /// `received` or `fetched`.
    pub state: String,
    /// State change time.
    pub state_changed: String,
    /// Acknowledged.
    pub acked: bool,
    /// Size of the stored message.
    pub size: i64,
    /// The list entry.
    pub entry: ListEntry,
}

type MetaRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
);

const META_COLS: &str =
    "tx_id, outbox, sender, corr_id, content_id, product, sequence_type, arrival, state, state_changed, acked, size, entry_json";

fn meta(r: MetaRow) -> Result<StoredMeta, sqlx::Error> {
    let entry: ListEntry =
        serde_json::from_str(&r.12).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(StoredMeta {
        tx_id: r.0,
        outbox: r.1,
        sender: r.2,
        corr_id: r.3,
        content_id: r.4,
        product: r.5,
        sequence_type: r.6,
        arrival: r.7,
        state: r.8,
        state_changed: r.9,
        acked: r.10 != 0,
        size: r.11,
        entry,
    })
}

/// A new message to insert.
pub struct NewMessage<'a> {
    /// Header data (state/acked ignored).
    pub meta: &'a StoredMeta,
    /// Hide from this many list calls.
    pub hidden_lists: i64,
    /// The whole MIME message.
    pub raw: &'a [u8],
}

/// Inserts a message; returns false when the `tx.id` already exists (nothing changed).
pub async fn insert<'c, E>(ex: E, m: NewMessage<'_>) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let entry =
        serde_json::to_string(&m.meta.entry).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let r = sqlx::query(
        "INSERT OR IGNORE INTO shs_messages (tx_id, outbox, sender, corr_id, content_id, product, sequence_type, arrival,
           state, state_changed, acked, hidden_lists, size, entry_json, raw)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, 0, ?, ?, ?, ?)",
    )
    .bind(&m.meta.tx_id)
    .bind(&m.meta.outbox)
    .bind(&m.meta.sender)
    .bind(&m.meta.corr_id)
    .bind(&m.meta.content_id)
    .bind(&m.meta.product)
    .bind(&m.meta.sequence_type)
    .bind(&m.meta.arrival)
    .bind(&m.meta.arrival)
    .bind(m.hidden_lists)
    .bind(m.raw.len() as i64)
    .bind(entry)
    .bind(m.raw)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The message with this `tx.id`, any outbox.
pub async fn get(pool: &SqlitePool, tx_id: &str) -> Result<Option<StoredMeta>, sqlx::Error> {
    let row: Option<MetaRow> = sqlx::query_as(&format!(
        "SELECT {META_COLS} FROM shs_messages WHERE tx_id = ?"
    ))
    .bind(tx_id)
    .fetch_optional(pool)
    .await?;
    row.map(meta).transpose()
}

/// Messages in `received` state for an outbox, arrival order; entries still withheld are skipped and their
/// withholding counted down.
pub async fn listable(pool: &SqlitePool, outbox: &str) -> Result<Vec<StoredMeta>, sqlx::Error> {
    let mut tx = begin_write(pool).await?;
    let rows: Vec<(MetaRow, i64)> = sqlx::query_as::<_, (String, String, String, String, String, String, String, String, String, String, i64, i64, String, i64)>(
        &format!("SELECT {META_COLS}, hidden_lists FROM shs_messages WHERE outbox = ? AND state = 'received' ORDER BY seq"),
    )
    .bind(outbox)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| ((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12), r.13))
    .collect();
    sqlx::query("UPDATE shs_messages SET hidden_lists = hidden_lists - 1 WHERE outbox = ? AND state = 'received' AND hidden_lists > 0")
        .bind(outbox)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.into_iter()
        .filter(|(_, h)| *h <= 0)
        .map(|(r, _)| meta(r))
        .collect()
}

/// Begins a write transaction that holds the write lock from its start: its first statement is a write that
/// changes nothing. Every transaction of the simulator reads and then writes; begun deferred and left to read
/// first, its first write fails with "database is locked" (SQLITE_BUSY or SQLITE_BUSY_SNAPSHOT, not retried by the
/// busy timeout) when another connection writes in between. Not `BEGIN IMMEDIATE`: with sqlx 0.8, a transaction
/// cut off while its `BEGIN` runs can leave the connection inside it without the guard that rolls it back, and an
/// immediate one left so keeps the write lock for good; this lock is taken inside a begun transaction instead.
pub async fn begin_write(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE shs_messages SET seq = seq WHERE seq = -1")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Every message (admin view), newest first, optionally for one outbox.
pub async fn all(pool: &SqlitePool, outbox: Option<&str>) -> Result<Vec<StoredMeta>, sqlx::Error> {
    let rows: Vec<MetaRow> = match outbox {
        Some(o) => {
            sqlx::query_as(&format!(
                "SELECT {META_COLS} FROM shs_messages WHERE outbox = ? ORDER BY seq DESC"
            ))
            .bind(o)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {META_COLS} FROM shs_messages ORDER BY seq DESC"
            ))
            .fetch_all(pool)
            .await?
        }
    };
    rows.into_iter().map(meta).collect()
}

/// The raw bytes of a message in `received` state for this outbox.
pub async fn raw_for_fetch(
    pool: &SqlitePool,
    outbox: &str,
    tx_id: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let r: Option<(Vec<u8>,)> = sqlx::query_as(
        "SELECT raw FROM shs_messages WHERE outbox = ? AND tx_id = ? AND state = 'received'",
    )
    .bind(outbox)
    .bind(tx_id)
    .fetch_optional(pool)
    .await?;
    Ok(r.map(|r| r.0))
}

/// Marks a message fetched (it leaves the list).
pub async fn mark_fetched(pool: &SqlitePool, tx_id: &str, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE shs_messages SET state = 'fetched', state_changed = ? WHERE tx_id = ?")
        .bind(at)
        .bind(tx_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Sets the acknowledged flag; returns the previous value.
pub async fn mark_acked(pool: &SqlitePool, tx_id: &str, at: &str) -> Result<bool, sqlx::Error> {
    let prev: Option<(i64,)> = sqlx::query_as("SELECT acked FROM shs_messages WHERE tx_id = ?")
        .bind(tx_id)
        .fetch_optional(pool)
        .await?;
    sqlx::query(
        "UPDATE shs_messages SET acked = 1, state_changed = ? WHERE tx_id = ? AND acked = 0",
    )
    .bind(at)
    .bind(tx_id)
    .execute(pool)
    .await?;
    Ok(prev.is_some_and(|p| p.0 != 0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::shs::label::Address;
    use crate::shs::{Label, Status};

    const OUTBOX: &str = "0000000000";

    /// A message to `OUTBOX`, with a fresh `tx.id`, stored as the node stores what it receives.
    fn meta() -> StoredMeta {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        let label = Label::new_event(
            Address::new("5560360793", None),
            Address::new(OUTBOX, None),
            "p",
            Status::Test,
            at,
        );
        crate::sim::node::stored_meta(&label, "2026-11-21T10:00:00", 1)
    }

    /// Lists (a read, then a write of `hidden_lists`) beside inserts on other connections: none fails. Begun
    /// deferred and reading first, a list failed with SQLITE_BUSY_SNAPSHOT when an insert committed between its
    /// read and its write (seen once in `tests/sim_kronofogden.rs`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn lists_beside_inserts_do_not_fail() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("sim.db")).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..60 {
                    let m = meta();
                    let new = NewMessage {
                        meta: &m,
                        hidden_lists: 1,
                        raw: b"x",
                    };
                    assert!(insert(&pool, new).await.unwrap());
                    listable(&pool, OUTBOX).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // Every message was hidden from one list and has been listed since (each task lists after its insert).
        assert_eq!(listable(&pool, OUTBOX).await.unwrap().len(), 240);
    }
}
