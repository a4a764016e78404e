//! `pulse data`: the dataset catalogue on the command line, and downloads from each origin.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pulse_core::catalog::{Catalog, DataDirs, Dataset, DatasetFile};
use sha2::{Digest, Sha256};

/// `pulse data …`
#[derive(Subcommand)]
pub enum DataCommand {
    /// List the datasets Pulse knows, and whether each is available on this machine.
    List,
    /// Download a dataset from its public origin into the cache (checksums verified).
    Fetch {
        /// Dataset name, as `pulse data list` shows it.
        name: String,
        /// Download again even if the files are already present.
        #[arg(long)]
        force: bool,
    },
    /// Print the local path of each file of a dataset, one per line.
    Path {
        /// Dataset name, as `pulse data list` shows it.
        name: String,
    },
}

pub fn run(command: DataCommand) -> Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let dirs = DataDirs::from_env();
    match command {
        DataCommand::List => {
            println!("{:<18} {:<10} {:>5}  DESCRIPTION", "NAME", "LOCAL", "FILES");
            for dataset in &catalog.datasets {
                let local = if dataset.locate(&dirs).is_ok() { "yes" } else { "no" };
                println!("{:<18} {:<10} {:>5}  {}", dataset.name, local, dataset.files.len(), dataset.description);
            }
            match &dirs.data_dir {
                Some(dir) => {
                    println!("\nlooked in PULSE_DATA_DIR={} and the cache {}", dir.display(), dirs.cache_dir.display())
                }
                None => println!(
                    "\nlooked in the cache {} (set PULSE_DATA_DIR to add a directory)",
                    dirs.cache_dir.display()
                ),
            }
        }
        DataCommand::Fetch { name, force } => {
            let dataset = catalog.require(&name)?;
            for file in &dataset.files {
                let target = dirs.cache_dir.join(&file.path);
                if !force && target.is_file() {
                    eprintln!("{} already present", target.display());
                    continue;
                }
                download(file, &target)?;
            }
            eprintln!("{name}: {} files in {}", dataset.files.len(), dirs.cache_dir.display());
        }
        DataCommand::Path { name } => {
            let dataset = catalog.require(&name)?;
            match dataset.locate(&dirs) {
                Ok(paths) => paths.iter().for_each(|p| println!("{}", p.display())),
                Err(missing) => bail!(
                    "{name} is not on this machine ({} of {} files missing); run `pulse data fetch {name}`",
                    missing.len(),
                    dataset.files.len()
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The local files of a dataset, downloading the missing ones first.
pub fn ensure_local(dataset: &Dataset, dirs: &DataDirs) -> Result<Vec<PathBuf>> {
    if let Err(missing) = dataset.locate(dirs) {
        eprintln!("{}: {} file(s) not found locally, downloading", dataset.name, missing.len());
        for file in missing {
            download(file, &dirs.cache_dir.join(&file.path)).with_context(|| {
                format!("dataset {} is not on this machine and could not be downloaded", dataset.name)
            })?;
        }
    }
    dataset.locate(dirs).map_err(|missing| anyhow::anyhow!("{} still misses {} file(s)", dataset.name, missing.len()))
}

/// Downloads one catalogue file to `target`: via a temporary file, checksum verified, then renamed,
/// so an interrupted download never leaves a half file where a dataset is expected.
fn download(file: &DatasetFile, target: &Path) -> Result<()> {
    let dir = target.parent().context("download target has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let partial = target.with_extension("part");
    let fetched = fetch_url(&file.url, &partial).with_context(|| {
        format!(
            "cannot download {} (offline? put the file at {} or set PULSE_DATA_DIR to a directory that has it)",
            file.url,
            target.display()
        )
    })?;
    let (bytes_path, digest) = match &file.member {
        Some(member) => {
            let extracted = extract_member(&partial, member, &target.with_extension("member"))?;
            std::fs::remove_file(&partial).ok();
            extracted
        }
        None => (partial, fetched),
    };
    if let Some(expected) = &file.sha256
        && !expected.eq_ignore_ascii_case(&digest)
    {
        std::fs::remove_file(&bytes_path).ok();
        bail!(
            "{}: checksum mismatch (expected sha256 {expected}, got {digest}); the origin changed or the download was corrupted",
            file.url
        );
    }
    std::fs::rename(&bytes_path, target).with_context(|| format!("cannot write {}", target.display()))?;
    eprintln!("downloaded {}", target.display());
    Ok(())
}

/// Streams a URL into a file with a progress bar; returns the SHA-256 of what was written.
fn fetch_url(url: &str, to: &Path) -> Result<String> {
    let response = ureq::get(url).call()?;
    let length = response.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse().ok());
    let bar = progress_bar(length, url);
    let mut body = response.into_body().into_with_config().limit(u64::MAX).reader();
    let mut out = File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    let digest = copy_hashing(&mut body, &mut out, &bar)?;
    bar.finish_and_clear();
    Ok(digest)
}

/// Extracts one member of a zip archive; returns where it went and its SHA-256.
fn extract_member(archive: &Path, member: &str, to: &Path) -> Result<(PathBuf, String)> {
    let file = File::open(archive).with_context(|| format!("cannot open {}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(file).with_context(|| format!("{} is not a zip archive", archive.display()))?;
    let mut entry = zip.by_name(member).with_context(|| format!("the archive has no {member}"))?;
    let mut out = File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    let digest = copy_hashing(&mut entry, &mut out, &ProgressBar::hidden())?;
    Ok((to.to_path_buf(), digest))
}

fn copy_hashing(from: &mut dyn Read, to: &mut File, bar: &ProgressBar) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        hasher.update(&buffer[..n]);
        to.write_all(&buffer[..n])?;
        bar.inc(n as u64);
    }
    to.flush()?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn progress_bar(length: Option<u64>, url: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match length {
        Some(length) => ProgressBar::new(length).with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    bar
}
