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
    /// Output format (default: from the --out extension, .csv or .xlsx; other extensions are refused).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

/// The format to write: the extension of `--out` names it (`.csv`, `.xlsx`); `--format` must agree with it, and
/// decides alone only for a file name without an extension. Any other extension (`x.pdf`) is refused rather than
/// written as something it is not.
pub fn output_format(
    out: &std::path::Path,
    format: Option<ReportFormat>,
) -> Result<ReportFormat, UsageError> {
    let ext = out.extension().and_then(|e| e.to_str());
    match (ext, format) {
        (None, f) => Ok(f.unwrap_or(ReportFormat::Csv)),
        (Some(e), f) => match (ReportFormat::from_extension(e), f) {
            (None, _) => Err(UsageError(format!(
                "--out {}: fogd writes reports as .csv or .xlsx, not .{e}",
                out.display()
            ))),
            (Some(by_ext), Some(f)) if by_ext != f => Err(UsageError(format!(
                "--out {} says .{e} but --format is {}",
                out.display(),
                f.extension()
            ))),
            (Some(by_ext), _) => Ok(by_ext),
        },
    }
}

/// Runs the command.
pub async fn run(config: Config, args: ReportArgs) -> anyhow::Result<u8> {
    let format = output_format(&args.out, args.format)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_extension_decides_and_pdf_is_refused() {
        let f = |p: &str, f| output_format(Path::new(p), f);
        assert_eq!(f("r.csv", None).unwrap(), ReportFormat::Csv);
        assert_eq!(f("r.XLSX", None).unwrap(), ReportFormat::Xlsx);
        assert_eq!(
            f("r", Some(ReportFormat::Xlsx)).unwrap(),
            ReportFormat::Xlsx
        );
        assert!(f("x.pdf", None).is_err());
        assert!(f("x.pdf", Some(ReportFormat::Csv)).is_err());
        assert!(f("x.csv", Some(ReportFormat::Xlsx)).is_err());
    }
}
