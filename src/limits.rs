//! `[limits]`: the bounds that keep one client (or one file) from taking a server or a command down — connection
//! timeouts and the connection cap of `fogd serve` and `fogd sim`, the size of API requests and answers, the ops
//! page cache, sign-in throttling, and the size of an imported file. Every value has a default a real installation
//! never reaches; `config/fogd.example.toml` documents each key.
//!
//! Durations are written as text with a unit (`"10s"`, `"2m"`, `"500ms"`; humantime).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[limits]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Longest time a client may take to send a request's line and headers (both servers). A connection that has
    /// not sent a complete head by then is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// Longest time a TLS handshake may take (`fogd sim`, and `fogd serve` with `[api] tls_cert`).
    #[serde(with = "humantime_serde")]
    pub tls_handshake_timeout: Duration,
    /// Longest time to receive a whole request body, from the end of its headers.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// A connection with no request in progress and no bytes moving for this long is closed (keep-alive idle).
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Most open client connections per server. Never more than the process's file limit allows (the soft
    /// `RLIMIT_NOFILE` less a reserve for the database and files). When full, a new connection replaces the
    /// connection that has been waiting longest without a request in progress; when every connection is busy,
    /// the new one is closed.
    pub max_connections: usize,
    /// Most cases in one `POST /api/v1/cases` (413 naming the cap beyond).
    pub max_cases_per_request: usize,
    /// Most references in one `POST /api/v1/journal/approve` (413 naming the cap beyond).
    pub max_approve_references: usize,
    /// Most problems listed in the answer to `POST /api/v1/cases`; the rest are counted (`problems_total`) and
    /// kept with each stored case (`GET /api/v1/cases/{reference}`).
    pub max_problems_in_answer: usize,
    /// Longest search text (`q`) of `GET /api/v1/cases` and the ops page, in characters (400 beyond).
    pub max_search_chars: usize,
    /// Bytes of rendered answers the response cache keeps (oldest dropped first).
    pub page_cache_bytes: usize,
    /// Failed sign-ins allowed per client address and minute; beyond, the sign-in form answers 429 until the
    /// minute is over.
    pub signin_failures_per_minute: u32,
    /// Largest file `fogd import` reads, bytes.
    pub import_max_bytes: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_cases_per_request: 10_000,
            max_approve_references: 10_000,
            max_problems_in_answer: 1_000,
            max_search_chars: 200,
            page_cache_bytes: 32 * 1024 * 1024,
            signin_failures_per_minute: 10,
            import_max_bytes: 1024 * 1024 * 1024,
        }
    }
}

impl LimitsConfig {
    /// The key and message of the first value that makes no sense, if any.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        for (key, d) in [
            ("limits.header_read_timeout", self.header_read_timeout),
            ("limits.tls_handshake_timeout", self.tls_handshake_timeout),
            ("limits.body_timeout", self.body_timeout),
            ("limits.idle_timeout", self.idle_timeout),
        ] {
            if d.is_zero() {
                return Some((key, "must be longer than 0 s".into()));
            }
        }
        for (key, n) in [
            ("limits.max_connections", self.max_connections),
            ("limits.max_cases_per_request", self.max_cases_per_request),
            ("limits.max_approve_references", self.max_approve_references),
            ("limits.max_search_chars", self.max_search_chars),
        ] {
            if n == 0 {
                return Some((key, "must be at least 1".into()));
            }
        }
        if self.import_max_bytes == 0 {
            return Some(("limits.import_max_bytes", "must be at least 1".into()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units() {
        let l: LimitsConfig =
            toml::from_str("header_read_timeout = \"2s\"\nidle_timeout = \"500ms\"\n").unwrap();
        assert_eq!(l.header_read_timeout, Duration::from_secs(2));
        assert_eq!(l.idle_timeout, Duration::from_millis(500));
        assert!(l.problem().is_none());
        let l: LimitsConfig = toml::from_str("body_timeout = \"0s\"\n").unwrap();
        assert_eq!(l.problem().unwrap().0, "limits.body_timeout");
        assert!(toml::from_str::<LimitsConfig>("idle_timeout = 5\n").is_err());
    }
}
