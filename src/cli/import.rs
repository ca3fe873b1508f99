//! `fogd import`: intake from JSON, JSON Lines or CSV.

use crate::config::Config;

/// Arguments of `fogd import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: ImportArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd import` is not built yet".into()).into())
}
