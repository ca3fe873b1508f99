//! API tokens (`api_tokens`), sign-in sessions (`api_sessions`) and the run log of scheduled jobs (`job_runs`).
//!
//! A token is 32 random bytes shown once as `fogd_` + 64 hex digits; only its SHA-256 (hex) is stored, so a
//! leaked database does not leak working tokens. Look-up is by hash (an index), so no token comparison happens in
//! application code.

use super::types::StoredTime;
use super::{with_pool, Store, StoreError};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Prefix of every token, so that a token is recognisable in a secret scanner.
pub const TOKEN_PREFIX: &str = "fogd_";

crate::domain::state::named_enum! {
    /// What a token may do. Permissions are decided in one place, [`Role::allows`].
    #[derive(clap::ValueEnum)]
    pub enum Role {
        /// Submits cases (`POST /cases`) and reads their status (`GET /cases/{ref}`).
        Submitter = "submitter",
        /// Everything a viewer may, plus approving the journal.
        Operator = "operator",
        /// Reads everything: cases, files, receipts, stats, the ops page.
        Viewer = "viewer",
        /// Everything.
        Admin = "admin",
    }
}

/// An action guarded by a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Submit cases.
    Submit,
    /// Read one case by reference.
    ReadCase,
    /// Read lists, files, receipts, stats and the ops page.
    View,
    /// Approve or hold journal cases.
    Approve,
    /// Push a file waiting for a send retry to be sent now ("retry now").
    RetrySend,
    /// See debtors' personal and organisation numbers in full (`GET /api/v1/cases…`); without it they are
    /// masked (`19121212-****`). Operators and admins work cases and need the numbers; viewers watch and
    /// submitters are machines that sent the numbers in the first place.
    PersonalNumbers,
}

impl Role {
    /// Whether this role may do `p`. The table: submitter = submit + read a case; viewer = read everything
    /// (personal numbers masked); operator = viewer + approve + retry now + personal numbers in full; admin = all.
    pub fn allows(self, p: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Operator => matches!(
                p,
                Permission::ReadCase
                    | Permission::View
                    | Permission::Approve
                    | Permission::RetrySend
                    | Permission::PersonalNumbers
            ),
            Role::Viewer => matches!(p, Permission::ReadCase | Permission::View),
            Role::Submitter => matches!(p, Permission::Submit | Permission::ReadCase),
        }
    }
}

/// A stored token (without the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TokenRow {
    /// Row id.
    pub id: i64,
    /// A name for people (who or what uses it).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Revoked (RFC 3339), if it is.
    pub revoked_at: Option<String>,
    /// Last used (RFC 3339); updated at most once a minute.
    pub last_used_at: Option<String>,
}

/// The SHA-256 (hex) of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: `fogd_` + 64 hex digits (32 bytes from the OS generator).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// A live sign-in session: its token (not revoked) and its anti-forgery token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The token the session was signed in with.
    pub token: TokenRow,
    /// The session's anti-forgery token (hidden field of the page's forms).
    pub csrf: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// One scheduled job's last run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Job name.
    pub job: String,
    /// The scheduled time of the last run (RFC 3339).
    pub last_due: String,
    /// When it started.
    pub last_started: String,
    /// When it finished, if it did.
    pub last_finished: Option<String>,
    /// Whether it succeeded.
    pub last_ok: Option<bool>,
    /// Its error, if it failed.
    pub last_error: Option<String>,
    /// Runs so far.
    pub runs: i64,
    /// Failures so far.
    pub failures: i64,
}

impl Store {
    /// Creates a token with `name` and `role`; returns its row and the token itself (shown once, never stored).
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(TokenRow, String), StoreError> {
        let token = generate_token();
        let hash = hash_token(&token);
        let created_at = StoredTime(now).text();
        let (id,): (i64,) = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(role)
            .bind(&hash)
            .bind(&created_at)
            .fetch_one(pool)
            .await?
        });
        Ok((
            TokenRow {
                id,
                name: name.to_string(),
                role,
                created_at,
                revoked_at: None,
                last_used_at: None,
            },
            token,
        ))
    }

    /// Every token, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// The live (not revoked) token with this secret, if any.
    pub async fn find_token(&self, token: &str) -> Result<Option<TokenRow>, StoreError> {
        let hash = hash_token(token);
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records that token `id` was used at `now`.
    pub async fn touch_token(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = StoredTime(now);
        with_pool!(self, |pool, DB| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Revokes the token with this id or name; returns how many tokens were revoked.
    pub async fn revoke_token(
        &self,
        id_or_name: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now = StoredTime(now);
        let id: i64 = id_or_name.parse().unwrap_or(-1);
        let done = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE (id = $2 OR name = $3) AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(id_or_name)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done)
    }

    /// Stores a session whose cookie hashes to `id_hash`, for token `token_id`, until `expires`; sessions already
    /// expired are deleted on the way.
    pub async fn create_session(
        &self,
        id_hash: &str,
        token_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (now, expires) = (StoredTime(now).text(), StoredTime(expires).text());
        with_pool!(self, |pool, DB| {
            sqlx::query("DELETE FROM api_sessions WHERE expires_at <= $1")
                .bind(&now)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO api_sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id_hash)
            .bind(token_id)
            .bind(csrf)
            .bind(&now)
            .bind(&expires)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The session whose cookie hashes to `id_hash`, if it has not expired and its token is not revoked.
    pub async fn find_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let now = StoredTime(now).text();
        type Raw = (
            i64,
            String,
            Role,
            String,
            Option<String>,
            Option<String>,
            String,
            StoredTime,
        );
        let row: Option<Raw> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT t.id, t.name, t.role, t.created_at, t.revoked_at, t.last_used_at, s.csrf, s.expires_at \
                 FROM api_sessions s JOIN api_tokens t ON t.id = s.token_id \
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
            )
            .bind(id_hash)
            .bind(&now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| SessionRow {
            token: TokenRow {
                id: r.0,
                name: r.1,
                role: r.2,
                created_at: r.3,
                revoked_at: r.4,
                last_used_at: r.5,
            },
            csrf: r.6,
            expires_at: r.7.into(),
        }))
    }

    /// Ends the session whose cookie hashes to `id_hash`.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool, DB| {
            sqlx::query("DELETE FROM api_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// The last run of `job`, if it ever ran.
    pub async fn job_run(&self, job: &str) -> Result<Option<JobRun>, StoreError> {
        type Raw = (
            String,
            String,
            String,
            Option<String>,
            Option<bool>,
            Option<String>,
            i64,
            i64,
        );
        let row: Option<Raw> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT job, last_due, last_started, last_finished, last_ok, last_error, runs, failures \
                 FROM job_runs WHERE job = $1",
            )
            .bind(job)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| JobRun {
            job: r.0,
            last_due: r.1,
            last_started: r.2,
            last_finished: r.3,
            last_ok: r.4,
            last_error: r.5,
            runs: r.6,
            failures: r.7,
        }))
    }

    /// Records that `job` (due at `due`) started at `started`.
    pub async fn job_started(
        &self,
        job: &str,
        due: DateTime<Utc>,
        started: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (due, started) = (StoredTime(due), StoredTime(started));
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO job_runs (job, last_due, last_started, runs, failures) VALUES ($1, $2, $3, 1, 0) \
                 ON CONFLICT (job) DO UPDATE SET last_due = $2, last_started = $3, last_finished = NULL, \
                 last_ok = NULL, last_error = NULL, runs = job_runs.runs + 1",
            )
            .bind(job)
            .bind(due)
            .bind(started)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Records how `job` ended.
    pub async fn job_finished(
        &self,
        job: &str,
        finished: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let finished = StoredTime(finished);
        let failed: i64 = i64::from(error.is_some());
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE job_runs SET last_finished = $1, last_ok = $2, last_error = $3, failures = failures + $4 \
                 WHERE job = $5",
            )
            .bind(finished)
            .bind(error.is_none())
            .bind(error)
            .bind(failed)
            .bind(job)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format_and_hash() {
        let t = generate_token();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(t, generate_token());
        assert_eq!(hash_token(&t).len(), 64);
        assert_ne!(hash_token(&t), t);
    }

    #[test]
    fn role_table() {
        use Permission::*;
        assert!(Role::Submitter.allows(Submit) && !Role::Submitter.allows(View));
        assert!(
            Role::Viewer.allows(View)
                && !Role::Viewer.allows(Submit)
                && !Role::Viewer.allows(Approve)
        );
        assert!(Role::Operator.allows(Approve) && !Role::Operator.allows(Submit));
        assert!(Role::Operator.allows(PersonalNumbers) && Role::Admin.allows(PersonalNumbers));
        assert!(Role::Operator.allows(RetrySend) && Role::Admin.allows(RetrySend));
        assert!(!Role::Viewer.allows(RetrySend) && !Role::Submitter.allows(RetrySend));
        assert!(!Role::Viewer.allows(PersonalNumbers) && !Role::Submitter.allows(PersonalNumbers));
        assert!(
            [Submit, ReadCase, View, Approve, RetrySend, PersonalNumbers]
                .iter()
                .all(|p| Role::Admin.allows(*p))
        );
        for r in [Role::Submitter, Role::Operator, Role::Viewer, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[tokio::test]
    async fn create_find_revoke_and_job_runs() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::open(&url, 2).await.unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (row, token) = store.create_token("ops", Role::Viewer, now).await.unwrap();
        let found = store.find_token(&token).await.unwrap().unwrap();
        assert_eq!(found.id, row.id);
        assert_eq!(found.role, Role::Viewer);
        assert!(store.find_token("fogd_nope").await.unwrap().is_none());
        assert_eq!(store.revoke_token("ops", now).await.unwrap(), 1);
        assert!(store.find_token(&token).await.unwrap().is_none());
        assert_eq!(store.list_tokens().await.unwrap().len(), 1);

        // Sessions: found while the token lives and the session has not expired.
        let (live, _) = store
            .create_token("lead", Role::Operator, now)
            .await
            .unwrap();
        let later = now + chrono::Duration::hours(1);
        store
            .create_session("h1", live.id, "c1", now, later)
            .await
            .unwrap();
        store
            .create_session("h2", row.id, "c2", now, later)
            .await
            .unwrap();
        let s = store.find_session("h1", now).await.unwrap().unwrap();
        assert_eq!((s.token.id, s.csrf.as_str()), (live.id, "c1"));
        assert!(
            store.find_session("h2", now).await.unwrap().is_none(),
            "revoked token"
        );
        assert!(
            store.find_session("h1", later).await.unwrap().is_none(),
            "expired"
        );
        store.delete_session("h1").await.unwrap();
        assert!(store.find_session("h1", now).await.unwrap().is_none());
        store.revoke_token("lead", now).await.unwrap();

        assert!(store.job_run("send").await.unwrap().is_none());
        store.job_started("send", now, now).await.unwrap();
        store.job_finished("send", now, Some("boom")).await.unwrap();
        store.job_started("send", now, now).await.unwrap();
        store.job_finished("send", now, None).await.unwrap();
        let r = store.job_run("send").await.unwrap().unwrap();
        assert_eq!((r.runs, r.failures, r.last_ok), (2, 1, Some(true)));
    }
}
