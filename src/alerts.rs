//! Alerts: a condition that needs a person (a rejected file, an overdue kvittens, the SHS node unreachable, a
//! certificate near expiry) is logged, POSTed as JSON to the configured webhook and e-mailed to `[alerts]
//! email_to` (through `[email]`), each retried with backoff (`webhook_attempts`, `webhook_backoff_ms`); when the
//! condition clears, a "recovered" notice follows on both paths. Each condition has a key; raising an active key again with the
//! same message does nothing (no alert storms), a new message (e.g. a certificate crossing from 60 to 30 days)
//! notifies again.
//!
//! File alerts ([`Alerter::check_files`], run after every poll and by the `alerts` job):
//! - `file_rejected:<id>`: the file got kvittens `U` (rejected whole); recovered once the file that replaced it
//!   (its `superseded_by` chain) has kvittens `G`.
//! - `cases_rejected:<id>`: the file's kvittens named cases with `niva H` errors; active while any of them is still
//!   `rejected` and the kvittens is younger than [`CASE_REJECTION_ALERT_DAYS`] days (so a restart does not revive
//!   old history), recovered otherwise.
//! - `kvittens_overdue:<id>`: the file is `sent` and no kvittens came within `batch.kvittens_overdue_minutes`;
//!   recovered when the kvittens arrives (or the file leaves `sent`).
//!
//! Deadline alerts ([`Alerter::check_deadlines`], run by the `alerts` job): `deadline:<case id>:<kind>` while a
//! tracked deadline (a bestridande's `sista_dag` for överlämnande, the skuldsanering filing deadline, the end of an
//! uppskov) is at most `[alerts] deadline_warn_days` days ahead or has passed, and still matters (an överlämnande
//! deadline only while the case is `disputed`, a filing deadline until the fordringsanmälan is sent, an uppskov
//! until the day after it ends); recovered otherwise.
//! - `interest_rate_unknown:<half-year>`: cases are held with rule `interest.rate_unknown` for a half-year the
//!   referensränta table lacks (fogd-ref-2.md §4), named with the cases; recovered when none is held for it.
//!
//! Webhook body: `{"status": "firing"|"recovered", "kind": …, "key": …, "message": …, "at": RFC 3339}`.
//! E-mail: subject `[fogd] FIRING <kind>: <message>` or `[fogd] RECOVERED <kind>: …`, the same facts in the body.

use crate::config::AlertsConfig;
use crate::domain::{CaseState, FileState};
use crate::formats::{KvittensError, KvittensStatus, Niva};
use crate::store::{FileRow, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// What kind of condition an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Kronofogden rejected a file or cases in it.
    FileRejected,
    /// No kvittens within the configured time after sending.
    KvittensOverdue,
    /// The SHS node does not answer.
    ShsUnreachable,
    /// A certificate expires soon.
    CertificateExpiry,
    /// A deadline of a case comes within `[alerts] deadline_warn_days` (fogd-ref-2.md §5).
    Deadline,
    /// Cases are held because the referensränta table lacks a half-year their interest needs.
    InterestRateUnknown,
}

impl AlertKind {
    /// Every kind, in declaration order.
    pub const ALL: [AlertKind; 6] = [
        AlertKind::FileRejected,
        AlertKind::KvittensOverdue,
        AlertKind::ShsUnreachable,
        AlertKind::CertificateExpiry,
        AlertKind::Deadline,
        AlertKind::InterestRateUnknown,
    ];

    /// The name used in webhook bodies, e-mail subjects and logs (`file_rejected`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::FileRejected => "file_rejected",
            AlertKind::KvittensOverdue => "kvittens_overdue",
            AlertKind::ShsUnreachable => "shs_unreachable",
            AlertKind::CertificateExpiry => "certificate_expiry",
            AlertKind::Deadline => "deadline",
            AlertKind::InterestRateUnknown => "interest_rate_unknown",
        }
    }

    /// The kind named `name` ([`AlertKind::as_str`]).
    pub fn parse(name: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// An active alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The condition's key (e.g. `cert:/path`).
    pub key: String,
    /// Its kind.
    pub kind: AlertKind,
    /// What a person should know.
    pub message: String,
    /// Since when (RFC 3339).
    pub since: String,
}

/// Raises and clears alerts; holds the active ones.
#[derive(Debug)]
pub struct Alerter {
    webhook: Option<String>,
    attempts: u32,
    backoff: Duration,
    client: reqwest::Client,
    active: Mutex<BTreeMap<String, Alert>>,
    mailer: Option<crate::email::Mailer>,
    email_to: Vec<lettre::message::Mailbox>,
    log: Option<Store>,
}

impl Alerter {
    /// An alerter from `[alerts]`.
    pub fn new(cfg: &AlertsConfig) -> Alerter {
        Alerter {
            webhook: cfg.webhook.clone().filter(|w| !w.trim().is_empty()),
            attempts: cfg.webhook_attempts.max(1),
            backoff: Duration::from_millis(cfg.webhook_backoff_ms),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            active: Mutex::new(BTreeMap::new()),
            mailer: None,
            email_to: crate::email::parse_recipients("alerts.email_to", &cfg.email_to)
                .unwrap_or_default(),
            log: None,
        }
    }

    /// The same alerter, also recording every alert raised and cleared in `store`'s alert log (the console's
    /// alerts page reads it and operators acknowledge there).
    pub fn with_log(mut self, store: Store) -> Alerter {
        self.log = Some(store);
        self
    }

    /// The same alerter, also e-mailing every notice to `[alerts] email_to` through `mailer` (none: no e-mail).
    pub fn with_email(mut self, mailer: Option<crate::email::Mailer>) -> Alerter {
        self.mailer = mailer;
        self
    }

    /// The active alerts, by key.
    pub fn active(&self) -> Vec<Alert> {
        self.active
            .lock()
            .map(|a| a.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Raises `key`; logs and notifies when it is new or its message changed. Returns whether it notified.
    pub async fn raise(
        &self,
        key: &str,
        kind: AlertKind,
        message: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let changed = match self.active.lock() {
            Ok(mut a) => match a.get(key) {
                Some(x) if x.message == message => false,
                _ => {
                    a.insert(
                        key.to_string(),
                        Alert {
                            key: key.to_string(),
                            kind,
                            message: message.to_string(),
                            since: now.to_rfc3339(),
                        },
                    );
                    true
                }
            },
            Err(_) => false,
        };
        if changed {
            tracing::warn!(alert = kind.as_str(), key, "alert: {message}");
            if let Some(store) = &self.log {
                if let Err(e) = store
                    .log_alert_raised(key, kind.as_str(), message, now)
                    .await
                {
                    tracing::error!(key, error = %e, "alert log: raised not recorded");
                }
            }
            self.notify("firing", kind, key, message, now).await;
        }
        changed
    }

    /// Clears `key`; logs and sends a "recovered" notice when it was active. Returns whether it was.
    pub async fn clear(&self, key: &str, now: DateTime<Utc>) -> bool {
        let was = self.active.lock().ok().and_then(|mut a| a.remove(key));
        match was {
            Some(alert) => {
                let message = format!("recovered: {}", alert.message);
                tracing::info!(
                    alert = alert.kind.as_str(),
                    key,
                    "alert recovered: {}",
                    alert.message
                );
                if let Some(store) = &self.log {
                    if let Err(e) = store.log_alert_cleared(key, now).await {
                        tracing::error!(key, error = %e, "alert log: cleared not recorded");
                    }
                }
                self.notify("recovered", alert.kind, key, &message, now)
                    .await;
                true
            }
            None => false,
        }
    }

    async fn notify(
        &self,
        status: &str,
        kind: AlertKind,
        key: &str,
        message: &str,
        now: DateTime<Utc>,
    ) {
        tokio::join!(
            self.notify_webhook(status, kind, key, message, now),
            self.notify_email(status, kind, key, message, now)
        );
    }

    async fn notify_email(
        &self,
        status: &str,
        kind: AlertKind,
        key: &str,
        message: &str,
        now: DateTime<Utc>,
    ) {
        let Some(mailer) = &self.mailer else {
            return;
        };
        if self.email_to.is_empty() {
            return;
        }
        let subject = format!(
            "[fogd] {} {}: {message}",
            status.to_ascii_uppercase(),
            kind.as_str()
        );
        let body = format!(
            "{message}\n\nstatus: {status}\nkind: {}\nkey: {key}\nat: {}\n",
            kind.as_str(),
            now.to_rfc3339()
        );
        if let Err(e) = mailer
            .send_with_retry(
                &self.email_to,
                &subject,
                &body,
                &[],
                self.attempts,
                self.backoff,
            )
            .await
        {
            tracing::error!(
                key,
                error = %e,
                "alert e-mail gave up after {} attempts",
                self.attempts
            );
        }
    }

    async fn notify_webhook(
        &self,
        status: &str,
        kind: AlertKind,
        key: &str,
        message: &str,
        now: DateTime<Utc>,
    ) {
        let Some(url) = &self.webhook else {
            return;
        };
        let body = serde_json::json!({
            "status": status, "kind": kind, "key": key, "message": message, "at": now.to_rfc3339(),
        });
        let mut delay = self.backoff;
        for attempt in 1..=self.attempts {
            match self.client.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => tracing::warn!(
                    attempt,
                    status = r.status().as_u16(),
                    "alert webhook refused"
                ),
                Err(e) => tracing::warn!(attempt, error = %e, "alert webhook failed"),
            }
            if attempt < self.attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        tracing::error!(
            key,
            "alert webhook gave up after {} attempts",
            self.attempts
        );
    }

    /// Checks the certificates at `paths`: raises `cert:<path>` when one expires within the smallest threshold
    /// of `warn_days` it is inside, clears it otherwise; an unreadable certificate is an alert too.
    pub async fn check_certificates(&self, paths: &[&Path], warn_days: &[u32], now: DateTime<Utc>) {
        for path in paths {
            let key = format!("cert:{}", path.display());
            match crate::certs::not_after_unix(path) {
                Ok(not_after) => {
                    let days_left = (not_after - now.timestamp()).div_euclid(86_400);
                    match expiry_threshold(days_left, warn_days) {
                        Some(t) => {
                            let msg = if days_left < 0 {
                                format!("certificate {} has expired", path.display())
                            } else {
                                format!("certificate {} expires within {t} days", path.display())
                            };
                            self.raise(&key, AlertKind::CertificateExpiry, &msg, now)
                                .await;
                        }
                        None => {
                            self.clear(&key, now).await;
                        }
                    }
                }
                Err(e) => {
                    self.raise(
                        &key,
                        AlertKind::CertificateExpiry,
                        &format!("certificate: {e}"),
                        now,
                    )
                    .await;
                }
            }
        }
    }

    /// Checks that the SHS node at `url` accepts a TCP connection within `timeout`; raises or clears `shs`.
    pub async fn check_shs(&self, url: &str, timeout: Duration, now: DateTime<Utc>) {
        match shs_reachable(url, timeout).await {
            Ok(()) => {
                self.clear("shs", now).await;
            }
            Err(e) => {
                self.raise(
                    "shs",
                    AlertKind::ShsUnreachable,
                    &format!("SHS node {url} unreachable: {e}"),
                    now,
                )
                .await;
            }
        }
    }
}

/// Days after a kvittens during which cases it rejected keep their alert active.
pub const CASE_REJECTION_ALERT_DAYS: i64 = 7;

/// The condition keys [`Alerter::check_files`] wants active now, with kind and message.
pub async fn file_conditions(
    store: &Store,
    overdue_minutes: u32,
    now: DateTime<Utc>,
) -> Result<Vec<(String, AlertKind, String)>, StoreError> {
    let files = store.list_files().await?;
    let by_id: BTreeMap<i64, &FileRow> = files.iter().map(|f| (f.id, f)).collect();
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut out = Vec::new();
    let overdue = chrono::Duration::minutes(i64::from(overdue_minutes));
    for f in &files {
        let name = format!("{} (löpnummer {})", f.file_name, f.lopnummer);
        if f.state == FileState::Sent {
            if let Some(sent) = parse(&f.sent_at) {
                if now - sent >= overdue {
                    out.push((
                        format!("kvittens_overdue:{}", f.id),
                        AlertKind::KvittensOverdue,
                        format!(
                            "no kvittens for {name} sent {} (more than {overdue_minutes} minutes ago)",
                            f.sent_at.as_deref().unwrap_or("")
                        ),
                    ));
                }
            }
        }
        let errors: Vec<KvittensError> = f.kvittens_errors()?;
        let text = errors
            .iter()
            .map(|e| format!("{} {}", e.felkod, e.feltext))
            .collect::<Vec<_>>()
            .join("; ");
        match f.kvittens_status {
            Some(KvittensStatus::Underkand) => {
                // Follow the replacements; recovered once one of them is receipted G.
                let mut cur = f.superseded_by;
                let mut resolved = false;
                for _ in 0..100 {
                    let Some(next) = cur.and_then(|id| by_id.get(&id)) else {
                        break;
                    };
                    if next.kvittens_status == Some(KvittensStatus::Godkand) {
                        resolved = true;
                        break;
                    }
                    cur = next.superseded_by;
                }
                if !resolved {
                    out.push((
                        format!("file_rejected:{}", f.id),
                        AlertKind::FileRejected,
                        format!("Kronofogden rejected {name} whole: {text}"),
                    ));
                }
            }
            Some(KvittensStatus::Godkand) if errors.iter().any(|e| e.niva == Niva::H) => {
                let recent = parse(&f.receipted_at)
                    .is_some_and(|r| now - r < chrono::Duration::days(CASE_REJECTION_ALERT_DAYS));
                if !recent {
                    continue;
                }
                let mut still = Vec::new();
                for id in store.file_case_ids(f.id).await? {
                    if let Some(c) = store.case_by_id(id).await? {
                        if c.state == CaseState::Rejected {
                            still.push(c.reference);
                        }
                    }
                }
                if !still.is_empty() {
                    out.push((
                        format!("cases_rejected:{}", f.id),
                        AlertKind::FileRejected,
                        format!(
                            "Kronofogden rejected {} case(s) in {name}: {} ({text})",
                            still.len(),
                            still.join(", ")
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The deadline conditions [`Alerter::check_deadlines`] wants active on `today`, with kind and message.
pub async fn deadline_conditions(
    store: &Store,
    warn_days: u32,
    today: chrono::NaiveDate,
) -> Result<Vec<(String, AlertKind, String)>, StoreError> {
    let until = today + chrono::Duration::days(i64::from(warn_days));
    let mut out = Vec::new();
    for d in store.deadlines(Some(until)).await? {
        let Ok(due) = chrono::NaiveDate::parse_from_str(&d.due, "%Y-%m-%d") else {
            continue;
        };
        let matters = match d.kind.as_str() {
            "overlamnande" => d.state == CaseState::Disputed,
            // Until the fordringsanmälan is sent.
            "skuldsanering_filing" => matches!(
                d.state,
                CaseState::Received
                    | CaseState::Invalid
                    | CaseState::Held
                    | CaseState::Journal
                    | CaseState::Approved
                    | CaseState::Batched
            ),
            _ => due >= today,
        };
        if !matters {
            continue;
        }
        let what = match d.kind.as_str() {
            "overlamnande" => "sista dag to ask for överlämnande",
            "skuldsanering_filing" => "the skuldsanering filing deadline",
            "uppskov_end" => "the end of the uppskov",
            other => other,
        };
        let when = if due < today { "passed on" } else { "is" };
        out.push((
            format!("deadline:{}:{}", d.case_id, d.kind),
            AlertKind::Deadline,
            format!("{what} of case {} {when} {due} ({})", d.reference, d.source),
        ));
    }
    Ok(out)
}

impl Alerter {
    /// Raises the deadline conditions of [`deadline_conditions`] (marking a deadline alerted the first time) and
    /// clears every active deadline alert that no longer holds.
    pub async fn check_deadlines(
        &self,
        store: &Store,
        warn_days: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let today = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let want = deadline_conditions(store, warn_days, today).await?;
        for (key, kind, message) in &want {
            if self.raise(key, *kind, message, now).await {
                let mut parts = key.splitn(3, ':').skip(1);
                if let (Some(Ok(id)), Some(k)) = (parts.next().map(str::parse::<i64>), parts.next())
                {
                    store.mark_deadline_alerted(id, k, now).await?;
                }
            }
        }
        for a in self.active() {
            if a.kind == AlertKind::Deadline && !want.iter().any(|(k, ..)| *k == a.key) {
                self.clear(&a.key, now).await;
            }
        }
        Ok(())
    }
}

/// Most references an `interest_rate_unknown` alert names (then "and N more").
const RATE_ALERT_REFERENCES: usize = 10;

/// The `interest_rate_unknown:<half-year>` conditions: cases held with rule `interest.rate_unknown`, by the first
/// day of the half-year the referensränta table lacks (the issue's value).
pub async fn interest_conditions(
    store: &Store,
) -> Result<Vec<(String, AlertKind, String)>, StoreError> {
    const RULE: &str = "interest.rate_unknown";
    let mut by_half_year: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in store.held_with_rule(RULE).await? {
        for issue in row.issues()? {
            if issue.rule == RULE {
                let half_year = issue.value.unwrap_or_default();
                let refs = by_half_year.entry(half_year).or_default();
                if !refs.contains(&row.reference) {
                    refs.push(row.reference.clone());
                }
            }
        }
    }
    Ok(by_half_year
        .into_iter()
        .map(|(from, refs)| {
            let mut named = refs
                .iter()
                .take(RATE_ALERT_REFERENCES)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if refs.len() > RATE_ALERT_REFERENCES {
                named.push_str(&format!(" and {} more", refs.len() - RATE_ALERT_REFERENCES));
            }
            (
                format!("interest_rate_unknown:{from}"),
                AlertKind::InterestRateUnknown,
                format!(
                    "the referensränta table lacks the half-year starting {from}: {} case(s) held ({named}); add Riksbanken's rate to [interest] referensranta",
                    refs.len()
                ),
            )
        })
        .collect())
}

impl Alerter {
    /// Raises the file conditions of [`file_conditions`] and those of [`interest_conditions`], and clears (with a
    /// "recovered" notice) every active alert of their kinds that no longer holds.
    pub async fn check_files(
        &self,
        store: &Store,
        overdue_minutes: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut want = file_conditions(store, overdue_minutes, now).await?;
        want.extend(interest_conditions(store).await?);
        for (key, kind, message) in &want {
            self.raise(key, *kind, message, now).await;
        }
        let file_kinds = [
            AlertKind::FileRejected,
            AlertKind::KvittensOverdue,
            AlertKind::InterestRateUnknown,
        ];
        for a in self.active() {
            if file_kinds.contains(&a.kind) && !want.iter().any(|(k, ..)| *k == a.key) {
                self.clear(&a.key, now).await;
            }
        }
        Ok(())
    }
}

/// The smallest of `warn_days` that `days_left` is within (`days_left <= t`), if any.
pub fn expiry_threshold(days_left: i64, warn_days: &[u32]) -> Option<u32> {
    warn_days
        .iter()
        .copied()
        .filter(|t| days_left <= i64::from(*t))
        .min()
}

/// Whether the host and port of `url` accept a TCP connection within `timeout`.
pub async fn shs_reachable(url: &str, timeout: Duration) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let host = parsed.host_str().ok_or("URL has no host")?.to_string();
    let port = parsed.port_or_known_default().ok_or("URL has no port")?;
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use std::sync::Arc;

    #[test]
    fn thresholds() {
        let t = [60, 30, 7];
        assert_eq!(expiry_threshold(90, &t), None);
        assert_eq!(expiry_threshold(60, &t), Some(60));
        assert_eq!(expiry_threshold(29, &t), Some(30));
        assert_eq!(expiry_threshold(3, &t), Some(7));
        assert_eq!(expiry_threshold(-1, &t), Some(7));
    }

    #[tokio::test]
    async fn webhook_is_retried_and_recovery_is_sent() {
        let seen: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let (s, c) = (seen.clone(), calls.clone());
        let app = axum::Router::new().route(
            "/hook",
            post(move |axum::Json(v): axum::Json<serde_json::Value>| {
                let (s, c) = (s.clone(), c.clone());
                async move {
                    // The first two deliveries fail.
                    if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    s.lock().unwrap().push(v);
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let cfg = AlertsConfig {
            webhook: Some(format!("http://{addr}/hook")),
            webhook_attempts: 4,
            webhook_backoff_ms: 5,
            ..AlertsConfig::default()
        };
        let a = Alerter::new(&cfg);
        let now = DateTime::parse_from_rfc3339("2026-02-02T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(a.raise("shs", AlertKind::ShsUnreachable, "down", now).await);
        assert!(
            !a.raise("shs", AlertKind::ShsUnreachable, "down", now).await,
            "no repeat"
        );
        assert_eq!(a.active().len(), 1);
        assert!(a.clear("shs", now).await);
        assert!(!a.clear("shs", now).await);
        let got = seen.lock().unwrap().clone();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["status"], "firing");
        assert_eq!(got[0]["kind"], "shs_unreachable");
        assert_eq!(got[1]["status"], "recovered");
    }

    #[tokio::test]
    async fn raised_and_cleared_alerts_are_logged() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let store = Store::open(&url, 1).await.unwrap();
        let a = Alerter::new(&AlertsConfig::default()).with_log(store.clone());
        let at = |h: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-02-02T{h:02}:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let cert = AlertKind::CertificateExpiry;
        assert!(a.raise("cert:/c.pem", cert, "within 60 days", at(8)).await);
        // The same message again is no new notice and no new row.
        assert!(!a.raise("cert:/c.pem", cert, "within 60 days", at(9)).await);
        assert!(a.raise("cert:/c.pem", cert, "within 30 days", at(10)).await);
        assert!(
            a.raise("shs", AlertKind::ShsUnreachable, "down", at(10))
                .await
        );
        assert!(a.clear("shs", at(11)).await);
        let log = store.recent_alerts(10).await.unwrap();
        let got: Vec<(&str, &str, &str, bool)> = log
            .iter()
            .map(|r| {
                (
                    r.key.as_str(),
                    r.kind.as_str(),
                    r.message.as_str(),
                    r.cleared_at.is_some(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("shs", "shs_unreachable", "down", true),
                ("cert:/c.pem", "certificate_expiry", "within 30 days", false),
                ("cert:/c.pem", "certificate_expiry", "within 60 days", true),
            ]
        );
        assert_eq!(log[2].cleared_at.map(|t| t.0), Some(at(10)));
        assert_eq!(
            AlertKind::parse("shs_unreachable"),
            Some(AlertKind::ShsUnreachable)
        );
        assert_eq!(AlertKind::parse("nothing"), None);
    }

    #[tokio::test]
    async fn certificate_levels_and_unreachable_node() {
        let dir = tempfile::tempdir().unwrap();
        let p = crate::certs::write_dev_certs(dir.path(), "5599999991", "X AB").unwrap();
        let a = Alerter::new(&AlertsConfig::default());
        let not_after = crate::certs::not_after_unix(&p.client_cert).unwrap();
        let at = |days: i64| DateTime::from_timestamp(not_after - days * 86_400 - 60, 0).unwrap();
        let paths = [p.client_cert.as_path()];
        a.check_certificates(&paths, &[60, 30, 7], at(100)).await;
        assert!(a.active().is_empty());
        a.check_certificates(&paths, &[60, 30, 7], at(45)).await;
        assert!(a.active()[0].message.contains("within 60 days"));
        a.check_certificates(&paths, &[60, 30, 7], at(5)).await;
        assert!(a.active()[0].message.contains("within 7 days"));
        a.check_certificates(&[dir.path().join("missing.pem").as_path()], &[60], at(5))
            .await;
        assert_eq!(a.active().len(), 2);

        // A port nobody listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let url = format!("https://127.0.0.1:{port}/shs");
        a.check_shs(&url, Duration::from_secs(2), at(5)).await;
        assert!(a
            .active()
            .iter()
            .any(|x| x.kind == AlertKind::ShsUnreachable));
    }
}
