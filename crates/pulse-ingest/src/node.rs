//! [`IngestNode`]: the threads that run [`Pipeline`]s for `pulse serve` — a bounded queue in front,
//! one pipeline per thread, idle flushes, backpressure and an orderly shutdown.
//!
//! A source (a replay, later a live stream) hands posts to the queue through a [`NodeSink`]; when
//! the analysis falls behind, the queue fills and the source waits (and when the index falls
//! behind, its queue fills and the analysis waits): nothing grows without bound. A thread with
//! nothing to do flushes its engine worker after [`NodeConfig::idle_flush`], so a pause in the
//! input never leaves counted posts invisible to queries. [`IngestNode::finish`] lets the
//! threads drain the queue and flush before it returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use pulse_core::dead_letters::DeadLetters;
use pulse_core::replay::{ReplayObserver, ReplaySummary};
use pulse_core::sink::{Sink, SinkError};
use pulse_core::{Malformed, Post};
use pulse_index::SearchIndex;
use pulse_trends::TrendEngine;

use crate::error::IngestError;
use crate::pipeline::Pipeline;
use crate::stats::PipelineStats;

/// How an [`IngestNode`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Ingest threads, each with its own pipeline.
    pub workers: usize,
    /// Posts waiting between the source and the ingest threads.
    pub queue: usize,
    /// A thread with nothing to do flushes its engine worker after this long.
    pub idle_flush: Duration,
    /// Run the ingest threads at background priority, so queries go first
    /// ([`pulse_core::priority`]).
    pub background: bool,
}

impl Default for NodeConfig {
    /// One thread per core, 8,192 queued posts, idle flush after 200 ms, background priority.
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 8192,
            idle_flush: Duration::from_millis(200),
            background: true,
        }
    }
}

/// Lowers the calling thread to background priority (see [`pulse_core::priority`]); says so, and
/// goes on, if the OS refuses.
pub fn lower_priority(thread: &str) {
    if let Err(e) = pulse_core::priority::lower_current_thread() {
        tracing::warn!("{thread} keeps the normal scheduling priority: {e}");
    }
}

/// Running ingest threads and the queue in front of them.
pub struct IngestNode {
    queue: flume::Sender<Post>,
    threads: Vec<JoinHandle<Result<(), IngestError>>>,
    stats: Arc<PipelineStats>,
}

impl IngestNode {
    /// Starts `config.workers` threads, each counting posts into `engine` and, if given,
    /// indexing them into `index`; their progress goes to `stats`.
    pub fn start(
        engine: &TrendEngine,
        index: Option<&SearchIndex>,
        stats: Arc<PipelineStats>,
        config: &NodeConfig,
    ) -> Result<Self, IngestError> {
        let (queue, posts) = flume::bounded::<Post>(config.queue.max(1));
        let mut threads = Vec::new();
        for n in 0..config.workers.max(1) {
            let mut pipeline = Pipeline::new().with_trends(engine.worker());
            if let Some(index) = index {
                pipeline = pipeline.with_index(index.sender());
            }
            let (posts, stats, config) = (posts.clone(), stats.clone(), config.clone());
            let thread = std::thread::Builder::new()
                .name(format!("ingest-{n}"))
                .spawn(move || run(pipeline, &posts, &stats, &config))
                .map_err(IngestError::Thread)?;
            threads.push(thread);
        }
        Ok(Self { queue, threads, stats })
    }

    /// A sink that hands a source's posts to this node, waiting while its queue is full; once
    /// `stop` is set it refuses the next post with [`SinkError::Stopped`], which ends a replay.
    pub fn sink(&self, stop: Arc<AtomicBool>) -> NodeSink {
        NodeSink { queue: self.queue.clone(), stats: self.stats.clone(), stop }
    }

    /// Closes the queue (every [`NodeSink`] must be dropped by then), lets the threads drain it
    /// and flush, and waits for them; the first thread error, if any.
    pub fn finish(self) -> Result<(), IngestError> {
        drop(self.queue);
        let mut outcome = Ok(());
        for thread in self.threads {
            let result = thread.join().unwrap_or(Err(IngestError::Panicked));
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    }
}

/// One ingest thread: posts from the queue through its pipeline until the queue closes.
fn run(
    mut pipeline: Pipeline,
    posts: &flume::Receiver<Post>,
    stats: &PipelineStats,
    config: &NodeConfig,
) -> Result<(), IngestError> {
    if config.background {
        lower_priority("ingest");
    }
    loop {
        match posts.recv_timeout(config.idle_flush) {
            Ok(post) => {
                stats.analysis_queue.store(posts.len() as u64, Ordering::Relaxed);
                pipeline.ingest(&post)?;
                stats.posts_analyzed.fetch_add(1, Ordering::Relaxed);
            }
            Err(flume::RecvTimeoutError::Timeout) => pipeline.flush()?,
            Err(flume::RecvTimeoutError::Disconnected) => break,
        }
    }
    pipeline.flush()
}

/// Hands a source's posts to an [`IngestNode`] (see [`IngestNode::sink`]).
pub struct NodeSink {
    queue: flume::Sender<Post>,
    stats: Arc<PipelineStats>,
    stop: Arc<AtomicBool>,
}

impl Sink for NodeSink {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        if self.stop.load(Ordering::Acquire) {
            return Err(SinkError::Stopped);
        }
        self.stats.newest_event_ms.store(post.created_at.timestamp_millis(), Ordering::Relaxed);
        // The queue closes only when the node finishes, which waits for the source first.
        self.queue.send(post.clone()).map_err(|_| SinkError::Stopped)
    }
}

/// Counts what a source reads into the node's stats and dead-letters malformed records.
pub struct SourceObserver {
    stats: Arc<PipelineStats>,
    dead_letters: DeadLetters,
}

impl SourceObserver {
    /// Counting into `stats`, dead letters to `dead_letters`.
    pub fn new(stats: Arc<PipelineStats>, dead_letters: DeadLetters) -> Self {
        Self { stats, dead_letters }
    }
}

impl ReplayObserver for SourceObserver {
    fn on_post(&mut self, _post: &Post, _summary: &ReplaySummary) {
        self.stats.records_read.fetch_add(1, Ordering::Relaxed);
    }

    fn on_malformed(&mut self, malformed: &Malformed) -> pulse_core::Result<()> {
        self.stats.records_read.fetch_add(1, Ordering::Relaxed);
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%malformed, "malformed record skipped");
        self.dead_letters.keep(malformed)
    }
}
