//! Change detection for caches: a read-only SQLite connection that asks `PRAGMA data_version`, which changes
//! whenever any other connection or process commits to the database file. The API's response cache uses it.

use super::StoreError;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::PathBuf;

/// Watches one SQLite database file for commits by others. Connects lazily and reconnects after an error.
#[derive(Debug)]
pub struct DataVersion {
    options: sqlx::sqlite::SqliteConnectOptions,
    conn: Option<SqliteConnection>,
}

impl DataVersion {
    /// A watcher for the database at `path` (nothing is opened until the first [`DataVersion::read`]).
    pub fn new(path: PathBuf) -> Self {
        Self {
            options: sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true),
            conn: None,
        }
    }

    /// The current data version; a different value than last time means someone committed. On error the
    /// connection is dropped, so the next call reconnects.
    pub async fn read(&mut self) -> Result<i64, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(self.options.connect().await?);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        };
        match sqlx::query_as::<_, (i64,)>("PRAGMA data_version")
            .fetch_one(&mut *conn)
            .await
        {
            Ok((v,)) => Ok(v),
            Err(e) => {
                self.conn = None;
                Err(e.into())
            }
        }
    }

    /// Closes the connection, if open.
    pub async fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            let _ = c.close().await;
        }
    }
}
