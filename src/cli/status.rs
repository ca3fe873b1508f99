//! `fogd status`: where cases and files stand.

use crate::config::Config;

/// Arguments of `fogd status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: StatusArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd status` is not built yet".into()).into())
}
