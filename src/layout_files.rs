//! Reads the layout set that a configuration names: the embedded FOGD-REF-1 layouts plus the `*.toml` files of
//! `[layouts] dir`, which override them by name. The one place that does this I/O (`formats` itself does none); used
//! by the CLI, the simulator and the engine.

use crate::config::Config;
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

/// The layout set for `config`.
pub fn load(config: &Config) -> Result<LayoutSet, LayoutFilesError> {
    let Some(dir) = &config.layouts.dir else {
        return Ok(LayoutSet::embedded());
    };
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
    LayoutSet::with_overrides(&files).map_err(|e| LayoutFilesError::Invalid(e.to_string()))
}
