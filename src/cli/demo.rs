//! `fogd demo`: the main job end to end on the embedded default.

use crate::config::Config;

/// Arguments of `fogd demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: DemoArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd demo` is not built yet".into()).into())
}
