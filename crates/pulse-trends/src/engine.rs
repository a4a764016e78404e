//! The shared engine, its workers, watermarks, bucket close, snapshots and metrics.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use pulse_sketch::{Mergeable, Persist, Window, hash_key, hash_u64};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::bucket::{MAX_SAMPLES, TopicDetail, TrendBucket};
use crate::checkpoint::{EngineCapture, EngineCheckpoint, LocalState, WorkerState};
use crate::config::TrendConfig;
use crate::copies::{self, CopyCounts, TextCopies};
use crate::error::{Result, TrendError};
use crate::exemplar::{PostText, TEXT_KEYS};
use crate::post::{AnalyzedPost, TopicKind};
use crate::registry::Registry;
use crate::score;
use crate::seen::{PairSet, SeenSet};
use crate::state::State;
use crate::tier::Tiers;
use crate::trending;

/// Watched topics of a post that the others count co-occurrence with (pairs grow with it): trending
/// topics first, then words and hashtags, then phrases, which fill eight slots within a tweet's
/// first few words and so, at eight, kept later keys from ever co-occurring (measured on
/// CrisisLex: sixteen counts as well as every key does).
const MAX_COOC_PER_POST: usize = 16;
/// Fewest and most posts since the last flush for a flush at a tenth of a bucket.
const WATCH_MIN_POSTS: u64 = 16;
const WATCH_MAX_POSTS: u64 = 256;
/// Initial capacity of a local bucket's de-duplication sets: a busy bucket grows them to tens of
/// thousands of pairs, and growing from empty rehashes them a dozen times.
const DEDUP_CAPACITY: usize = 1 << 14;
/// Initial capacity of a local bucket's set of stored texts.
const TEXTS_CAPACITY: usize = 1 << 10;

/// The trend engine: a ring of event-time buckets shared by ingest workers and queries.
///
/// Cheap to clone (an `Arc`), `Send + Sync`. Workers ([`TrendEngine::worker`]) aggregate posts
/// locally and merge into the shared ring every [`TrendConfig::flush_interval_ms`] and at bucket
/// boundaries; queries take a read lock for the duration of one query (well under a millisecond
/// for a top-50, see `benches/`), so ingest only ever waits for a query while merging.
#[derive(Clone)]
pub struct TrendEngine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: TrendConfig,
    pub(crate) state: RwLock<State>,
    watch: RwLock<Arc<WatchSet>>,
    watermark: AtomicI64,
    counters: Counters,
    copies: TextCopies,
    /// A restored engine's workers' states, each handed to the next worker it makes
    /// ([`crate::checkpoint`]).
    restored: Mutex<Vec<WorkerState>>,
    /// Posts deleted by their authors lately ([`TrendEngine::forget_posts`]): a text of one that a
    /// worker merges after the deletion is dropped.
    deleted: Mutex<pulse_core::deleted::Deleted>,
    /// Whether `deleted` holds anything (read on every flush, without the lock).
    any_deleted: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Counters {
    ingested: AtomicU64,
    duplicates: AtomicU64,
    late_counted: AtomicU64,
    late_dropped: AtomicU64,
    flushes: AtomicU64,
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EngineMetrics {
    /// Posts handed to workers.
    pub posts_ingested: u64,
    /// Identical posts by the same author in one bucket, counted once.
    pub posts_duplicate: u64,
    /// Posts that arrived after their bucket closed and were still counted.
    pub posts_late_counted: u64,
    /// Posts older than the ring: not counted in any bucket, only here.
    pub posts_late_dropped: u64,
    /// Worker merges into the shared ring.
    pub flushes: u64,
    /// The watermark (Unix s), if set.
    pub watermark: Option<i64>,
    /// Buckets in the ring.
    pub buckets_open: usize,
    /// Trend episodes in progress.
    pub tracked_trends: usize,
}

impl TrendEngine {
    /// An engine with `config` (checked).
    pub fn new(config: TrendConfig) -> Result<Self> {
        config.validate()?;
        let empty = TrendBucket::new(&config)?;
        let window = Window::new(config.bucket_secs, config.history_buckets, empty)?;
        Ok(Self {
            inner: Arc::new(Inner {
                state: RwLock::new(State {
                    window,
                    closed_through: None,
                    closed_revision: 0,
                    unions: Mutex::default(),
                    first_start: None,
                    baselines: FxHashMap::default(),
                    tracks: FxHashMap::default(),
                    evergreen: config.evergreen.iter().map(|w| hash_key(&w.to_lowercase())).collect(),
                    stories: Registry::default(),
                    tiers: Tiers::default(),
                }),
                config,
                watch: RwLock::new(Arc::new(WatchSet::default())),
                watermark: AtomicI64::new(i64::MIN),
                counters: Counters::default(),
                copies: TextCopies::default(),
                restored: Mutex::new(Vec::new()),
                deleted: Mutex::new(pulse_core::deleted::Deleted::default()),
                any_deleted: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrendConfig {
        &self.inner.config
    }

    /// A new local aggregator. Give each ingest thread its own; route an author's posts to one
    /// worker (e.g. by `author_hash % workers`) so per-bucket author de-duplication is exact before
    /// the author sets of watched topics even come into play.
    pub fn worker(&self) -> Worker {
        let mut worker = Worker {
            engine: self.clone(),
            local: FxHashMap::default(),
            spare: Vec::new(),
            watch: self.watch_set(),
            since_flush: 0,
            last_flush: Instant::now(),
            max_event: i64::MIN,
            newest_start: i64::MIN,
            next_watch: i64::MIN,
            cooc: Vec::with_capacity(MAX_COOC_PER_POST),
            pair_keys: Vec::new(),
            new_pairs: Vec::new(),
            auto_flush: true,
        };
        // Taken out first: a bucket close takes the state lock, and restoring reads the state.
        let restored = self.inner.restored.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        if let Some(saved) = restored {
            for (start, local) in saved.buckets {
                let restored = LocalBucket {
                    bucket: local.bucket,
                    pairs: PairSet::from_keys(&local.authors, &local.pairs),
                    contents: SeenSet::from_keys(&local.contents),
                    copies: self.inner.copies.bucket(start),
                    stored: SeenSet::from_keys(&local.stored),
                    dirty: local.dirty,
                };
                worker.local.insert(start, restored);
            }
            worker.watch = Arc::new(saved.watch.into_iter().collect());
            worker.since_flush = saved.since_flush;
            worker.max_event = saved.max_event;
            worker.newest_start = saved.newest_start;
            worker.next_watch = saved.next_watch;
        }
        worker
    }

    /// The engine's and its workers' whole state as one blob ([`crate::checkpoint`]): `workers`
    /// are every worker's [`Worker::state`]. No worker may ingest or flush between those and
    /// this call.
    pub fn checkpoint(&self, workers: Vec<WorkerState>) -> Result<Vec<u8>> {
        self.capture(workers).to_bytes()
    }

    /// Like [`TrendEngine::checkpoint`], but only copies the state: the copy can be encoded
    /// ([`EngineCapture::to_bytes`]) while the workers go on, so they wait for a copy, not for
    /// the encoding and the disk.
    pub fn capture(&self, workers: Vec<WorkerState>) -> EngineCapture {
        let state = self.read();
        let c = &self.inner.counters;
        EngineCapture(EngineCheckpoint {
            window: state.window.clone(),
            closed_through: state.closed_through,
            first_start: state.first_start,
            watermark: self.watermark(),
            baselines: state.baselines.iter().map(|(&h, &b)| (h, b)).collect(),
            tracks: state.tracks.iter().map(|(&h, &t)| (h, t)).collect(),
            stories: state.stories.clone(),
            tiers: state.tiers.clone(),
            counters: [&c.ingested, &c.duplicates, &c.late_counted, &c.late_dropped, &c.flushes]
                .map(|n| n.load(Ordering::Relaxed)),
            copies: self.inner.copies.export(),
            watch: self.watch_set().iter().map(|(&h, &t)| (h, t)).collect(),
            workers,
        })
    }

    /// An engine with `config` in the state a [`TrendEngine::checkpoint`] blob holds, whose next
    /// `workers` calls to [`TrendEngine::worker`] return the saved workers (if there were more,
    /// the counts of the others are merged into the ring). A blob that is corrupt, of another
    /// format version, or from an engine with another ring or other sketch sizes is refused.
    pub fn restore(config: TrendConfig, blob: &[u8], workers: usize) -> Result<Self> {
        let engine = Self::new(config)?;
        let saved = EngineCheckpoint::from_bytes(blob)?;
        let config = &engine.inner.config;
        let shape = |width: i64, len: usize| format!("{len} buckets of {width} s");
        if saved.window.width() != config.bucket_secs || saved.window.len() != config.history_buckets {
            return Err(TrendError::CheckpointShape {
                expected: shape(config.bucket_secs, config.history_buckets),
                found: shape(saved.window.width(), saved.window.len()),
            });
        }
        {
            let mut state = engine.write();
            state.window.prototype().check_mergeable(saved.window.prototype())?;
            state.window = saved.window;
            state.closed_through = saved.closed_through;
            state.first_start = saved.first_start;
            state.baselines = saved.baselines.into_iter().collect();
            state.tracks = saved.tracks.into_iter().collect();
            state.stories = saved.stories;
            state.tiers = saved.tiers;
            let c = &engine.inner.counters;
            for (counter, value) in [&c.ingested, &c.duplicates, &c.late_counted, &c.late_dropped, &c.flushes]
                .into_iter()
                .zip(saved.counters)
            {
                counter.store(value, Ordering::Relaxed);
            }
            engine.inner.watermark.store(saved.watermark.unwrap_or(i64::MIN), Ordering::Release);
            engine.inner.copies.import(saved.copies);
            let mut saved_workers = saved.workers;
            for extra in saved_workers.drain(workers.max(1).min(saved_workers.len())..) {
                for (start, local) in extra.buckets.into_iter().filter(|(_, l)| l.dirty) {
                    Self::merge_bucket_locked(&mut state, start, &local.bucket)?;
                }
            }
            // `worker` pops from the end: the first saved worker goes to the first worker made.
            saved_workers.reverse();
            *engine.inner.restored.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = saved_workers;
        }
        let watch: WatchSet = saved.watch.into_iter().collect();
        *engine.inner.watch.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(watch);
        Ok(engine)
    }

    /// The watermark (Unix s), if any.
    pub fn watermark(&self) -> Option<i64> {
        let w = self.inner.watermark.load(Ordering::Acquire);
        (w != i64::MIN).then_some(w)
    }

    /// Moves the watermark to `at` (never back): buckets ending at or before it close, which
    /// feeds baselines and updates trend states, and buckets older than the ring retire.
    pub fn advance_watermark(&self, at: i64) {
        let mut state = self.write();
        self.advance_locked(&mut state, at);
    }

    fn advance_locked(&self, state: &mut State, at: i64) {
        if self.watermark().is_some_and(|w| w >= at) {
            return;
        }
        self.inner.watermark.store(at, Ordering::Release);
        let width = self.inner.config.bucket_secs;
        let target = at.div_euclid(width) * width;
        if let Some(first) = state.first_start {
            let mut next = state.closed_through.unwrap_or(first).max(first);
            // Skip far ahead over empty stretches longer than the ring.
            let ring = width * self.inner.config.history_buckets as i64;
            if target - next > ring {
                next = target - ring;
            }
            while next < target {
                next += width;
                let evals = score::close_bucket(&self.inner.config, state, next);
                trending::close_stories(&self.inner.config, state, next, evals);
                if let Some(closed) = state.window.get_mut(next - width) {
                    closed.prune_closed();
                }
                state.closed_through = Some(next);
            }
            // The bucket that just closed keeps its copy counts until the next close, for
            // workers still flushing into it.
            self.inner.copies.forget_before(next - width);
        }
        state.closed_through = Some(state.closed_through.map_or(target, |c| c.max(target)));
        for (start, retired) in state.window.advance(at.saturating_sub(1)) {
            state.tiers.fold(start, &retired);
            state.closed_revision += 1;
        }
        self.publish_watch(state);
    }

    /// Forgets the texts of the posts `ids` (their authors deleted them) wherever the engine keeps
    /// texts — the stored texts that story headlines and summaries are drawn from; the number
    /// forgotten. Counts stay: they hold no text. One pass over the ring for all of `ids`, under
    /// the write lock: give it the deletions of a while at once.
    pub fn forget_posts(&self, ids: &rustc_hash::FxHashSet<String>) -> usize {
        {
            let mut deleted = self.inner.deleted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in ids {
                deleted.insert(hash_key(id));
            }
            self.inner.any_deleted.store(true, Ordering::Release);
        }
        let mut state = self.write();
        let mut forgotten = 0;
        for (_, bucket) in state.window.iter_mut() {
            let before = bucket.texts.len();
            bucket.texts.retain(|_, text| !ids.contains(&text.id));
            forgotten += before - bucket.texts.len();
        }
        forgotten
    }

    /// Counters for metrics.
    pub fn metrics(&self) -> EngineMetrics {
        let c = &self.inner.counters;
        let state = self.read();
        EngineMetrics {
            posts_ingested: c.ingested.load(Ordering::Relaxed),
            posts_duplicate: c.duplicates.load(Ordering::Relaxed),
            posts_late_counted: c.late_counted.load(Ordering::Relaxed),
            posts_late_dropped: c.late_dropped.load(Ordering::Relaxed),
            flushes: c.flushes.load(Ordering::Relaxed),
            watermark: self.watermark(),
            buckets_open: state.window.open_buckets(),
            tracked_trends: state.tracks.len(),
        }
    }

    /// The whole ring as one blob: [`pulse_sketch::Window`] of [`TrendBucket`] (what other
    /// engines merge; [`TrendEngine::checkpoint`] holds the rest of the state too).
    pub fn snapshot(&self) -> Result<Vec<u8>> {
        Ok(self.read().window.to_bytes()?)
    }

    /// The bucket starting at `start` as a blob (the unit of rollups), if open.
    pub fn snapshot_bucket(&self, start: i64) -> Result<Option<Vec<u8>>> {
        Ok(match self.read().window.get(start) {
            Some(b) => Some(b.to_bytes()?),
            None => None,
        })
    }

    /// Merges a ring written by [`TrendEngine::snapshot`] (another engine's, e.g. over other
    /// partitions) bucket-wise into this one. Baselines and trend states are derived data: they
    /// are rebuilt by re-closing the merged buckets up to the watermark. A ring from an engine
    /// with other sketch sizes ([`TrendBucket::check_mergeable`]) is refused whole: nothing of it
    /// is merged.
    pub fn merge_snapshot(&self, blob: &[u8]) -> Result<()> {
        let other = Window::<TrendBucket>::from_bytes(blob)?;
        if other.width() != self.inner.config.bucket_secs {
            return Err(TrendError::BucketWidth { expected: self.inner.config.bucket_secs, found: other.width() });
        }
        let mut state = self.write();
        Self::check_mergeable(&state, other.iter())?;
        for (start, bucket) in other.iter() {
            Self::merge_bucket_locked(&mut state, start, bucket)?;
        }
        let mark = other.watermark().map(|w| w + 1).into_iter().chain(self.watermark()).max();
        self.rebuild_locked(&mut state, mark);
        Ok(())
    }

    /// Merges one bucket blob (from [`TrendEngine::snapshot_bucket`]) at `start`.
    pub fn merge_bucket(&self, start: i64, blob: &[u8]) -> Result<()> {
        let bucket = TrendBucket::from_bytes(blob)?;
        let mut state = self.write();
        Self::check_mergeable(&state, [(start, &bucket)])?;
        if !Self::merge_bucket_locked(&mut state, start, &bucket)? {
            self.inner.counters.late_dropped.fetch_add(bucket.posts, Ordering::Relaxed);
        }
        let mark = self.watermark();
        self.rebuild_locked(&mut state, mark);
        Ok(())
    }

    /// Merges bucket deltas built elsewhere (a query node applying the rollups of ingest
    /// workers), counts their posts as ingested, then moves the watermark to `watermark`.
    ///
    /// Baselines and trend states are rebuilt only when a delta lands in a bucket that already
    /// closed (a late rollup); deltas for open buckets cost a merge each, so applying a steady
    /// stream of rollups is as cheap as a local worker's flush. Like
    /// [`TrendEngine::merge_snapshot`], all the buckets merge or none.
    pub fn merge_buckets<'a>(
        &self,
        buckets: impl IntoIterator<Item = (i64, &'a TrendBucket)>,
        watermark: Option<i64>,
    ) -> Result<()> {
        let buckets: Vec<(i64, &TrendBucket)> = buckets.into_iter().collect();
        let width = self.inner.config.bucket_secs;
        let counters = &self.inner.counters;
        let mut state = self.write();
        Self::check_mergeable(&state, buckets.iter().copied())?;
        let mut reclose = false;
        for (start, bucket) in buckets {
            counters.ingested.fetch_add(bucket.posts + bucket.duplicates, Ordering::Relaxed);
            counters.duplicates.fetch_add(bucket.duplicates, Ordering::Relaxed);
            let closed = state.closed_through.is_some_and(|c| start + width <= c);
            if Self::merge_bucket_locked(&mut state, start, bucket)? {
                if closed {
                    counters.late_counted.fetch_add(bucket.posts, Ordering::Relaxed);
                    reclose = true;
                }
            } else {
                counters.late_dropped.fetch_add(bucket.posts, Ordering::Relaxed);
            }
        }
        counters.flushes.fetch_add(1, Ordering::Relaxed);
        let mark = watermark.into_iter().chain(self.watermark()).max();
        if reclose {
            self.rebuild_locked(&mut state, mark);
        } else if let Some(at) = mark {
            self.advance_locked(&mut state, at);
        } else {
            self.publish_watch(&state);
        }
        Ok(())
    }

    /// Checks every bucket before any is merged, so that a set of buckets from an engine with
    /// other sketch sizes is refused whole instead of merged in part.
    fn check_mergeable<'a>(state: &State, buckets: impl IntoIterator<Item = (i64, &'a TrendBucket)>) -> Result<()> {
        let prototype = state.window.prototype();
        for (_, bucket) in buckets {
            prototype.check_mergeable(bucket)?;
        }
        Ok(())
    }

    fn merge_bucket_locked(state: &mut State, start: i64, bucket: &TrendBucket) -> Result<bool> {
        state.first_start = Some(state.first_start.map_or(start, |f| f.min(start)));
        state.changed(start);
        let closed = state.closed_through.is_some_and(|through| start < through);
        match state.window.bucket_mut(start) {
            Some(mine) => {
                mine.merge(bucket)?;
                if closed {
                    mine.prune_closed();
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Recomputes baselines and trend states from the ring.
    fn rebuild_locked(&self, state: &mut State, watermark: Option<i64>) {
        state.baselines.clear();
        state.tracks.clear();
        state.stories = Registry::default();
        state.closed_through = None;
        state.closed_revision += 1;
        self.inner.watermark.store(i64::MIN, Ordering::Release);
        if let Some(w) = watermark {
            self.advance_locked(state, w);
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn watch_set(&self) -> Arc<WatchSet> {
        self.inner.watch.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Recomputes the watched set: the heaviest topics of the two newest buckets plus every trend
    /// in progress.
    fn publish_watch(&self, state: &State) {
        let size = self.inner.config.watch_size;
        let mut heavy: Vec<(u64, u64)> = Vec::new();
        for (_, bucket) in state.window.iter().rev().take(2) {
            heavy.extend(bucket.top.top(size).iter().map(|h| (h.lower_bound, h.hash)));
        }
        heavy.sort_unstable_by(|a, b| b.cmp(a));
        let mut set: WatchSet = state.tracks.keys().map(|&h| (h, true)).collect();
        for (_, h) in heavy {
            if set.len() >= size {
                break;
            }
            set.entry(h).or_insert(false);
        }
        *self.inner.watch.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
    }
}

/// The watched topics, each marked `true` if it is trending (in a trend episode).
type WatchSet = FxHashMap<u64, bool>;

struct LocalBucket {
    bucket: TrendBucket,
    /// `(topic, author)` pairs seen in this bucket by this worker.
    pairs: PairSet,
    /// `(author, content)` pairs seen in this bucket by this worker.
    contents: SeenSet,
    /// Copies of each text in this bucket, counted by all workers.
    copies: Arc<CopyCounts>,
    /// Texts this worker has put in the bucket's text store.
    stored: SeenSet,
    dirty: bool,
}

/// A local aggregator: ingest posts without touching shared state; [`Worker::flush`] (also
/// called automatically on an interval and at bucket boundaries, and on drop) merges into the
/// engine. `Send`, not shared: one per ingest thread.
pub struct Worker {
    engine: TrendEngine,
    local: FxHashMap<i64, LocalBucket>,
    spare: Vec<LocalBucket>,
    watch: Arc<WatchSet>,
    since_flush: u64,
    last_flush: Instant,
    max_event: i64,
    newest_start: i64,
    /// Event time of the next flush within a bucket (every tenth of a bucket).
    next_watch: i64,
    /// Watched topics of the post being ingested with their co-occurrence rank (trending,
    /// words and hashtags, phrases).
    cooc: Vec<(u8, u64)>,
    /// `(topic, author)` keys of the post being ingested, one per topic.
    pair_keys: Vec<u64>,
    /// Whether each of those pairs is new in its bucket.
    new_pairs: Vec<bool>,
    /// Whether `ingest` flushes by itself (on the interval and at bucket boundaries).
    auto_flush: bool,
}

impl Worker {
    /// A worker that merges only when [`Worker::flush`] or [`Worker::flush_with`] is called, so
    /// every change passes through the caller: a Kafka ingest worker ships each flush's deltas
    /// as one rollup tagged with the offsets it covers, and must not lose one to an automatic
    /// flush.
    pub fn manual_flush(mut self) -> Self {
        self.auto_flush = false;
        self
    }

    /// Counts one analysed post.
    pub fn ingest(&mut self, post: &AnalyzedPost) -> Result<()> {
        let width = self.engine.inner.config.bucket_secs;
        let start = post.created_at.div_euclid(width) * width;
        if start > self.newest_start {
            if self.newest_start != i64::MIN && self.auto_flush {
                // A bucket boundary: publish what we have so queries and the watched set move on.
                self.flush()?;
            }
            self.newest_start = start;
        } else if post.created_at >= self.next_watch
            && (WATCH_MIN_POSTS..=WATCH_MAX_POSTS).contains(&self.since_flush)
            && self.auto_flush
        {
            // A tenth of a bucket of event time on a quiet stream: publish, so that a topic that
            // became heavy in this bucket is watched (its co-occurrence and texts kept) from now
            // on, however fast the stream is replayed. A busy stream flushes every 1,024 posts
            // anyway, and a flush costs what the worker holds.
            self.flush()?;
        }
        if post.created_at >= self.next_watch {
            let step = (width / 10).max(1);
            self.next_watch = post.created_at.div_euclid(step) * step + step;
        }
        self.max_event = self.max_event.max(post.created_at);
        self.since_flush += 1;
        if !self.local.contains_key(&start) {
            let copies = self.engine.inner.copies.bucket(start);
            let fresh = match self.spare.pop() {
                Some(b) => LocalBucket { copies, ..b },
                None => LocalBucket {
                    bucket: TrendBucket::new(&self.engine.inner.config)?,
                    pairs: PairSet::with_capacity(DEDUP_CAPACITY),
                    contents: SeenSet::with_capacity(DEDUP_CAPACITY),
                    copies,
                    stored: SeenSet::with_capacity(TEXTS_CAPACITY),
                    dirty: false,
                },
            };
            self.local.insert(start, fresh);
        }
        let Some(local) = self.local.get_mut(&start) else { return Ok(()) };
        local.dirty = true;
        let author = post.author_hash;
        // The post's identity within the bucket: its author and text (an author's identical posts
        // are one), which also orders the post samples (`crate::sample`).
        let post_key = hash_u64(author ^ post.content_hash.rotate_left(17));
        if post.content_hash != 0 && !local.contents.insert(post_key) {
            local.bucket.duplicates += 1;
        } else {
            // The first post of a text in this bucket (copies of it, retweets, are counted as posts
            // but add nothing to co-occurrence: one viral text must not tie topics together by
            // itself).
            let copy = if post.content_hash == 0 { 1 } else { copies::count(&local.copies, post.content_hash) };
            let first_copy = copy == 1;
            let copies = if first_copy { 1 } else { 2 };
            let b = &mut local.bucket;
            b.posts += 1;
            match b.langs.get_mut(post.lang.as_str()) {
                Some(n) => *n += 1,
                None => {
                    b.langs.insert(post.lang.clone(), 1);
                }
            }
            self.cooc.clear();
            let mut exemplar = false;
            // Which of the post's (topic, author) pairs are new in this bucket, all at once.
            self.pair_keys.clear();
            self.pair_keys.extend(post.topics.iter().map(|t| hash_u64(t.hash ^ author.rotate_left(29))));
            local.pairs.insert_post(author, &self.pair_keys, &mut self.new_pairs);
            for (topic, &new_author) in post.topics.iter().zip(&self.new_pairs) {
                let h = topic.hash;
                debug_assert_eq!(h, hash_key(&topic.key), "TopicRef::hash must be hash_key(key)");
                b.topic_posts.update(h, 1);
                if new_author {
                    b.topic_authors.update(h, 1);
                    b.top.update(h, topic.key.as_str(), 1);
                }
                if let Some(&trending) = self.watch.get(&h) {
                    let d = match b.detail.get_mut(&h) {
                        Some(d) => d,
                        None => b.detail.entry(h).or_insert(TopicDetail::new(&topic.key, topic.kind)?),
                    };
                    d.posts += 1;
                    // An author already seen with the topic in this bucket is already in its
                    // authors (or, if the topic was not watched yet, counted by `posts − d.posts`
                    // in `TrendBucket::authors`), so only new pairs are added: the list of a
                    // worker's bucket has no repeats.
                    if new_author {
                        d.authors.insert(author);
                    }
                    if let Some(s) = post.sentiment {
                        d.add_sentiment(f64::from(s));
                    }
                    d.sample.insert(post_key, post.sentiment);
                    d.first_seen = d.first_seen.min(post.created_at);
                    d.last_seen = d.last_seen.max(post.created_at);
                    if d.samples.len() < MAX_SAMPLES {
                        d.samples.push(post.id.clone());
                    }
                    d.add_surface(&topic.surface);
                    d.add_lang(&post.lang);
                    if post.content_hash != 0 {
                        exemplar |= d.exemplars.add(post.content_hash, copies);
                    }
                    if first_copy {
                        d.texts += 1;
                        let rank = match (trending, topic.kind) {
                            (true, _) => 0,
                            (false, TopicKind::Phrase) => 2,
                            (false, _) => 1,
                        };
                        self.cooc.push((rank, h));
                    }
                }
            }
            if !first_copy {
                // A copy: counted with its first copy the first time, whatever it is watched for.
                *b.copied.entry(post.content_hash).or_default() += if copy == 2 { 2 } else { 1 };
            }
            if (exemplar || !first_copy) && local.stored.insert(post.content_hash) {
                b.texts.insert(
                    post.content_hash,
                    PostText {
                        id: post.id.clone(),
                        author: post.author.clone(),
                        created_at: post.created_at,
                        text: post.text.clone(),
                        keys: post.topics.iter().take(TEXT_KEYS).map(|t| t.hash).collect(),
                    },
                );
            }
            // Every watched topic of the text counts the first few of them it appears with: trending
            // topics first, then words and hashtags, then phrases; post order within each. (A topic
            // past the first few still counts them, so that one which trends later, as a phrase
            // of a retweeted headline often does, has its co-occurrence.)
            if self.cooc.len() > MAX_COOC_PER_POST {
                self.cooc.sort_by_key(|&(rank, _)| rank);
            }
            let selected = self.cooc.len().min(MAX_COOC_PER_POST);
            for &(_, a) in &self.cooc {
                if let Some(d) = b.detail.get_mut(&a) {
                    for &(_, c) in self.cooc[..selected].iter().filter(|&&(_, c)| c != a) {
                        *d.cooccurring.entry(c).or_default() += 1;
                    }
                }
            }
        }
        if self.since_flush >= 1024 && self.auto_flush {
            let interval = Duration::from_millis(self.engine.inner.config.flush_interval_ms);
            if self.last_flush.elapsed() >= interval {
                self.flush()?;
            } else {
                self.since_flush = 0;
            }
        }
        Ok(())
    }

    /// A copy of this worker's state, for a checkpoint ([`TrendEngine::checkpoint`]): its
    /// unmerged counts, de-duplication sets and place in the stream. Taking it changes nothing.
    pub fn state(&self) -> WorkerState {
        let buckets = self
            .local
            .iter()
            .map(|(&start, local)| {
                let (authors, pairs) = local.pairs.keys();
                let state = LocalState {
                    bucket: local.bucket.clone(),
                    dirty: local.dirty,
                    authors,
                    pairs,
                    contents: local.contents.keys().collect(),
                    stored: local.stored.keys().collect(),
                };
                (start, state)
            })
            .collect();
        WorkerState {
            buckets,
            watch: self.watch.iter().map(|(&h, &t)| (h, t)).collect(),
            since_flush: self.since_flush,
            max_event: self.max_event,
            newest_start: self.newest_start,
            next_watch: self.next_watch,
        }
    }

    /// Merges everything aggregated locally into the engine, moves the automatic watermark, and
    /// picks up the current watched set.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_with(|_, _| Ok(()))
    }

    /// Like [`Worker::flush`], and first hands each changed bucket — this worker's delta since
    /// its last flush, with its start — to `delta` (under the engine's write lock: keep it short).
    pub fn flush_with(&mut self, mut delta: impl FnMut(i64, &TrendBucket) -> Result<()>) -> Result<()> {
        let engine = self.engine.clone();
        let inner = &engine.inner;
        let mut ingested = 0;
        let mut duplicates = 0;
        {
            let mut state = engine.write();
            let closed = state.closed_through;
            for (&start, local) in self.local.iter_mut().filter(|(_, l)| l.dirty) {
                // Local details are not counted (`TopicDetail::refresh`) here: a count flushes the
                // sketch's insert buffer, and merging reads that buffer anyway; the shared side
                // counts after merging.
                let b = &mut local.bucket;
                if inner.any_deleted.load(Ordering::Acquire) {
                    // A post deleted before its text got here: the text is not kept.
                    let deleted = inner.deleted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    b.texts.retain(|_, text| !deleted.contains(hash_key(&text.id)));
                }
                ingested += b.posts + b.duplicates;
                duplicates += b.duplicates;
                let late = closed.is_some_and(|c| start + inner.config.bucket_secs <= c);
                if late {
                    b.late = b.posts;
                }
                delta(start, b)?;
                state.first_start = Some(state.first_start.map_or(start, |f| f.min(start)));
                state.changed(start);
                match state.window.bucket_mut(start) {
                    Some(shared) => {
                        shared.absorb(b)?;
                        if late {
                            inner.counters.late_counted.fetch_add(b.posts, Ordering::Relaxed);
                        }
                    }
                    None => {
                        inner.counters.late_dropped.fetch_add(b.posts, Ordering::Relaxed);
                    }
                }
                b.reset()?;
                local.dirty = false;
            }
            if inner.config.auto_watermark && self.max_event != i64::MIN {
                engine.advance_locked(&mut state, self.max_event - inner.config.allowed_lateness_secs);
            } else {
                engine.publish_watch(&state);
            }
            // Forget de-duplication sets of buckets that closed.
            if let Some(c) = state.closed_through {
                let width = inner.config.bucket_secs;
                let closed: Vec<i64> =
                    self.local.keys().copied().filter(|&s| s + width <= c && s != self.newest_start).collect();
                for s in closed {
                    if let Some(mut l) = self.local.remove(&s) {
                        l.pairs.clear();
                        l.contents.clear();
                        l.stored.clear();
                        if self.spare.len() < 2 {
                            self.spare.push(l);
                        }
                    }
                }
            }
        }
        inner.counters.ingested.fetch_add(ingested, Ordering::Relaxed);
        inner.counters.duplicates.fetch_add(duplicates, Ordering::Relaxed);
        inner.counters.flushes.fetch_add(1, Ordering::Relaxed);
        self.watch = engine.watch_set();
        self.since_flush = 0;
        self.last_flush = Instant::now();
        Ok(())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
