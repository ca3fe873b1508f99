//! `fogd layout …`.

/// Subcommands of `fogd layout`.
#[derive(Debug, clap::Subcommand)]
pub enum LayoutCommand {
    /// Placeholder until built.
    List,
}

/// Runs the command.
pub async fn run(_cmd: LayoutCommand) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd layout` is not built yet".into()).into())
}
