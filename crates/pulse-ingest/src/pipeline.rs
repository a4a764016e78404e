//! [`Pipeline`]: one post through analysis into the trend engine and the search index.

use pulse_core::Post;
use pulse_index::IndexSender;
use pulse_text::{Analysis, Analyzer};
use pulse_trends::{AnalyzedPost, TrendBucket, Worker, WorkerState};

use crate::convert::{to_analyzed, to_index_post};
use crate::error::IngestError;

/// One ingest thread's path for posts: its analysis buffers and, for whichever consumers it has,
/// its engine worker and its sender to the index. One per thread (it is `Send`, not shared): the
/// hot path allocates only what the engine and the index keep.
pub struct Pipeline {
    analyzer: &'static Analyzer,
    analysis: Analysis,
    post: AnalyzedPost,
    trends: Option<Worker>,
    index: Option<IndexSender>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline {
    /// A pipeline that analyses posts and hands them to nothing yet.
    pub fn new() -> Self {
        Self {
            analyzer: Analyzer::shared(),
            analysis: Analysis::default(),
            post: AnalyzedPost::default(),
            trends: None,
            index: None,
        }
    }

    /// Counts every post in the trend engine through `worker`.
    pub fn with_trends(mut self, worker: Worker) -> Self {
        self.trends = Some(worker);
        self
    }

    /// Indexes every post (the send waits while the index queue is full: backpressure).
    pub fn with_index(mut self, index: IndexSender) -> Self {
        self.index = Some(index);
        self
    }

    /// Analyses one post, counts it in the engine and hands it to the index.
    pub fn ingest(&mut self, post: &Post) -> Result<(), IngestError> {
        self.ingest_numbered(post, 0)
    }

    /// Like [`Pipeline::ingest`], with the post's place in its source for the index
    /// ([`pulse_index::IndexPost::seq`]; 0: none).
    pub fn ingest_numbered(&mut self, post: &Post, seq: u64) -> Result<(), IngestError> {
        self.analyzer.analyze_into(post, &mut self.analysis);
        if let Some(worker) = &mut self.trends {
            to_analyzed(post, &self.analysis, &mut self.post);
            worker.ingest(&self.post)?;
        }
        if let Some(index) = &self.index {
            index.send(to_index_post(post, &self.analysis).with_seq(seq))?;
        }
        Ok(())
    }

    /// A copy of the engine worker's state, for a checkpoint ([`Worker::state`]).
    pub fn trend_state(&self) -> Option<WorkerState> {
        self.trends.as_ref().map(Worker::state)
    }

    /// Merges the engine worker's local aggregates into the shared engine.
    pub fn flush(&mut self) -> Result<(), IngestError> {
        self.flush_with(|_, _| Ok(()))
    }

    /// Like [`Pipeline::flush`], handing each changed bucket (this worker's delta since its last
    /// flush) to `delta` first: the Kafka worker ships them as a rollup.
    pub fn flush_with(
        &mut self,
        delta: impl FnMut(i64, &TrendBucket) -> pulse_trends::Result<()>,
    ) -> Result<(), IngestError> {
        if let Some(worker) = &mut self.trends {
            worker.flush_with(delta)?;
        }
        Ok(())
    }
}
