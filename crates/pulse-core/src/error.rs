//! The one error type of `pulse-core`.

use std::path::PathBuf;

/// Errors that stop a reader, a replay or a catalogue lookup.
///
/// A malformed *record* is not an error: readers report it as `Record::Malformed`
/// and carry on. These are the failures after which an input cannot be read further.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The input that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// An input's format could not be recognised from its first record.
    #[error("{path}: unknown format ({reason}); pass --input-format to name it")]
    UnknownFormat {
        /// The input that could not be recognised.
        path: PathBuf,
        /// What was seen instead.
        reason: String,
    },
    /// A format name that Pulse does not know.
    #[error(transparent)]
    UnknownFormatName(#[from] crate::format::UnknownFormat),
    /// An input is out of order by more than the replay's sort buffer can absorb.
    #[error(
        "{path}: a post at {at} comes after one at {previous}, further apart than the sort buffer of {capacity} posts can reorder; raise --sort-buffer"
    )]
    SortBufferExceeded {
        /// The input that is out of order.
        path: PathBuf,
        /// Time of the out-of-order post.
        at: String,
        /// Time of the post already emitted.
        previous: String,
        /// Size of the sort buffer, in posts.
        capacity: usize,
    },
    /// A malformed record under `--strict`.
    #[error("{0} (strict mode)")]
    Strict(crate::malformed::Malformed),
    /// The replay's output failed, or was stopped ([`crate::sink::SinkError::Stopped`]).
    #[error("output failed")]
    Sink(#[from] crate::sink::SinkError),
    /// A malformed record could not be written to the dead-letter file: it would be lost.
    #[error("cannot write dead letters to {path}: {source}")]
    DeadLetter {
        /// The dead-letter file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Standard input was asked to be replayed more than once.
    #[error("standard input can be replayed only once; drop --loop")]
    StdinLooped,
    /// The dataset catalogue is broken or names an unknown dataset.
    #[error("{0}")]
    Catalog(String),
}

impl Error {
    /// Whether the replay ended because its sink was stopped (a shutdown), not because it failed.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Error::Sink(crate::sink::SinkError::Stopped))
    }

    /// Whether the output was a pipe its reader closed (`pulse replay … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Sink(crate::sink::SinkError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Result alias for `pulse-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
