//! Reports for a period, in CSV or Excel (xlsx): case status (cases taken in during the period and where they
//! stand), rejections (cases Kronofogden rejected in the period, with felkod, text and what to do) and receipts.
//!
//! Readings: a period is whole days `--from`..=`--to` on the Stockholm calendar; CSV is RFC 4180 with a comma
//! separator, UTF-8 without BOM; reports carry no personal numbers. The receipts report has one row per message
//! received from Kronofogden in the period (kvittens, bekräftelse, utslag, SHS confirm/error) with the file it
//! answers; the rejections report has the cases rejected in the period (kvittens `niva H`) and the files rejected
//! whole (kvittens `U`, `kind` = `file`, `reference` = the file name and löpnummer).

use crate::domain::CaseState;
use crate::store::cases::time_text;
use crate::store::Store;
use chrono::{NaiveDate, TimeZone, Utc};
use std::path::Path;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportKind {
    /// Cases taken in during the period and their current state.
    Status,
    /// Kvittens per file sent in the period.
    Receipts,
    /// Cases rejected in the period.
    Rejections,
}

impl ReportKind {
    /// The name used in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Status => "status",
            ReportKind::Receipts => "receipts",
            ReportKind::Rejections => "rejections",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Comma-separated values.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The period is empty or reversed.
    #[error("period: --from {from} is after --to {to}")]
    Period {
        /// From.
        from: NaiveDate,
        /// To.
        to: NaiveDate,
    },
    /// Writing the output failed.
    #[error("writing {path}: {message}")]
    Write {
        /// The path.
        path: String,
        /// The cause.
        message: String,
    },
}

/// A finished report: a title, column headers, rows, and a summary (label, count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Title (sheet name).
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Summary lines (e.g. cases per state).
    pub summary: Vec<(String, i64)>,
}

/// The UTC bounds `[start, end)` of the Stockholm days `from..=to`, as stored time text.
pub fn period_bounds(from: NaiveDate, to: NaiveDate) -> Result<(String, String), ReportError> {
    if from > to {
        return Err(ReportError::Period { from, to });
    }
    let tz = chrono_tz::Europe::Stockholm;
    let start_of = |d: NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
    };
    let end_day = to.succ_opt().unwrap_or(to);
    Ok((time_text(start_of(from)), time_text(start_of(end_day))))
}

/// Builds the report `kind` for `from..=to`.
pub async fn build(
    store: &Store,
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, ReportError> {
    let (start, end) = period_bounds(from, to)?;
    match kind {
        ReportKind::Status => {
            let cases = store.cases_created_between(&start, &end).await?;
            let mut summary: Vec<(String, i64)> = Vec::new();
            for s in CaseState::ALL {
                let n = cases.iter().filter(|c| c.state == s).count() as i64;
                if n > 0 {
                    summary.push((s.as_str().to_string(), n));
                }
            }
            let rows = cases
                .iter()
                .map(|c| {
                    vec![
                        c.reference.clone(),
                        c.kind.clone(),
                        c.intressentkod.clone(),
                        c.state.as_str().to_string(),
                        c.malnummer.clone().unwrap_or_default(),
                        c.hold_reason.clone().unwrap_or_default(),
                        c.created_at.clone(),
                        c.updated_at.clone(),
                    ]
                })
                .collect();
            Ok(Report {
                title: format!("Status {from} to {to}"),
                headers: [
                    "reference",
                    "kind",
                    "intressentkod",
                    "state",
                    "malnummer",
                    "hold_reason",
                    "created_at",
                    "updated_at",
                ]
                .map(String::from)
                .to_vec(),
                rows,
                summary,
            })
        }
        ReportKind::Rejections => {
            let events = store
                .events_into_state_between(CaseState::Rejected, &start, &end)
                .await?;
            let mut rows: Vec<(String, Vec<String>)> = events
                .iter()
                .map(|e| {
                    let reason = e.reason.clone().unwrap_or_default();
                    (
                        e.at.clone(),
                        vec![
                            e.case.reference.clone(),
                            e.case.kind.clone(),
                            e.at.clone(),
                            reason.clone(),
                            crate::api::page::advice(&reason),
                        ],
                    )
                })
                .collect();
            let cases = rows.len() as i64;
            let mut files = 0;
            for f in store.list_files().await? {
                let at = f.receipted_at.clone().unwrap_or_default();
                if f.kvittens_status.as_deref() != Some("U") || at < start || at >= end {
                    continue;
                }
                files += 1;
                let errors: Vec<crate::formats::KvittensError> = f
                    .kvittens_errors_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default();
                let reason = errors
                    .iter()
                    .map(|e| format!("{} {}", e.felkod, e.feltext))
                    .collect::<Vec<_>>()
                    .join("; ");
                rows.push((
                    at.clone(),
                    vec![
                        format!("{} löpnummer {}", f.file_name, f.lopnummer),
                        "file".into(),
                        at,
                        reason.clone(),
                        crate::api::page::advice(&reason),
                    ],
                ));
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Report {
                title: format!("Rejections {from} to {to}"),
                headers: [
                    "reference",
                    "kind",
                    "rejected_at",
                    "felkod_and_text",
                    "what_to_do",
                ]
                .map(String::from)
                .to_vec(),
                rows: rows.into_iter().map(|r| r.1).collect(),
                summary: vec![
                    ("rejected cases".into(), cases),
                    ("files rejected whole".into(), files),
                ],
            })
        }
        ReportKind::Receipts => {
            let receipts = store.receipts_between(&start, &end).await?;
            let mut summary: Vec<(String, i64)> = Vec::new();
            let mut bump = |label: String| match summary.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => summary.push((label, 1)),
            };
            let rows = receipts
                .iter()
                .map(|r| {
                    let i = &r.inbound;
                    let status = match (&i.applied_at, &i.apply_error) {
                        (None, _) => "pending",
                        (Some(_), Some(_)) => "unmatched",
                        (Some(_), None) => "applied",
                    };
                    bump(i.kind.clone());
                    if let Some(k) = &r.kvittens_status {
                        bump(format!("kvittens {k}"));
                    }
                    vec![
                        i.received_at.clone(),
                        i.kind.clone(),
                        i.file_name.clone().unwrap_or_default(),
                        r.file_name.clone().unwrap_or_default(),
                        r.lopnummer.map(|l| l.to_string()).unwrap_or_default(),
                        r.kvittens_status.clone().unwrap_or_default(),
                        status.to_string(),
                        i.applied_at.clone().unwrap_or_default(),
                        i.apply_error.clone().unwrap_or_default(),
                        i.tx_id.clone(),
                    ]
                })
                .collect();
            Ok(Report {
                title: format!("Receipts {from} to {to}"),
                headers: [
                    "received_at",
                    "kind",
                    "message_file_name",
                    "answers_file",
                    "lopnummer",
                    "kvittens_status",
                    "status",
                    "applied_at",
                    "apply_error",
                    "tx_id",
                ]
                .map(String::from)
                .to_vec(),
                rows,
                summary,
            })
        }
    }
}

/// Writes `report` as CSV to `w`.
pub fn write_csv(report: &Report, w: impl std::io::Write) -> Result<(), ReportError> {
    let err = |e: csv::Error| ReportError::Write {
        path: "<csv>".into(),
        message: e.to_string(),
    };
    let mut out = csv::Writer::from_writer(w);
    out.write_record(&report.headers).map_err(err)?;
    for r in &report.rows {
        out.write_record(r).map_err(err)?;
    }
    out.flush().map_err(|e| ReportError::Write {
        path: "<csv>".into(),
        message: e.to_string(),
    })?;
    Ok(())
}

/// Writes `report` as an Excel workbook at `path`: one sheet of rows (bold headers, frozen first row, autofilter)
/// and a "Summary" sheet.
pub fn write_xlsx(report: &Report, path: &Path) -> Result<(), ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    // Sheet names: at most 31 characters, no []:*?/\.
    let name: String = report
        .title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(&name).map_err(err)?;
    for (c, h) in report.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
    }
    for (r, row) in report.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, cell)
                .map_err(err)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    if !report.headers.is_empty() {
        ws.autofilter(
            0,
            0,
            report.rows.len() as u32,
            (report.headers.len() - 1) as u16,
        )
        .map_err(err)?;
    }
    ws.autofit();
    let sum = wb.add_worksheet();
    sum.set_name("Summary").map_err(err)?;
    sum.write_string_with_format(0, 0, "what", &bold)
        .map_err(err)?;
    sum.write_string_with_format(0, 1, "count", &bold)
        .map_err(err)?;
    for (i, (label, n)) in report.summary.iter().enumerate() {
        sum.write_string((i + 1) as u32, 0, label).map_err(err)?;
        sum.write_number((i + 1) as u32, 1, *n as f64)
            .map_err(err)?;
    }
    wb.save(path).map_err(err)?;
    Ok(())
}

/// Builds and writes a report to `out` in `format`.
pub async fn write_report(
    store: &Store,
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
    format: ReportFormat,
    out: &Path,
) -> Result<Report, ReportError> {
    let report = build(store, kind, from, to).await?;
    match format {
        ReportFormat::Csv => {
            let f = std::fs::File::create(out).map_err(|e| ReportError::Write {
                path: out.display().to_string(),
                message: e.to_string(),
            })?;
            write_csv(&report, std::io::BufWriter::new(f))?;
        }
        ReportFormat::Xlsx => write_xlsx(&report, out)?,
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_is_stockholm_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (a, b) = period_bounds(d("2026-03-29"), d("2026-03-29")).unwrap();
        assert_eq!(a, "2026-03-28T23:00:00.000000Z");
        assert_eq!(b, "2026-03-29T22:00:00.000000Z"); // DST day: 23 hours
        assert!(period_bounds(d("2026-03-02"), d("2026-03-01")).is_err());
    }

    #[test]
    fn csv_and_xlsx_output() {
        let r = Report {
            title: "Status 2026-01-01 to 2026-01-31".into(),
            headers: vec!["reference".into(), "state".into()],
            rows: vec![
                vec!["A-1".into(), "journal".into()],
                vec!["B,\"2\"".into(), "held".into()],
            ],
            summary: vec![("journal".into(), 1), ("held".into(), 1)],
        };
        let mut buf = Vec::new();
        write_csv(&r, &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "reference,state\nA-1,journal\n\"B,\"\"2\"\"\",held\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.xlsx");
        write_xlsx(&r, &p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    }
}
