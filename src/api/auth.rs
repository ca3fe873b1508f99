//! Who is calling: bearer tokens and sign-in sessions.
//!
//! Readings: sessions are stored in the database (`api_sessions`, only the hash of the random cookie value), so
//! they survive a restart of `fogd serve`; each lasts [`SESSION_TTL`]. A session is read joined with its token,
//! and both look-ups are cached for [`TOKEN_CACHE_TTL`] to keep the database off the hot path: a revoked token
//! stops working — as a bearer token and in every session signed in with it — within that time.
//!
//! A state-changing request authenticated by the session cookie (not a bearer token) must also show that it comes
//! from fogd's own page: an `Origin` (or `Referer`) of this server, or the session's anti-forgery token in
//! `X-CSRF-Token` ([`identify`]); forms carry the token as a hidden field.

use super::security::{provenance, Provenance};
use super::{ApiError, AppState};
use crate::store::tokens::hash_token;
use crate::store::{Permission, SessionRow, Store, StoreError, TokenRow};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "fogd_session";
/// How long a sign-in lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long a token look-up is cached.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);

/// Header that carries the session's anti-forgery token on API calls made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Most cached look-ups (the cache is cleared beyond).
const MAX_CACHED: usize = 10_000;

/// Cached session and token look-ups, and the sign-in throttle.
#[derive(Debug, Default)]
pub struct AuthCache {
    sessions: Mutex<HashMap<String, (Option<SessionRow>, Instant)>>,
    tokens: Mutex<HashMap<String, (Option<TokenRow>, Instant)>>,
    lookups: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Failed sign-ins per client address.
    pub signin: super::security::SigninThrottle,
}

/// A session as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's anti-forgery token.
    pub csrf: String,
}

impl AuthCache {
    /// Starts a session for `token`; returns the cookie value and the session's anti-forgery token.
    pub async fn start_session(
        &self,
        store: &Store,
        token: &TokenRow,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, String), StoreError> {
        let id = crate::store::tokens::generate_token();
        let csrf = crate::store::tokens::generate_token();
        let ttl = chrono::Duration::from_std(SESSION_TTL).unwrap_or(chrono::Duration::hours(12));
        store
            .create_session(&hash_token(&id), token.id, &csrf, now, now + ttl)
            .await?;
        Ok((id, csrf))
    }

    /// Ends the session with this cookie value.
    pub async fn end_session(&self, store: &Store, id: &str) -> Result<(), StoreError> {
        let key = hash_token(id);
        if let Ok(mut s) = self.sessions.lock() {
            s.remove(&key);
        }
        store.delete_session(&key).await
    }

    /// The live session with this cookie value (cached for [`TOKEN_CACHE_TTL`]).
    pub async fn session(
        &self,
        store: &Store,
        id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let key = hash_token(id);
        if let Ok(s) = self.sessions.lock() {
            if let Some((row, at)) = s.get(&key) {
                let live = row.as_ref().is_none_or(|r| r.expires_at > now);
                if at.elapsed() < TOKEN_CACHE_TTL && live {
                    return Ok(row.clone());
                }
            }
        }
        let row = store.find_session(&key, now).await?;
        if let Ok(mut s) = self.sessions.lock() {
            if s.len() > MAX_CACHED {
                s.clear();
            }
            s.insert(key, (row.clone(), Instant::now()));
        }
        Ok(row)
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token used (directly or through a session).
    pub token: TokenRow,
    /// The session, when the caller came with the session cookie.
    pub session: Option<Session>,
}

impl Caller {
    /// Fails with 403 unless the caller's role allows `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.token.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("role {} may not do this", self.token.role),
            ))
        }
    }

    /// The actor name written into the audit trail.
    pub fn actor(&self) -> String {
        format!("api:{}", self.token.name)
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn cached_token(state: &AppState, key: &str) -> Option<Option<TokenRow>> {
    let cache = state.auth.tokens.lock().ok()?;
    let (row, at) = cache.get(key)?;
    (at.elapsed() < TOKEN_CACHE_TTL).then(|| row.clone())
}

/// Looks up a bearer token (cached for [`TOKEN_CACHE_TTL`]). When the cached answer expires, one request per token
/// asks the database (single flight) and records the token's last use, while the others wait for its answer.
pub async fn token_lookup(state: &AppState, token: &str) -> Result<Option<TokenRow>, ApiError> {
    let key = hash_token(token);
    if let Some(row) = cached_token(state, &key) {
        return Ok(row);
    }
    let lock = match state.auth.lookups.lock() {
        Ok(mut l) => {
            if l.len() > MAX_CACHED {
                l.clear();
            }
            l.entry(key.clone()).or_default().clone()
        }
        Err(_) => Arc::default(),
    };
    let _one = lock.lock().await;
    if let Some(row) = cached_token(state, &key) {
        return Ok(row);
    }
    let row = state.store.find_token(token).await?;
    if let Some(r) = &row {
        // Awaited, not spawned: a write racing the request's own write transaction could make that fail.
        if let Err(e) = state.store.touch_token(r.id, state.clock.now()).await {
            tracing::warn!(error = %e, "cannot record token use");
        }
    }
    if let Ok(mut cache) = state.auth.tokens.lock() {
        if cache.len() > MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, (row.clone(), Instant::now()));
    }
    Ok(row)
}

/// The caller of a request, if it carries a valid bearer token or session cookie. A state-changing request with
/// the session cookie must come from this server's own origin or carry the session's token in `X-CSRF-Token`
/// (403 otherwise).
pub async fn identify(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let text = h.to_str().unwrap_or("");
        let Some(token) = text.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Authorization must be `Bearer <token>`",
            ));
        };
        return match token_lookup(state, token).await? {
            Some(token) => Ok(Some(Caller {
                token,
                session: None,
            })),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unknown or revoked token",
            )),
        };
    }
    let Some(id) = cookie(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(row) = state
        .auth
        .session(&state.store, &id, state.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let safe = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if !safe {
        let conn = parts.extensions.get::<crate::http_server::ConnInfo>();
        let token_ok = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| super::security::tokens_equal(t.trim(), &row.csrf));
        let same_origin = provenance(&state.config, &parts.headers, conn) == Provenance::SameOrigin;
        if !(token_ok || same_origin) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "a state-changing request with the session cookie must come from fogd's own page \
                 (Origin of this server) or carry the session's X-CSRF-Token; API clients use a bearer token",
            ));
        }
    }
    Ok(Some(Caller {
        token: row.token,
        session: Some(Session { csrf: row.csrf }),
    }))
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        identify(parts, state).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "sign in: send `Authorization: Bearer <token>` (fogd token create)",
            )
        })
    }
}

/// The caller if known, for pages that show a sign-in form instead of a 401.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Arc<AppState>> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(identify(parts, state).await.ok().flatten()))
    }
}
