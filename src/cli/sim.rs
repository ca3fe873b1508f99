//! `fogd sim`: the simulated Kronofogden SHS node.

use crate::config::Config;

/// Arguments of `fogd sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: SimArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd sim` is not built yet".into()).into())
}
