//! Reads the layout set that a configuration names: the embedded layouts of an edition (FOGD-REF-1 or FOGD-REF-2)
//! plus the `*.toml` files of `[layouts] dir`, which override them by name. The one place that does this I/O (`formats` itself does none); used
//! by the CLI, the simulator and the engine. [`load_xml`] does the same for the XML layouts (FOGD-REF-2).

use crate::config::Config;
use crate::formats::xml::XmlLayout;
use crate::formats::LayoutSet;
use std::path::PathBuf;

/// Why the configured layouts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LayoutFilesError {
    /// The directory or a file in it could not be read.
    #[error("layouts.dir: cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A layout file is invalid (the message lists every problem).
    #[error("{0}")]
    Invalid(String),
}

/// The layout set for `config` without a database: the edition `[layouts] edition` names, else the default
/// (see [`crate::config::LayoutsConfig::edition`]).
pub fn load(config: &Config) -> Result<LayoutSet, LayoutFilesError> {
    load_edition(config, config.layouts.edition_or_default())
}

/// The layout set of `edition` (`FOGD-REF-1`, `FOGD-REF-2`) with the `*.toml` files of `[layouts] dir` overriding
/// its layouts by name, plus the FOGD-REF-2 begäran (`bfo-begaran`) where the edition has none (FOGD-REF-1 has no
/// begäran transaction; such an installation files it with FOGD-REF-2's layout).
pub fn load_edition(config: &Config, edition: &str) -> Result<LayoutSet, LayoutFilesError> {
    let files = match &config.layouts.dir {
        Some(dir) => read_toml_files(dir)?,
        None => Vec::new(),
    };
    let mut set = LayoutSet::with_overrides_for(edition, &files)
        .map_err(|e| LayoutFilesError::Invalid(e.to_string()))?;
    set.add_missing(
        crate::formats::edition::embedded_fixed("FOGD-REF-2")
            .into_iter()
            .filter(|l| {
                l.role == crate::formats::LayoutRole::Transaction
                    && l.case_kind == Some(crate::domain::CaseKind::Begaran)
            }),
    );
    Ok(set)
}

/// Every `*.toml` of a directory as (path, text), sorted by path.
pub fn read_toml_files(dir: &std::path::Path) -> Result<Vec<(String, String)>, LayoutFilesError> {
    let read_err = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| LayoutFilesError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).map_err(read_err(&path))?;
            files.push((path.display().to_string(), text));
        }
    }
    files.sort();
    Ok(files)
}

/// The XML layouts for `config`: the shipped FOGD-REF-2 ones (`layouts/fogd-ref-2/*.toml` with `format = "xml"`),
/// files of `[layouts] dir` that say `format = "xml"` replacing them by name (or adding new ones).
pub fn load_xml(config: &Config) -> Result<Vec<XmlLayout>, LayoutFilesError> {
    let mut layouts = crate::formats::edition::embedded_xml("FOGD-REF-2");
    let Some(dir) = &config.layouts.dir else {
        return Ok(layouts);
    };
    let mut problems = Vec::new();
    for (file, text) in read_toml_files(dir)? {
        if !crate::formats::xml::is_xml_layout(&text) {
            continue;
        }
        match XmlLayout::from_toml(&text, &file) {
            Ok(l) => {
                layouts.retain(|x| x.name != l.name);
                layouts.push(l);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(layouts)
    } else {
        Err(LayoutFilesError::Invalid(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ))
    }
}
