//! Who is calling: bearer tokens and sign-in sessions.
//!
//! Readings: sessions live in memory (a restart signs everyone out) and last [`SESSION_TTL`]; the session id in
//! the cookie is random and only its hash is kept. Token look-ups are cached for [`TOKEN_CACHE_TTL`] to keep the
//! database off the hot path, so a revoked token stops working within that time.

use super::{ApiError, AppState};
use crate::store::tokens::hash_token;
use crate::store::{Permission, TokenRow};
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

/// Sessions and cached token look-ups.
#[derive(Debug, Default)]
pub struct AuthCache {
    sessions: Mutex<HashMap<String, (TokenRow, Instant)>>,
    tokens: Mutex<HashMap<String, (Option<TokenRow>, Instant)>>,
    lookups: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl AuthCache {
    /// Starts a session for `token`; returns the cookie value.
    pub fn start_session(&self, token: TokenRow) -> String {
        let id = crate::store::tokens::generate_token();
        if let Ok(mut s) = self.sessions.lock() {
            let now = Instant::now();
            s.retain(|_, (_, at)| now.duration_since(*at) < SESSION_TTL);
            s.insert(hash_token(&id), (token, now));
        }
        id
    }

    /// Ends the session with this cookie value.
    pub fn end_session(&self, id: &str) {
        if let Ok(mut s) = self.sessions.lock() {
            s.remove(&hash_token(id));
        }
    }

    fn session(&self, id: &str) -> Option<TokenRow> {
        let s = self.sessions.lock().ok()?;
        let (row, at) = s.get(&hash_token(id))?;
        (at.elapsed() < SESSION_TTL).then(|| row.clone())
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token used (directly or through a session).
    pub token: TokenRow,
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
            if l.len() > 10_000 {
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
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key, (row.clone(), Instant::now()));
    }
    Ok(row)
}

/// The caller of a request, if it carries a valid bearer token or session cookie.
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
            Some(token) => Ok(Some(Caller { token })),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unknown or revoked token",
            )),
        };
    }
    if let Some(id) = cookie(parts, SESSION_COOKIE) {
        if let Some(token) = state.auth.session(&id) {
            return Ok(Some(Caller { token }));
        }
    }
    Ok(None)
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
