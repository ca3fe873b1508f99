//! `fogd doctor`: checks configuration, database, certificates, SHS node.

use crate::config::Config;

/// Arguments of `fogd doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: DoctorArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd doctor` is not built yet".into()).into())
}
