//! `fogd layout …`: check layout files (fixed-width and XML), list the shipped layouts, print record tables as
//! Markdown.

use crate::formats::edition::{self, LayoutFile};
use crate::formats::{layout_doc, Felkoder, LayoutSet};
use std::path::{Path, PathBuf};

/// Subcommands of `fogd layout`.
#[derive(Debug, clap::Subcommand)]
pub enum LayoutCommand {
    /// Validate a layout file (fixed-width, or XML with `format = "xml"`): exit 0 when good, 2 with the list of
    /// problems otherwise.
    Check {
        /// The layout TOML file.
        path: PathBuf,
    },
    /// List the shipped layouts (name, edition, filtyp or root element, file name pattern).
    List,
    /// Print record tables as Markdown: of a layout file, of every layout in a directory (an edition, with its
    /// felkoder.toml), of a shipped edition (`FOGD-REF-1`, `FOGD-REF-2`) or of a shipped layout by name.
    Doc {
        /// A layout file, a directory of layout files, an edition name or a layout name.
        layout: String,
    },
}

fn problems_out(problems: &[crate::formats::LayoutProblem]) -> u8 {
    for p in problems {
        println!("{p}");
    }
    eprintln!("{} problem(s)", problems.len());
    crate::cli::EXIT_USAGE
}

fn read(path: &Path) -> Result<String, u8> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| {
            eprintln!("{}: cannot read: {e}", path.display());
            crate::cli::EXIT_USAGE
        })
}

/// The Markdown for `fogd layout doc ARG`, or the exit code after printing why not.
fn doc(arg: &str) -> Result<String, u8> {
    let path = Path::new(arg);
    if path.is_dir() {
        let files = crate::layout_files::read_toml_files(path).map_err(|e| {
            eprintln!("{e}");
            crate::cli::EXIT_USAGE
        })?;
        let mut layouts = Vec::new();
        let mut felkoder = None;
        let mut problems = Vec::new();
        for (file, text) in &files {
            if Path::new(file)
                .file_name()
                .is_some_and(|n| n == "felkoder.toml")
            {
                match Felkoder::from_toml(text) {
                    Ok(f) => felkoder = Some(f),
                    Err(message) => problems.push(crate::formats::LayoutProblem {
                        file: file.clone(),
                        record: None,
                        field: None,
                        message,
                    }),
                }
                continue;
            }
            match LayoutFile::from_toml(text, file) {
                Ok(l) => layouts.push(l),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if !problems.is_empty() {
            return Err(problems_out(&problems));
        }
        if layouts.is_empty() {
            eprintln!("{arg}: no layout files (*.toml) in the directory");
            return Err(crate::cli::EXIT_USAGE);
        }
        return Ok(layout_doc::edition_markdown(
            arg,
            &layouts,
            felkoder.as_ref(),
        ));
    }
    if path.is_file() {
        let text = read(path)?;
        return LayoutFile::from_toml(&text, arg)
            .map(|l| layout_doc::markdown(&l))
            .map_err(|p| problems_out(&p));
    }
    if edition::embedded_files(arg).is_some() {
        let felkoder = (arg == "FOGD-REF-1").then(Felkoder::embedded);
        return Ok(layout_doc::edition_markdown(
            arg,
            &edition::embedded(arg),
            felkoder.as_ref(),
        ));
    }
    for ed in ["FOGD-REF-2", "FOGD-REF-1"] {
        if let Some(l) = edition::embedded(ed).into_iter().find(|l| l.name() == arg) {
            return Ok(layout_doc::markdown(&l));
        }
    }
    eprintln!(
        "fogd layout doc: {arg:?} is not a layout file, a directory, an edition (FOGD-REF-1, FOGD-REF-2) or a shipped layout's name"
    );
    Err(crate::cli::EXIT_USAGE)
}

/// Runs the command.
pub async fn run(cmd: LayoutCommand) -> anyhow::Result<u8> {
    match cmd {
        LayoutCommand::Check { path } => {
            let text = match read(&path) {
                Ok(t) => t,
                Err(code) => return Ok(code),
            };
            match LayoutFile::from_toml(&text, &path.display().to_string()) {
                Ok(l) => {
                    println!(
                        "{}: layout {} ({}), {}, {} record types: ok",
                        path.display(),
                        l.name(),
                        l.edition(),
                        match l {
                            LayoutFile::Fixed(_) => "fixed-width",
                            LayoutFile::Xml(_) => "XML",
                        },
                        l.record_count()
                    );
                    Ok(crate::cli::EXIT_OK)
                }
                Err(problems) => Ok(problems_out(&problems)),
            }
        }
        LayoutCommand::List => {
            for l in LayoutSet::embedded().iter() {
                println!(
                    "{:<22} {:<11} {:<8} {}",
                    l.name, l.edition, l.filtyp, l.file_name
                );
            }
            for l in edition::embedded("FOGD-REF-2") {
                let (what, file) = match &l {
                    LayoutFile::Fixed(f) => (f.filtyp.clone(), f.file_name.clone()),
                    LayoutFile::Xml(x) => (format!("<{}>", x.root), x.file_name.clone()),
                };
                println!("{:<22} {:<11} {:<8} {}", l.name(), l.edition(), what, file);
            }
            Ok(crate::cli::EXIT_OK)
        }
        LayoutCommand::Doc { layout } => match doc(&layout) {
            Ok(md) => {
                print!("{md}");
                Ok(crate::cli::EXIT_OK)
            }
            Err(code) => Ok(code),
        },
    }
}
