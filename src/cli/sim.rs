//! `fogd sim`: the simulated Kronofogden SHS node.

use crate::config::Config;
use std::path::PathBuf;

/// Arguments of `fogd sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Listen address (default `sim.listen`); `127.0.0.1:0` picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Faults to inject, e.g. `status=503@rs*2,reset@fetch*1` (see `fogd::sim::faults`).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// The sim's SQLite state file (default `sim.state`).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

/// Runs the command: starts the node, prints `listening on https://ADDR`, runs until Ctrl-C / SIGTERM.
pub async fn run(mut config: Config, args: SimArgs) -> anyhow::Result<u8> {
    if let Some(l) = args.listen {
        config.sim.listen = l;
    }
    if let Some(s) = args.state {
        config.sim.state = s;
    }
    if let Some(spec) = &args.faults {
        crate::sim::faults::parse_spec(spec).map_err(crate::cli::UsageError)?;
    }
    let handle = crate::sim::start_kronofogden(
        config,
        crate::sim::StartOptions {
            faults: args.faults,
            ..Default::default()
        },
    )
    .await?;
    println!("listening on https://{}", handle.addr);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    handle.shutdown().await;
    Ok(crate::cli::EXIT_OK)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
