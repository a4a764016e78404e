//! Turning command-line inputs (files, directories, catalogue names, `-`) into replay inputs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pulse_core::Format;
use pulse_core::catalog::{Catalog, DataDirs, looks_like_dataset_name};
use pulse_core::replay::ReplayInput;

use crate::data;

/// Parses a `--input-format` value.
pub fn parse_format(name: &str) -> Result<Format, String> {
    name.parse().map_err(|e: pulse_core::format::UnknownFormat| e.to_string())
}

/// How many posts `args` hold, when every one is a catalogue dataset whose size is known (for a
/// progress bar).
pub fn known_posts(args: &[PathBuf]) -> Option<u64> {
    let catalog = Catalog::embedded().ok()?;
    args.iter()
        .map(|arg| {
            let known = !arg.exists() && looks_like_dataset_name(arg);
            known.then(|| catalog.get(&arg.to_string_lossy()).and_then(|d| d.posts)).flatten()
        })
        .sum()
}

/// Resolves each argument: an existing file as is, a directory as the files in it (sorted), `-`
/// as standard input, and anything else as a catalogue dataset name (downloaded if missing).
pub fn resolve(args: &[PathBuf], format: Option<Format>) -> Result<Vec<ReplayInput>> {
    let catalog = Catalog::embedded()?;
    let dirs = DataDirs::from_env();
    let mut inputs = Vec::new();
    for arg in args {
        if arg == Path::new("-") || arg.is_file() {
            inputs.push(ReplayInput { path: arg.clone(), format });
        } else if arg.is_dir() {
            let files = files_in(arg)?;
            if files.is_empty() {
                bail!("{} holds no files to read", arg.display());
            }
            inputs.extend(files.into_iter().map(|path| ReplayInput { path, format }));
        } else if looks_like_dataset_name(arg) {
            let name = arg.to_string_lossy();
            let dataset = catalog.require(&name)?;
            let paths = data::ensure_local(dataset, &dirs)?;
            let dataset_format = format.or(Some(dataset.reader_format()?));
            inputs.extend(paths.into_iter().map(|path| ReplayInput { path, format: dataset_format }));
        } else {
            bail!("{}: no such file, directory or dataset (see `pulse data list`)", arg.display());
        }
    }
    Ok(inputs)
}

/// The regular, non-empty files directly in `dir`, sorted. Symbolic links are skipped (a link
/// given on the command line is followed; one inside a directory could point anywhere), and so
/// are empty files, each with a warning.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let (path, kind) = (entry.path(), entry.file_type()?);
        if kind.is_symlink() {
            eprintln!("warning: skipping {}: a symbolic link (name it on the command line to read it)", path.display());
        } else if kind.is_file() {
            if entry.metadata()?.len() == 0 {
                eprintln!("warning: skipping {}: empty", path.display());
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
