//! The crate's one error type.

/// Errors of the ingest path.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The trend engine refused a post or a flush.
    #[error("trend engine: {0}")]
    Trends(#[from] pulse_trends::TrendError),
    /// The search index refused a post (closed or failed).
    #[error("search index: {0}")]
    Index(#[from] pulse_index::IndexError),
    /// A thread (an ingest thread, the checkpoint writer) could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
    /// An ingest thread panicked.
    #[error("an ingest thread panicked")]
    Panicked,
    /// An ingest thread stopped (after an error it reports itself) while a checkpoint waited for it.
    #[error("an ingest thread stopped before the checkpoint")]
    Stopped,
    /// A checkpoint could not be written.
    #[error("cannot write the checkpoint in {dir}: {source}")]
    Checkpoint {
        /// The state directory.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<IngestError> for pulse_core::sink::SinkError {
    fn from(error: IngestError) -> Self {
        Self::other(error)
    }
}
