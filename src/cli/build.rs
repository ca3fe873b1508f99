//! `fogd build`: stateless build of a transaction file and missiv.

use crate::config::Config;

/// Arguments of `fogd build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: BuildArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd build` is not built yet".into()).into())
}
