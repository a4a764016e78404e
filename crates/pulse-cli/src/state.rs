//! `pulse serve`'s state directory at start: the lock, then either the state of the last
//! checkpoint (`pulse_ingest::checkpoint`) — the engine restored, the index reopened without the
//! posts it committed after the checkpoint — or, when there is none, it is of another run or
//! `--fresh` is given, an empty engine and an emptied index.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use pulse_index::SearchIndex;
use pulse_ingest::checkpoint::{self, Checkpoint, Loaded};
use pulse_trends::{TrendConfig, TrendEngine};

use crate::config::IndexSection;
use crate::server::{self, StateLock};

/// What `pulse serve` starts from.
pub struct ServeState {
    pub engine: Arc<TrendEngine>,
    pub index: Arc<SearchIndex>,
    /// Held for the life of the process.
    pub lock: StateLock,
    /// The checkpoint resumed from, if any.
    pub resumed: Option<Checkpoint>,
}

/// Locks `settings.state_dir` and opens its state for the run described by `fingerprint`, with
/// `workers` ingest threads to come.
pub fn open(
    settings: &IndexSection,
    trends: TrendConfig,
    fingerprint: &str,
    fresh: bool,
    workers: usize,
) -> Result<ServeState> {
    let lock = server::lock_state_dir(&settings.state_dir)?;
    let dir = &settings.state_dir;
    let loaded = if fresh {
        discard(dir)?;
        Loaded::None
    } else {
        checkpoint::load(dir, fingerprint)
            .with_context(|| format!("cannot read the checkpoint in {}", dir.display()))?
    };
    let checkpoint = match loaded {
        Loaded::Resume(checkpoint) => Some(*checkpoint),
        Loaded::SetAside { reason, moved_to } => {
            eprintln!(
                "pulse serve: not resuming from the checkpoint in {}: {reason}; it is kept as {}",
                dir.display(),
                moved_to.display()
            );
            None
        }
        Loaded::None => None,
    };
    if let Some(checkpoint) = checkpoint {
        match resume(settings, trends.clone(), &checkpoint, workers) {
            Ok((engine, index)) => return Ok(ServeState { engine, index, lock, resumed: Some(checkpoint) }),
            Err(error) => {
                let moved_to = checkpoint::set_aside(&dir.join(checkpoint::FILE_NAME), "unusable")?;
                eprintln!(
                    "pulse serve: not resuming from the checkpoint in {}: {error:#}; it is kept as {}",
                    dir.display(),
                    moved_to.display()
                );
            }
        }
    }
    let engine = Arc::new(TrendEngine::new(trends)?);
    Ok(ServeState { engine, index: server::empty_index(settings)?, lock, resumed: None })
}

/// The engine and the index as `checkpoint` left them.
fn resume(
    settings: &IndexSection,
    trends: TrendConfig,
    checkpoint: &Checkpoint,
    workers: usize,
) -> Result<(Arc<TrendEngine>, Arc<SearchIndex>)> {
    let engine = TrendEngine::restore(trends, &checkpoint.engine, workers).context("restoring the trend state")?;
    let index = server::open_index(settings).context("reopening the search index")?;
    index.forget_after(checkpoint.seq).context("removing the posts indexed after the checkpoint")?;
    Ok((Arc::new(engine), index))
}

/// `--fresh`: the checkpoint is removed (the index is emptied when opened).
fn discard(dir: &Path) -> Result<()> {
    let path = dir.join(checkpoint::FILE_NAME);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            eprintln!("pulse serve: --fresh: removed {}", path.display());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}
