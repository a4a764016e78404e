//! The writer side: [`IndexSender`] (the cloneable, bounded handle the pipeline sends
//! [`IndexPost`]s to) and the writer thread with its commit and retention policy.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tantivy::merge_policy::LogMergePolicy;
use tantivy::query::RangeQuery;
use tantivy::{Index, IndexReader, IndexWriter, Term};

use crate::config::IndexConfig;
use crate::error::{IndexError, Result};
use crate::post::IndexPost;
use crate::schema::{Fields, id_hash, to_tantivy_time};

/// Why [`IndexSender::try_send`] did not queue a post; the post is handed back.
#[derive(Debug, thiserror::Error)]
pub enum TrySendError {
    /// The queue is full: back off, drop, or retry later.
    #[error("the index queue is full")]
    Full(Box<IndexPost>),
    /// The writer has stopped.
    #[error("the index writer has stopped")]
    Closed(Box<IndexPost>),
}

/// What the writer thread receives.
pub(crate) enum Msg {
    Post(IndexPost),
    /// Commit everything received so far and reload the reader, then answer.
    Flush(flume::Sender<Result<()>>),
    /// Delete every post numbered after this, commit, then answer.
    ForgetAfter(u64, flume::Sender<Result<()>>),
    /// Delete the post with this id (with the next commit).
    Delete(String),
    /// Drain the queue, commit, wait for merges, answer and stop.
    Shutdown(flume::Sender<Result<()>>),
}

/// A cloneable handle that feeds the index's writer thread through a bounded queue.
///
/// [`send`](Self::send) blocks while the queue is full (backpressure: the caller slows down
/// instead of memory growing); [`send_async`](Self::send_async) waits without blocking a thread
/// (any async runtime); [`try_send`](Self::try_send) never waits.
#[derive(Clone)]
pub struct IndexSender {
    pub(crate) tx: flume::Sender<Msg>,
}

impl std::fmt::Debug for IndexSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexSender").field("queue_depth", &self.tx.len()).finish()
    }
}

impl IndexSender {
    /// Queues a post, waiting while the queue is full. Fails only when the writer has stopped.
    pub fn send(&self, post: IndexPost) -> Result<()> {
        self.tx.send(Msg::Post(post)).map_err(|_| IndexError::Closed)
    }

    /// Queues a post if there is room now; otherwise hands it back.
    pub fn try_send(&self, post: IndexPost) -> Result<(), TrySendError> {
        self.tx.try_send(Msg::Post(post)).map_err(|e| match e {
            flume::TrySendError::Full(Msg::Post(post)) => TrySendError::Full(Box::new(post)),
            flume::TrySendError::Disconnected(Msg::Post(post)) => TrySendError::Closed(Box::new(post)),
            _ => unreachable!("only posts are sent here"),
        })
    }

    /// Queues a post, waiting asynchronously while the queue is full.
    pub async fn send_async(&self, post: IndexPost) -> Result<()> {
        self.tx.send_async(Msg::Post(post)).await.map_err(|_| IndexError::Closed)
    }

    /// Posts waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.tx.len()
    }

    /// Deletes the post `id` (its author deleted it), with the next commit. Posts sent before this
    /// call are deleted; one sent after it with the same id is not.
    pub fn delete(&self, id: &str) -> Result<()> {
        self.tx.send(Msg::Delete(id.to_owned())).map_err(|_| IndexError::Closed)
    }

    /// Commits everything sent before this call and makes it searchable; blocks until done.
    pub fn flush(&self) -> Result<()> {
        let (ack, done) = flume::bounded(1);
        self.tx.send(Msg::Flush(ack)).map_err(|_| IndexError::Closed)?;
        done.recv().map_err(|_| IndexError::Closed)?
    }
}

/// Counters and state the writer thread publishes for [`crate::IndexStats`].
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub indexed: AtomicU64,
    pub expired: AtomicU64,
    pub commits: AtomicU64,
    pub errors: AtomicU64,
    pub lost: AtomicU64,
    pub deleted: AtomicU64,
    pub state: Mutex<WriterState>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct WriterState {
    pub last_commit: Option<DateTime<Utc>>,
    pub last_commit_duration: Option<Duration>,
    pub watermark_ms: Option<i64>,
    pub cutoff_ms: Option<i64>,
    pub last_error: Option<String>,
    pub writer_down: Option<String>,
}

/// A tantivy writer for `index` as `config` says (threads, memory, merge policy).
pub(crate) fn open_writer(index: &Index, config: &IndexConfig) -> Result<IndexWriter> {
    let writer = index.writer_with_num_threads(config.indexing_threads, config.writer_memory_bytes)?;
    let mut merge_policy = LogMergePolicy::default();
    merge_policy.set_del_docs_ratio_before_merge(config.merge_deleted_ratio);
    writer.set_merge_policy(Box::new(merge_policy));
    Ok(writer)
}

/// First and longest wait before reopening a failed writer.
const REOPEN_BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(30));

/// The writer thread: owns the tantivy `IndexWriter`.
///
/// A writer that fails (tantivy kills it on an I/O error such as running out of file descriptors,
/// and it then refuses everything) is dropped and reopened, first at once, then with doubling
/// waits up to 30 s. While it is down, posts are counted as lost rather than queued (the trend
/// engine, fed by the same pipeline, must not stall behind the index), `IndexStats::writer_down`
/// says why, and the server's readiness reports it.
pub(crate) struct Worker {
    index: Index,
    writer: Option<IndexWriter>,
    /// When to try reopening a failed writer, and the wait after that.
    reopen: Option<(Instant, Duration)>,
    pub reader: IndexReader,
    pub fields: Fields,
    pub config: IndexConfig,
    pub shared: Arc<Shared>,
    pub rx: flume::Receiver<Msg>,
    /// Posts added since the last commit.
    pending: usize,
    /// When the oldest uncommitted post was added.
    first_pending: Option<Instant>,
    /// Newest event time seen (ms), capped at wall clock + `max_future_secs`.
    watermark_ms: Option<i64>,
    /// Posts older than this (ms) are expired.
    cutoff_ms: Option<i64>,
    /// The cutoff of the last delete query sent to tantivy.
    deleted_before_ms: Option<i64>,
    /// Posts deleted by their authors lately: one that arrives after its deletion is not indexed.
    deleted: pulse_core::deleted::Deleted,
}

impl Worker {
    pub(crate) fn new(
        index: Index,
        writer: IndexWriter,
        reader: IndexReader,
        fields: Fields,
        config: IndexConfig,
        shared: Arc<Shared>,
        rx: flume::Receiver<Msg>,
    ) -> Self {
        Self {
            index,
            writer: Some(writer),
            reopen: None,
            reader,
            fields,
            config,
            shared,
            rx,
            pending: 0,
            first_pending: None,
            watermark_ms: None,
            cutoff_ms: None,
            deleted_before_ms: None,
            deleted: pulse_core::deleted::Deleted::default(),
        }
    }

    /// Runs until shutdown (or until every sender is gone), then commits and waits for merges.
    pub(crate) fn run(mut self) -> Result<()> {
        let interval = self.config.commit_interval();
        let mut shutdown_ack = None;
        loop {
            let commit_at = self.first_pending.map(|first| first + interval);
            let deadline = match (commit_at, self.reopen) {
                (Some(a), Some((b, _))) => Some(a.min(b)),
                (a, b) => a.or(b.map(|(at, _)| at)),
            };
            let received = match deadline {
                None => self.rx.recv().map_err(|_| flume::RecvTimeoutError::Disconnected),
                Some(deadline) => self.rx.recv_deadline(deadline),
            };
            self.reopen_when_due();
            match received {
                Ok(Msg::Post(post)) => {
                    self.add(&post);
                    if self.pending >= self.config.commit_max_docs {
                        self.commit_logged();
                    }
                }
                Ok(Msg::Flush(ack)) => {
                    let _ = ack.send(self.commit());
                }
                Ok(Msg::ForgetAfter(seq, ack)) => {
                    let _ = ack.send(self.forget_after(seq).and_then(|()| self.commit()));
                }
                Ok(Msg::Delete(id)) => self.delete(&id),
                Ok(Msg::Shutdown(ack)) => {
                    // Everything queued before (or racing with) the shutdown is still indexed.
                    while let Ok(msg) = self.rx.try_recv() {
                        match msg {
                            Msg::Post(post) => self.add(&post),
                            Msg::Delete(id) => self.delete(&id),
                            Msg::Flush(other) | Msg::ForgetAfter(_, other) | Msg::Shutdown(other) => {
                                let _ = other.send(Err(IndexError::Closed));
                            }
                        }
                    }
                    shutdown_ack = Some(ack);
                    break;
                }
                Err(flume::RecvTimeoutError::Timeout) => self.commit_logged(),
                Err(flume::RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut result = self.commit();
        let Worker { writer, .. } = self;
        if let Some(Err(e)) = writer.map(IndexWriter::wait_merging_threads) {
            tracing::warn!(error = %e, "index merges did not finish cleanly");
            if result.is_ok() {
                result = Err(e.into());
            }
        }
        match shutdown_ack {
            Some(ack) => {
                let _ = ack.send(result);
                Ok(())
            }
            None => result,
        }
    }

    fn add(&mut self, item: &IndexPost) {
        let at_ms = item.post.created_at.timestamp_millis();
        if let Some(retention_secs) = self.config.retention_secs {
            let max_future_ms = Utc::now().timestamp_millis() + self.config.max_future_secs as i64 * 1000;
            let capped = at_ms.min(max_future_ms);
            if self.watermark_ms.is_none_or(|w| capped > w) {
                self.watermark_ms = Some(capped);
                self.cutoff_ms = Some(capped.saturating_sub(retention_secs as i64 * 1000));
            }
            if self.cutoff_ms.is_some_and(|cutoff| at_ms < cutoff) {
                self.shared.expired.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if !self.deleted.is_empty() && self.deleted.contains(id_hash(&item.post.id)) {
            return;
        }
        let Some(writer) = &self.writer else {
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if let Err(e) = writer.add_document(self.fields.document(item)) {
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
            self.writer_failed(&format!("adding post {}: {e}", item.post.id));
            return;
        }
        self.shared.indexed.fetch_add(1, Ordering::Relaxed);
        self.pending += 1;
        self.first_pending.get_or_insert_with(Instant::now);
    }

    /// Sends a delete for everything older than the retention cutoff, if the cutoff moved.
    ///
    /// One range query on the `created_at` fast field per commit: tantivy applies it to each
    /// segment at commit time with one scan of that segment's column (skipped when the column's
    /// min/max lie outside the range); segments left empty are dropped.
    fn apply_retention(&mut self) -> Result<()> {
        let Some(cutoff) = self.cutoff_ms else { return Ok(()) };
        if self.deleted_before_ms.is_some_and(|done| done >= cutoff) {
            return Ok(());
        }
        let upper = Term::from_field_date(
            self.fields.created_at,
            to_tantivy_time(DateTime::<Utc>::from_timestamp_millis(cutoff).unwrap_or_default()),
        );
        let Some(writer) = &self.writer else { return Ok(()) };
        writer.delete_query(Box::new(RangeQuery::new(Bound::Unbounded, Bound::Excluded(upper))))?;
        self.deleted_before_ms = Some(cutoff);
        Ok(())
    }

    /// Sends a delete for the post `id`, which the next commit applies (the commit is due within
    /// the commit interval, as for an added post).
    fn delete(&mut self, id: &str) {
        self.deleted.insert(id_hash(id));
        let Some(writer) = &self.writer else { return };
        let term = Term::from_field_u64(self.fields.id_hash, id_hash(id));
        let query = RangeQuery::new(Bound::Included(term.clone()), Bound::Included(term));
        if let Err(e) = writer.delete_query(Box::new(query)) {
            self.record_error(&format!("deleting post {id}: {e}"));
            return;
        }
        self.shared.deleted.fetch_add(1, Ordering::Relaxed);
        self.pending += 1;
        self.first_pending.get_or_insert_with(Instant::now);
    }

    /// Sends a delete for every post numbered after `seq`.
    fn forget_after(&mut self, seq: u64) -> Result<()> {
        let Some(writer) = &self.writer else { return Err(IndexError::Closed) };
        let lower = Term::from_field_u64(self.fields.seq, seq);
        writer.delete_query(Box::new(RangeQuery::new(Bound::Excluded(lower), Bound::Unbounded)))?;
        Ok(())
    }

    /// Commits, reloads the reader, publishes the state. A failed commit fails the writer.
    fn commit(&mut self) -> Result<()> {
        let started = Instant::now();
        if self.writer.is_none() {
            return Err(IndexError::Closed);
        }
        let result = self
            .apply_retention()
            .and_then(|()| self.writer.as_mut().map_or(Err(IndexError::Closed), |w| Ok(w.commit()?)))
            .and_then(|_| self.reader.reload().map_err(IndexError::from));
        if let Err(e) = &result {
            self.writer_failed(&format!("commit: {e}"));
        }
        self.pending = 0;
        self.first_pending = None;
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.watermark_ms = self.watermark_ms;
        state.cutoff_ms = self.cutoff_ms;
        if result.is_ok() {
            self.shared.commits.fetch_add(1, Ordering::Relaxed);
            state.last_commit = Some(Utc::now());
            state.last_commit_duration = Some(started.elapsed());
        }
        result
    }

    /// Drops a failed writer (its uncommitted posts are lost) and tries to open a new one at once.
    fn writer_failed(&mut self, message: &str) {
        self.record_error(message);
        // Dropping the writer releases its lock, so a new one can be opened on the same index.
        self.writer = None;
        self.shared.lost.fetch_add(self.pending as u64, Ordering::Relaxed);
        self.pending = 0;
        self.first_pending = None;
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).writer_down = Some(message.to_string());
        self.reopen = Some((Instant::now(), REOPEN_BACKOFF.0));
        self.reopen_when_due();
    }

    /// Reopens a failed writer when its next attempt is due; doubles the wait if it fails again.
    fn reopen_when_due(&mut self) {
        let Some((at, wait)) = self.reopen else { return };
        if Instant::now() < at {
            return;
        }
        match open_writer(&self.index, &self.config) {
            Ok(writer) => {
                tracing::warn!("index writer reopened");
                self.writer = Some(writer);
                self.reopen = None;
                self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).writer_down = None;
            }
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?wait, "cannot reopen the index writer");
                self.reopen = Some((Instant::now() + wait, (wait * 2).min(REOPEN_BACKOFF.1)));
                let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
                state.writer_down = Some(format!("{e} (retrying in {} s)", wait.as_secs_f64()));
            }
        }
    }

    fn commit_logged(&mut self) {
        if let Err(e) = self.commit() {
            tracing::error!(error = %e, "index commit failed");
        }
    }

    fn record_error(&self, message: &str) {
        tracing::error!(error = message, "index writer");
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).last_error = Some(message.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str) -> IndexPost {
        let at = DateTime::<Utc>::from_timestamp(1_366_000_000, 0).unwrap();
        IndexPost::new(pulse_core::Post::new(id, at, "a", "text", "test"), "en", None)
    }

    #[test]
    fn a_full_queue_hands_the_post_back() {
        let (tx, rx) = flume::bounded(2);
        let sender = IndexSender { tx };
        sender.try_send(post("1")).unwrap();
        sender.send(post("2")).unwrap();
        assert_eq!(sender.queue_depth(), 2);
        match sender.try_send(post("3")) {
            Err(TrySendError::Full(p)) => assert_eq!(p.post.id, "3"),
            other => panic!("expected Full, got {other:?}"),
        }
        drop(rx);
        assert!(matches!(sender.try_send(post("4")), Err(TrySendError::Closed(p)) if p.post.id == "4"));
        assert!(matches!(sender.send(post("5")), Err(IndexError::Closed)));
        assert!(matches!(sender.flush(), Err(IndexError::Closed)));
    }

    #[test]
    fn builders_set_topics_and_repost() {
        let p = post("1").with_topics(["#a", "b c"]).with_repost(true);
        assert_eq!(p.topics, ["#a", "b c"]);
        assert!(p.is_repost);
    }
}
