//! `fogd inspect`: decode a file into records and fields.

use crate::config::Config;

/// Arguments of `fogd inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: InspectArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd inspect` is not built yet".into()).into())
}
