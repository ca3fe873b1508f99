//! `fogd send`: one build-and-send pass (for cron or systemd timers). Exit 0 when nothing failed, 1 otherwise.
//! `--retry-now [--file ID]` first makes the files waiting for a send retry (after a refused or failed attempt) due
//! at once, so this same pass sends them (a file that cannot be retried is a usage error, exit 2).

use crate::cli::import::open_store;
use crate::cli::{UsageError, EXIT_INTERNAL, EXIT_OK};
use crate::config::Config;
use crate::engine::Engine;

/// Arguments of `fogd send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Send the files waiting for a retry (after a refused or failed attempt) now instead of after their back-off.
    #[arg(long)]
    pub retry_now: bool,
    /// With --retry-now: only this file (an id from `fogd status`).
    #[arg(long = "file", value_name = "ID", requires = "retry_now")]
    pub file: Option<i64>,
}

/// Runs the command.
pub async fn run(config: Config, args: SendArgs) -> anyhow::Result<u8> {
    crate::certs::ensure_dev_certs(&config)?;
    crate::cli::require_private_key(&config.tls.identity)?;
    let store = open_store(&config).await?;
    let engine = Engine::from_config(store.clone(), config).await?;
    // A one-shot process owns no claims of its own from before: a file left `sending` is a crash's leftover
    // (see `Store::recover_sending` for several instances).
    engine.recover().await?;
    let built = engine.build_pass().await?;
    if args.retry_now {
        let due = engine
            .make_retry_due(args.file)
            .await?
            .map_err(|e| UsageError(e.to_string()))?;
        let ids: Vec<String> = due.iter().map(i64::to_string).collect();
        println!(
            "retry now: {} file(s) made due{}",
            due.len(),
            if ids.is_empty() {
                String::new()
            } else {
                format!(" ({})", ids.join(", "))
            }
        );
    }
    let sent = engine.send_pass().await?;
    store.close().await;
    println!(
        "built {} file(s) ({} case(s) refused by the builder, {} held for review); sent {} ({} duplicate), {} outcome unknown, {} to retry, {} refused",
        built.files.len(),
        built.refused,
        built.held,
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
