//! `fogd poll`: one inbox pass — list, fetch, store, ack, apply (for cron or systemd timers). Exit 0 when nothing
//! failed, 1 otherwise (a message that matches nothing is kept and reported, but is not a failure of the pass).

use crate::cli::import::open_store;
use crate::cli::{EXIT_INTERNAL, EXIT_OK};
use crate::config::Config;
use crate::engine::Engine;

/// Arguments of `fogd poll`.
#[derive(Debug, clap::Args)]
pub struct PollArgs {}

/// Runs the command.
pub async fn run(config: Config, _args: PollArgs) -> anyhow::Result<u8> {
    crate::certs::ensure_dev_certs(&config)?;
    crate::cli::require_private_key(&config.tls.identity)?;
    let store = open_store(&config).await?;
    let engine = Engine::from_config(store.clone(), config).await?;
    let r = engine.poll_pass().await;
    store.close().await;
    let r = r?;
    println!(
        "listed {}, stored {}, acked {}, applied {} ({} unmatched), {} error(s)",
        r.listed,
        r.stored,
        r.acked,
        r.apply.applied,
        r.apply.unmatched,
        r.errors + r.apply.failed
    );
    Ok(if r.ok() { EXIT_OK } else { EXIT_INTERNAL })
}
