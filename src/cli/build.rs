//! `fogd build`: stateless build of a transaction file and its missiv (no database).
//!
//! `--input` is a JSON array of validated [`crate::domain::Case`] values (the journal's form, serde), not raw
//! intake input: validation belongs to intake, and this command is for building exactly what one gives it.

use crate::cli::UsageError;
use crate::config::Config;
use crate::domain::{Case, CaseKind};
use crate::formats::{build_file, FileFacts, FileStatus};
use std::path::PathBuf;

/// Arguments of `fogd build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Case kind (`betalningsforelaggande`, …) or layout name (`bfo-ansokan`, …).
    #[arg(long)]
    pub kind: String,
    /// JSON array of cases (the validated `Case` form).
    #[arg(long)]
    pub input: PathBuf,
    /// Löpnummer of the file.
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
}

/// Reads the layout set: embedded, with `[layouts] dir` overrides (every `*.toml` there).
pub fn load_layouts(config: &Config) -> anyhow::Result<crate::formats::LayoutSet> {
    crate::layout_files::load(config).map_err(|e| UsageError(e.to_string()).into())
}

/// Runs the command.
pub async fn run(config: Config, args: BuildArgs) -> anyhow::Result<u8> {
    let set = load_layouts(&config)?;
    let kind = CaseKind::parse(&args.kind)
        .or_else(|| {
            CaseKind::ALL
                .into_iter()
                .find(|k| k.layout_name() == args.kind)
        })
        .ok_or_else(|| {
            UsageError(format!(
                "--kind {:?} is not a case kind or layout name",
                args.kind
            ))
        })?;
    let text = std::fs::read_to_string(&args.input)
        .map_err(|e| UsageError(format!("{}: {e}", args.input.display())))?;
    let cases: Vec<Case> = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}: not a JSON array of cases: {e}",
            args.input.display()
        ))
    })?;
    let status = match args.status {
        Some(text) => FileStatus::parse(&text)
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
            .unwrap_or_else(|| config.ingivare.intressentkod.clone()),
        lopnummer: args.lopnummer,
        created,
        status,
        contact_name: config.ingivare.contact_name.clone(),
        contact_phone: config.ingivare.contact_phone.clone(),
    };
    let built = match build_file(&set, kind, &cases, &facts) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fogd build: {e}");
            return Ok(crate::cli::EXIT_PROBLEMS);
        }
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| UsageError(format!("{}: {e}", args.out.display())))?;
    let file = args.out.join(&built.file_name);
    let missiv = args.out.join(&built.missiv_name);
    std::fs::write(&file, &built.bytes)?;
    std::fs::write(&missiv, &built.missiv_bytes)?;
    println!("{}", file.display());
    println!("{}", missiv.display());
    eprintln!(
        "{} cases, {} records, TOT-BEL {}",
        built.case_count, built.record_count, built.total
    );
    Ok(crate::cli::EXIT_OK)
}
