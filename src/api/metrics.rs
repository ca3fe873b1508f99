//! `/metrics`: Prometheus text format, written by hand (no registry needed: every figure is read when scraped).
//!
//! Figures: `fogd_cases{state}`, `fogd_job_runs_total{job}`, `fogd_job_failures_total{job}`,
//! `fogd_job_running{job}`, `fogd_job_last_duration_seconds{job}`, `fogd_certificate_expiry_seconds{cert}`,
//! `fogd_alerts_active{kind}`, `fogd_up`.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders the metrics text.
pub async fn render(state: &AppState) -> Result<String, crate::store::StoreError> {
    let mut m = String::with_capacity(4096);
    m.push_str("# HELP fogd_up 1 while fogd serve runs.\n# TYPE fogd_up gauge\nfogd_up 1\n");
    m.push_str("# HELP fogd_cases Cases by state.\n# TYPE fogd_cases gauge\n");
    let counts = state.store.count_by_state().await?;
    for s in crate::domain::CaseState::ALL {
        let n = counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
        let _ = writeln!(m, "fogd_cases{{state=\"{s}\"}} {n}");
    }
    m.push_str("# HELP fogd_job_runs_total Scheduled job runs since start.\n# TYPE fogd_job_runs_total counter\n");
    for (name, s) in &state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_runs_total{{job=\"{}\"}} {}",
            label(name),
            s.runs.load(Ordering::Relaxed)
        );
    }
    m.push_str("# HELP fogd_job_failures_total Failed scheduled job runs since start.\n# TYPE fogd_job_failures_total counter\n");
    for (name, s) in &state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_failures_total{{job=\"{}\"}} {}",
            label(name),
            s.failures.load(Ordering::Relaxed)
        );
    }
    m.push_str("# HELP fogd_job_running 1 while the job runs.\n# TYPE fogd_job_running gauge\n");
    for (name, s) in &state.jobs {
        let _ = writeln!(
            m,
            "fogd_job_running{{job=\"{}\"}} {}",
            label(name),
            u8::from(s.running.load(Ordering::Relaxed))
        );
    }
    m.push_str("# HELP fogd_job_last_duration_seconds Duration of the job's last run.\n# TYPE fogd_job_last_duration_seconds gauge\n");
    for (name, s) in &state.jobs {
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
        for kind in [
            "file_rejected",
            "kvittens_overdue",
            "shs_unreachable",
            "certificate_expiry",
        ] {
            let n = active
                .iter()
                .filter(|x| {
                    serde_json::to_value(x.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .as_deref()
                        == Some(kind)
                })
                .count();
            let _ = writeln!(m, "fogd_alerts_active{{kind=\"{kind}\"}} {n}");
        }
    }
    Ok(m)
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    match render(&state).await {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("# database: {e}\n"),
        ),
    }
}
