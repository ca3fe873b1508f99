//! `fogd request court|enforcement --case REF [--date DATE] [--reference R]`: an operator's begäran about a
//! registered BFÖ case (fogd-ref-2.md §2.5) — överlämnande to a tingsrätt after a bestridande, no later than its
//! `sista_dag` (`court`, also `overlamnande`), or verkställighet of an utslag (`enforcement`, also
//! `verkstallighet`). The begäran is a case of kind `begaran`, approved at once by the operator and sent by the
//! next send pass. Exit 0 when it will be sent; 3 when a check refused it (the rule and why are printed).

use crate::cli::import::{open_store, validation_context, OutputFormat};
use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::case::BegaranRequest;
use crate::domain::CaseState;
use crate::engine::request::{default_reference, request_begaran};
use std::io::Write;

/// What is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RequestWhat {
    /// Överlämnande to a tingsrätt (begäran O).
    #[value(alias = "overlamnande")]
    Court,
    /// Verkställighet of the utslag (begäran V).
    #[value(alias = "verkstallighet")]
    Enforcement,
}

/// Arguments of `fogd request`.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// What to request.
    #[arg(value_enum)]
    pub what: RequestWhat,
    /// The BFÖ case's reference.
    #[arg(long = "case", value_name = "REF")]
    pub case: String,
    /// The begäran's date (YYYY-MM-DD; default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<chrono::NaiveDate>,
    /// The begäran's own reference (default: the case's reference with -O or -V).
    #[arg(long, value_name = "REF")]
    pub reference: Option<String>,
    /// Who asks (the audit trail's actor).
    #[arg(long, default_value = "operator")]
    pub actor: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Runs the command.
pub async fn run(config: Config, args: RequestArgs) -> anyhow::Result<u8> {
    let request = match args.what {
        RequestWhat::Court => BegaranRequest::Court,
        RequestWhat::Enforcement => BegaranRequest::Enforcement,
    };
    let reference = match args.reference.clone() {
        Some(r) => r,
        None => default_reference(&args.case, request).ok_or_else(|| {
            UsageError(format!(
                "{:?} with -O/-V is longer than 20 characters; name the begäran with --reference",
                args.case
            ))
        })?,
    };
    let clock = crate::clock::system();
    let ctx = validation_context(&config, clock.as_ref())?;
    let date = args.date.unwrap_or(ctx.today);
    let store = open_store(&config).await?;
    let out = request_begaran(
        &store,
        &ctx,
        clock.as_ref(),
        &args.case,
        request,
        date,
        &reference,
        &args.actor,
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
        OutputFormat::Text => {
            writeln!(
                stdout,
                "begäran {} ({}) for {}: {}",
                out.reference,
                request.as_str(),
                args.case,
                out.state
            )?;
            for p in &out.problems {
                writeln!(stdout, "  [{}] {}", p.rule, p.message)?;
            }
        }
    }
    Ok(if out.state == CaseState::Approved {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}
