//! `fogd sim`: the simulated Kronofogden SHS node, and the verbs that drive a running one through its admin API
//! (`evening-run`, `advance`, `faults`, `reject-next`, `messages`, `files`, `cases`).

use crate::cli::{UsageError, EXIT_OK};
use crate::config::Config;
use crate::sim::admin_client::{AdminError, SimAdminClient};
use std::path::PathBuf;

/// Shown under `fogd sim --help`.
const SIM_HELP: &str = "\
Fault specs (--faults, `fogd sim faults add`): comma-separated KIND[=ARG][@ENDPOINT][*COUNT]
  KIND      status=CODE, delay=MS, timeout, reset, duplicate, withhold or reject=FELKOD
  ENDPOINT  rs, list, fetch, ack or any (default any)
  COUNT     how often the rule fires (default: until cleared)
  e.g.      status=503@rs*2, delay=500@list, reset@fetch*1, withhold*1, reject=0021*1

Admin API of a running node (HTTPS with a client certificate, JSON), and the verb that calls it:
  GET    /sim/v1/messages[?outbox=ORG]  fogd sim messages [--outbox ORG]
  GET    /sim/v1/files                  fogd sim files
  GET    /sim/v1/cases                  fogd sim cases
  POST   /sim/v1/evening-run            fogd sim evening-run
  POST   /sim/v1/advance                fogd sim advance --days 30      {\"days\": 30}
  POST   /sim/v1/reject-next            fogd sim reject-next 0021   {\"felkod\": \"0021\"}
  GET    /sim/v1/faults                 fogd sim faults list
  POST   /sim/v1/faults                 fogd sim faults add SPEC    {\"spec\": …, \"replace\": true}
  DELETE /sim/v1/faults                 fogd sim faults clear
The verbs call the node at [shs] url (or --url) with the [tls] identity and CA.

The node keeps its own calendar for the life of a FOGD-REF-2 case after registration (disputes, handover or
write-off, LUB, monthly DELRED, yearly NYTTAVGAR, slutredovisning, SKSRAPP; [sim.life] in the config). Moving it
forward sends everything due in those days, dated the day it fell due, e.g.:
  fogd sim advance --days 30                    # a month: BESTRID, LUB, a DELRED …
  fogd sim advance --days 365 --url https://127.0.0.1:7443
  fogd sim evening-run                          # registrations (bekräftelser) now, without moving the calendar

Admin calls need an admin identity, one of:
  - [sim] admin_token, sent as `Authorization: Bearer TOKEN`;
  - a client certificate whose serial is listed in [sim] admin_cert_serials;
  - when neither is set: the client certificate whose subject serialNumber is [ingivare] org_number
    (the development set-up's own certificate, so the verbs work from the same directory).";

/// Arguments of `fogd sim`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_long_help = SIM_HELP)]
pub struct SimArgs {
    /// Drive a running node instead of running one.
    #[command(subcommand)]
    pub command: Option<SimCommand>,
    /// Listen address (default `sim.listen`); `127.0.0.1:0` picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Faults to inject, e.g. `status=503@rs*2,reset@fetch*1` (syntax under `--help`).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// The sim's SQLite state file (default `sim.state`).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

/// Where the node is.
#[derive(Debug, Clone, clap::Args)]
pub struct NodeArgs {
    /// The node's URL (default `[shs] url`; a trailing `/shs` is dropped).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

/// Verbs that talk to a running simulator's admin API.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Run the evening run now: bekräftelser for the accepted ansökan files (`POST /sim/v1/evening-run`).
    EveningRun(NodeArgs),
    /// Move the node's calendar forward and send everything due in those days (`POST /sim/v1/advance`).
    Advance {
        /// Days to move forward (1..=3660).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3660))]
        days: u32,
        /// Where the node is.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Fault injection of a running node.
    #[command(subcommand)]
    Faults(FaultsCommand),
    /// Reject the next file the node receives whole, with this four-digit felkod (`POST /sim/v1/reject-next`).
    RejectNext {
        /// The felkod, e.g. 0021.
        felkod: String,
        /// Where the node is.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every message the node holds, as JSON (`GET /sim/v1/messages`).
    Messages {
        /// Only this outbox (organisation number).
        #[arg(long, value_name = "ORG")]
        outbox: Option<String>,
        /// Where the node is.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The files the node received, as JSON (`GET /sim/v1/files`).
    Files(NodeArgs),
    /// The cases the node registered, as JSON (`GET /sim/v1/cases`).
    Cases(NodeArgs),
}

/// `fogd sim faults …`.
#[derive(Debug, clap::Subcommand)]
pub enum FaultsCommand {
    /// The rules in force.
    List(NodeArgs),
    /// Add rules from a spec (syntax under `fogd sim --help`).
    Add {
        /// The spec, e.g. `status=503@rs*2`.
        spec: String,
        /// Clear the rules in force first.
        #[arg(long)]
        replace: bool,
        /// Where the node is.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Clear every rule.
    Clear(NodeArgs),
}

/// Runs the command: with a verb, one admin call; without, starts the node, prints `listening on https://ADDR`,
/// runs until Ctrl-C / SIGTERM.
pub async fn run(mut config: Config, args: SimArgs) -> anyhow::Result<u8> {
    if let Some(cmd) = args.command {
        return admin(&config, cmd).await;
    }
    if let Some(l) = args.listen {
        config.sim.listen = l;
    }
    if let Some(s) = args.state {
        config.sim.state = s;
    }
    if let Some(spec) = &args.faults {
        crate::sim::faults::parse_spec(spec).map_err(crate::cli::UsageError)?;
    }
    crate::certs::ensure_dev_certs(&config)?;
    crate::cli::require_private_key(&config.tls.server_key)?;
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

/// One admin call; prints the node's JSON answer.
async fn admin(config: &Config, cmd: SimCommand) -> anyhow::Result<u8> {
    let client = |node: &NodeArgs| {
        crate::cli::require_private_key(&config.tls.identity)?;
        SimAdminClient::new(config, node.url.as_deref()).map_err(anyhow::Error::from)
    };
    let answer = match &cmd {
        SimCommand::EveningRun(n) => client(n)?.evening_run().await,
        SimCommand::Advance { days, node } => client(node)?.advance(*days).await,
        SimCommand::Faults(FaultsCommand::List(n)) => client(n)?.faults().await,
        SimCommand::Faults(FaultsCommand::Add {
            spec,
            replace,
            node,
        }) => {
            crate::sim::faults::parse_spec(spec).map_err(UsageError)?;
            client(node)?.add_faults(spec, *replace).await
        }
        SimCommand::Faults(FaultsCommand::Clear(n)) => client(n)?.clear_faults().await,
        SimCommand::RejectNext { felkod, node } => client(node)?.reject_next(felkod).await,
        SimCommand::Messages { outbox, node } => {
            let path = match outbox {
                Some(o) => format!("messages?outbox={}", o.trim()),
                None => "messages".into(),
            };
            client(node)?.get(&path).await
        }
        SimCommand::Files(n) => client(n)?.get("files").await,
        SimCommand::Cases(n) => client(n)?.get("cases").await,
    };
    let value = answer.map_err(|e| match e {
        AdminError::Refused { .. } | AdminError::Setup(_) => {
            anyhow::Error::from(UsageError(e.to_string()))
        }
        other => anyhow::Error::from(other),
    })?;
    let text = serde_json::to_string_pretty(&value)?;
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(EXIT_OK)
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
