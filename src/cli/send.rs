//! `fogd send`: one build-and-send pass (for cron or systemd timers). Exit 0 when nothing failed, 1 otherwise.

use crate::cli::import::open_store;
use crate::cli::{EXIT_INTERNAL, EXIT_OK};
use crate::config::Config;
use crate::engine::Engine;

/// Arguments of `fogd send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {}

/// Runs the command.
pub async fn run(config: Config, _args: SendArgs) -> anyhow::Result<u8> {
    crate::certs::ensure_dev_certs(&config)?;
    crate::cli::require_private_key(&config.tls.identity)?;
    let store = open_store(&config).await?;
    let engine = Engine::from_config(store.clone(), config)?;
    // A one-shot process owns no claims of its own from before: a file left `sending` is a crash's leftover
    // (see `Store::recover_sending` for several instances).
    engine.recover().await?;
    let built = engine.build_pass().await?;
    let sent = engine.send_pass().await?;
    store.close().await;
    println!(
        "built {} file(s) ({} case(s) refused by the builder); sent {} ({} duplicate), {} outcome unknown, {} to retry, {} refused",
        built.files.len(),
        built.refused,
        sent.sent,
        sent.duplicates,
        sent.unknown,
        sent.retried,
        sent.refused
    );
    for f in &built.files {
        println!(
            "  file {} {} löpnummer {}: {} case(s)",
            f.id, f.name, f.lopnummer, f.cases
        );
    }
    Ok(if sent.ok() { EXIT_OK } else { EXIT_INTERNAL })
}
