//! `fogd inspect`: decode a file of any known layout into records and fields.
//!
//! The layout is recognised from the file's first record (its constant and code fields, e.g. the 00 record's
//! filtyp), or given with `--layout PATH`. Exit 0 when the file is clean, 3 when it has errors, 2 when it cannot
//! be read or no layout fits. JSON: `{"layout","edition","records":[{"line","code","fields":{…}}],"errors":[…]}`
//! with field values as written (trimmed).

use crate::cli::UsageError;
use crate::config::Config;
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
    let own;
    let set;
    let layout: &Layout = match &args.layout {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
            own = Layout::from_toml(&text, &p.display().to_string()).map_err(|ps| {
                UsageError(
                    ps.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?;
            &own
        }
        None => {
            set = crate::cli::build::load_layouts(&config)?;
            match set.recognise(&bytes) {
                Some(l) => l,
                None => {
                    eprintln!(
                        "fogd inspect: {}: no known layout recognises this file",
                        args.file.display()
                    );
                    return Ok(crate::cli::EXIT_USAGE);
                }
            }
        }
    };
    let parsed = parse_file(layout, &bytes);
    let fields: Vec<Vec<(String, String)>> =
        parsed.records.iter().map(|r| r.fields(layout)).collect();
    if args.format == "json" {
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
        // Printed piecewise so that each record's fields keep their layout order.
        let mut s = String::from("{");
        s.push_str(&format!(
            "\"layout\":{},",
            serde_json::to_string(&layout.name)?
        ));
        s.push_str(&format!(
            "\"edition\":{},",
            serde_json::to_string(&layout.edition)?
        ));
        s.push_str(&format!(
            "\"records\":{},",
            serde_json::to_string(&records)?
        ));
        s.push_str(&format!(
            "\"errors\":{}",
            serde_json::to_string(&parsed.errors)?
        ));
        s.push('}');
        println!("{s}");
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
