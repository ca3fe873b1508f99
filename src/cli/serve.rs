//! `fogd serve [--listen ADDR] [--no-jobs]`: the daemon ([`crate::daemon::serve`]: API, ops page, `/metrics`,
//! health and the scheduled jobs). The command applies its flags to the configuration, prints
//! `listening on http://ADDR` (`https://` with `[api] tls_cert`) once the daemon accepts connections, and hands
//! it SIGTERM or SIGINT as its shutdown; it exits 0 once the daemon has stopped.

use crate::cli::EXIT_OK;
use crate::config::Config;
use crate::daemon::{serve, ServeOptions};
use std::io::Write;

/// Arguments of `fogd serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Listen address (overrides `[api] listen`); port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve HTTP only; run no scheduled jobs (benchmarks, a second read-only instance).
    #[arg(long)]
    pub no_jobs: bool,
}

/// Runs the command.
pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<u8> {
    if let Some(listen) = args.listen {
        config.api.listen = listen;
    }
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let options = ServeOptions {
        jobs: !args.no_jobs,
        ready: Some(ready_tx),
    };
    let daemon = tokio::spawn(serve(config, options, shutdown_signal()));
    if let Ok(listening) = ready_rx.await {
        println!("listening on {}", listening.url());
        let _ = std::io::stdout().flush();
    }
    daemon.await??;
    Ok(EXIT_OK)
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM"),
                _ = int.recv() => tracing::info!("SIGINT"),
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
