//! The crate's one error type.

/// Everything that can go wrong in the trend engine.
#[derive(Debug, thiserror::Error)]
pub enum TrendError {
    /// A configuration value is out of range.
    #[error("invalid trend configuration: {0}")]
    Config(String),
    /// A sketch failed: incompatible shapes on merge, or a corrupt snapshot blob.
    #[error(transparent)]
    Sketch(#[from] pulse_sketch::SketchError),
    /// A snapshot was built with another bucket width than this engine's.
    #[error("snapshot bucket width {found} s does not match the engine's {expected} s")]
    BucketWidth {
        /// The engine's bucket width.
        expected: i64,
        /// The snapshot's bucket width.
        found: i64,
    },
    /// A checkpoint was taken by an engine with another ring than this one's.
    #[error("the checkpoint's ring is {found}, this engine's is {expected}")]
    CheckpointShape {
        /// This engine's ring (bucket width × buckets).
        expected: String,
        /// The checkpoint's.
        found: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = TrendError> = std::result::Result<T, E>;
