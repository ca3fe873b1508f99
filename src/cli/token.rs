//! `fogd token create --role R --name N | list | revoke ID|NAME`: API tokens. A new token is printed once, on
//! stdout; only its SHA-256 is stored.

use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::store::Role;

/// Subcommands of `fogd token`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once).
    Create {
        /// Its role.
        #[arg(long, value_enum)]
        role: Role,
        /// A name for people: who or what uses it.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke tokens by id or name.
    Revoke { id_or_name: String },
}

/// Runs the command.
pub async fn run(config: Config, cmd: TokenCommand) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    let store = crate::cli::import::open_store(&config).await?;
    let code = match cmd {
        TokenCommand::Create { role, name } => {
            if name.trim().is_empty() {
                return Err(UsageError("--name must not be empty".into()).into());
            }
            let (row, token) = store.create_token(name.trim(), role, clock.now()).await?;
            eprintln!(
                "created token {} ({}, role {}); it is shown only now:",
                row.id, row.name, row.role
            );
            println!("{token}");
            EXIT_OK
        }
        TokenCommand::List { json } => {
            let rows = store.list_tokens().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:>4}  {:<10} {:<24} {:<28} status",
                    "id", "role", "name", "created"
                );
                for r in rows {
                    let status = match &r.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".into(),
                    };
                    println!(
                        "{:>4}  {:<10} {:<24} {:<28} {status}",
                        r.id,
                        r.role.as_str(),
                        r.name,
                        r.created_at
                    );
                }
            }
            EXIT_OK
        }
        TokenCommand::Revoke { id_or_name } => {
            let n = store.revoke_token(&id_or_name, clock.now()).await?;
            if n == 0 {
                eprintln!("no active token {id_or_name:?}");
                EXIT_PROBLEMS
            } else {
                eprintln!("revoked {n} token(s)");
                EXIT_OK
            }
        }
    };
    store.close().await;
    Ok(code)
}
