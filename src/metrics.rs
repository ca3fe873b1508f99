//! The daemon's Prometheus figures in the text format, written by hand (no registry needed: every figure is read
//! when scraped). The API serves them at `/metrics`; the daemon's send jobs fill the send-latency [`Histogram`].
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
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Upper bounds (seconds) of the send-latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// A Prometheus histogram of durations (lock-free; cumulative buckets are computed when rendered).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: std::time::Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            if let Some(b) = self.buckets.get(i) {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            d.as_micros().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Writes the histogram `name` in the text format.
    pub fn render(&self, m: &mut String, name: &str, help: &str) {
        let _ = writeln!(m, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cum = 0u64;
        for (b, n) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            cum += n.load(Ordering::Relaxed);
            let _ = writeln!(m, "{name}_bucket{{le=\"{b}\"}} {cum}");
        }
        let count = self.count();
        let _ = writeln!(m, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            m,
            "{name}_sum {:.6}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(m, "{name}_count {count}");
    }
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
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

/// Renders the metrics text.
pub async fn render(state: &Sources<'_>) -> Result<String, crate::store::StoreError> {
    let mut m = String::with_capacity(4096);
    m.push_str("# HELP fogd_up 1 while fogd serve runs.\n# TYPE fogd_up gauge\nfogd_up 1\n");
    m.push_str("# HELP fogd_cases Cases by state.\n# TYPE fogd_cases gauge\n");
    let counts = state.store.count_by_state().await?;
    for &s in crate::domain::CaseState::ALL {
        let n = counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
        let _ = writeln!(m, "fogd_cases{{state=\"{s}\"}} {n}");
    }
    let f = state.store.file_figures().await?;
    m.push_str("# HELP fogd_files Files by state.\n# TYPE fogd_files gauge\n");
    for &s in crate::domain::FileState::ALL {
        let n = f
            .files_by_state
            .iter()
            .find(|(c, _)| *c == s)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(m, "fogd_files{{state=\"{s}\"}} {n}");
    }
    let _ = writeln!(
        m,
        "# HELP fogd_files_sent_total Files the SHS node accepted.\n# TYPE fogd_files_sent_total counter\n\
         fogd_files_sent_total {}",
        f.files_sent
    );
    m.push_str("# HELP fogd_kvittens_total Kvittens received by status (G accepted, U rejected whole).\n# TYPE fogd_kvittens_total counter\n");
    for &st in crate::formats::KvittensStatus::ALL {
        let n = f
            .kvittens_by_status
            .iter()
            .find(|(c, _)| *c == st)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(m, "fogd_kvittens_total{{status=\"{st}\"}} {n}");
    }
    m.push_str("# HELP fogd_receipts_total Inbound messages by kind and apply status.\n# TYPE fogd_receipts_total counter\n");
    for (kind, st, n) in &f.inbound_by_kind {
        let _ = writeln!(
            m,
            "fogd_receipts_total{{kind=\"{}\",status=\"{}\"}} {n}",
            kind,
            label(st)
        );
    }
    let age = f
        .oldest_unreceipted
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0.0, |t| {
            ((state.clock.now() - t.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0)
                .max(0.0)
        });
    let _ = writeln!(
        m,
        "# HELP fogd_oldest_unreceipted_file_age_seconds Age of the oldest file still waiting for its kvittens.\n\
         # TYPE fogd_oldest_unreceipted_file_age_seconds gauge\nfogd_oldest_unreceipted_file_age_seconds {age:.3}"
    );
    state.send_latency.render(
        &mut m,
        "fogd_send_latency_seconds",
        "Duration of SHS send calls (one file each) made by this process.",
    );
    m.push_str("# HELP fogd_job_runs_total Scheduled job runs since start.\n# TYPE fogd_job_runs_total counter\n");
    for (name, s) in state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_runs_total{{job=\"{}\"}} {}",
            label(name),
            s.runs.load(Ordering::Relaxed)
        );
    }
    m.push_str("# HELP fogd_job_failures_total Failed scheduled job runs since start.\n# TYPE fogd_job_failures_total counter\n");
    for (name, s) in state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_failures_total{{job=\"{}\"}} {}",
            label(name),
            s.failures.load(Ordering::Relaxed)
        );
    }
    m.push_str("# HELP fogd_job_running 1 while the job runs.\n# TYPE fogd_job_running gauge\n");
    for (name, s) in state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_running{{job=\"{}\"}} {}",
            label(name),
            u8::from(s.running.load(Ordering::Relaxed))
        );
    }
    m.push_str("# HELP fogd_job_last_duration_seconds Duration of the job's last run.\n# TYPE fogd_job_last_duration_seconds gauge\n");
    for (name, s) in state.jobs {
        let ms = s.last_duration_ms.load(Ordering::Relaxed);
        let _ = writeln!(
            m,
            "fogd_job_last_duration_seconds{{job=\"{}\"}} {:.3}",
            label(name),
            ms as f64 / 1000.0
        );
    }
    m.push_str("# HELP fogd_certificate_expiry_seconds Seconds until the certificate expires (negative: expired).\n# TYPE fogd_certificate_expiry_seconds gauge\n");
    let now = state.clock.now().timestamp();
    for (name, path) in [
        ("ca", &state.config.tls.ca),
        ("identity", &state.config.tls.identity),
    ] {
        if let Ok(t) = crate::certs::not_after_unix(path) {
            let _ = writeln!(
                m,
                "fogd_certificate_expiry_seconds{{cert=\"{name}\"}} {}",
                t - now
            );
        }
    }
    if let Some(a) = &state.alerter {
        m.push_str(
            "# HELP fogd_alerts_active Active alerts by kind.\n# TYPE fogd_alerts_active gauge\n",
        );
        let active = a.active();
        for kind in AlertKind::ALL {
            let n = active.iter().filter(|x| x.kind == kind).count();
            let _ = writeln!(m, "fogd_alerts_active{{kind=\"{}\"}} {n}", kind.as_str());
        }
    }
    Ok(m)
}
