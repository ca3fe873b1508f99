//! The `fogd` binary: parse the command line, run, map errors to exit codes (0 ok, 1 internal error, 2 usage or
//! unreadable input, 3 input with problems — see each command's `--help`).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = fogd::cli::Cli::parse();
    fogd::cli::main(cli)
}
