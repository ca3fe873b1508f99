//! Reads the referensränta table a configuration names: `[interest] referensranta = PATH`, or the table shipped in
//! the binary (`rates/referensranta.toml`). The one place that does this I/O (`domain::interest` parses and checks
//! the text); call it at start so that a broken table stops the program with its error instead of holding cases.

use crate::config::Config;
use crate::domain::interest::{RateTableError, ReferensrantaTable};
use std::path::PathBuf;

/// Why the configured table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InterestTableError {
    /// The file could not be read.
    #[error("interest.referensranta: cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid table.
    #[error("interest.referensranta: {path}: {source}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What is wrong, with the entry.
        source: RateTableError,
    },
}

/// The referensränta table for `config`.
pub fn load(config: &Config) -> Result<ReferensrantaTable, InterestTableError> {
    let Some(path) = &config.interest.referensranta else {
        return Ok(ReferensrantaTable::embedded());
    };
    let text = std::fs::read_to_string(path).map_err(|source| InterestTableError::Read {
        path: path.clone(),
        source,
    })?;
    ReferensrantaTable::from_toml(&text).map_err(|source| InterestTableError::Invalid {
        path: path.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_shipped_table_and_a_file_replaces_it() {
        let mut config = Config::default();
        assert_eq!(load(&config).unwrap(), ReferensrantaTable::embedded());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rates.toml");
        std::fs::write(
            &path,
            "rates = [{ from = 2026-01-01, percent = \"2.00\" }, { from = 2026-07-01, percent = \"1.50\" }]\n",
        )
        .unwrap();
        config.interest.referensranta = Some(path.clone());
        let t = load(&config).unwrap();
        assert_eq!(t.iter().count(), 2);
        std::fs::write(
            &path,
            "rates = [{ from = 2026-02-01, percent = \"2.00\" }]\n",
        )
        .unwrap();
        let e = load(&config).unwrap_err().to_string();
        assert!(e.starts_with("interest.referensranta: "), "{e}");
        assert!(e.contains("entry 1 (from 2026-02-01)"), "{e}");
        config.interest.referensranta = Some(dir.path().join("missing.toml"));
        let e = load(&config).unwrap_err().to_string();
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn the_key_is_read_from_file_and_environment() {
        let cfg =
            Config::from_toml("[interest]\nreferensranta = \"/x/rates.toml\"\n", "t").unwrap();
        assert_eq!(
            cfg.interest.referensranta,
            Some(PathBuf::from("/x/rates.toml"))
        );
        let cfg = Config::load(
            Some(std::path::Path::new("config/fogd.example.toml")),
            vec![(
                "FOGD_INTEREST_REFERENSRANTA".to_string(),
                "/y/rates.toml".to_string(),
            )],
        )
        .unwrap();
        assert_eq!(
            cfg.interest.referensranta,
            Some(PathBuf::from("/y/rates.toml"))
        );
    }
}
