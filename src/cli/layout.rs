//! `fogd layout …`: check layout files (fixed-width and XML), list the shipped layouts, print record tables as
//! Markdown.

use crate::formats::edition::{self, LayoutFile};
use crate::formats::{layout_doc, Felkoder, LayoutProblem, LayoutSet};
use crate::sim::kronofogden::check::rule_felkod;
use std::path::{Path, PathBuf};

/// Subcommands of `fogd layout`.
#[derive(Debug, clap::Subcommand)]
pub enum LayoutCommand {
    /// Validate an edition — a directory of layout files (fixed-width, or XML with `format = "xml"`) and its felkod
    /// table `felkoder.toml` — or any one file of it, together with the felkod table it runs with (`felkoder.toml`
    /// beside it, else the embedded FOGD-REF-1 table): every parse-error class and every felkod the simulator
    /// answers with must be in the table. Exit 0 when good, 2 with the list of problems otherwise.
    Check {
        /// An edition directory, a layout file or a felkod table (`felkoder.toml`).
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

fn problems_out(problems: &[LayoutProblem]) -> u8 {
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
                    Err(message) => problems.push(table_problem(file, message)),
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

/// Whether `path` names a felkod table.
fn is_felkod_table(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == FELKOD_TABLE)
}

/// The file name of an edition's felkod table.
const FELKOD_TABLE: &str = "felkoder.toml";

/// A problem of the felkod table `file`.
fn table_problem(file: &str, message: String) -> LayoutProblem {
    LayoutProblem {
        file: file.to_string(),
        record: None,
        field: None,
        message,
    }
}

/// `fogd layout check PATH`: the files of an edition (or one of them) and the felkod table they run with, checked
/// together. Prints a line per good file and every problem; returns the exit code.
fn check(path: &Path) -> u8 {
    // The files to check, and where the felkod table comes from.
    let (files, table_file) = if path.is_dir() {
        let files = match crate::layout_files::read_toml_files(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{e}");
                return crate::cli::EXIT_USAGE;
            }
        };
        if files.is_empty() {
            eprintln!(
                "{}: no layout files (*.toml) in the directory",
                path.display()
            );
            return crate::cli::EXIT_USAGE;
        }
        (files, Some(path.join(FELKOD_TABLE)))
    } else {
        let text = match read(path) {
            Ok(t) => t,
            Err(code) => return code,
        };
        let beside = path.parent().map(|d| d.join(FELKOD_TABLE));
        (vec![(path.display().to_string(), text)], beside)
    };
    let mut problems = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for (file, text) in &files {
        if is_felkod_table(Path::new(file)) {
            continue; // read below, as the table
        }
        match LayoutFile::from_toml(text, file) {
            Ok(l) => {
                if let Some((_, first)) = names.iter().find(|(n, _)| n == l.name()) {
                    problems.push(table_problem(
                        file,
                        format!("layout {} is also defined in {first}", l.name()),
                    ));
                }
                names.push((l.name().to_string(), file.clone()));
                println!(
                    "{file}: layout {} ({}), {}, {} record types: ok",
                    l.name(),
                    l.edition(),
                    match l {
                        LayoutFile::Fixed(_) => "fixed-width",
                        LayoutFile::Xml(_) => "XML",
                    },
                    l.record_count()
                );
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    // The felkod table the files run with: the edition's own, else the embedded one.
    let (table_name, table) = match table_file.filter(|t| t.is_file()) {
        Some(t) => {
            let name = t.display().to_string();
            let text = match read(&t) {
                Ok(text) => text,
                Err(code) => return code,
            };
            match Felkoder::from_toml(&text) {
                Ok(table) => (name, Some(table)),
                Err(message) => {
                    problems.push(table_problem(&name, message));
                    (name, None)
                }
            }
        }
        None => (
            "the embedded FOGD-REF-1 felkod table".to_string(),
            Some(Felkoder::embedded()),
        ),
    };
    if let Some(table) = &table {
        let before = problems.len();
        for class in table.classes_without_code() {
            problems.push(table_problem(
                &table_name,
                format!(
                    "no felkod for the parse-error class {:?}: a file with this problem would be answered with {}",
                    class.as_str(),
                    rule_felkod::FALLBACK
                ),
            ));
        }
        for code in rule_felkod::ALL {
            if table.get(code).is_none() {
                problems.push(table_problem(
                    &table_name,
                    format!(
                        "felkod {code} is answered by the simulator but missing from the table"
                    ),
                ));
            }
        }
        if problems.len() == before {
            println!(
                "{table_name}: felkod table, {} codes, every parse-error class and every felkod the simulator \
                 answers with: ok",
                table.all().len()
            );
        }
    }
    if problems.is_empty() {
        crate::cli::EXIT_OK
    } else {
        problems_out(&problems)
    }
}

/// Runs the command.
pub async fn run(cmd: LayoutCommand) -> anyhow::Result<u8> {
    match cmd {
        LayoutCommand::Check { path } => Ok(check(&path)),
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
