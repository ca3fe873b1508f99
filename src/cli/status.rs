//! `fogd status [--case REF] [--format json]`: where cases stand, with their intake issues.
//! JSON: `{"cases":[{"reference","kind","state","errors":[…],…}]}`.

use crate::cli::import::{open_store, OutputFormat};
use crate::cli::{UsageError, EXIT_OK};
use crate::config::Config;
use crate::store::CaseRow;
use std::io::Write;

/// Arguments of `fogd status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Show only the case(s) with this reference, with their issues.
    #[arg(long = "case", value_name = "REF")]
    pub case: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

fn case_json(r: &CaseRow) -> anyhow::Result<serde_json::Value> {
    let issues = r.issues()?;
    Ok(serde_json::json!({
        "reference": r.reference,
        "kind": r.kind,
        "intressentkod": r.intressentkod,
        "state": r.state,
        "errors": issues,
        "hold_reason": r.hold_reason,
        "concerns": r.concerns,
        "malnummer": r.malnummer,
        "source": r.source,
        "line": r.source_line,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }))
}

/// Runs the command.
pub async fn run(config: Config, args: StatusArgs) -> anyhow::Result<u8> {
    let store = open_store(&config).await?;
    let rows = match &args.case {
        Some(r) => {
            let rows = store.cases_by_reference(r, None).await?;
            if rows.is_empty() {
                store.close().await;
                return Err(UsageError(format!("no case with reference {r:?}")).into());
            }
            rows
        }
        None => store.list_cases(&[]).await?,
    };
    store.close().await;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        OutputFormat::Json => {
            let cases = rows
                .iter()
                .map(case_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            serde_json::to_writer(&mut out, &serde_json::json!({ "cases": cases }))?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            writeln!(
                out,
                "{:<20} {:<22} {:<10} ISSUES",
                "REFERENCE", "KIND", "STATE"
            )?;
            for r in &rows {
                let issues = r.issues()?;
                writeln!(
                    out,
                    "{:<20} {:<22} {:<10} {}",
                    r.reference,
                    r.kind,
                    r.state.as_str(),
                    issues.len()
                )?;
                if args.case.is_some() {
                    if let Some(h) = &r.hold_reason {
                        writeln!(out, "    held: {h}")?;
                    }
                    for i in &issues {
                        writeln!(
                            out,
                            "    {} {} [{}] {}",
                            i.severity.as_str(),
                            if i.path.is_empty() { "-" } else { &i.path },
                            i.rule,
                            i.message
                        )?;
                    }
                }
            }
            writeln!(out, "{} case(s)", rows.len())?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}
