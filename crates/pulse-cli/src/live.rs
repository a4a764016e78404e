//! `pulse serve --jetstream`: Bluesky's live firehose fed to the ingest node.
//!
//! The Jetstream client (`pulse_jetstream`) runs on a one-thread tokio runtime of its own and
//! hands posts through its bounded queue to a feed thread, which sends them to the node's sink,
//! dead-letters malformed frames, and tells the sink to hand on what it holds whenever the
//! stream pauses ([`LIVE_IDLE`]). A post its author deletes is removed from search and its text
//! from the trend engine (story headlines and summaries), as Bluesky's developer guidelines
//! require; its counts stay, holding no text. Deletions are applied in batches
//! ([`DELETE_BATCH`]), the engine's in one pass over the ring. The clock is the stream's: the trend engine's watermark follows
//! the posts' times. The server is ready (`/readyz` 200) once the first post has arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pulse_api::AppState;
use pulse_core::replay::{LIVE_IDLE, ReplayObserver};
use pulse_core::sink::Sink;
use pulse_ingest::{NodeSink, PipelineStats, SourceObserver};
use pulse_jetstream::{Item, Jetstream, JetstreamConfig, RecvTimeoutError};

/// Deletions are applied at most this long after they arrive (or when the stream pauses).
const DELETE_BATCH: Duration = Duration::from_millis(250);

/// The running live feed.
pub struct Live {
    runtime: tokio::runtime::Runtime,
    feed: JoinHandle<Result<u64>>,
}

impl Live {
    /// Connects to `url` (resuming after `resume`, a checkpoint's stream position) and starts feeding `sink`; a feed that fails (a dead letter that cannot be
    /// written, the node gone) sets `failed`, which stops the server.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        url: &str,
        resume: Option<(i64, Vec<String>)>,
        sink: NodeSink,
        observer: SourceObserver,
        state: AppState,
        stats: Arc<PipelineStats>,
        stop: Arc<AtomicBool>,
        failed: Arc<AtomicBool>,
    ) -> Result<Self> {
        let runtime = pulse_jetstream::runtime().context("starting the Jetstream client's runtime")?;
        let config = JetstreamConfig { resume, ..JetstreamConfig::new(url) };
        let jetstream = Jetstream::start(config, runtime.handle());
        let feed = std::thread::Builder::new().name("live".into()).spawn(move || {
            let result = feed(&jetstream, sink, observer, &state, &stats, &stop);
            if let Err(error) = &result {
                eprintln!("pulse serve: the live feed failed: {error:#}");
                failed.store(true, Ordering::Release);
            }
            result
        })?;
        Ok(Live { runtime, feed })
    }

    /// Waits for the feed to stop (after `stop` is set) and closes the connection; the posts fed.
    pub fn finish(self) -> Result<u64> {
        let posts = self.feed.join().map_err(|_| anyhow::anyhow!("the live feed panicked"))?;
        self.runtime.shutdown_background();
        posts
    }
}

fn feed(
    jetstream: &Jetstream,
    mut sink: NodeSink,
    mut observer: SourceObserver,
    state: &AppState,
    stats: &PipelineStats,
    stop: &AtomicBool,
) -> Result<u64> {
    let mut posts = 0u64;
    let mut deletes = Deletes::default();
    while !stop.load(Ordering::Acquire) {
        match jetstream.items.recv_timeout(LIVE_IDLE) {
            Ok(Item::Post { post, time_us }) => {
                stats.records_read.fetch_add(1, Ordering::Relaxed);
                sink.send_streamed(&post, time_us)?;
                posts += 1;
                if posts == 1 {
                    state.set_ready(true);
                }
            }
            Ok(Item::Delete { id, .. }) => {
                stats.records_read.fetch_add(1, Ordering::Relaxed);
                deletes.add(id);
            }
            // Counted (read and malformed) and dead-lettered by the observer.
            Ok(Item::Malformed(malformed)) => observer.on_malformed(&malformed)?,
            // Raw frames are only for recording; this client is not configured for them.
            Ok(Item::Raw(_)) => {}
            Err(RecvTimeoutError::Timeout) => {
                sink.idle()?;
                deletes.apply(state)?;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if deletes.due() {
            deletes.apply(state)?;
        }
        stats.source_dropped.store(jetstream.stats.dropped.load(Ordering::Relaxed), Ordering::Relaxed);
        stats.source_duplicates.store(jetstream.stats.duplicates.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    deletes.apply(state)?;
    // Stopped: what was handed on is saved, and a restart resumes the stream after it.
    sink.checkpoint()?;
    Ok(posts)
}

/// Deletions waiting to be applied, and since when.
#[derive(Default)]
struct Deletes {
    ids: rustc_hash::FxHashSet<String>,
    since: Option<Instant>,
}

impl Deletes {
    fn add(&mut self, id: String) {
        self.ids.insert(id);
        self.since.get_or_insert_with(Instant::now);
    }

    fn due(&self) -> bool {
        self.since.is_some_and(|since| since.elapsed() >= DELETE_BATCH)
    }

    /// Removes the posts from search (with the index's next commit) and their texts from the engine.
    fn apply(&mut self, state: &AppState) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        for id in &self.ids {
            state.index().delete_post(id)?;
        }
        state.engine().forget_posts(&self.ids);
        self.ids.clear();
        self.since = None;
        Ok(())
    }
}
