//! [`DeadLetters`]: where malformed records go, so that nothing read is lost.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::malformed::Malformed;

/// The dead-letter file: every malformed record as one JSON line `{"path", "line", "reason", "raw"}`,
/// so nothing that was read is lost and a fixed record can be replayed. The file is created on the
/// first record (a clean run leaves none behind) and flushed after each one.
#[derive(Debug)]
pub struct DeadLetters {
    path: PathBuf,
    file: Option<BufWriter<File>>,
}

impl DeadLetters {
    /// Dead letters to `path` (created when the first one arrives).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), file: None }
    }

    /// Where they go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Dead letters to `path`, created now (and emptied), so that a path that cannot be written
    /// is found before anything is read.
    pub fn create(path: impl Into<PathBuf>) -> crate::Result<Self> {
        let mut letters = Self::new(path);
        match File::create(&letters.path) {
            Ok(file) => letters.file = Some(BufWriter::new(file)),
            Err(source) => return Err(crate::Error::DeadLetter { path: letters.path, source }),
        }
        Ok(letters)
    }

    /// Appends one record; an error says the record could not be kept.
    pub fn keep(&mut self, malformed: &Malformed) -> crate::Result<()> {
        self.write(malformed).map_err(|source| crate::Error::DeadLetter { path: self.path.clone(), source })
    }

    /// Appends one record.
    fn write(&mut self, malformed: &Malformed) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::new(File::create(&self.path)?)),
        };
        let record = serde_json::json!({
            "path": malformed.path.display().to_string(),
            "line": malformed.line,
            "reason": malformed.reason,
            "raw": malformed.raw,
        });
        writeln!(file, "{record}")?;
        file.flush()
    }
}
