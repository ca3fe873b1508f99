//! `fogd journal …`.

use crate::config::Config;

/// Subcommands of `fogd journal`.
#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Placeholder until built.
    List,
}

/// Runs the command.
pub async fn run(_config: Config, _cmd: JournalCommand) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd journal` is not built yet".into()).into())
}
