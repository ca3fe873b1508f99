//! The command line (clap). Each command is a thin call into the library; this is the binary's edge, the one place
//! where `anyhow` is used.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub mod build;
pub mod demo;
pub mod dev_certs;
pub mod doctor;
pub mod import;
pub mod inspect;
pub mod journal;
pub mod layout;
pub mod poll;
pub mod report;
pub mod send;
pub mod serve;
pub mod sim;
pub mod status;
pub mod token;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: internal error.
pub const EXIT_INTERNAL: u8 = 1;
/// Exit code: usage error or unreadable input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the input had problems (invalid or held cases, a file with errors).
pub const EXIT_PROBLEMS: u8 = 3;

/// An error that means "bad usage or unreadable input" (exit 2) rather than an internal failure (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// fogd — files bulk applications with Kronofogden over SHS, unattended.
#[derive(Debug, Parser)]
#[command(name = "fogd", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./fogd.toml if present, else built-in defaults).
    #[arg(long, global = true, env = "FOGD_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the main job end to end on the embedded default (SQLite + in-process simulator).
    Demo(demo::DemoArgs),
    /// The daemon: API, ops web page and scheduled jobs.
    Serve(serve::ServeArgs),
    /// The simulated Kronofogden SHS node.
    Sim(sim::SimArgs),
    /// Take in cases from a JSON, JSON Lines or CSV file.
    Import(import::ImportArgs),
    /// The review step: list, approve or hold cases in the journal.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// One build-and-send pass, then exit (for cron or systemd timers).
    Send(send::SendArgs),
    /// One inbox pass, then exit (for cron or systemd timers).
    Poll(poll::PollArgs),
    /// Where cases and files stand.
    Status(status::StatusArgs),
    /// Stateless: write the transaction file and missiv for cases (no database).
    Build(build::BuildArgs),
    /// Decode any file of a known layout into records and fields.
    Inspect(inspect::InspectArgs),
    /// Layout files.
    #[command(subcommand)]
    Layout(layout::LayoutCommand),
    /// Make a test CA, server and client certificates.
    DevCerts(dev_certs::DevCertsArgs),
    /// Check configuration, database, certificates and the SHS node.
    Doctor(doctor::DoctorArgs),
    /// API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Reports: case status, receipts, rejections.
    Report(report::ReportArgs),
}

/// Runs the command and maps the outcome to an exit code.
pub fn main(cli: Cli) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fogd: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = if e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::config::ConfigError>().is_some()
            {
                EXIT_USAGE
            } else {
                EXIT_INTERNAL
            };
            eprintln!("fogd: {e:#}");
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let config_path = cli.config.clone();
    let load = || crate::config::Config::load(config_path.as_deref(), std::env::vars());
    match cli.command {
        Command::Demo(a) => demo::run(load()?, a).await,
        Command::Serve(a) => serve::run(load()?, a).await,
        Command::Sim(a) => sim::run(load()?, a).await,
        Command::Import(a) => import::run(load()?, a).await,
        Command::Journal(a) => journal::run(load()?, a).await,
        Command::Send(a) => send::run(load()?, a).await,
        Command::Poll(a) => poll::run(load()?, a).await,
        Command::Status(a) => status::run(load()?, a).await,
        Command::Build(a) => build::run(load()?, a).await,
        Command::Inspect(a) => inspect::run(load()?, a).await,
        Command::Layout(a) => layout::run(a).await,
        Command::DevCerts(a) => dev_certs::run(load()?, a).await,
        Command::Doctor(a) => doctor::run(load()?, a).await,
        Command::Token(a) => token::run(load()?, a).await,
        Command::Report(a) => report::run(load()?, a).await,
    }
}

/// Structured logs on stderr: JSON when stderr is not a terminal (or `FOGD_LOG_FORMAT=json`), text otherwise;
/// filter from `FOGD_LOG` (default `info`).
pub fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOGD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match std::env::var("FOGD_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}
