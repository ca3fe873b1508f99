//! `fogd inspect`: decode a file of any known layout into records and fields.
//!
//! The layout is recognised from the file — a fixed-width file by its first record (its constant and code fields,
//! e.g. the 00 record's filtyp; the shipped FOGD-REF-2 inbound layouts are tried before the configured set), an XML
//! document by its root element and namespace — or given with `--layout PATH` (either kind). Exit 0 when the file
//! is clean, 3 when it has errors, 2 when it cannot be read or no layout fits. JSON:
//! `{"layout","edition","records":[{"line","code","fields":{…}}],"errors":[…]}` with field values as written
//! (trimmed); XML records also carry their element `path`, and XML errors name the element path and rule.

use crate::cli::UsageError;
use crate::config::Config;
use crate::formats::edition::{self, LayoutFile};
use crate::formats::xml::{parse_xml, XmlLayout};
use crate::formats::{parse_file, Layout};
use serde::ser::{SerializeMap, Serializer};
use std::path::PathBuf;

/// Arguments of `fogd inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The file.
    pub file: PathBuf,
    /// A layout TOML file to read it with (default: recognise it among the layouts in use).
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    pub format: String,
}

struct Fields<'a>(&'a [(String, String)]);

impl serde::Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(serde::Serialize)]
struct RecordOut<'a> {
    line: u64,
    code: String,
    fields: Fields<'a>,
}

#[derive(serde::Serialize)]
struct XmlRecordOut<'a> {
    line: u64,
    code: String,
    path: &'a str,
    fields: Fields<'a>,
}

/// True when the bytes start (after a byte order mark and white space) with `<`.
fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

/// Runs the command.
pub async fn run(config: Config, args: InspectArgs) -> anyhow::Result<u8> {
    if args.format != "text" && args.format != "json" {
        return Err(UsageError(format!("--format {:?} is not text or json", args.format)).into());
    }
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fogd inspect: {}: {e}", args.file.display());
            return Ok(crate::cli::EXIT_USAGE);
        }
    };
    let given = match &args.layout {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
            Some(
                LayoutFile::from_toml(&text, &p.display().to_string()).map_err(|ps| {
                    UsageError(
                        ps.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    )
                })?,
            )
        }
        None => None,
    };
    let not_known = || {
        eprintln!(
            "fogd inspect: {}: no known layout recognises this file",
            args.file.display()
        );
        Ok(crate::cli::EXIT_USAGE)
    };
    match given {
        Some(LayoutFile::Fixed(l)) => fixed(&l, &bytes, &args.format),
        Some(LayoutFile::Xml(l)) => xml(&l, &bytes, &args.format),
        None if looks_like_xml(&bytes) => {
            let layouts =
                crate::layout_files::load_xml(&config).map_err(|e| UsageError(e.to_string()))?;
            match edition::recognise_xml(&layouts, &bytes) {
                Some(l) => xml(l, &bytes, &args.format),
                None => not_known(),
            }
        }
        None => {
            // The configured set first (it carries `[layouts] dir`), then every shipped edition: a file that names
            // its edition in its head (utgava) is read with that edition's layouts, any other (inbound files) with
            // the first set that recognises it.
            let mut sets = vec![crate::cli::build::load_layouts(&config)?];
            sets.extend(
                edition::EDITIONS
                    .iter()
                    .rev()
                    .filter_map(|e| crate::formats::LayoutSet::embedded_edition(e)),
            );
            let chosen = match edition::set_for_file(&sets, &bytes) {
                Ok(Some(set)) => set.recognise(&bytes),
                Ok(None) => sets.iter().find_map(|s| s.recognise(&bytes)),
                Err(named) => {
                    eprintln!(
                        "fogd inspect: {}: edition {named:?} is not one fogd knows ({})",
                        args.file.display(),
                        edition::EDITIONS.join(", ")
                    );
                    return Ok(crate::cli::EXIT_USAGE);
                }
            };
            match chosen {
                Some(l) => fixed(l, &bytes, &args.format),
                None => not_known(),
            }
        }
    }
}

fn fixed(layout: &Layout, bytes: &[u8], format: &str) -> anyhow::Result<u8> {
    let parsed = parse_file(layout, bytes);
    let fields: Vec<Vec<(String, String)>> =
        parsed.records.iter().map(|r| r.fields(layout)).collect();
    if format == "json" {
        let records: Vec<RecordOut<'_>> = parsed
            .records
            .iter()
            .zip(&fields)
            .map(|(r, f)| RecordOut {
                line: r.line,
                code: r.code(layout).trim_end().to_string(),
                fields: Fields(f),
            })
            .collect();
        print_json(
            layout.name.as_str(),
            layout.edition.as_str(),
            &records,
            &parsed.errors,
        )?;
    } else {
        println!("layout {} ({})", layout.name, layout.edition);
        for (r, f) in parsed.records.iter().zip(&fields) {
            let name = r.def(layout).map(|d| d.name.as_str()).unwrap_or("?");
            println!("{:>6} {} {}", r.line, r.code(layout), name);
            for (k, v) in f {
                println!("         {k:<24} {v}");
            }
        }
        for e in &parsed.errors {
            println!("error: {e}");
        }
        println!(
            "{} records, {} cases, {} errors",
            parsed.summary.records,
            parsed.summary.cases,
            parsed.errors.len()
        );
    }
    Ok(if parsed.errors.is_empty() {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_PROBLEMS
    })
}

fn xml(layout: &XmlLayout, bytes: &[u8], format: &str) -> anyhow::Result<u8> {
    let parsed = parse_xml(layout, bytes);
    let fields: Vec<Vec<(String, String)>> =
        parsed.records.iter().map(|r| r.fields(layout)).collect();
    if format == "json" {
        let records: Vec<XmlRecordOut<'_>> = parsed
            .records
            .iter()
            .zip(&fields)
            .map(|(r, f)| XmlRecordOut {
                line: r.line,
                code: r.code(layout),
                path: &r.path,
                fields: Fields(f),
            })
            .collect();
        print_json(
            layout.name.as_str(),
            layout.edition.as_str(),
            &records,
            &parsed.errors,
        )?;
    } else {
        println!("layout {} ({}, XML)", layout.name, layout.edition);
        for (r, f) in parsed.records.iter().zip(&fields) {
            let name = r.def(layout).map(|d| d.name.as_str()).unwrap_or("?");
            println!("{:>6} {} {}", r.line, r.path, name);
            for (k, v) in f {
                println!("         {k:<24} {v}");
            }
        }
        for e in &parsed.errors {
            println!("error: {e}");
        }
        println!(
            "{} records, {} cases, {} errors",
            parsed.summary.records,
            parsed.summary.entries,
            parsed.errors.len()
        );
    }
    Ok(if parsed.errors.is_empty() {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_PROBLEMS
    })
}

/// Printed piecewise so that each record's fields keep their layout order.
fn print_json(
    layout: &str,
    edition: &str,
    records: &impl serde::Serialize,
    errors: &impl serde::Serialize,
) -> anyhow::Result<()> {
    let mut s = String::from("{");
    s.push_str(&format!("\"layout\":{},", serde_json::to_string(layout)?));
    s.push_str(&format!("\"edition\":{},", serde_json::to_string(edition)?));
    s.push_str(&format!("\"records\":{},", serde_json::to_string(records)?));
    s.push_str(&format!("\"errors\":{}", serde_json::to_string(errors)?));
    s.push('}');
    println!("{s}");
    Ok(())
}
