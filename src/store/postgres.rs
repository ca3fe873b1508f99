//! The PostgreSQL side of the [`Dialect`]: connection (with an optional schema for tests), migrations, row locks.

use super::{Dialect, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult};
use sqlx::Postgres;
use std::str::FromStr;

impl Dialect for Postgres {
    const LOCK_ROWS: &'static str = " FOR UPDATE";
    const CLAIM_ROWS: &'static str = " FOR UPDATE SKIP LOCKED";
    const JSON_TEXT_ELEMENTS: &'static str = "SELECT jsonb_array_elements_text($1::jsonb)";
    const SINGLE_SENDER: bool = false;
    const CREDITOR_DIGITS: &'static str = "(case_json::jsonb -> 'creditor' -> 'id' ->> 'digits')";
    const BYTEWISE: &'static str = " COLLATE \"C\"";
    const IDS_BY_RANGE: bool = false;

    fn last_insert_id(_done: &PgQueryResult) -> Option<i64> {
        None
    }

    async fn after_begin(_conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

/// Connects to `url` and migrates; `schema` (letters, digits and `_`; created if missing) becomes the search path.
pub(super) async fn connect(
    url: &str,
    max_connections: u32,
    schema: Option<&str>,
) -> Result<PgPool, StoreError> {
    let bad = |message: String| StoreError::Url {
        url: url.to_string(),
        message,
    };
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
    Ok(pool)
}

/// See [`super::migration_status`].
pub(super) async fn migration_status(url: &str) -> Result<super::MigrationStatus, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|e| StoreError::Unreachable(format!("cannot connect: {e}")))?;
    // None when the table is missing: a database never migrated.
    let applied: Vec<(i64,)> = sqlx::query_as(super::APPLIED_MIGRATIONS)
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
    let applied = applied.into_iter().map(|v| v.0).collect();
    pool.close().await;
    Ok(super::MigrationStatus {
        known: sqlx::migrate!("./migrations/postgres")
            .iter()
            .map(|m| m.version)
            .collect(),
        applied,
    })
}
