//! `fogd import FILE [--dry-run] [--format json] [--encoding E]`: intake from JSON, JSON Lines or CSV
//! (intake.md §2–4). Exit 0 when every case was accepted (or unchanged), 3 when some are invalid, held or refused,
//! 2 for usage errors and unreadable input, 1 for internal errors. Only a regular file is read (not a device, pipe
//! or directory), of at most `[limits] import_max_bytes`.

use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::intake::{open_source, Encoding};
use crate::domain::validate::{Rules, ValidationContext};
use crate::domain::CaseState;
use crate::engine::import::{import, ImportOptions, ImportOutcome};
use crate::store::Store;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Output format of the intake commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Human-readable lines and a table.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `fogd import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file to import: a JSON array or object, JSON Lines, or CSV (`;` or `,`, with a header row).
    pub file: PathBuf,
    /// Validate only; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output: `text` (problems and a summary table) or `json` (one object per problem, then the summary).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Force the input encoding: utf-8, windows-1252 or iso-8859-1 (default: detected).
    #[arg(long, value_name = "E")]
    pub encoding: Option<String>,
    /// Validate as of this date instead of today (tests, re-running an old import). Hidden.
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

/// Reads the file to import: a regular file of at most `max` bytes. A device (`/dev/zero`), a pipe or a directory
/// is refused before it is opened (opening a FIFO would wait for a writer), and so is a file over `max`; the read
/// itself stops after `max` bytes, in case the file grows meanwhile.
pub fn read_input(path: &std::path::Path, max: u64) -> Result<Vec<u8>, UsageError> {
    use std::io::Read;
    let name = path.display();
    let refuse = |why: String| UsageError(format!("cannot read {name}: {why}"));
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse(
            "not a regular file (a device, pipe or directory); fogd import reads files".into(),
        ));
    }
    let too_big = |n: u64| {
        refuse(format!(
            "{n} bytes is more than [limits] import_max_bytes = {max}; split the file or raise the limit"
        ))
    };
    if meta.len() > max {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| refuse(e.to_string()))?;
    let is_file = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if !is_file {
        return Err(refuse("not a regular file".into()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Opens the configured store (creating a SQLite database on first use).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Ok(Store::open(&config.database.url, config.database.max_connections).await?)
}

/// The validation context from the configuration and today's date in Stockholm.
pub fn validation_context(
    config: &Config,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ValidationContext> {
    let rules = Rules::from_config(&config.rules).for_edition(config.layouts.edition_or_default());
    let today = clock
        .now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    Ok(ValidationContext {
        rules,
        today,
        default_intressentkod: config.ingivare.intressentkod.clone(),
        interest: std::sync::Arc::new(crate::interest_table::load(config)?),
    })
}

/// Runs the command.
pub async fn run(config: Config, args: ImportArgs) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    let forced = match &args.encoding {
        None => None,
        Some(name) => Some(Encoding::parse(name).ok_or_else(|| {
            UsageError(format!(
                "unknown --encoding {name:?}; use utf-8, windows-1252 or iso-8859-1"
            ))
        })?),
    };
    let name = args.file.display().to_string();
    let bytes = read_input(&args.file, config.limits.import_max_bytes)?;
    let source = open_source(&bytes, forced).map_err(|e| UsageError(format!("{name}: {e}")))?;
    let records = source
        .records()
        .map_err(|e| UsageError(format!("{name}: {e}")))?;
    let mut ctx = validation_context(&config, clock.as_ref())?;
    if let Some(today) = args.today {
        ctx.today = today;
    }
    let store = if args.dry_run {
        None
    } else {
        Some(open_store(&config).await?)
    };
    if let Some(store) = &store {
        let edition = crate::engine::installation_edition(store, &config).await?;
        ctx.rules = ctx.rules.clone().for_edition(&edition);
    }
    let source_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.clone());
    let opts = ImportOptions {
        dry_run: args.dry_run,
        ..ImportOptions::file(&source_name)
    };
    let bar = (std::io::stderr().is_terminal() && args.format == OutputFormat::Text).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} cases read ({per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut progress = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    };
    let outcome = import(
        store.as_ref(),
        records,
        &ctx,
        &opts,
        clock.as_ref(),
        &mut progress,
    )
    .await?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(store) = &store {
        store.close().await;
    }
    let s = &outcome.summary;
    tracing::info!(
        source = %source_name,
        format = source.format.as_str(),
        encoding = source.encoding.as_str(),
        read = s.read,
        accepted = s.accepted,
        invalid = s.invalid,
        held = s.held,
        unchanged = s.unchanged,
        refused = s.refused,
        dry_run = args.dry_run,
        "import finished"
    );
    let stdout = std::io::stdout();
    let label = if args.dry_run { "dry run" } else { "import" };
    print_outcome(
        &mut std::io::BufWriter::new(stdout.lock()),
        &outcome,
        args.format,
        label,
    )?;
    Ok(if outcome.all_accepted() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// Writes the problems and the summary of an intake (`label` heads the summary table: `import`, `dry run`,
/// `build`): text lines and a table, or one JSON object per problem and the summary. Shared by `fogd import` and
/// `fogd build`.
pub fn print_outcome(
    out: &mut dyn Write,
    outcome: &ImportOutcome,
    format: OutputFormat,
    label: &str,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => {
            for p in &outcome.problems {
                serde_json::to_writer(&mut *out, p)?;
                writeln!(out)?;
            }
            #[derive(serde::Serialize)]
            struct Summary<'a> {
                summary: &'a crate::engine::import::ImportSummary,
            }
            serde_json::to_writer(
                &mut *out,
                &Summary {
                    summary: &outcome.summary,
                },
            )?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            for p in &outcome.problems {
                writeln!(
                    out,
                    "{} {}:{} {} {} [{}] {}{}",
                    p.severity.as_str(),
                    p.source,
                    p.line,
                    p.reference.as_deref().unwrap_or("-"),
                    if p.field.is_empty() { "-" } else { &p.field },
                    p.rule,
                    p.message,
                    p.value
                        .as_deref()
                        .map(|v| format!(" (value {v:?})"))
                        .unwrap_or_default()
                )?;
            }
            let s = &outcome.summary;
            if !outcome.problems.is_empty() {
                writeln!(out)?;
            }
            writeln!(out, "{label:<10} {:>9}", "cases")?;
            for (label, n) in [
                ("read", s.read),
                ("accepted", s.accepted),
                (CaseState::Invalid.as_str(), s.invalid),
                (CaseState::Held.as_str(), s.held),
                ("unchanged", s.unchanged),
                ("refused", s.refused),
            ] {
                writeln!(out, "{label:<10} {n:>9}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
