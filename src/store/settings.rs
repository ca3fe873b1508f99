//! Installation settings the database keeps (`migrations/*/0008_settings.sql`): the layout edition this
//! installation started with (fogd-ref-2.md §1, `[layouts] edition`).

use super::{with_pool, Store, StoreError};

/// The settings key of the layout edition.
pub const LAYOUTS_EDITION: &str = "layouts.edition";

impl Store {
    /// The layout edition this database started with: the recorded one, or — for a database that has none yet
    /// (new, or without cases and files at migration 0008) — `default`, recorded now.
    pub async fn layouts_edition(&self, default: &str) -> Result<String, StoreError> {
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(LAYOUTS_EDITION)
            .bind(default)
            .execute(pool)
            .await?
            .rows_affected()
        });
        let row: Option<(String,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                .bind(LAYOUTS_EDITION)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map_or_else(|| default.to_string(), |r| r.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_database_records_the_default_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.db").display());
        let store = Store::open(&url, 1).await.unwrap();
        assert_eq!(
            store.layouts_edition("FOGD-REF-2").await.unwrap(),
            "FOGD-REF-2"
        );
        // A later default (a newer release) does not move it.
        assert_eq!(
            store.layouts_edition("FOGD-REF-9").await.unwrap(),
            "FOGD-REF-2"
        );
    }

    /// A database that held cases before migration 0008 started on FOGD-REF-1 and keeps it.
    #[tokio::test]
    async fn a_database_with_cases_before_0008_keeps_fogd_ref_1() {
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
                .filter(|m| m.version < 8)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            old.run(&pool).await.unwrap();
            sqlx::query(
                "INSERT INTO cases (reference, kind, intressentkod, state, input_json, content_hash, created_at, \
                 updated_at) VALUES ('A', 'betalningsforelaggande', 'IK', 'journal', '{}', 'h', 't', 't')",
            )
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        let store = Store::open(&url, 1).await.unwrap();
        assert_eq!(
            store.layouts_edition("FOGD-REF-2").await.unwrap(),
            "FOGD-REF-1"
        );
    }
}
