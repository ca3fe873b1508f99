//! `fogd token …`.

use crate::config::Config;

/// Subcommands of `fogd token`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Placeholder until built.
    List,
}

/// Runs the command.
pub async fn run(_config: Config, _cmd: TokenCommand) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd token` is not built yet".into()).into())
}
