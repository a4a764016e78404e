//! Checkpoints of `pulse serve`: the trend engine's whole state, how far the search index got and
//! where the source is, in one file written atomically, so a restart goes on where the last
//! checkpoint left off.
//!
//! A checkpoint is taken at a barrier ([`crate::IngestNode`]'s sink stops handing on posts, every
//! ingest thread works through its queue and hands over a copy of its engine worker's state, the
//! index commits): everything numbered up to [`Checkpoint::seq`] is counted and committed, nothing
//! after it is counted. Posts the index committed after the
//! checkpoint (it commits every second) are deleted on restore
//! ([`pulse_index::SearchIndex::forget_after`]) and come again from the source, which resumes at
//! [`Checkpoint::position`]: nothing is counted twice, and a crash loses only what the source
//! cannot give again.
//!
//! The file is `checkpoint.bin` in the state directory: written to `checkpoint.bin.tmp`, synced,
//! renamed over the old one and the directory synced, so a crash leaves the old checkpoint or the
//! new one, never half of one. It is a [`pulse_sketch::Persist`] blob (magic, format version,
//! kind, checksum): a damaged file, one from another version of Pulse, or one taken of another run
//! (other inputs or trend settings: [`Checkpoint::fingerprint`]) is reported and renamed aside,
//! never used.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use pulse_core::replay::ReplayPosition;
use pulse_sketch::{Persist, codec::kind};
use serde::{Deserialize, Serialize};

use crate::stats::PipelineStats;

/// The checkpoint file's name in the state directory.
pub const FILE_NAME: &str = "checkpoint.bin";

/// Where the source was at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourcePosition {
    /// A replay: posts handed on and malformed records reported.
    Replay(ReplayPosition),
    /// Jetstream: the `time_us` of the last event handed on, and the ids of the posts handed on
    /// at that microsecond (a resume from it skips those and everything before).
    Jetstream {
        /// Microseconds since the epoch, Jetstream's cursor.
        time_us: i64,
        /// Post ids handed on at `time_us`.
        ids: Vec<String>,
    },
}

/// The counters of [`PipelineStats`] that describe the source so far, carried across a restart so
/// that `/metrics` counts the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCounts {
    /// Records read.
    pub records_read: u64,
    /// Malformed records.
    pub malformed: u64,
    /// Posts analysed.
    pub posts_analyzed: u64,
}

impl SourceCounts {
    /// The counts in `stats` now.
    pub fn of(stats: &PipelineStats) -> Self {
        Self {
            records_read: stats.records_read.load(Ordering::Relaxed),
            malformed: stats.malformed.load(Ordering::Relaxed),
            posts_analyzed: stats.posts_analyzed.load(Ordering::Relaxed),
        }
    }

    /// Sets `stats` to these counts.
    pub fn restore(&self, stats: &PipelineStats) {
        stats.records_read.store(self.records_read, Ordering::Relaxed);
        stats.malformed.store(self.malformed, Ordering::Relaxed);
        stats.posts_analyzed.store(self.posts_analyzed, Ordering::Relaxed);
    }
}

/// One checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What run this is a checkpoint of (the source and the settings that shape the state, as the
    /// command describes them): a restart of another run must not resume from it.
    pub fingerprint: String,
    /// Posts numbered so far: every post up to this one is counted and indexed.
    pub seq: u64,
    /// Where the source resumes.
    pub position: SourcePosition,
    /// The source's counters.
    pub counts: SourceCounts,
    /// When it was written, Unix ms.
    pub written_at_ms: i64,
    /// The trend engine ([`pulse_trends::TrendEngine::checkpoint`]).
    pub engine: Vec<u8>,
}

impl Persist for Checkpoint {
    const KIND: u8 = kind::USER_START + 2;
}

/// What [`load`] found.
#[derive(Debug)]
pub enum Loaded {
    /// No checkpoint: start from nothing.
    None,
    /// A checkpoint of this run.
    Resume(Box<Checkpoint>),
    /// A checkpoint that cannot be used, moved aside: start from nothing.
    SetAside {
        /// Why it cannot be used.
        reason: String,
        /// Where it is now.
        moved_to: PathBuf,
    },
}

/// Reads the checkpoint in `dir`, if any: one that cannot be read, or is of another run than
/// `fingerprint`, is renamed to `checkpoint.bin.<reason>-<unix s>` and reported.
pub fn load(dir: &Path, fingerprint: &str) -> std::io::Result<Loaded> {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::None),
        Err(e) => return Err(e),
    };
    let (tag, reason) = match Checkpoint::from_bytes(&bytes) {
        Ok(checkpoint) if checkpoint.fingerprint == fingerprint => return Ok(Loaded::Resume(Box::new(checkpoint))),
        Ok(checkpoint) => {
            ("other-run", format!("it is of another run ({})", differences(&checkpoint.fingerprint, fingerprint)))
        }
        Err(e) => ("unreadable", format!("it cannot be read: {e}")),
    };
    let moved_to = set_aside(&path, tag)?;
    Ok(Loaded::SetAside { reason, moved_to })
}

/// What differs between two fingerprints, part by part (parts are separated by `; `): `then` for
/// the checkpoint's, `now` for this run's.
fn differences(then: &str, now: &str) -> String {
    let (then_parts, now_parts): (Vec<&str>, Vec<&str>) = (then.split("; ").collect(), now.split("; ").collect());
    if then_parts.len() != now_parts.len() {
        return format!("taken with {then}; this run is {now}");
    }
    let changed: Vec<String> = then_parts
        .iter()
        .zip(&now_parts)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("taken with {a}, this run has {b}"))
        .collect();
    changed.join("; ")
}

/// Renames `path` aside with `tag` and the time in its name.
pub fn set_aside(path: &Path, tag: &str) -> std::io::Result<PathBuf> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}-{now}"));
    let moved_to = path.with_file_name(name);
    std::fs::rename(path, &moved_to)?;
    Ok(moved_to)
}

/// Writes `checkpoint` to `dir` atomically (temporary file, fsync, rename, fsync of the directory).
pub fn write(dir: &Path, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let blob = checkpoint.to_bytes().map_err(std::io::Error::other)?;
    let path = dir.join(FILE_NAME);
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&blob)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(fingerprint: &str) -> Checkpoint {
        Checkpoint {
            fingerprint: fingerprint.into(),
            seq: 42,
            position: SourcePosition::Replay(ReplayPosition { posts: 42, malformed: 1 }),
            counts: SourceCounts { records_read: 43, malformed: 1, posts_analyzed: 42 },
            written_at_ms: 1,
            engine: vec![1, 2, 3],
        }
    }

    #[test]
    fn a_written_checkpoint_is_read_back_by_the_same_run_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path(), "run a").unwrap(), Loaded::None));
        write(dir.path(), &checkpoint("run a")).unwrap();
        assert!(!dir.path().join("checkpoint.bin.tmp").exists());
        match load(dir.path(), "run a").unwrap() {
            Loaded::Resume(read) => assert_eq!(*read, checkpoint("run a")),
            other => panic!("{other:?}"),
        }
        match load(dir.path(), "run b").unwrap() {
            Loaded::SetAside { reason, moved_to } => {
                assert!(reason.contains("another run (taken with run a, this run has run b)"), "{reason}");
                assert!(moved_to.file_name().unwrap().to_str().unwrap().starts_with("checkpoint.bin.other-run-"));
                assert!(moved_to.exists());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(load(dir.path(), "run a").unwrap(), Loaded::None), "moved, not used again");
    }

    #[test]
    fn a_checkpoint_of_another_format_version_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &checkpoint("run a")).unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3] = pulse_sketch::codec::FORMAT_VERSION + 1;
        std::fs::write(&path, bytes).unwrap();
        match load(dir.path(), "run a").unwrap() {
            Loaded::SetAside { reason, .. } => assert!(reason.contains("version"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_checkpoint_of_another_run_says_only_what_changed() {
        let then = "replay a.csv loop 0; trends {\"bucket\":\"10m\"}";
        let now = "replay a.csv loop 0; trends {\"bucket\":\"5m\"}";
        assert_eq!(
            differences(then, now),
            "taken with trends {\"bucket\":\"10m\"}, this run has trends {\"bucket\":\"5m\"}"
        );
    }

    #[test]
    fn a_damaged_checkpoint_is_set_aside_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &checkpoint("run a")).unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        match load(dir.path(), "run a").unwrap() {
            Loaded::SetAside { reason, moved_to } => {
                assert!(reason.contains("cannot be read") && reason.contains("checksum"), "{reason}");
                assert!(moved_to.file_name().unwrap().to_str().unwrap().starts_with("checkpoint.bin.unreadable-"));
            }
            other => panic!("{other:?}"),
        }
    }
}
