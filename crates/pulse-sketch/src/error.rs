//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in this crate: bad parameters, merging incompatible sketches, and
/// decoding blobs that are truncated, corrupt, of another kind or of another format version.
///
/// Decoding never panics: every malformed input ends here.
#[derive(Debug, Error)]
pub enum SketchError {
    /// A constructor got parameters outside their valid range.
    #[error("invalid sketch parameters: {0}")]
    InvalidParameters(String),
    /// Two sketches of different shapes (width, depth, capacity, precision, bucket width) were
    /// merged.
    #[error("cannot merge incompatible sketches: {0}")]
    Incompatible(String),
    /// The blob is shorter than the header, or its payload ended early.
    #[error("sketch blob truncated: {0}")]
    Truncated(String),
    /// The blob does not start with the Pulse sketch magic bytes.
    #[error("not a Pulse sketch blob (bad magic bytes {found:02x?})")]
    BadMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// The blob was written by a format version this build does not read.
    #[error("unsupported sketch format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version byte in the blob.
        found: u8,
        /// The version this build reads and writes.
        supported: u8,
    },
    /// The blob holds another kind of sketch than the one asked for.
    #[error("wrong sketch kind: expected {expected}, found {found}")]
    WrongKind {
        /// Kind asked for.
        expected: u8,
        /// Kind in the blob.
        found: u8,
    },
    /// The payload checksum does not match: the blob was corrupted in storage or transit.
    #[error("sketch blob corrupt: checksum {found:#010x}, payload hashes to {computed:#010x}")]
    ChecksumMismatch {
        /// Checksum stored in the header.
        found: u32,
        /// Checksum of the payload as read.
        computed: u32,
    },
    /// The payload decoded but describes an impossible sketch (inconsistent sizes, out-of-range
    /// values).
    #[error("invalid sketch data: {0}")]
    Invalid(String),
    /// The payload is not valid postcard for the expected type, or a value could not be encoded.
    #[error("sketch payload encoding error: {0}")]
    Encoding(#[from] postcard::Error),
}

/// Shorthand for results in this crate.
pub type Result<T, E = SketchError> = std::result::Result<T, E>;
