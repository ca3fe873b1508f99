//! `fogd paper-decision --case REF --decision written-off|handed-to-court|utslag|withdrawn|closed --note TEXT
//! [--date DATE] [--actor NAME]`: enters a decision Kronofogden sent only on paper (e.g. an avskrivningsbeslut).
//! The case moves by the transition table; the event and the case's notes name the operator and the note. Exit 0
//! when it moved; 3 when it could not (no such case, or not allowed from its state; the reason is printed).

use crate::cli::import::{open_store, OutputFormat};
use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::engine::paper::{record_paper_decision, PaperDecision};
use std::io::Write;

/// Arguments of `fogd paper-decision`.
#[derive(Debug, clap::Args)]
pub struct PaperDecisionArgs {
    /// The application's reference.
    #[arg(long = "case", value_name = "REF")]
    pub case: String,
    /// The decision.
    #[arg(long, value_enum)]
    pub decision: PaperDecision,
    /// What the paper says (kept with the case and in its audit trail).
    #[arg(long)]
    pub note: String,
    /// The decision's date (YYYY-MM-DD; default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<chrono::NaiveDate>,
    /// Who enters it (the audit trail's actor).
    #[arg(long, default_value = "operator")]
    pub actor: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Runs the command.
pub async fn run(config: Config, args: PaperDecisionArgs) -> anyhow::Result<u8> {
    if args.note.trim().is_empty() {
        return Err(UsageError("--note must say what the paper decision is".into()).into());
    }
    let clock = crate::clock::system();
    let date = args.date.unwrap_or_else(|| {
        clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive()
    });
    let store = open_store(&config).await?;
    let out = record_paper_decision(
        &store,
        &args.case,
        args.decision,
        date,
        args.note.trim(),
        &args.actor,
        clock.as_ref(),
    )
    .await;
    store.close().await;
    let out = out?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer(&mut stdout, &out)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => match (&out.problem, out.from, out.to) {
            (Some(p), ..) => writeln!(stdout, "{}: not entered: {p}", out.reference)?,
            (None, Some(from), Some(to)) => {
                writeln!(stdout, "{}: {from} → {to} (paper decision)", out.reference)?
            }
            _ => {}
        },
    }
    Ok(if out.problem.is_none() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}
