//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in the index.
///
/// [`IndexError::is_user_error`] separates errors in a caller's request (HTTP 400) from internal
/// failures (HTTP 500).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query string does not parse (syntax error, unknown field, ...). A user error.
    #[error("invalid query {query:?}: {reason}")]
    Query {
        /// The query as given.
        query: String,
        /// What the parser rejected.
        reason: String,
    },
    /// A request parameter is out of range (limit, offset, time range, ...). A user error.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The configuration is not usable (memory budget too small, zero threads, ...).
    #[error("invalid index configuration: {0}")]
    Config(String),
    /// The writer thread has stopped: the index was shut down or the writer failed.
    #[error("the index writer has stopped")]
    Closed,
    /// The data directory cannot be created or read.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// tantivy failed (I/O, corrupt index, incompatible schema in an existing directory, ...).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

impl IndexError {
    /// Whether the error is the caller's (bad query or parameter: HTTP 400) rather than the
    /// index's (HTTP 500).
    pub fn is_user_error(&self) -> bool {
        matches!(self, IndexError::Query { .. } | IndexError::InvalidRequest(_))
    }
}

/// Result with [`IndexError`].
pub type Result<T, E = IndexError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_are_told_apart_from_internal_ones() {
        let query = IndexError::Query { query: "a:(".into(), reason: "syntax".into() };
        assert!(query.is_user_error());
        assert_eq!(query.to_string(), "invalid query \"a:(\": syntax");
        assert!(IndexError::InvalidRequest("limit".into()).is_user_error());
        assert!(!IndexError::Closed.is_user_error());
        assert!(!IndexError::Config("x".into()).is_user_error());
    }
}
