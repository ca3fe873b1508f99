//! Request and browser hardening of `fogd serve`:
//!
//! - **Headers** on every answer ([`headers`]): a Content-Security-Policy without any script (and the page's one
//!   stylesheet from `/fogd.css`), `frame-ancestors 'none'` and `X-Frame-Options: DENY`, `nosniff`,
//!   `Referrer-Policy: same-origin` (no referrer leaves for another site; `no-referrer` would make browsers send
//!   `Origin: null` on the page's own form posts), `Cache-Control: no-store` (pages and answers hold personal data;
//!   the stylesheet sets its own), and `Strict-Transport-Security` when the browser came over HTTPS.
//! - **Cross-site requests** ([`origin_guard`]): a state-changing request (not GET/HEAD/OPTIONS) without a bearer
//!   token whose `Origin` (or, without one, `Referer`) names another origin is refused (403) before any handler
//!   runs. The forms carry their own tokens on top (sign-in: a pre-session nonce cookie; sign-out and any later
//!   form: the session's token), and an API call authenticated by the session cookie must show the origin or the
//!   session's token ([`super::auth`]).
//! - **JSON errors under `/api/`** ([`api_json_errors`]): whatever answers an error there — an unknown path (404),
//!   a wrong method (405), a body over the limit (413), a bad query or path (400) — answers
//!   `{"error": "…"}` as `application/json`.
//! - **The client's address** ([`client_ip`]) and the scheme the browser used ([`is_https`]) believe
//!   `X-Forwarded-For` / `X-Forwarded-Proto` only from `[api] trusted_proxies`.
//! - **Sign-in throttling** ([`SigninThrottle`]): failures per client address and minute.

use super::{ApiError, AppState};
use crate::http_server::ConnInfo;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Content-Security-Policy of every answer: nothing but the page's own stylesheet and forms.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";
/// `Strict-Transport-Security` sent over HTTPS.
pub const HSTS: &str = "max-age=31536000";

/// Whether the browser reached fogd over HTTPS: native TLS (`[api] tls_cert`), `X-Forwarded-Proto: https` from a
/// trusted proxy, or an `https` `[api] public_url`.
pub fn is_https(
    config: &crate::config::Config,
    headers: &HeaderMap,
    conn: Option<&ConnInfo>,
) -> bool {
    if config
        .api
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        return true;
    }
    let Some(conn) = conn else {
        return false;
    };
    if conn.tls {
        return true;
    }
    config.api.trusted_proxies.contains(&conn.peer.ip())
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address in
/// `X-Forwarded-For` that is not a trusted proxy.
pub fn client_ip(
    config: &crate::config::Config,
    headers: &HeaderMap,
    conn: Option<&ConnInfo>,
) -> Option<IpAddr> {
    let peer = conn?.peer.ip();
    let trusted = &config.api.trusted_proxies;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// The origin (`scheme://host[:port]`) browsers use for this server: `[api] public_url`'s, or the request's
/// scheme and `Host`.
pub fn expected_origin(
    config: &crate::config::Config,
    headers: &HeaderMap,
    conn: Option<&ConnInfo>,
) -> Option<String> {
    if let Some(u) = &config.api.public_url {
        return origin_of(u);
    }
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    let scheme = if is_https(config, headers, conn) {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// The origin part of a URL (`https://a.b:8443/x?y` → `https://a.b:8443`), lower case.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

/// Where a request says it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// `Origin` (or `Referer`) names this server.
    SameOrigin,
    /// It names another origin.
    CrossOrigin(String),
    /// Neither header (not a browser, or a browser that sent none).
    Unknown,
}

/// Compares the request's `Origin` (or, without one, its `Referer`) with [`expected_origin`].
pub fn provenance(
    config: &crate::config::Config,
    headers: &HeaderMap,
    conn: Option<&ConnInfo>,
) -> Provenance {
    let stated = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|o| o.trim().to_ascii_lowercase())
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let Some(stated) = stated else {
        return Provenance::Unknown;
    };
    match expected_origin(config, headers, conn) {
        Some(me) if me == stated => Provenance::SameOrigin,
        _ => Provenance::CrossOrigin(stated),
    }
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a state-changing request without a bearer token that comes from another origin (403, before the
/// handler reads anything).
pub async fn origin_guard(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe(req.method()) || req.headers().contains_key(header::AUTHORIZATION) {
        return next.run(req).await;
    }
    let conn = req.extensions().get::<ConnInfo>();
    if let Provenance::CrossOrigin(from) = provenance(&state.config, req.headers(), conn) {
        tracing::warn!(origin = %from, path = %req.uri().path(), "cross-site request refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!("cross-site request refused: origin {from} is not this server"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Sets the security headers on every answer (see the module text).
pub async fn headers(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let https = is_https(
        &state.config,
        req.headers(),
        req.extensions().get::<ConnInfo>(),
    );
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

/// Largest error body carried over into the JSON error.
const MAX_ERROR_TEXT: usize = 4096;

/// Under `/api/`, turns an error answer that is not JSON (axum's own rejections, the 404 fallback, 405) into the
/// API's error shape.
pub async fn api_json_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path() == "/api";
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match status {
        StatusCode::NOT_FOUND if text.is_empty() => "no such endpoint under /api/v1".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("method {method} is not allowed here (see the Allow header)")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "request body larger than [api] max_body_bytes".to_string()
        }
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        _ => text,
    };
    let mut out = ApiError::new(status, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// Fails with 415 unless the request's `Content-Type` is one of `accepted` (media types, compared without
/// parameters and case). A JSON API that reads only JSON cannot be reached by a plain HTML form of another site.
pub fn require_content_type(headers: &HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match given {
        Some(t) if accepted.iter().any(|a| *a == t) => Ok(()),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {} is not accepted here; send {}",
                other.as_deref().unwrap_or("(none)"),
                accepted.join(" or ")
            ),
        )),
    }
}

/// Compares two secrets by their digests (no early exit on the first differing byte of the secret).
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Failed sign-ins per client address, over a window of a minute.
#[derive(Debug, Default)]
pub struct SigninThrottle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// The throttle window.
pub const SIGNIN_WINDOW: Duration = Duration::from_secs(60);
/// Most addresses tracked (the oldest windows go first beyond).
const MAX_TRACKED: usize = 10_000;

impl SigninThrottle {
    /// `Some(seconds to wait)` when `ip` has used up its `limit` failures in the current window.
    pub fn blocked(&self, ip: IpAddr, limit: u32) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let (n, since) = map.get(&ip)?;
        let age = since.elapsed();
        (*n >= limit && age < SIGNIN_WINDOW).then(|| (SIGNIN_WINDOW - age).as_secs().max(1))
    }

    /// Counts a failure of `ip`; returns the failures in the window so far.
    pub fn failed(&self, ip: IpAddr) -> u32 {
        let Ok(mut map) = self.failures.lock() else {
            return 0;
        };
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < SIGNIN_WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let e = map.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= SIGNIN_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
        e.0
    }
}

/// The stylesheet of the ops page and the console (served at `/fogd.css`, so that the CSP needs no inline style):
/// `templates/fogd.css`, built into the binary.
pub const STYLESHEET: &str = include_str!("../../templates/fogd.css");

/// `GET /fogd.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        Body::from(STYLESHEET),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(ip: &str, tls: bool) -> ConnInfo {
        ConnInfo {
            peer: format!("{ip}:4000").parse().unwrap(),
            tls,
            client_serial_number: None,
            client_cert_serial: None,
        }
    }

    #[test]
    fn origins_and_proxies() {
        let mut cfg = crate::config::Config::default();
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("fogd.example:8080"));
        let c = conn("10.0.0.5", false);
        assert_eq!(
            expected_origin(&cfg, &h, Some(&c)).as_deref(),
            Some("http://fogd.example:8080")
        );
        assert_eq!(provenance(&cfg, &h, Some(&c)), Provenance::Unknown);
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://fogd.example:8080"),
        );
        assert_eq!(provenance(&cfg, &h, Some(&c)), Provenance::SameOrigin);
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(matches!(
            provenance(&cfg, &h, Some(&c)),
            Provenance::CrossOrigin(_)
        ));
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://fogd.example:8080/signin"),
        );
        assert_eq!(provenance(&cfg, &h, Some(&c)), Provenance::SameOrigin);

        // Forwarded headers count only from a trusted proxy.
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 10.0.0.5"),
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(client_ip(&cfg, &h, Some(&c)), Some(c.peer.ip()));
        assert!(!is_https(&cfg, &h, Some(&c)));
        cfg.api.trusted_proxies = vec!["10.0.0.5".parse().unwrap()];
        assert_eq!(client_ip(&cfg, &h, Some(&c)), "1.2.3.4".parse().ok());
        assert!(is_https(&cfg, &h, Some(&c)));
        cfg.api.public_url = Some("https://fogd.example/".into());
        assert_eq!(
            expected_origin(&cfg, &h, Some(&c)).as_deref(),
            Some("https://fogd.example")
        );
        assert!(is_https(&cfg, &HeaderMap::new(), None));
    }

    #[test]
    fn throttle_counts_per_address() {
        let t = SigninThrottle::default();
        let a: IpAddr = "1.1.1.1".parse().unwrap();
        let b: IpAddr = "2.2.2.2".parse().unwrap();
        assert_eq!(t.blocked(a, 2), None);
        t.failed(a);
        assert_eq!(t.blocked(a, 2), None);
        t.failed(a);
        assert!(t.blocked(a, 2).is_some());
        assert_eq!(t.blocked(b, 2), None);
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert_eq!(
            require_content_type(&h, &["application/json"])
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(require_content_type(&h, &["application/json"]).is_ok());
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(require_content_type(&h, &["application/json"]).is_err());
    }
}
