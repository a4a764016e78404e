//! The catalogue of public datasets Pulse can replay (`replay-data/catalog.toml`, compiled in).
//!
//! A dataset's files are found under a data directory laid out as `<dataset folder>/<original
//! file name>`: first `$PULSE_DATA_DIR`, then the download cache. Downloading is the binary's job;
//! this module only says what exists, where it would be, and what is missing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::readers::Format;
use crate::{Error, Result};

/// The catalogue shipped with Pulse.
const CATALOG_TOML: &str = include_str!("../../../replay-data/catalog.toml");

/// All datasets Pulse knows by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// The datasets, in catalogue order.
    #[serde(rename = "dataset")]
    pub datasets: Vec<Dataset>,
}

/// One public dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Name used on the command line (`boston-west`).
    pub name: String,
    /// One line on what it holds.
    pub description: String,
    /// Reader format name (see [`Format::NAMES`]).
    pub format: String,
    /// Licence of the data.
    pub licence: String,
    /// How to cite it.
    pub citation: String,
    /// Where it is published.
    pub homepage: String,
    /// Posts it holds, when known (progress bars).
    pub posts: Option<u64>,
    /// Its files.
    pub files: Vec<DatasetFile>,
}

/// One file of a dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// Path relative to a data directory.
    pub path: String,
    /// Origin to download from.
    pub url: String,
    /// SHA-256 of the file, where the origin is stable.
    pub sha256: Option<String>,
    /// The file's name inside the zip archive at `url`, when the origin is an archive.
    pub member: Option<String>,
}

/// Where datasets are looked for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDirs {
    /// `$PULSE_DATA_DIR`, when set: a directory laid out like the cache (read-only use).
    pub data_dir: Option<PathBuf>,
    /// The download cache: `$PULSE_CACHE_DIR`, else `$XDG_CACHE_HOME/pulse/datasets`, else
    /// `~/.cache/pulse/datasets`.
    pub cache_dir: PathBuf,
}

impl DataDirs {
    /// The directories named by the environment.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let cache_dir = var("PULSE_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("pulse/datasets")))
            .or_else(|| var("HOME").map(|d| d.join(".cache/pulse/datasets")))
            .unwrap_or_else(|| PathBuf::from(".pulse-cache/datasets"));
        Self { data_dir: var("PULSE_DATA_DIR"), cache_dir }
    }

    /// Where a catalogue file is, if it is in any of the directories.
    pub fn find(&self, file: &DatasetFile) -> Option<PathBuf> {
        self.data_dir.iter().chain([&self.cache_dir]).map(|dir| dir.join(&file.path)).find(|p| p.is_file())
    }
}

impl Catalog {
    /// The catalogue compiled into Pulse.
    pub fn embedded() -> Result<Self> {
        Self::parse(CATALOG_TOML)
    }

    /// Parses a catalogue and checks that every format it names exists.
    pub fn parse(text: &str) -> Result<Self> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| Error::Catalog(format!("dataset catalogue: {e}")))?;
        for dataset in &catalog.datasets {
            dataset.reader_format()?;
        }
        Ok(catalog)
    }

    /// The dataset with this name.
    pub fn get(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The dataset with this name, or an error listing the known names.
    pub fn require(&self, name: &str) -> Result<&Dataset> {
        self.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.datasets.iter().map(|d| d.name.as_str()).collect();
            Error::Catalog(format!("no dataset named {name:?}; known: {}", names.join(", ")))
        })
    }
}

impl Dataset {
    /// The reader format of the dataset's files.
    pub fn reader_format(&self) -> Result<Format> {
        Ok(self.format.parse()?)
    }

    /// The local paths of all its files, or the files that are missing.
    pub fn locate(&self, dirs: &DataDirs) -> std::result::Result<Vec<PathBuf>, Vec<&DatasetFile>> {
        let found: Vec<Option<PathBuf>> = self.files.iter().map(|f| dirs.find(f)).collect();
        if found.iter().all(Option::is_some) {
            Ok(found.into_iter().flatten().collect())
        } else {
            Err(self.files.iter().zip(&found).filter(|(_, p)| p.is_none()).map(|(f, _)| f).collect())
        }
    }
}

/// Whether `path` looks like a catalogue name rather than a file (no separator, no extension).
pub fn looks_like_dataset_name(path: &Path) -> bool {
    let text = path.to_string_lossy();
    !path.exists() && !text.contains(['/', '\\', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_lists_the_promised_datasets() {
        let catalog = Catalog::embedded().unwrap();
        for name in
            ["crisislex-t6", "crisislex-t26", "airline-sentiment", "sentiment140", "sentiment140-test", "boston-west"]
        {
            assert!(catalog.get(name).is_some(), "{name} missing");
        }
        assert_eq!(catalog.require("crisislex-t6").unwrap().files.len(), 6);
        assert_eq!(catalog.require("crisislex-t26").unwrap().files.len(), 26);
        assert_eq!(catalog.require("boston-west").unwrap().reader_format().unwrap(), Format::CrisisLexT6);
        assert!(catalog.require("nope").unwrap_err().to_string().contains("boston-west"));
    }

    #[test]
    fn locate_prefers_the_data_dir_and_names_missing_files() {
        let data = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let dirs = DataDirs { data_dir: Some(data.path().into()), cache_dir: cache.path().into() };
        let catalog = Catalog::embedded().unwrap();
        let boston_west = catalog.require("boston-west").unwrap();
        let missing = boston_west.locate(&dirs).unwrap_err();
        assert_eq!(missing.len(), 2);
        for (dir, file) in [(data.path(), &boston_west.files[0]), (cache.path(), &boston_west.files[1])] {
            let path = dir.join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "tweet id, tweet, label\n").unwrap();
        }
        let found = boston_west.locate(&dirs).unwrap();
        assert!(found[0].starts_with(data.path()) && found[1].starts_with(cache.path()));
    }

    #[test]
    fn a_catalogue_with_an_unknown_format_is_rejected() {
        let text = r#"[[dataset]]
name = "x"
description = "d"
format = "xml"
licence = "l"
citation = "c"
homepage = "h"
files = []
"#;
        assert!(Catalog::parse(text).unwrap_err().to_string().contains("unknown format"));
    }
}
