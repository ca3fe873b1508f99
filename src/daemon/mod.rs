//! The daemon `fogd serve`: [`serve`] starts it, runs it until a shutdown future completes, and stops it; the
//! rest of this module is what it runs besides HTTP: the bodies of its scheduled jobs and the SHS wrapper that
//! times sends ([`sd_notify`]: systemd's notify protocol).
//!
//! Jobs (names are the keys in `job_runs` and the `job` label of the metrics):
//! - `send`: without `[schedule] cutoff`, a build pass (approved cases → files) and then a send pass; with a
//!   cut-off, only the send pass (files already built, and re-sends of files whose outcome is unknown or whose
//!   attempt failed).
//! - `cutoff` (only when `[schedule] cutoff` is set): the nightly cut-off of the batch — a build pass, then a send
//!   pass so the new files leave at once. Approved cases wait in `approved` until the next cut-off; so does a file
//!   rejected whole (its cases are rebuilt at the next cut-off; `fogd send` rebuilds at once).
//! - `poll`: a poll pass (list, fetch, store, ack, apply), then the file alerts ([`Alerter::check_files`]) so a
//!   rejection is reported as soon as its kvittens is applied.
//! - `alerts`: certificates, SHS reachability, and the file alerts (kvittens overdue).
//! - `reports` (when `[schedule] reports` is set): the previous Stockholm day's reports, CSV and xlsx, written to
//!   `[schedule] reports_dir` and, when `[schedule] reports_email_to` is set, e-mailed as attachments of one
//!   message (retried as alerts are).
//!
//! A job fails (counted in `fogd_job_failures_total`) when its pass fails as a whole (the store, the node's list);
//! a single file that will be retried is not a job failure, it is logged and shows in the file's state.

pub mod sd_notify;
mod serve;

pub use serve::{serve, DaemonError, Listening, ServeOptions};

use crate::alerts::Alerter;
use crate::config::Config;
use crate::engine::schedule::{job_fn, CronSpec, Job};
use crate::engine::{Engine, ShsPort};
use crate::metrics::Histogram;
use crate::report::{write_report, ReportFormat, ReportKind};
use crate::shs::{FetchedMessage, MessageList, SendReceipt, ShsClientError, ShsMessage};
use crate::store::Store;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a scheduled job's run failed (counted in `fogd_job_failures_total`, logged with its causes).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A build, send or poll pass failed as a whole.
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    /// The store failed (alert conditions).
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A report could not be made or written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The reports directory or a written report could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory or file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The reports could not be e-mailed (after the retries).
    #[error("e-mailing the reports: {0}")]
    Email(#[source] crate::email::EmailError),
}

/// An [`ShsPort`] that records the duration of every send call in a histogram (`fogd_send_latency_seconds`).
pub struct TimedShs {
    inner: Arc<dyn ShsPort>,
    latency: Arc<Histogram>,
}

impl TimedShs {
    /// Wraps `inner`, recording into `latency`.
    pub fn new(inner: Arc<dyn ShsPort>, latency: Arc<Histogram>) -> TimedShs {
        TimedShs { inner, latency }
    }
}

impl ShsPort for TimedShs {
    fn send<'a>(
        &'a self,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<SendReceipt, ShsClientError>> {
        Box::pin(async move {
            let t0 = Instant::now();
            let r = self.inner.send(msg).await;
            self.latency.observe(t0.elapsed());
            r
        })
    }
    fn list<'a>(&'a self, outbox: &'a str) -> BoxFuture<'a, Result<MessageList, ShsClientError>> {
        self.inner.list(outbox)
    }
    fn fetch<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<FetchedMessage, ShsClientError>> {
        self.inner.fetch(outbox, tx_id)
    }
    fn ack<'a>(
        &'a self,
        outbox: &'a str,
        tx_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ShsClientError>> {
        self.inner.ack(outbox, tx_id)
    }
}

/// An engine whose SHS port is wrapped in [`TimedShs`].
pub fn timed_engine(engine: Engine, latency: Arc<Histogram>) -> Engine {
    let shs: Arc<dyn ShsPort> = Arc::new(TimedShs::new(engine.shs.clone(), latency));
    Engine { shs, ..engine }
}

/// One build pass (unless `build` is false) and one send pass.
pub async fn build_and_send(engine: &Engine, build: bool) -> Result<(), JobError> {
    if build {
        let b = engine.build_pass().await?;
        for f in &b.files {
            tracing::info!(file = f.id, name = %f.name, lopnummer = f.lopnummer, cases = f.cases, "file built");
        }
    }
    let s = engine.send_pass().await?;
    if s.sent + s.unknown + s.retried + s.refused > 0 {
        tracing::info!(
            sent = s.sent,
            duplicates = s.duplicates,
            unknown = s.unknown,
            retried = s.retried,
            refused = s.refused,
            "send pass"
        );
    }
    Ok(())
}

/// One poll pass (which applies what arrived), then the file alerts.
pub async fn poll_and_alert(
    engine: &Engine,
    alerter: &Alerter,
    overdue_minutes: u32,
) -> Result<(), JobError> {
    let p = engine.poll_pass().await?;
    if p.stored + p.errors + p.apply.applied > 0 {
        tracing::info!(
            listed = p.listed,
            stored = p.stored,
            acked = p.acked,
            errors = p.errors,
            applied = p.apply.applied,
            unmatched = p.apply.unmatched,
            "poll pass"
        );
    }
    alerter
        .check_files(&engine.store, overdue_minutes, engine.clock.now())
        .await?;
    Ok(())
}

/// The engine jobs: `send`, `poll`, and `cutoff` when configured (see the module doc).
pub fn engine_jobs(engine: &Engine, alerter: &Arc<Alerter>, config: &Config) -> Vec<Job> {
    let tz = config.schedule.timezone;
    let build_on_send = config.schedule.cutoff.is_none();
    let overdue = config.batch.kvittens_overdue_minutes;
    let mut jobs = Vec::new();
    let e = engine.clone();
    jobs.push(Job {
        name: "send".into(),
        spec: CronSpec::new(&config.schedule.send, tz),
        run: job_fn(move || {
            let e = e.clone();
            async move { build_and_send(&e, build_on_send).await }
        }),
    });
    if let Some(cutoff) = &config.schedule.cutoff {
        let e = engine.clone();
        jobs.push(Job {
            name: "cutoff".into(),
            spec: CronSpec::new(cutoff, tz),
            run: job_fn(move || {
                let e = e.clone();
                async move { build_and_send(&e, true).await }
            }),
        });
    }
    let (e, a) = (engine.clone(), alerter.clone());
    jobs.push(Job {
        name: "poll".into(),
        spec: CronSpec::new(&config.schedule.poll, tz),
        run: job_fn(move || {
            let (e, a) = (e.clone(), a.clone());
            async move { poll_and_alert(&e, &a, overdue).await }
        }),
    });
    jobs
}

/// One round of alert checks: certificates, the SHS node, and the file alerts.
pub async fn check_alerts(
    alerter: &Alerter,
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), JobError> {
    let paths = [config.tls.ca.as_path(), config.tls.identity.as_path()];
    alerter
        .check_certificates(&paths, &config.alerts.cert_warn_days, now)
        .await;
    alerter
        .check_shs(
            &config.shs.url,
            Duration::from_secs(config.shs.connect_timeout_secs.max(1)),
            now,
        )
        .await;
    alerter
        .check_files(store, config.batch.kvittens_overdue_minutes, now)
        .await?;
    if let Err(e) = crate::engine::deadlines::track_filing_deadlines(store).await {
        tracing::error!(error = %e, "tracking skuldsanering filing deadlines failed; retried on the next check");
    }
    alerter
        .check_deadlines(store, config.alerts.deadline_warn_days, now)
        .await?;
    Ok(())
}

/// Where scheduled reports go: a directory, and the e-mail recipients (with the mailer of `[email]`).
#[derive(Debug, Clone)]
pub struct ReportDelivery {
    /// `[schedule] reports_dir`.
    pub dir: std::path::PathBuf,
    /// The mailer, when `[email] host` is set.
    pub mailer: Option<crate::email::Mailer>,
    /// `[schedule] reports_email_to`.
    pub email_to: Vec<lettre::message::Mailbox>,
    /// Delivery attempts (`[alerts] webhook_attempts`).
    pub attempts: u32,
    /// Wait before the first retry (`[alerts] webhook_backoff_ms`), doubling.
    pub backoff: Duration,
}

impl ReportDelivery {
    /// From the configuration.
    pub fn from_config(config: &Config) -> Result<ReportDelivery, crate::email::EmailError> {
        Ok(ReportDelivery {
            dir: config.schedule.reports_dir.clone(),
            mailer: crate::email::Mailer::from_config(&config.email)?,
            email_to: crate::email::parse_recipients(
                "schedule.reports_email_to",
                &config.schedule.reports_email_to,
            )
            .map_err(|e| crate::email::EmailError::Setup(e.to_string()))?,
            attempts: config.alerts.webhook_attempts.max(1),
            backoff: Duration::from_millis(config.alerts.webhook_backoff_ms),
        })
    }
}

/// The scheduled reports: status, receipts and rejections of the previous Stockholm day, CSV and xlsx, in the
/// delivery's directory, then e-mailed (one message, six attachments) when recipients are set.
pub async fn scheduled_reports(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    delivery: &ReportDelivery,
) -> Result<(), JobError> {
    let dir = &delivery.dir;
    let today = now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let day = today.pred_opt().unwrap_or(today);
    std::fs::create_dir_all(dir).map_err(|source| JobError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut written = Vec::new();
    let mut lines = Vec::new();
    for kind in [
        ReportKind::Status,
        ReportKind::Receipts,
        ReportKind::Rejections,
    ] {
        for format in [ReportFormat::Csv, ReportFormat::Xlsx] {
            let name = format!("{}-{day}.{}", kind.as_str(), format.extension());
            let out = dir.join(&name);
            let r = write_report(store, kind, day, day, format, &out).await?;
            if format == ReportFormat::Csv {
                lines.push(format!("{}: {} row(s)", r.title, r.rows.len()));
            }
            written.push((name, format, out));
        }
    }
    let (Some(mailer), false) = (&delivery.mailer, delivery.email_to.is_empty()) else {
        return Ok(());
    };
    let mut attachments = Vec::new();
    for (name, format, path) in written {
        let bytes = std::fs::read(&path).map_err(|source| JobError::Io {
            path: path.clone(),
            source,
        })?;
        attachments.push(crate::email::MailAttachment {
            name,
            content_type: match format {
                ReportFormat::Csv => "text/csv; charset=utf-8".into(),
                ReportFormat::Xlsx => {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into()
                }
            },
            bytes,
        });
    }
    let body = format!(
        "fogd's reports for {day} (Stockholm), CSV for Swedish Excel and xlsx:\n\n{}\n",
        lines.join("\n")
    );
    mailer
        .send_with_retry(
            &delivery.email_to,
            &format!("[fogd] reports for {day}"),
            &body,
            &attachments,
            delivery.attempts,
            delivery.backoff,
        )
        .await
        .map_err(JobError::Email)
}
