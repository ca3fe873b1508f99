//! The command line (clap). Each command is a thin call into the library; this is the binary's edge, the one place
//! where `anyhow` is used.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub mod build;
pub mod completions;
pub mod decision;
pub mod demo;
pub mod dev_certs;
pub mod doctor;
pub mod import;
pub mod inspect;
pub mod journal;
pub mod layout;
pub mod poll;
pub mod report;
pub mod request;
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

/// Refuses a private key file that group or others may read (a usage error naming the `chmod` to run).
pub fn require_private_key(path: &std::path::Path) -> Result<(), UsageError> {
    crate::certs::check_key_private(path).map_err(|e| UsageError(e.to_string()))
}

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
    /// Ask Kronofogden about a registered BFÖ case: överlämnande (court) or verkställighet (enforcement).
    Request(request::RequestArgs),
    /// Enter a decision Kronofogden sent on paper (e.g. an avskrivningsbeslut), with a note.
    PaperDecision(decision::PaperDecisionArgs),
    /// Print a shell completion script (bash, zsh, fish, …) generated from these commands.
    Completions(completions::CompletionsArgs),
    /// Print the manual page fogd(1) in roff, or write one page per command into a directory.
    Man(completions::ManArgs),
}

/// Runs the command and maps the outcome to an exit code.
///
/// Output cut short by a closed pipe (`fogd status | head`) is not an error: the command exits 0 without a word,
/// whether the write failed with an error ([`is_broken_pipe`]) or `println!` panicked ([`quiet_broken_pipe`]).
pub fn main(cli: Cli) -> ExitCode {
    quiet_broken_pipe();
    // `[log]` of the configuration when it loads; when it does not, the defaults (the command reports why).
    let log = crate::config::Config::load(cli.config.as_deref(), std::env::vars())
        .map(|c| c.log)
        .unwrap_or_default();
    let json_logs = init_logging(&log_target(&cli), &log);
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
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            let code = if e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::config::ConfigError>().is_some()
                || e.downcast_ref::<crate::daemon::DaemonError>()
                    .is_some_and(crate::daemon::DaemonError::is_usage)
            {
                EXIT_USAGE
            } else {
                EXIT_INTERNAL
            };
            let text = error_text(&e);
            if json_logs {
                // On a JSON log stream the last word is a JSON line too.
                tracing::error!(exit_code = code, "fogd: {text}");
            } else {
                eprintln!("fogd: {text}");
            }
            ExitCode::from(code)
        }
    }
}

/// The error and its causes, joined with `: `, leaving out a cause whose text the line already holds (a
/// `thiserror` message that prints its `#[source]` would otherwise say "Address already in use" twice).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if c.is_empty() || text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

/// True when the error comes from writing into a closed pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|x| {
                matches!(x.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// Makes `println!` into a closed pipe end the process quietly with exit 0. Rust ignores SIGPIPE, so such a write
/// fails, and `println!` panics on failure ("failed printing to stdout: Broken pipe"); restoring SIGPIPE's default
/// action would need `unsafe` (forbidden here). The hook recognises exactly that panic and exits 0; every other
/// panic goes to the default hook.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.starts_with("failed printing to stdout") && payload.contains("Broken pipe") {
            std::process::exit(i32::from(EXIT_OK));
        }
        default(info);
    }));
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
        Command::Request(a) => request::run(load()?, a).await,
        Command::PaperDecision(a) => decision::run(load()?, a).await,
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
    }
}

/// Where the logs of a command go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// Everything on stderr (filter `FOGD_LOG`, else `[log] level`).
    Stderr,
    /// The demo without `--verbose`: its story is on stdout, so stderr gets warnings only (or `FOGD_LOG`), and the
    /// whole log (info, JSON lines) goes to this file.
    Quiet(std::path::PathBuf),
}

/// The log target of `cli`'s command.
pub fn log_target(cli: &Cli) -> LogTarget {
    match &cli.command {
        Command::Demo(a) if !a.verbose => LogTarget::Quiet(demo::log_file()),
        _ => LogTarget::Stderr,
    }
}

/// Structured logs: `[log] format` (`auto`: JSON when stderr is not a terminal, text otherwise; `FOGD_LOG_FORMAT`
/// overrides it as every key is overridden); filter from `FOGD_LOG`, else `[log] level`. Returns whether stderr
/// carries JSON. Event fields are named so that no field is
/// called `message` (the event's own text), so every line is a JSON object without duplicate keys.
pub fn init_logging(target: &LogTarget, log: &crate::config::LogConfig) -> bool {
    use crate::config::LogFormat;
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let env_filter = |default: &str| {
        tracing_subscriber::EnvFilter::try_from_env("FOGD_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
    };
    let json = match log.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let (stderr_filter, file) = match target {
        LogTarget::Stderr => (env_filter(&log.level), None),
        LogTarget::Quiet(path) => {
            let file = path
                .parent()
                .map(crate::fsperm::create_private_dir_all)
                .transpose()
                .ok()
                .and_then(|_| std::fs::File::create(path).ok());
            (env_filter("warn"), file)
        }
    };
    let stderr_layer = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(stderr_filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
            .with_filter(stderr_filter)
            .boxed()
    };
    let file_layer = file.map(|f| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::sync::Mutex::new(f))
            .with_filter(tracing_subscriber::EnvFilter::new("info"))
    });
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    json
}
