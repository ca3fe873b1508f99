//! `fogd send`: one build-and-send pass.

use crate::config::Config;

/// Arguments of `fogd send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: SendArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd send` is not built yet".into()).into())
}
