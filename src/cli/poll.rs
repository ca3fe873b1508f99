//! `fogd poll`: one inbox pass.

use crate::config::Config;

/// Arguments of `fogd poll`.
#[derive(Debug, clap::Args)]
pub struct PollArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: PollArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd poll` is not built yet".into()).into())
}
