//! `fogd layout …`: check layout files, list the layouts in use.

use crate::formats::{Layout, LayoutSet};
use std::path::PathBuf;

/// Subcommands of `fogd layout`.
#[derive(Debug, clap::Subcommand)]
pub enum LayoutCommand {
    /// Validate a layout file: exit 0 when good, 2 with the list of problems otherwise.
    Check {
        /// The layout TOML file.
        path: PathBuf,
    },
    /// List the embedded layouts (name, edition, filtyp, file name pattern).
    List,
}

/// Runs the command.
pub async fn run(cmd: LayoutCommand) -> anyhow::Result<u8> {
    match cmd {
        LayoutCommand::Check { path } => {
            let text = match std::fs::read(&path) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    eprintln!("{}: cannot read: {e}", path.display());
                    return Ok(crate::cli::EXIT_USAGE);
                }
            };
            match Layout::from_toml(&text, &path.display().to_string()) {
                Ok(l) => {
                    println!(
                        "{}: layout {} ({}), {} record types: ok",
                        path.display(),
                        l.name,
                        l.edition,
                        l.records.len()
                    );
                    Ok(crate::cli::EXIT_OK)
                }
                Err(problems) => {
                    for p in &problems {
                        println!("{p}");
                    }
                    eprintln!("{} problem(s)", problems.len());
                    Ok(crate::cli::EXIT_USAGE)
                }
            }
        }
        LayoutCommand::List => {
            for l in LayoutSet::embedded().iter() {
                println!(
                    "{:<22} {:<11} {:<8} {}",
                    l.name, l.edition, l.filtyp, l.file_name
                );
            }
            Ok(crate::cli::EXIT_OK)
        }
    }
}
