//! `fogd status [--case REF] [--file ID] [--format json]`: where cases and files stand.
//!
//! Each case shows its current file and löpnummer, felkod/feltext of a rejection, målnummer, decision, and for a
//! follow-up waiting to be built "waiting for målnummer of REF". JSON: `{"cases":[…],"files":[…]}` (with `--file`,
//! `{"file":{…},"cases":[…]}` holding the cases that file carried). Files show their next send attempt and last
//! error (table: NEXT ATTEMPT and NOTE; JSON: `next_attempt_at`, `last_error`).
//!
//! Stored text (references, hold reasons, kvittens texts) came from outside; on a terminal, control characters in
//! it are written visibly (`\u{1b}`) instead of reaching the terminal ([`TerminalSafe`]).

use crate::cli::import::{open_store, OutputFormat};
use crate::cli::{UsageError, EXIT_OK};
use crate::config::Config;
use crate::domain::{CaseKind, CaseState};
use crate::formats::KvittensStatus;
use crate::store::{CaseFileInfo, CaseRow, FileRow, Store};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};

/// Arguments of `fogd status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Show only the case(s) with this reference, with their issues.
    #[arg(long = "case", value_name = "REF")]
    pub case: Option<String>,
    /// Show one file and the cases it carried.
    #[arg(long = "file", value_name = "ID", conflicts_with = "case")]
    pub file: Option<i64>,
    /// With `--case`: the ledger as of this date (YYYY-MM-DD; default today).
    #[arg(long = "as-of", value_name = "DATE", requires = "case")]
    pub as_of: Option<chrono::NaiveDate>,
    /// List the deadlines fogd tracks (överlämnande `sista_dag`, …), earliest first.
    #[arg(long, conflicts_with_all = ["case", "file"])]
    pub deadlines: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// A case as the status views show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseStatusView {
    /// The stored case.
    #[serde(skip)]
    pub row: CaseRow,
    /// File and receipt columns.
    #[serde(skip)]
    pub info: CaseFileInfo,
    /// "waiting for målnummer of REF" for an approved follow-up whose concerned case has none yet.
    pub waiting: Option<String>,
    /// Felkod + feltext of a rejection, joined.
    pub rejection: Option<String>,
    /// Decision (beslutstyp, belopp), short.
    pub decision: Option<String>,
}

/// Builds the views of `rows`.
pub async fn case_views(store: &Store, rows: Vec<CaseRow>) -> anyhow::Result<Vec<CaseStatusView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let infos: HashMap<i64, CaseFileInfo> = store
        .case_file_info_for(&ids)
        .await?
        .into_iter()
        .map(|i| (i.case_id, i))
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let info = infos.get(&row.id).cloned().unwrap_or_default();
        let waiting = match (
            CaseKind::parse(&row.kind).and_then(CaseKind::concerns_kind),
            &row.concerns,
        ) {
            (Some(parent), Some(c))
                if row.state == CaseState::Approved && row.malnummer.is_none() =>
            {
                // One look-up per approved follow-up without målnummer (not every case loaded again).
                let has = store
                    .malnummer_of(&row.intressentkod, parent.as_str(), c)
                    .await?
                    .is_some();
                (!has).then(|| format!("waiting for målnummer of {c}"))
            }
            _ => None,
        };
        let rejection = info
            .rejections()?
            .map(|r| crate::formats::rejection_text(&r));
        let decision = info.decision()?.map(|d| decision_words(&d));
        out.push(CaseStatusView {
            row,
            info,
            waiting,
            rejection,
            decision,
        });
    }
    Ok(out)
}

/// A decision in words: `utslag 2026-02-03, fastställt 1234.00 kr`, `avskrivet 2026-02-03` (never a bare code:
/// `U` would read as the kvittens' "rejected whole").
pub fn decision_words(d: &crate::formats::Decision) -> String {
    let mut s = format!("{} {}", d.beslutstyp.words(), d.beslutsdatum);
    if d.beslutstyp == crate::formats::Beslutstyp::Utslag {
        s.push_str(&format!(", fastställt {} kr", d.faststallt_belopp));
    }
    s
}

fn case_json(v: &CaseStatusView) -> anyhow::Result<serde_json::Value> {
    let r = &v.row;
    let issues = r.issues()?;
    let rejection = v.info.rejections()?;
    let decision = v.info.decision()?;
    Ok(serde_json::json!({
        "reference": r.reference,
        "kind": r.kind,
        "intressentkod": r.intressentkod,
        "state": r.state,
        "errors": issues,
        "hold_reason": r.hold_reason,
        "concerns": r.concerns,
        "malnummer": r.malnummer,
        "file_id": v.info.file_id,
        "lopnummer": v.info.lopnummer,
        "file_name": v.info.file_name,
        "rejection": rejection,
        "decision": decision,
        "waiting": v.waiting,
        "source": r.source,
        "line": r.source_line,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }))
}

fn file_json(f: &FileRow) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(errs) = f
        .kvittens_errors_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
    {
        v["kvittens_errors"] = errs;
    }
    v
}

/// The detail column of a case: the most telling of waiting / rejection / decision / målnummer / hold reason.
pub fn detail(v: &CaseStatusView) -> String {
    if let Some(w) = &v.waiting {
        return w.clone();
    }
    if let Some(r) = &v.rejection {
        return format!("rejected: {r}");
    }
    let mut parts = Vec::new();
    if let Some(m) = &v.row.malnummer {
        parts.push(format!("målnummer {m}"));
    }
    if let Some(d) = &v.decision {
        parts.push(format!("decision {d}"));
    }
    if let Some(h) = &v.row.hold_reason {
        parts.push(format!("held: {h}"));
    }
    if parts.is_empty() && v.row.state == CaseState::Invalid {
        if let Ok(issues) = v.row.issues() {
            if let Some(i) = issues.first() {
                parts.push(format!("[{}] {}", i.rule, i.message));
            }
        }
    }
    parts.join(", ")
}

/// Writes the cases table.
pub fn write_cases(out: &mut dyn Write, views: &[CaseStatusView]) -> std::io::Result<()> {
    write_cases_head(out)?;
    write_case_lines(out, views)
}

/// Writes the head line of the cases table.
pub fn write_cases_head(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<16} {:<22} {:<10} {:<22} DETAIL",
        "REFERENCE", "KIND", "STATE", "FILE (LÖPNUMMER)"
    )
}

/// Writes lines of the cases table (a page of it).
pub fn write_case_lines(out: &mut dyn Write, views: &[CaseStatusView]) -> std::io::Result<()> {
    for v in views {
        let file = match (&v.info.file_name, v.info.lopnummer) {
            (Some(n), Some(l)) => format!("{n} ({l})"),
            _ => "-".into(),
        };
        writeln!(
            out,
            "{:<16} {:<22} {:<10} {:<22} {}",
            v.row.reference,
            v.row.kind,
            v.row.state.as_str(),
            file,
            detail(v)
        )?;
    }
    Ok(())
}

/// Writes the files table.
pub fn write_files(out: &mut dyn Write, files: &[FileRow]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<4} {:<18} {:>9} {:<18} {:>5} {:<18} {:<19} NOTE",
        "ID", "FILE", "LÖPNUMMER", "STATE", "CASES", "KVITTENS", "NEXT ATTEMPT"
    )?;
    for f in files {
        let next = next_attempt(f);
        let note = match (f.superseded_by, &f.last_error, &f.kvittens_errors_json) {
            (Some(by), _, _) => format!("superseded by file {by}"),
            (_, _, Some(_)) if f.kvittens_status == Some(KvittensStatus::Underkand) => {
                let text = f
                    .kvittens_errors()
                    .map_err(std::io::Error::other)?
                    .iter()
                    .map(|x| format!("{} {}", x.felkod, x.feltext))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!("rejected whole: {text}")
            }
            (_, Some(e), _) if f.state != crate::domain::FileState::ReceiptedOk => e.clone(),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<4} {:<18} {:>9} {:<18} {:>5} {:<18} {:<19} {}",
            f.id,
            f.file_name,
            f.lopnummer,
            f.state.as_str(),
            f.case_count,
            f.kvittens_status.map_or("-", |k| k.words()),
            next,
            note
        )?;
    }
    Ok(())
}

/// The NEXT ATTEMPT column: when a file waiting to be sent will be tried next (Stockholm time; `now` when due,
/// `-` for a file not waiting to be sent). `fogd send --retry-now` makes a waiting file due at once.
fn next_attempt(f: &FileRow) -> String {
    if !crate::domain::FileState::TO_SEND.contains(&f.state) {
        return "-".into();
    }
    match f.next_attempt_at.as_deref() {
        None => "now".into(),
        Some(t) => chrono::DateTime::parse_from_rfc3339(t).map_or_else(
            |_| t.to_string(),
            |d| {
                d.with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        ),
    }
}

/// Standard output, buffered; on a terminal through [`TerminalSafe`].
fn output(format: OutputFormat) -> Box<dyn Write> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let buffered = std::io::BufWriter::new(stdout.lock());
    if terminal {
        Box::new(TerminalSafe {
            inner: buffered,
            json: format == OutputFormat::Json,
        })
    } else {
        Box::new(buffered)
    }
}

/// A writer that writes control characters visibly: C0 (but line feed and tab), DEL and C1 become `\u{1b}` in
/// text, or the JSON escape `\u001b` in JSON output (serde_json leaves C1 characters raw). Every write is expected
/// to hold whole characters (formatting writes whole `str` pieces); bytes that are not UTF-8 pass through, their
/// ASCII control bytes escaped.
pub struct TerminalSafe<W: Write> {
    /// Where the text goes.
    pub inner: W,
    /// JSON escapes instead of Rust-style ones.
    pub json: bool,
}

impl<W: Write> TerminalSafe<W> {
    fn escape(&self, c: char, out: &mut String) {
        let cp = c as u32;
        if self.json {
            out.push_str(&format!("\\u{cp:04x}"));
        } else {
            out.push_str(&format!("\\u{{{cp:x}}}"));
        }
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let keep = |c: char| !c.is_control() || c == '\n' || c == '\t';
        match std::str::from_utf8(buf) {
            Ok(text) if text.chars().all(keep) => self.inner.write_all(buf)?,
            Ok(text) => {
                let mut out = String::with_capacity(text.len() + 16);
                for c in text.chars() {
                    if keep(c) {
                        out.push(c);
                    } else {
                        self.escape(c, &mut out);
                    }
                }
                self.inner.write_all(out.as_bytes())?;
            }
            Err(_) => {
                for &b in buf {
                    if b < 0x20 && b != b'\n' && b != b'\t' || b == 0x7f {
                        let mut out = String::new();
                        self.escape(char::from(b), &mut out);
                        self.inner.write_all(out.as_bytes())?;
                    } else {
                        self.inner.write_all(&[b])?;
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs the command.
pub async fn run(config: Config, args: StatusArgs) -> anyhow::Result<u8> {
    let store = open_store(&config).await?;
    let table = crate::interest_table::load(&config)?;
    let today = crate::clock::system().now().date_naive();
    let result = if args.deadlines {
        run_deadlines(&store, args.format).await
    } else {
        run_with(&store, &args, &table, today).await
    };
    store.close().await;
    result
}

/// Cases per page when `status` lists every case (bounded memory however many cases there are).
const STATUS_PAGE: i64 = 1000;

/// `status` of every case: pages of [`STATUS_PAGE`] cases written as they are read; the same output as building
/// the whole document first.
async fn run_all(store: &Store, format: OutputFormat) -> anyhow::Result<u8> {
    let files = store.list_files().await?;
    let mut out = output(format);
    let mut after = 0;
    let mut n = 0usize;
    match format {
        OutputFormat::Json => write!(out, "{{\"cases\":[")?,
        OutputFormat::Text => write_cases_head(&mut out)?,
    }
    loop {
        let page = store.cases_after(after, STATUS_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let views = case_views(store, page).await?;
        match format {
            OutputFormat::Json => {
                for v in &views {
                    if n > 0 {
                        write!(out, ",")?;
                    }
                    serde_json::to_writer(&mut out, &case_json(v)?)?;
                    n += 1;
                }
            }
            OutputFormat::Text => {
                write_case_lines(&mut out, &views)?;
                n += views.len();
            }
        }
    }
    match format {
        OutputFormat::Json => {
            let files: Vec<_> = files.iter().map(file_json).collect();
            write!(out, "],\"files\":")?;
            serde_json::to_writer(&mut out, &files)?;
            writeln!(out, "}}")?;
        }
        OutputFormat::Text => {
            writeln!(out, "{n} case(s)")?;
            writeln!(out)?;
            write_files(&mut out, &files)?;
            writeln!(out, "{} file(s)", files.len())?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `status --deadlines`: every tracked deadline, earliest first.
async fn run_deadlines(store: &Store, format: OutputFormat) -> anyhow::Result<u8> {
    crate::engine::deadlines::track_filing_deadlines(store).await?;
    let rows = store.deadlines(None).await?;
    let mut out = output(format);
    match format {
        OutputFormat::Json => {
            let v: Vec<_> = rows
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "reference": d.reference, "state": d.state, "kind": d.kind, "due": d.due,
                        "source": d.source, "alerted_at": d.alerted_at,
                    })
                })
                .collect();
            serde_json::to_writer(&mut out, &serde_json::json!({ "deadlines": v }))?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            writeln!(
                out,
                "{:<10}  {:<20}  {:<20}  {:<16}  SOURCE",
                "DUE", "KIND", "CASE", "STATE"
            )?;
            for d in &rows {
                writeln!(
                    out,
                    "{:<10}  {:<20}  {:<20}  {:<16}  {}",
                    d.due, d.kind, d.reference, d.state, d.source
                )?;
            }
            writeln!(out, "{} deadline(s)", rows.len())?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// The ledger and the after-registration fields of a case, as `status --case` and the API show them:
/// `{"ledger": {...} | null, "enforcement_malnummer": ..., "outcome": ...}`.
pub async fn life_json(
    store: &Store,
    row: &CaseRow,
    as_of: chrono::NaiveDate,
    table: &crate::domain::interest::ReferensrantaTable,
) -> anyhow::Result<serde_json::Value> {
    let ledger = crate::engine::ledger::case_ledger(store, row, as_of, table).await?;
    let life = store.case_life(row.id).await?;
    let outcome = life
        .outcome_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok());
    Ok(serde_json::json!({
        "ledger": ledger,
        "enforcement_malnummer": life.enforcement_malnummer,
        "outcome": outcome,
    }))
}

/// The ledger in lines for the text view.
fn ledger_lines(reference: &str, life: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    let l = &life["ledger"];
    if l.is_object() {
        let s = |k: &str| l[k].as_str().unwrap_or("unknown").to_string();
        lines.push(format!(
            "    {reference} ledger as of {}: claimed {} kr, reductions {} kr, interest {} kr, fees {} kr, \
             paid out {} kr, remaining {}",
            s("as_of"),
            s("claimed"),
            s("reductions"),
            s("interest"),
            s("fees"),
            s("paid_out"),
            l["remaining"]
                .as_str()
                .map_or("unknown".to_string(), |r| format!("{r} kr"))
        ));
        if let Some(p) = l["interest_problem"].as_str() {
            lines.push(format!("    {reference} interest: {p}"));
        }
    }
    if let Some(m) = life["enforcement_malnummer"].as_str() {
        lines.push(format!("    {reference} continues as enforcement {m}"));
    }
    if life["outcome"].is_object() {
        lines.push(format!("    {reference} outcome {}", life["outcome"]));
    }
    lines
}

async fn run_with(
    store: &Store,
    args: &StatusArgs,
    table: &crate::domain::interest::ReferensrantaTable,
    today: chrono::NaiveDate,
) -> anyhow::Result<u8> {
    if args.file.is_none() && args.case.is_none() {
        return run_all(store, args.format).await;
    }
    let mut files = store.list_files().await?;
    let rows = if let Some(id) = args.file {
        let Some(f) = store.file_by_id(id).await? else {
            return Err(UsageError(format!("no file with id {id}")).into());
        };
        let ids = store.file_case_ids(id).await?;
        files = vec![f];
        let mut rows = Vec::new();
        for cid in ids {
            if let Some(r) = store.case_by_id(cid).await? {
                rows.push(r);
            }
        }
        rows
    } else if let Some(r) = &args.case {
        let rows = store.cases_by_reference(r, None).await?;
        if rows.is_empty() {
            return Err(UsageError(format!("no case with reference {r:?}")).into());
        }
        rows
    } else {
        return run_all(store, args.format).await;
    };
    let views = case_views(store, rows).await?;
    let as_of = args.as_of.unwrap_or(today);
    let mut lives = Vec::new();
    if args.case.is_some() {
        for v in &views {
            lives.push(life_json(store, &v.row, as_of, table).await?);
        }
    }
    let mut out = output(args.format);
    match args.format {
        OutputFormat::Json => {
            let mut cases = views
                .iter()
                .map(case_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            for (c, life) in cases.iter_mut().zip(&lives) {
                for k in ["ledger", "enforcement_malnummer", "outcome"] {
                    c[k] = life[k].clone();
                }
            }
            let files: Vec<_> = files.iter().map(file_json).collect();
            let doc = if args.file.is_some() {
                serde_json::json!({ "file": files.first(), "cases": cases })
            } else if args.case.is_some() {
                serde_json::json!({ "cases": cases })
            } else {
                serde_json::json!({ "cases": cases, "files": files })
            };
            serde_json::to_writer(&mut out, &doc)?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            write_cases(&mut out, &views)?;
            if args.case.is_some() {
                for (v, life) in views.iter().zip(&lives) {
                    for line in ledger_lines(&v.row.reference, life) {
                        writeln!(out, "{line}")?;
                    }
                    for i in v.row.issues()? {
                        writeln!(
                            out,
                            "    {} {} {} [{}] {}",
                            v.row.reference,
                            i.severity.as_str(),
                            if i.path.is_empty() { "-" } else { &i.path },
                            i.rule,
                            i.message
                        )?;
                    }
                }
            }
            writeln!(out, "{} case(s)", views.len())?;
            if args.case.is_none() {
                writeln!(out)?;
                write_files(&mut out, &files)?;
                writeln!(out, "{} file(s)", files.len())?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_visibly() {
        let mut t = TerminalSafe {
            inner: Vec::new(),
            json: false,
        };
        writeln!(t, "A-1\u{1b}[2J\u{0}\u{9b}x\tok").unwrap();
        assert_eq!(
            String::from_utf8(t.inner).unwrap(),
            "A-1\\u{1b}[2J\\u{0}\\u{9b}x\tok\n"
        );
        let mut j = TerminalSafe {
            inner: Vec::new(),
            json: true,
        };
        write!(j, "{{\"r\":\"\u{9b}\"}}").unwrap();
        let text = String::from_utf8(j.inner).unwrap();
        assert_eq!(text, "{\"r\":\"\\u009b\"}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["r"], "\u{9b}");
    }
}
