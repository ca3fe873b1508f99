//! `fogd build`: stateless build of transaction files and their missiv (no database).
//!
//! `--input` is the intake form — what `fogd import` reads (JSON array or object, JSON Lines, CSV; intake.md) —
//! validated first by the same code as an import: a case with errors stops the build with import's problem output
//! and exit 3 (nothing is written), unreadable input is exit 2; warnings (cost caps, limitation: what an import
//! holds for review) are written to stderr and the cases built. One file per kind in the input, or only `--kind`'s.
//! A follow-up (nedsättning, återkallelse, ändring) needs the målnummer of the case it concerns in `malnummer`, as
//! no database supplies it here. `--internal` reads instead a JSON array of validated [`crate::domain::Case`]
//! values (the journal's form) and builds exactly those.

use crate::cli::import::{print_outcome, read_input, validation_context, OutputFormat};
use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::intake::{open_source, Encoding};
use crate::domain::validate::Severity;
use crate::domain::{Case, CaseKind, CaseState};
use crate::engine::import::{prepare, ImportOptions, ImportOutcome, Problem};
use crate::formats::{build_file, FileFacts, FileStatus};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `fogd build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Only the cases of this kind (`betalningsforelaggande`, …) or layout name (`bfo-ansokan`, …); default: one
    /// file per kind in the input.
    #[arg(long)]
    pub kind: Option<String>,
    /// The cases, as `fogd import` reads them: a JSON array or object, JSON Lines, or CSV (validated first).
    #[arg(long)]
    pub input: PathBuf,
    /// `--input` is a JSON array of validated cases in fogd's internal form (the journal's), built as they are.
    #[arg(long)]
    pub internal: bool,
    /// Löpnummer of the file(s).
    #[arg(long)]
    pub lopnummer: u32,
    /// Intressentkod (default: `[ingivare] intressentkod`).
    #[arg(long)]
    pub intressentkod: Option<String>,
    /// Directory to write the file and its missiv into.
    #[arg(long)]
    pub out: PathBuf,
    /// `test` or `production` (default: `[shs] status`).
    #[arg(long)]
    pub status: Option<String>,
    /// Creation time written in the file, `YYYY-MM-DDTHH:MM:SS` (default: now, local time).
    #[arg(long)]
    pub created: Option<chrono::NaiveDateTime>,
    /// Problems: `text` (lines and a table) or `json` (one object per problem, then the summary), as `fogd import`.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Force the input encoding: utf-8, windows-1252 or iso-8859-1 (default: detected).
    #[arg(long, value_name = "E")]
    pub encoding: Option<String>,
    /// Validate as of this date instead of today. Hidden.
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

/// Reads the layout set: embedded, with `[layouts] dir` overrides (every `*.toml` there).
pub fn load_layouts(config: &Config) -> anyhow::Result<crate::formats::LayoutSet> {
    crate::layout_files::load(config).map_err(|e| UsageError(e.to_string()).into())
}

/// The cases of `--input`, validated as an import validates them; `Err(outcome)` when a case has errors (or is a
/// follow-up of kind `only` without the målnummer it needs here).
fn intake_cases(
    config: &Config,
    args: &BuildArgs,
    only: Option<CaseKind>,
) -> anyhow::Result<(Vec<Case>, Result<ImportOutcome, ImportOutcome>)> {
    let forced = match &args.encoding {
        None => None,
        Some(name) => Some(Encoding::parse(name).ok_or_else(|| {
            UsageError(format!(
                "unknown --encoding {name:?}; use utf-8, windows-1252 or iso-8859-1"
            ))
        })?),
    };
    let name = args.input.display().to_string();
    let bytes = read_input(&args.input, config.limits.import_max_bytes)?;
    let source = open_source(&bytes, forced).map_err(|e| UsageError(format!("{name}: {e}")))?;
    let records = source
        .records()
        .map_err(|e| UsageError(format!("{name}: {e}")))?;
    let mut ctx = validation_context(config, crate::clock::system().as_ref())?;
    if let Some(today) = args.today {
        ctx.today = today;
    }
    let source_name = args
        .input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name);
    let opts = ImportOptions {
        dry_run: true,
        ..ImportOptions::file(&source_name)
    };
    let mut outcome = ImportOutcome::default();
    let mut cases = Vec::new();
    for rec in records {
        let (new, mut problems, state) = prepare(&rec, &ctx, &opts)?;
        outcome.summary.read += 1;
        let case = match new.and_then(|n| n.case_json) {
            Some(json) if state != CaseState::Invalid => Some(serde_json::from_str::<Case>(&json)?),
            _ => None,
        };
        match &case {
            Some(c)
                if c.kind.is_follow_up()
                    && c.malnummer.is_none()
                    && only.is_none_or(|k| k == c.kind) =>
            {
                problems.push(Problem {
                    severity: Severity::Error,
                    source: source_name.clone(),
                    line: rec.line,
                    reference: Some(c.reference.clone()),
                    field: "malnummer".into(),
                    rule: "build.malnummer_required".into(),
                    value: None,
                    message: format!(
                        "{} {} is built without the database: give the målnummer of the case it concerns ({}) in \
                         `malnummer`",
                        c.kind,
                        c.reference,
                        c.concerned_reference()
                    ),
                });
                outcome.summary.invalid += 1;
            }
            Some(c) => {
                if state == CaseState::Held {
                    outcome.summary.held += 1;
                } else {
                    outcome.summary.accepted += 1;
                }
                cases.push(c.clone());
            }
            None => outcome.summary.invalid += 1,
        }
        outcome.problems.extend(problems);
    }
    let ok = outcome.summary.invalid == 0;
    Ok((cases, if ok { Ok(outcome) } else { Err(outcome) }))
}

/// Runs the command.
pub async fn run(config: Config, args: BuildArgs) -> anyhow::Result<u8> {
    let set = load_layouts(&config)?;
    let only = match &args.kind {
        None => None,
        Some(text) => Some(
            CaseKind::parse(text)
                .or_else(|| CaseKind::ALL.into_iter().find(|k| k.layout_name() == text))
                .ok_or_else(|| {
                    UsageError(format!("--kind {text:?} is not a case kind or layout name"))
                })?,
        ),
    };
    let cases: Vec<Case> = if args.internal {
        let text = std::fs::read_to_string(&args.input)
            .map_err(|e| UsageError(format!("{}: {e}", args.input.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            UsageError(format!(
                "{}: not a JSON array of cases in the internal form (--internal): {e}",
                args.input.display()
            ))
        })?
    } else {
        let (cases, outcome) = intake_cases(&config, &args, only)?;
        match outcome {
            Err(outcome) => {
                let stdout = std::io::stdout();
                let mut out = std::io::BufWriter::new(stdout.lock());
                print_outcome(&mut out, &outcome, args.format, "build")?;
                return Ok(EXIT_PROBLEMS);
            }
            Ok(outcome) if !outcome.problems.is_empty() => {
                // Warnings only: shown, and the cases built.
                let stderr = std::io::stderr();
                print_outcome(&mut stderr.lock(), &outcome, args.format, "build")?;
            }
            Ok(_) => {}
        }
        cases
    };
    let mut by_kind: BTreeMap<CaseKind, Vec<Case>> = BTreeMap::new();
    for c in cases {
        if only.is_none_or(|k| k == c.kind) {
            by_kind.entry(c.kind).or_default().push(c);
        }
    }
    if by_kind.is_empty() {
        return Err(UsageError(format!(
            "{}: no cases{} to build",
            args.input.display(),
            only.map(|k| format!(" of kind {k}")).unwrap_or_default()
        ))
        .into());
    }
    let status = match &args.status {
        Some(text) => FileStatus::parse(text)
            .ok_or_else(|| UsageError(format!("--status {text:?} is not test or production")))?,
        None => config.shs.status.file(),
    };
    let created = match args.created {
        Some(c) => c,
        None => crate::clock::system()
            .now()
            .with_timezone(&chrono::Local)
            .naive_local(),
    };
    let facts = FileFacts {
        intressentkod: args
            .intressentkod
            .clone()
            .unwrap_or_else(|| config.ingivare.intressentkod.clone()),
        lopnummer: args.lopnummer,
        created,
        status,
        contact_name: config.ingivare.contact_name.clone(),
        contact_phone: config.ingivare.contact_phone.clone(),
    };
    let mut built_files = Vec::with_capacity(by_kind.len());
    for (kind, cases) in &by_kind {
        match build_file(&set, *kind, cases, &facts) {
            Ok(b) => built_files.push(b),
            Err(e) => {
                eprintln!("fogd build: {kind}: {e}");
                return Ok(EXIT_PROBLEMS);
            }
        }
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| UsageError(format!("{}: {e}", args.out.display())))?;
    for built in &built_files {
        let file = args.out.join(&built.file_name);
        let missiv = args.out.join(&built.missiv_name);
        std::fs::write(&file, &built.bytes)?;
        std::fs::write(&missiv, &built.missiv_bytes)?;
        println!("{}", file.display());
        println!("{}", missiv.display());
        eprintln!(
            "{}: {} cases, {} records, TOT-BEL {}",
            built.file_name, built.case_count, built.record_count, built.total
        );
    }
    Ok(EXIT_OK)
}
