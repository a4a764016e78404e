//! [`IngestNode`]: the threads that run [`Pipeline`]s for `pulse serve` — a bounded queue in front,
//! one pipeline per thread, idle flushes, backpressure and an orderly shutdown.
//!
//! A source (a replay, later a live stream) hands posts to the queue through a [`NodeSink`]; when
//! the analysis falls behind, the queue fills and the source waits (and when the index falls
//! behind, its queue fills and the analysis waits): nothing grows without bound. A thread with
//! nothing to do flushes its engine worker after [`NodeConfig::idle_flush`], so a pause in the
//! input never leaves counted posts invisible to queries. [`IngestNode::finish`] lets the
//! threads drain the queue and flush before it returns.
//!
//! The sink numbers the posts it hands on (the index keeps the number) and, given
//! [`Checkpoints`], takes a checkpoint every so often between two posts: it stops handing on,
//! waits until every thread has worked through the queue and handed over a copy of its engine
//! worker's state, holds them there while the index commits and the engine is copied, then lets
//! them go on and writes the engine, the number and the source's position to disk
//! ([`crate::checkpoint`]). Nothing is flushed for it: a run with checkpoints counts exactly what
//! a run without them counts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pulse_core::dead_letters::DeadLetters;
use pulse_core::replay::{ReplayObserver, ReplayPosition, ReplaySummary};
use pulse_core::sink::{Sink, SinkError};
use pulse_core::{Malformed, Post};
use pulse_index::SearchIndex;
use pulse_trends::{TrendEngine, WorkerState};

use crate::checkpoint::{self, Checkpoint, SourceCounts, SourcePosition};
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
    /// One thread per core, 1,024 queued posts, idle flush after 200 ms, background priority.
    ///
    /// The queue only smooths the hand-over to the threads (a few tens of milliseconds of work);
    /// under full load it stays full, and every post in it is time a new post waits before it is
    /// counted and searchable (`benches/freshness.py`).
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 1024,
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

/// What the ingest threads take from the queue. Posts travel by value, as they did before
/// checkpoints: boxing them to shrink the rare `Settle` would cost an allocation per post.
#[allow(clippy::large_enum_variant)]
enum Item {
    /// A post and its number.
    Post(u64, Post),
    /// Hand over a copy of the engine worker's state, then wait until released.
    Settle(Settle),
}

/// One thread's part of a [`NodeSink::settle`].
struct Settle {
    report: flume::Sender<Option<WorkerState>>,
    /// Disconnected (never sent on) when the checkpoint has its copies: a thread waits on it so it
    /// neither takes a second thread's `Settle` nor changes the engine while it is copied.
    release: flume::Receiver<()>,
}

/// The ingest threads held still ([`NodeSink::settle`]): their engine workers' states; they go on
/// when this is dropped.
pub struct Settled {
    /// Every thread's engine worker state.
    pub workers: Vec<WorkerState>,
    /// Dropped: the threads go on.
    release: flume::Sender<()>,
}

/// Running ingest threads and the queue in front of them.
pub struct IngestNode {
    queue: flume::Sender<Item>,
    threads: Vec<JoinHandle<Result<(), IngestError>>>,
    stats: Arc<PipelineStats>,
    /// Threads still running.
    running: Arc<AtomicUsize>,
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
        let (queue, posts) = flume::bounded::<Item>(config.queue.max(1));
        let running = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::new();
        for n in 0..config.workers.max(1) {
            let mut pipeline = Pipeline::new().with_trends(engine.worker());
            if let Some(index) = index {
                pipeline = pipeline.with_index(index.sender());
            }
            let (posts, stats, config) = (posts.clone(), stats.clone(), config.clone());
            running.fetch_add(1, Ordering::AcqRel);
            let guard = Running(running.clone());
            let thread = std::thread::Builder::new()
                .name(format!("ingest-{n}"))
                .spawn(move || {
                    let _running = guard;
                    run(pipeline, &posts, &stats, &config)
                })
                .map_err(IngestError::Thread)?;
            threads.push(thread);
        }
        Ok(Self { queue, threads, stats, running })
    }

    /// A sink that hands a source's posts to this node, numbering them from 1, waiting while its
    /// queue is full; once `stop` is set it refuses the next post with [`SinkError::Stopped`],
    /// which ends a replay.
    pub fn sink(&self, stop: Arc<AtomicBool>) -> NodeSink {
        NodeSink {
            queue: self.queue.clone(),
            stats: self.stats.clone(),
            stop,
            running: self.running.clone(),
            threads: self.threads.len(),
            seq: 0,
            stream: None,
            checkpoints: None,
            writing: None,
        }
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

/// Counts a running ingest thread until dropped (however the thread ends).
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One ingest thread: posts from the queue through its pipeline until the queue closes.
fn run(
    mut pipeline: Pipeline,
    items: &flume::Receiver<Item>,
    stats: &PipelineStats,
    config: &NodeConfig,
) -> Result<(), IngestError> {
    if config.background {
        lower_priority("ingest");
    }
    loop {
        match items.recv_timeout(config.idle_flush) {
            Ok(Item::Post(seq, post)) => {
                stats.analysis_queue.store(items.len() as u64, Ordering::Relaxed);
                pipeline.ingest_numbered(&post, seq)?;
                stats.posts_analyzed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Item::Settle(settle)) => {
                let _ = settle.report.send(pipeline.trend_state());
                let _ = settle.release.recv();
            }
            Err(flume::RecvTimeoutError::Timeout) => pipeline.flush()?,
            Err(flume::RecvTimeoutError::Disconnected) => break,
        }
    }
    pipeline.flush()
}

/// When and where a [`NodeSink`] writes checkpoints ([`crate::checkpoint`]).
pub struct Checkpoints {
    /// The state directory.
    pub dir: PathBuf,
    /// Time between two checkpoints.
    pub every: Duration,
    /// What run this is ([`Checkpoint::fingerprint`]).
    pub fingerprint: String,
    /// The engine the node counts into.
    pub engine: TrendEngine,
    /// The index the node feeds.
    pub index: Arc<SearchIndex>,
}

/// Hands a source's posts to an [`IngestNode`] (see [`IngestNode::sink`]).
pub struct NodeSink {
    queue: flume::Sender<Item>,
    stats: Arc<PipelineStats>,
    stop: Arc<AtomicBool>,
    running: Arc<AtomicUsize>,
    threads: usize,
    /// The last post's number.
    seq: u64,
    /// A live stream's position: the last event's `time_us` and the post ids handed on at it.
    stream: Option<(i64, Vec<String>)>,
    /// Checkpoints and when the next one is due.
    checkpoints: Option<(Checkpoints, Instant)>,
    /// The checkpoint being encoded and written.
    writing: Option<JoinHandle<Result<(), IngestError>>>,
}

impl NodeSink {
    /// Numbers posts on from `seq` (the last post a checkpoint counted).
    pub fn numbered_from(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    /// The last post's number: how many posts the source has handed on, over restarts.
    pub fn numbered(&self) -> u64 {
        self.seq
    }

    /// Takes a checkpoint every `checkpoints.every` (checked before each post).
    pub fn with_checkpoints(mut self, checkpoints: Checkpoints) -> Self {
        let due = Instant::now() + checkpoints.every;
        self.checkpoints = Some((checkpoints, due));
        self
    }

    /// Hands on a live stream's post with its place in the stream (Jetstream's `time_us`):
    /// checkpoints then record that position instead of a replay's.
    pub fn send_streamed(&mut self, post: &Post, time_us: i64) -> Result<(), SinkError> {
        self.send(post)?;
        match &mut self.stream {
            Some((at, ids)) if *at == time_us => ids.push(post.id.clone()),
            _ => self.stream = Some((time_us, vec![post.id.clone()])),
        }
        Ok(())
    }

    /// Resumes a stream's position from a checkpoint.
    pub fn resume_stream(mut self, time_us: i64, ids: Vec<String>) -> Self {
        self.stream = Some((time_us, ids));
        self
    }

    /// Waits until every post handed on so far is counted and indexed (sent to the index), and
    /// holds the ingest threads still, each having handed over a copy of its engine worker's
    /// state, until the returned [`Settled`] is dropped. Call it from the thread that sends,
    /// between posts.
    pub fn settle(&mut self) -> Result<Settled, IngestError> {
        let (report, reports) = flume::unbounded();
        let (release, released) = flume::bounded::<()>(0);
        for _ in 0..self.threads {
            let settle = Settle { report: report.clone(), release: released.clone() };
            self.queue.send(Item::Settle(settle)).map_err(|_| IngestError::Stopped)?;
        }
        drop(report);
        let mut workers = Vec::new();
        let mut reported = 0;
        while reported < self.threads {
            match reports.recv_timeout(Duration::from_millis(100)) {
                Ok(state) => {
                    workers.extend(state);
                    reported += 1;
                }
                // A thread that stopped never reports; the others are released by the drop.
                Err(flume::RecvTimeoutError::Timeout) if self.running.load(Ordering::Acquire) < self.threads => {
                    return Err(IngestError::Stopped);
                }
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => return Err(IngestError::Stopped),
            }
        }
        Ok(Settled { workers, release })
    }

    /// Takes a checkpoint now (see [`crate::checkpoint`]) and waits until it is on disk; without
    /// [`Checkpoints`], nothing.
    pub fn checkpoint(&mut self) -> Result<(), IngestError> {
        self.start_checkpoint()?;
        self.finish_writing()
    }

    /// Takes a checkpoint: holds the ingest threads while the index commits and the engine's state
    /// is copied, then encodes and writes the copy on a thread of its own while posts flow again
    /// (the previous checkpoint's writing is waited for first).
    fn start_checkpoint(&mut self) -> Result<(), IngestError> {
        if self.checkpoints.is_none() {
            return Ok(());
        }
        self.finish_writing()?;
        let started = Instant::now();
        let Settled { workers, release } = self.settle()?;
        // Until here the threads were working through the queue; from here they wait.
        let drained = started.elapsed();
        let Some((checkpoints, due)) = &mut self.checkpoints else { return Ok(()) };
        checkpoints.index.flush()?;
        let engine = checkpoints.engine.capture(workers);
        drop(release);
        let paused = started.elapsed() - drained;

        let counts = SourceCounts::of(&self.stats);
        let position = match &self.stream {
            Some((time_us, ids)) => SourcePosition::Jetstream { time_us: *time_us, ids: ids.clone() },
            None => SourcePosition::Replay(ReplayPosition { posts: self.seq, malformed: counts.malformed }),
        };
        let (fingerprint, dir, seq) = (checkpoints.fingerprint.clone(), checkpoints.dir.clone(), self.seq);
        *due = Instant::now() + checkpoints.every;
        let write = move || {
            let checkpoint = Checkpoint {
                fingerprint,
                seq,
                position,
                counts,
                written_at_ms: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
                engine: engine.to_bytes()?,
            };
            checkpoint::write(&dir, &checkpoint).map_err(|source| IngestError::Checkpoint { dir, source })?;
            tracing::info!(
                posts = seq,
                engine_bytes = checkpoint.engine.len(),
                drain_ms = drained.as_millis() as u64,
                pause_ms = paused.as_millis() as u64,
                took_ms = started.elapsed().as_millis() as u64,
                "checkpoint written"
            );
            Ok(())
        };
        let writer = std::thread::Builder::new().name("checkpoint".into()).spawn(write).map_err(IngestError::Thread)?;
        self.writing = Some(writer);
        Ok(())
    }

    /// Waits for the checkpoint being written, if any; its error, if it failed.
    fn finish_writing(&mut self) -> Result<(), IngestError> {
        match self.writing.take() {
            Some(writer) => writer.join().unwrap_or(Err(IngestError::Panicked)),
            None => Ok(()),
        }
    }
}

impl Sink for NodeSink {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        if self.stop.load(Ordering::Acquire) {
            return Err(SinkError::Stopped);
        }
        if let Some((checkpoints, due)) = &mut self.checkpoints
            && Instant::now() >= *due
        {
            // A failed checkpoint leaves the last one in place; the next is tried an interval on.
            *due = Instant::now() + checkpoints.every;
            if let Err(error) = self.start_checkpoint() {
                tracing::error!(%error, "checkpoint failed");
            }
        }
        self.stats.newest_event_ms.store(post.created_at.timestamp_millis(), Ordering::Relaxed);
        self.seq += 1;
        // The queue closes only when the node finishes, which waits for the source first.
        self.queue.send(Item::Post(self.seq, post.clone())).map_err(|_| SinkError::Stopped)
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
