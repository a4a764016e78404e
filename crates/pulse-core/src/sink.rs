//! Where posts go: the [`Sink`] a replay hands each post to, and its typed error.

use crate::Post;

/// Where replayed posts go: standard output, a file, a Kafka topic, the in-process pipeline.
pub trait Sink {
    /// Delivers one post. An error ends the replay.
    fn send(&mut self, post: &Post) -> std::result::Result<(), SinkError>;
    /// Called once after the last post: flush buffers, wait for acknowledgements.
    fn finish(&mut self) -> std::result::Result<(), SinkError> {
        Ok(())
    }
    /// Called when the input has nothing more for now (a live stream between posts): hand on
    /// whatever is buffered, so a post does not wait for the next one.
    fn idle(&mut self) -> std::result::Result<(), SinkError> {
        Ok(())
    }
}

/// Why a sink stopped taking posts.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink was asked to stop (a shutdown): the replay ends early, which is not a failure.
    #[error("stopped")]
    Stopped,
    /// Writing failed (a closed pipe, a full disk).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A post could not be encoded.
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
    /// The sink's own failure (a broker, the pipeline), with its message.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl SinkError {
    /// Wraps a sink's own error.
    pub fn other(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Other(Box::new(error))
    }
}

/// Writes canonical JSONL, one post per line, to any writer (stdout, a file).
pub struct JsonlSink<W: std::io::Write> {
    out: W,
    line: String,
}

impl<W: std::io::Write> JsonlSink<W> {
    /// A sink writing to `out`; wrap files and stdout in a `BufWriter`.
    pub fn new(out: W) -> Self {
        Self { out, line: String::new() }
    }
}

impl<W: std::io::Write> Sink for JsonlSink<W> {
    fn send(&mut self, post: &Post) -> std::result::Result<(), SinkError> {
        self.line.clear();
        // Serializing into a reused String avoids one allocation per post.
        let mut bytes = std::mem::take(&mut self.line).into_bytes();
        serde_json::to_writer(&mut bytes, post)?;
        bytes.push(b'\n');
        self.out.write_all(&bytes)?;
        self.line = String::from_utf8(bytes).unwrap_or_default();
        Ok(())
    }

    fn finish(&mut self) -> std::result::Result<(), SinkError> {
        Ok(self.out.flush()?)
    }

    fn idle(&mut self) -> std::result::Result<(), SinkError> {
        Ok(self.out.flush()?)
    }
}
