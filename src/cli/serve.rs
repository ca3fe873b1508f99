//! `fogd serve`: the daemon.

use crate::config::Config;

/// Arguments of `fogd serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: ServeArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd serve` is not built yet".into()).into())
}
