//! `fogd report --kind status|receipts|rejections --from DATE --to DATE --format csv|xlsx --out PATH`.

use crate::cli::{UsageError, EXIT_OK};
use crate::config::Config;
use crate::report::{write_report, ReportError, ReportFormat, ReportKind};
use std::path::PathBuf;

/// Arguments of `fogd report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(long, value_enum)]
    pub kind: ReportKind,
    /// First day (YYYY-MM-DD, Stockholm calendar).
    #[arg(long)]
    pub from: chrono::NaiveDate,
    /// Last day, inclusive.
    #[arg(long)]
    pub to: chrono::NaiveDate,
    /// Output format (default: from the --out extension, else csv).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the command.
pub async fn run(config: Config, args: ReportArgs) -> anyhow::Result<u8> {
    let format =
        args.format
            .unwrap_or_else(|| match args.out.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("xlsx") => ReportFormat::Xlsx,
                _ => ReportFormat::Csv,
            });
    let store = crate::cli::import::open_store(&config).await?;
    let result = write_report(&store, args.kind, args.from, args.to, format, &args.out).await;
    store.close().await;
    match result {
        Ok(r) => {
            eprintln!("wrote {} rows to {}", r.rows.len(), args.out.display());
            Ok(EXIT_OK)
        }
        Err(e @ ReportError::Period { .. }) => Err(UsageError(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}
