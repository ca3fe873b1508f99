//! `fogd dev-certs`: test CA, server and client certificates.

use crate::config::Config;

/// Arguments of `fogd dev-certs`.
#[derive(Debug, clap::Args)]
pub struct DevCertsArgs {}

/// Runs the command.
pub async fn run(_config: Config, _args: DevCertsArgs) -> anyhow::Result<u8> {
    Err(crate::cli::UsageError("`fogd dev-certs` is not built yet".into()).into())
}
