//! Reports for a period, in CSV or Excel (xlsx): case status (cases taken in during the period and where they
//! stand), rejections (cases Kronofogden rejected in the period, with felkod, text and what to do) and receipts.
//!
//! Made for a Swedish office: CSV is what Swedish Excel opens with a double click — UTF-8 with a byte order mark,
//! `;` between cells, decimal comma in amounts (`1234,50`, no thousands separator), CRLF line ends (RFC 4180
//! otherwise); xlsx cells are typed (dates and times as Excel dates, amounts and counts as numbers, shown with
//! the reader's own separators). Times are Stockholm local time.
//!
//! Formula injection (OWASP's CSV injection rule): every text cell of a CSV report that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is written with a leading `'` ([`csv_safe`]), so a spreadsheet shows it
//! as text and never runs it. Numbers and dates are written by fogd itself and need no guard; xlsx cells are typed
//! (text cells are strings, never formulas).
//!
//! Readings: a period is whole days `--from`..=`--to` on the Stockholm calendar; reports carry no personal
//! numbers. The status report has, per case: file and löpnummer it went in, målnummer, the decision in words and
//! its date, the amount claimed (claims' amounts with fixed interest and costs; a nedsättning's amount) and the
//! amount Kronofogden fixed in an utslag, and what remains by Kronofogden's latest account (`Aterstar` of a DELRED or
//! slutredovisning, FOGD-REF-2's ledger; empty while it has not said). The receipts report
//! has one row per message received from Kronofogden in the period (kvittens, bekräftelse, utslag, SHS
//! confirm/error) with the file it answers; the rejections report has the cases rejected in the period (kvittens
//! `niva H`) and the files rejected whole (kvittens `U`, `kind` = `file`, `reference` = the file name and
//! löpnummer).

use crate::domain::time::stamp;
use crate::domain::{Amount, Case, CaseState};
use crate::formats::felkod::{advice, Felkoder};
use crate::store::Store;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::borrow::Cow;
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

    /// The name of the report's sheet in a workbook (at most Excel's 31 characters; the period is on the
    /// "Summary" sheet and in the file name).
    pub fn sheet_name(self) -> &'static str {
        match self {
            ReportKind::Status => "Case status",
            ReportKind::Receipts => "Receipts",
            ReportKind::Rejections => "Rejections",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Semicolon-separated values as Swedish Excel reads them (UTF-8 with BOM, decimal comma).
    Csv,
    /// Excel workbook.
    Xlsx,
}

impl ReportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }

    /// The format a file name's extension names, if it is one of these.
    pub fn from_extension(ext: &str) -> Option<ReportFormat> {
        [ReportFormat::Csv, ReportFormat::Xlsx]
            .into_iter()
            .find(|f| ext.eq_ignore_ascii_case(f.extension()))
    }
}

/// One cell of a report, typed so that xlsx gets dates and numbers and CSV gets the Swedish forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing.
    Empty,
    Text(String),
    /// A count or number (löpnummer).
    Int(i64),
    /// Money.
    Amount(Amount),
    /// A calendar day.
    Date(NaiveDate),
    /// An instant, shown in Stockholm time.
    Time(DateTime<Utc>),
}

impl Cell {
    /// Text, or empty when `s` is empty.
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    /// A stored RFC 3339 time; text as it is when it does not parse, empty when absent.
    pub fn time(stored: Option<&str>) -> Cell {
        match stored {
            None | Some("") => Cell::Empty,
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map(|d| Cell::Time(d.with_timezone(&Utc)))
                .unwrap_or_else(|_| Cell::Text(t.to_string())),
        }
    }

    /// The cell as CSV text: Swedish decimal comma, ISO dates, Stockholm times, text guarded by [`csv_safe`].
    pub fn csv_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => csv_safe(t),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Amount(a) => Cow::Owned(a.to_string().replace('.', ",")),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::Time(t) => Cow::Owned(
                t.with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            ),
        }
    }
}

/// OWASP's rule against CSV (formula) injection: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'`, so spreadsheets show it as text instead of evaluating it.
pub fn csv_safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// What a case claims: the claims' amounts with their fixed interest and costs, or a follow-up's amount
/// (nedsättning); `None` when the case names no amount (återkallelse).
pub fn claimed_total(case: &Case) -> Option<Amount> {
    if case.claims.is_empty() {
        return case.amount;
    }
    let mut total = Amount::ZERO;
    for c in &case.claims {
        for a in [Some(c.amount), c.accrued_interest, c.costs]
            .into_iter()
            .flatten()
        {
            total = Amount(total.0.saturating_add(a.0));
        }
    }
    Some(total)
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The period is empty or reversed.
    #[error("period: --from {from} is after --to {to}")]
    Period { from: NaiveDate, to: NaiveDate },
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
    /// Which report.
    pub kind: ReportKind,
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Title (e.g. `Status 2026-01-01 to 2026-01-31`).
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Summary lines (e.g. cases per state).
    pub summary: Vec<(String, i64)>,
}

/// The UTC bounds `[start, end)` of the Stockholm days `from..=to`.
pub fn period_bounds(
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ReportError> {
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
    Ok((start_of(from), start_of(end_day)))
}

/// Builds the report `kind` for `from..=to`.
pub async fn build(
    store: &Store,
    kind: ReportKind,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, ReportError> {
    let (start, end) = period_bounds(from, to)?;
    let headers = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let report = |title: &str, headers: Vec<String>, rows, summary| Report {
        kind,
        from,
        to,
        title: format!("{title} {from} to {to}"),
        headers,
        rows,
        summary,
    };
    match kind {
        ReportKind::Status => {
            let cases = store.cases_created_between(start, end).await?;
            let mut summary: Vec<(String, i64)> = Vec::new();
            for &s in CaseState::ALL {
                let n = cases.iter().filter(|c| c.state == s).count() as i64;
                if n > 0 {
                    summary.push((s.as_str().to_string(), n));
                }
            }
            let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
            let infos: std::collections::HashMap<i64, crate::store::CaseFileInfo> = store
                .case_file_info_for(&ids)
                .await?
                .into_iter()
                .map(|i| (i.case_id, i))
                .collect();
            let remaining = store.latest_remaining(&ids).await?;
            let rows = cases
                .iter()
                .map(|c| {
                    let info = infos.get(&c.id);
                    let decision: Option<crate::formats::Decision> =
                        info.map(|i| i.decision()).transpose()?.flatten();
                    let claimed = c.case()?.as_ref().and_then(claimed_total);
                    let row = vec![
                        Cell::text(c.reference.clone()),
                        Cell::text(c.kind.clone()),
                        Cell::text(c.intressentkod.clone()),
                        Cell::text(c.state.as_str()),
                        Cell::text(info.and_then(|i| i.file_name.clone()).unwrap_or_default()),
                        info.and_then(|i| i.lopnummer)
                            .map(Cell::Int)
                            .unwrap_or(Cell::Empty),
                        Cell::text(c.malnummer.clone().unwrap_or_default()),
                        decision
                            .as_ref()
                            .map(|d| Cell::text(d.beslutstyp.words()))
                            .unwrap_or(Cell::Empty),
                        decision
                            .as_ref()
                            .map(|d| Cell::Date(d.beslutsdatum))
                            .unwrap_or(Cell::Empty),
                        claimed.map(Cell::Amount).unwrap_or(Cell::Empty),
                        decision
                            .as_ref()
                            .filter(|d| d.beslutstyp == crate::formats::Beslutstyp::Utslag)
                            .map(|d| Cell::Amount(d.faststallt_belopp))
                            .unwrap_or(Cell::Empty),
                        remaining
                            .get(&c.id)
                            .map(|a| Cell::Amount(Amount(*a)))
                            .unwrap_or(Cell::Empty),
                        Cell::text(c.hold_reason.clone().unwrap_or_default()),
                        Cell::time(Some(&c.created_at)),
                        Cell::time(Some(&c.updated_at)),
                    ];
                    Ok::<_, crate::store::StoreError>(row)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(report(
                "Status",
                headers(&[
                    "reference",
                    "kind",
                    "intressentkod",
                    "state",
                    "file",
                    "lopnummer",
                    "malnummer",
                    "decision",
                    "decision_date",
                    "claimed_kr",
                    "decided_kr",
                    "remaining_kr",
                    "hold_reason",
                    "created_at",
                    "updated_at",
                ]),
                rows,
                summary,
            ))
        }
        ReportKind::Rejections => {
            let events = store
                .events_into_state_between(CaseState::Rejected, start, end)
                .await?;
            let table = Felkoder::embedded();
            let ids: Vec<i64> = events.iter().map(|e| e.case.id).collect();
            let infos = store.case_file_info_for(&ids).await?;
            let mut rows: Vec<(String, Vec<Cell>)> = Vec::with_capacity(events.len());
            for e in &events {
                let reason = e.reason.clone().unwrap_or_default();
                let rejections = match infos.iter().find(|i| i.case_id == e.case.id) {
                    Some(info) => info.rejections()?.unwrap_or_default(),
                    None => Vec::new(),
                };
                let found = table.lookup(rejections.iter().map(|x| x.felkod.as_str()));
                rows.push((
                    e.at.clone(),
                    vec![
                        Cell::text(e.case.reference.clone()),
                        Cell::text(e.case.kind.clone()),
                        Cell::time(Some(&e.at)),
                        Cell::text(reason),
                        Cell::text(advice(&found)),
                    ],
                ));
            }
            let cases = rows.len() as i64;
            let mut files = 0;
            for f in store.list_files().await? {
                let at = f.receipted_at.clone().unwrap_or_default();
                if f.kvittens_status != Some(crate::formats::KvittensStatus::Underkand)
                    || at < stamp(start)
                    || at >= stamp(end)
                {
                    continue;
                }
                files += 1;
                let errors = f.kvittens_errors()?;
                let reason = errors
                    .iter()
                    .map(|e| format!("{} {}", e.felkod, e.feltext))
                    .collect::<Vec<_>>()
                    .join("; ");
                rows.push((
                    at.clone(),
                    vec![
                        Cell::text(format!("{} löpnummer {}", f.file_name, f.lopnummer)),
                        Cell::text("file"),
                        Cell::time(Some(&at)),
                        Cell::text(reason),
                        Cell::text(advice(
                            &table.lookup(errors.iter().map(|e| e.felkod.as_str())),
                        )),
                    ],
                ));
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(report(
                "Rejections",
                headers(&[
                    "reference",
                    "kind",
                    "rejected_at",
                    "felkod_and_text",
                    "what_to_do",
                ]),
                rows.into_iter().map(|r| r.1).collect(),
                vec![
                    ("rejected cases".into(), cases),
                    ("files rejected whole".into(), files),
                ],
            ))
        }
        ReportKind::Receipts => {
            let receipts = store.receipts_between(start, end).await?;
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
                    bump(i.kind.to_string());
                    let kvittens = r.kvittens_status.map(|k| k.words());
                    if let Some(k) = &kvittens {
                        bump(format!("kvittens: {k}"));
                    }
                    vec![
                        Cell::time(Some(&i.received_at)),
                        Cell::text(i.kind.to_string()),
                        Cell::text(i.file_name.clone().unwrap_or_default()),
                        Cell::text(r.file_name.clone().unwrap_or_default()),
                        r.lopnummer.map(Cell::Int).unwrap_or(Cell::Empty),
                        Cell::text(kvittens.unwrap_or_default()),
                        Cell::text(status),
                        Cell::time(i.applied_at.as_deref()),
                        Cell::text(i.apply_error.clone().unwrap_or_default()),
                        Cell::text(i.tx_id.clone()),
                    ]
                })
                .collect();
            Ok(report(
                "Receipts",
                headers(&[
                    "received_at",
                    "kind",
                    "message_file_name",
                    "answers_file",
                    "lopnummer",
                    "kvittens",
                    "status",
                    "applied_at",
                    "apply_error",
                    "tx_id",
                ]),
                rows,
                summary,
            ))
        }
    }
}

/// Writes `report` as CSV to `w` (see the module doc: BOM, `;`, decimal comma, CRLF, guarded text cells).
pub fn write_csv(report: &Report, mut w: impl std::io::Write) -> Result<(), ReportError> {
    let io = |e: std::io::Error| ReportError::Write {
        path: "<csv>".into(),
        message: e.to_string(),
    };
    let err = |e: csv::Error| ReportError::Write {
        path: "<csv>".into(),
        message: e.to_string(),
    };
    w.write_all("\u{feff}".as_bytes()).map_err(io)?;
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(report.headers.iter().map(|h| csv_safe(h).into_owned()))
        .map_err(err)?;
    for r in &report.rows {
        out.write_record(r.iter().map(|c| c.csv_text().into_owned()))
            .map_err(err)?;
    }
    out.flush().map_err(io)?;
    Ok(())
}

/// Writes `report` as an Excel workbook at `path`: one sheet of rows named after the report (bold headers, frozen
/// first row, autofilter; dates, times and amounts as typed cells) and a "Summary" sheet with the period and the
/// counts.
pub fn write_xlsx(report: &Report, path: &Path) -> Result<(), ReportError> {
    let label = path.display().to_string();
    let mut wb = workbook(report, &label)?;
    wb.save(path).map_err(|e| ReportError::Write {
        path: label,
        message: e.to_string(),
    })
}

/// The workbook of [`write_xlsx`] as bytes, for a download (no file on disk: reports may hold personal data).
pub fn xlsx_bytes(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut wb = workbook(report, "<xlsx>")?;
    wb.save_to_buffer().map_err(|e| ReportError::Write {
        path: "<xlsx>".into(),
        message: e.to_string(),
    })
}

/// The workbook of [`write_xlsx`]; `label` names it in errors.
fn workbook(report: &Report, label: &str) -> Result<rust_xlsxwriter::Workbook, ReportError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Write {
        path: label.to_string(),
        message: e.to_string(),
    };
    let excel_date = |d: NaiveDate| -> Result<ExcelDateTime, ReportError> {
        use chrono::Datelike;
        ExcelDateTime::from_ymd(
            u16::try_from(d.year()).unwrap_or(1900),
            d.month() as u8,
            d.day() as u8,
        )
        .map_err(err)
    };
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let time_fmt = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let amount_fmt = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name(report.kind.sheet_name()).map_err(err)?;
    for (c, h) in report.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
    }
    for (r, row) in report.rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    ws.write_string(r, c, t).map_err(err)?;
                }
                Cell::Int(n) => {
                    ws.write_number(r, c, *n as f64).map_err(err)?;
                }
                Cell::Amount(a) => {
                    ws.write_number_with_format(r, c, a.ore() as f64 / 100.0, &amount_fmt)
                        .map_err(err)?;
                }
                Cell::Date(d) => {
                    ws.write_datetime_with_format(r, c, excel_date(*d)?, &date_fmt)
                        .map_err(err)?;
                }
                Cell::Time(t) => {
                    use chrono::Timelike;
                    let local = t.with_timezone(&chrono_tz::Europe::Stockholm);
                    let dt = excel_date(local.date_naive())?
                        .and_hms(local.hour() as u16, local.minute() as u8, local.second())
                        .map_err(err)?;
                    ws.write_datetime_with_format(r, c, dt, &time_fmt)
                        .map_err(err)?;
                }
            }
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
    sum.write_string_with_format(0, 0, "report", &bold)
        .map_err(err)?;
    sum.write_string(0, 1, &report.title).map_err(err)?;
    sum.write_string_with_format(1, 0, "from", &bold)
        .map_err(err)?;
    sum.write_datetime_with_format(1, 1, excel_date(report.from)?, &date_fmt)
        .map_err(err)?;
    sum.write_string_with_format(2, 0, "to", &bold)
        .map_err(err)?;
    sum.write_datetime_with_format(2, 1, excel_date(report.to)?, &date_fmt)
        .map_err(err)?;
    sum.write_string_with_format(4, 0, "what", &bold)
        .map_err(err)?;
    sum.write_string_with_format(4, 1, "count", &bold)
        .map_err(err)?;
    for (i, (label, n)) in report.summary.iter().enumerate() {
        let r = (i + 5) as u32;
        sum.write_string(r, 0, label).map_err(err)?;
        sum.write_number(r, 1, *n as f64).map_err(err)?;
    }
    sum.autofit();
    Ok(wb)
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
        assert_eq!(stamp(a), "2026-03-28T23:00:00.000000Z");
        assert_eq!(stamp(b), "2026-03-29T22:00:00.000000Z"); // DST day: 23 hours
        assert!(period_bounds(d("2026-03-02"), d("2026-03-01")).is_err());
    }

    fn sample() -> Report {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        Report {
            kind: ReportKind::Status,
            from: d("2026-01-01"),
            to: d("2026-01-31"),
            title: "Status 2026-01-01 to 2026-01-31".into(),
            headers: vec![
                "reference".into(),
                "state".into(),
                "claimed_kr".into(),
                "decision_date".into(),
                "created_at".into(),
            ],
            rows: vec![
                vec![
                    Cell::text("A-1"),
                    Cell::text("journal"),
                    Cell::Amount(Amount(123_450)),
                    Cell::Date(d("2026-01-15")),
                    Cell::time(Some("2026-01-10T08:30:00.000000Z")),
                ],
                vec![
                    Cell::text("B;\"2\""),
                    Cell::text("=HYPERLINK(\"http://x\")"),
                    Cell::Amount(Amount(-5)),
                    Cell::Empty,
                    Cell::Empty,
                ],
            ],
            summary: vec![("journal".into(), 1), ("held".into(), 1)],
        }
    }

    #[test]
    fn csv_is_swedish_excel_and_guards_formulas() {
        let mut buf = Vec::new();
        write_csv(&sample(), &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "\u{feff}reference;state;claimed_kr;decision_date;created_at\r\n\
             A-1;journal;1234,50;2026-01-15;2026-01-10 09:30:00\r\n\
             \"B;\"\"2\"\"\";\"'=HYPERLINK(\"\"http://x\"\")\";-0,05;;\r\n"
        );
        for bad in ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_safe(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(csv_safe("A-1"), "A-1");
    }

    #[test]
    fn xlsx_is_a_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.xlsx");
        write_xlsx(&sample(), &p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
        for k in [
            ReportKind::Status,
            ReportKind::Receipts,
            ReportKind::Rejections,
        ] {
            assert!(k.sheet_name().chars().count() <= 31);
        }
        assert_eq!(
            ReportFormat::from_extension("XLSX"),
            Some(ReportFormat::Xlsx)
        );
        assert_eq!(ReportFormat::from_extension("pdf"), None);
    }
}
