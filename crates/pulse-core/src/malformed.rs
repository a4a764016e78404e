//! [`Malformed`]: a record that could not become a post, with where it came from.

use std::fmt;
use std::path::PathBuf;

/// A row that could not be turned into a post, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The input file (or `-` for standard input).
    pub path: PathBuf,
    /// 1-based line where the row starts.
    pub line: u64,
    /// Why the row was rejected.
    pub reason: String,
    /// The row as read (lossily decoded), so it can be dead-lettered and fixed.
    pub raw: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}
