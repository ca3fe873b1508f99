//! `fogd report`: reports.

use crate::config::Config;

/// Arguments of `fogd report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: ReportArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd report` is not built yet".into()).into())
}
