//! `fogd completions SHELL` and `fogd man [--out-dir DIR]`: shell completion scripts and manual pages generated
//! from the clap definition of the commands (`clap_complete`, `clap_mangen`), so they never drift from `--help`.
//!
//! Install, e.g.: `fogd completions bash > /etc/bash_completion.d/fogd`, `fogd completions zsh >
//! "${fpath[1]}/_fogd"`, `fogd completions fish > ~/.config/fish/completions/fogd.fish`; `fogd man --out-dir
//! /usr/local/share/man/man1` (then `man fogd`, `man fogd-import`).

use crate::cli::{Cli, UsageError, EXIT_OK};
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `fogd completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `fogd man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write fogd.1 and one page per command (fogd-import.1, …) into this directory instead of printing fogd.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints the completion script.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "fogd", &mut buf);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(EXIT_OK)
}

/// Prints fogd(1), or writes every page into `--out-dir`.
pub fn man(args: ManArgs) -> anyhow::Result<u8> {
    let cmd = Cli::command();
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(cmd, &dir)
                .map_err(|e| UsageError(format!("writing pages into {}: {e}", dir.display())))?;
            let stdout = std::io::stdout();
            writeln!(stdout.lock(), "wrote manual pages into {}", dir.display())?;
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(EXIT_OK)
}
