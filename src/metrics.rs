//! The daemon's Prometheus figures, encoded in the Prometheus text format (0.0.4) by `prometheus-client`. Every
//! figure except the send latency is read when scraped: [`render`] reads a [`Snapshot`] from the store, the jobs
//! and the alerter, and the crate's encoder writes it through a [`Collector`] (names, label escaping, histogram
//! buckets). The API serves it at `/metrics` with [`CONTENT_TYPE`]; the daemon's send jobs fill the send-latency
//! [`Histogram`].
//!
//! Figures: `fogd_cases{state}`, `fogd_job_runs_total{job}`, `fogd_job_failures_total{job}`,
//! `fogd_job_running{job}`, `fogd_job_last_duration_seconds{job}`, `fogd_certificate_expiry_seconds{cert}`,
//! `fogd_alerts_active{kind}`, `fogd_up`; files and receipts: `fogd_files{state}`, `fogd_files_sent_total`,
//! `fogd_kvittens_total{status}`, `fogd_receipts_total{kind,status}` (status `applied`, `unmatched`, `pending`),
//! `fogd_oldest_unreceipted_file_age_seconds` (0 when none waits), and the histogram
//! `fogd_send_latency_seconds` of SHS send calls made by the send passes of this process.

use crate::alerts::{AlertKind, Alerter};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::engine::schedule::JobStats;
use crate::store::Store;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeLabelSet, EncodeMetric,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The `Content-Type` of `/metrics`: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds (seconds) of the send-latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Why the metrics text could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Reading the figures from the store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The encoder failed (it writes into a `String`, so only a bug in a figure's encoding gets here).
    #[error("encoding the metrics text failed")]
    Encode(#[from] std::fmt::Error),
}

/// The send-latency histogram ([`LATENCY_BUCKETS`]), shared by the send jobs that fill it and `/metrics`.
#[derive(Debug, Clone)]
pub struct Histogram(prometheus_client::metrics::histogram::Histogram);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(prometheus_client::metrics::histogram::Histogram::new(
            LATENCY_BUCKETS,
        ))
    }
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: std::time::Duration) {
        self.0.observe(d.as_secs_f64());
    }
}

/// What the figures are read from.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub store: &'a Store,
    /// For the certificate paths (`[tls] ca`, `identity`).
    pub config: &'a Config,
    pub clock: &'a SharedClock,
    /// The scheduled jobs of this process and their counters.
    pub jobs: &'a [(String, Arc<JobStats>)],
    /// The active alerts, when this process checks alerts.
    pub alerter: Option<&'a Alerter>,
    /// SHS send calls of this process.
    pub send_latency: &'a Histogram,
}

/// One scheduled job's figures.
#[derive(Debug)]
struct JobFigures {
    name: String,
    runs: u64,
    failures: u64,
    running: i64,
    last_duration_secs: f64,
}

/// Every figure of one scrape, read before encoding (the store is async, the crate's encoder is not).
#[derive(Debug)]
struct Snapshot {
    cases: Vec<(&'static str, i64)>,
    files: Vec<(&'static str, i64)>,
    files_sent: u64,
    kvittens: Vec<(&'static str, u64)>,
    receipts: Vec<(&'static str, String, u64)>,
    oldest_unreceipted_age: f64,
    send_latency: Histogram,
    jobs: Vec<JobFigures>,
    certificates: Vec<(&'static str, i64)>,
    /// `None` when this process does not check alerts (the family is then left out).
    alerts: Option<Vec<(&'static str, i64)>>,
}

/// The count of `key` in `rows`, 0 when absent.
fn count_of<K: PartialEq + Copy>(rows: &[(K, i64)], key: K) -> i64 {
    rows.iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n)
}

/// A count from the database as a counter value (never negative).
fn counter(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Snapshot {
    /// Reads every figure now.
    async fn read(state: &Sources<'_>) -> Result<Snapshot, crate::store::StoreError> {
        let counts = state.store.count_by_state().await?;
        let cases = crate::domain::CaseState::ALL
            .iter()
            .map(|&s| (s.as_str(), count_of(&counts, s)))
            .collect();
        let f = state.store.file_figures().await?;
        let files = crate::domain::FileState::ALL
            .iter()
            .map(|&s| (s.as_str(), count_of(&f.files_by_state, s)))
            .collect();
        let kvittens = crate::formats::KvittensStatus::ALL
            .iter()
            .map(|&s| (s.as_str(), counter(count_of(&f.kvittens_by_status, s))))
            .collect();
        let receipts = f
            .inbound_by_kind
            .iter()
            .map(|(kind, status, n)| (kind.as_str(), status.clone(), counter(*n)))
            .collect();
        let oldest_unreceipted_age = f
            .oldest_unreceipted
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(0.0, |t| {
                ((state.clock.now() - t.with_timezone(&chrono::Utc)).num_milliseconds() as f64
                    / 1000.0)
                    .max(0.0)
            });
        let jobs = state
            .jobs
            .iter()
            .map(|(name, s)| JobFigures {
                name: name.clone(),
                runs: s.runs.load(Ordering::Relaxed),
                failures: s.failures.load(Ordering::Relaxed),
                running: i64::from(s.running.load(Ordering::Relaxed)),
                last_duration_secs: s.last_duration_ms.load(Ordering::Relaxed) as f64 / 1000.0,
            })
            .collect();
        let now = state.clock.now().timestamp();
        let certificates = [
            ("ca", &state.config.tls.ca),
            ("identity", &state.config.tls.identity),
        ]
        .into_iter()
        .filter_map(|(name, path)| {
            crate::certs::not_after_unix(path)
                .ok()
                .map(|t| (name, t - now))
        })
        .collect();
        let alerts = state.alerter.map(|a| {
            let active = a.active();
            AlertKind::ALL
                .iter()
                .map(|&kind| {
                    let n = active.iter().filter(|x| x.kind == kind).count();
                    (kind.as_str(), i64::try_from(n).unwrap_or(i64::MAX))
                })
                .collect()
        });
        Ok(Snapshot {
            cases,
            files,
            files_sent: counter(f.files_sent),
            kvittens,
            receipts,
            oldest_unreceipted_age,
            send_latency: state.send_latency.clone(),
            jobs,
            certificates,
            alerts,
        })
    }
}

/// The label set `job="NAME"` of a job's figures.
fn job(j: &JobFigures) -> [(&'static str, &str); 1] {
    [("job", j.name.as_str())]
}

/// Writes one gauge family: a sample per label set.
fn gauges<L: EncodeLabelSet, V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, V)>,
) -> Result<(), std::fmt::Error> {
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, v) in samples {
        ConstGauge::new(v).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Writes one counter family; `name` without `_total`, which the encoder appends.
fn counters<L: EncodeLabelSet, V: EncodeCounterValue>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, V)>,
) -> Result<(), std::fmt::Error> {
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in samples {
        ConstCounter::new(v).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Snapshot {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let up = enc.encode_descriptor(
            "fogd_up",
            "1 while fogd serve runs.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(1i64).encode(up)?;
        let by =
            |key: &'static str, rows: &[(&'static str, i64)]| -> Vec<([(&str, &str); 1], i64)> {
                rows.iter().map(|&(v, n)| ([(key, v)], n)).collect()
            };
        gauges(
            &mut enc,
            "fogd_cases",
            "Cases by state.",
            by("state", &self.cases),
        )?;
        gauges(
            &mut enc,
            "fogd_files",
            "Files by state.",
            by("state", &self.files),
        )?;
        let sent = enc.encode_descriptor(
            "fogd_files_sent",
            "Files the SHS node accepted.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(self.files_sent).encode(sent)?;
        counters(
            &mut enc,
            "fogd_kvittens",
            "Kvittens received by status (G accepted, U rejected whole).",
            self.kvittens.iter().map(|&(s, n)| ([("status", s)], n)),
        )?;
        counters(
            &mut enc,
            "fogd_receipts",
            "Inbound messages by kind and apply status.",
            self.receipts
                .iter()
                .map(|(kind, status, n)| ([("kind", *kind), ("status", status.as_str())], *n)),
        )?;
        let age = enc.encode_descriptor(
            "fogd_oldest_unreceipted_file_age_seconds",
            "Age of the oldest file still waiting for its kvittens.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(self.oldest_unreceipted_age).encode(age)?;
        let latency = enc.encode_descriptor(
            "fogd_send_latency_seconds",
            "Duration of SHS send calls (one file each) made by this process.",
            None,
            MetricType::Histogram,
        )?;
        self.send_latency.0.encode(latency)?;
        counters(
            &mut enc,
            "fogd_job_runs",
            "Scheduled job runs since start.",
            self.jobs.iter().map(|j| (job(j), j.runs)),
        )?;
        counters(
            &mut enc,
            "fogd_job_failures",
            "Failed scheduled job runs since start.",
            self.jobs.iter().map(|j| (job(j), j.failures)),
        )?;
        gauges(
            &mut enc,
            "fogd_job_running",
            "1 while the job runs.",
            self.jobs.iter().map(|j| (job(j), j.running)),
        )?;
        gauges(
            &mut enc,
            "fogd_job_last_duration_seconds",
            "Duration of the job's last run.",
            self.jobs.iter().map(|j| (job(j), j.last_duration_secs)),
        )?;
        gauges(
            &mut enc,
            "fogd_certificate_expiry_seconds",
            "Seconds until the certificate expires (negative: expired).",
            by("cert", &self.certificates),
        )?;
        if let Some(alerts) = &self.alerts {
            gauges(
                &mut enc,
                "fogd_alerts_active",
                "Active alerts by kind.",
                by("kind", alerts),
            )?;
        }
        Ok(())
    }
}

/// Renders the metrics text (Prometheus text format 0.0.4, [`CONTENT_TYPE`]).
pub async fn render(state: &Sources<'_>) -> Result<String, MetricsError> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot::read(state).await?));
    let mut text = String::with_capacity(4096);
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?;
    Ok(text)
}
