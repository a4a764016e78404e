//! Pulse's live source: Bluesky's firehose through [Jetstream](https://github.com/bluesky-social/jetstream),
//! JSON events over a WebSocket.
//!
//! # What it guarantees
//!
//! * **The socket is never blocked by a slow consumer.** Posts are handed on through a bounded
//!   queue ([`JetstreamConfig::queue`]); when it is full the post is dropped and counted
//!   ([`JetstreamStats::dropped`]), never held in memory without bound and never silently.
//! * **Resume without gaps.** The client keeps the `time_us` of the last event it handled. After
//!   a disconnect it reconnects with exponential backoff and jitter, asking for events from
//!   [`JetstreamConfig::rewind`] before that point (`cursor=`), so nothing between the last event
//!   seen and the reconnect is missed; the events this replays are dropped as duplicates by post
//!   id (`did` + `rkey`), counted in [`JetstreamStats::duplicates`].
//! * **Bad frames are counted and handed on, not fatal.** A frame that is not a Jetstream event
//!   (or a binary frame: zstd-compressed mode is not requested and not supported) becomes a
//!   [`Malformed`] record for the consumer to dead-letter; the stream goes on.
//!
//! Events are decoded with the file reader's mapping (`pulse_core`'s Jetstream reader), so a
//! recording replays into the same posts (replies, quotes, `langs`). Only `commit` events that
//! create an `app.bsky.feed.post` become posts; those that delete one are handed on as
//! [`Item::Delete`] (a service built on the firehose must remove what its authors delete); the
//! others are counted as skipped.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use pulse_core::readers::decode_jetstream_event;
use pulse_core::{Malformed, Post};
use tokio_tungstenite::tungstenite::Message;

/// What [`Jetstream::items`]' `recv_timeout` fails with: nothing arrived in time, or the client is gone.
pub use flume::RecvTimeoutError;

/// A public Jetstream instance.
pub const DEFAULT_URL: &str = "wss://jetstream2.us-east.bsky.network/subscribe";

/// How to connect and how much to hold.
#[derive(Debug, Clone)]
pub struct JetstreamConfig {
    /// The `…/subscribe` endpoint (`ws://` or `wss://`); `wantedCollections=app.bsky.feed.post`
    /// is added unless the URL names collections itself.
    pub url: String,
    /// Posts (and malformed frames) held for the consumer; beyond, they are dropped and counted.
    pub queue: usize,
    /// How far before the last event handled a reconnect resumes.
    pub rewind: Duration,
    /// First wait before reconnecting; doubled after each failed attempt.
    pub backoff_min: Duration,
    /// Longest wait before reconnecting.
    pub backoff_max: Duration,
    /// Hand on every event's frame as it came ([`Item::Raw`], for recording) instead of posts; a
    /// resume's repeats are still dropped (by `time_us`).
    pub raw: bool,
    /// Go on after a previous run: the `time_us` of the last event it handed on and the ids of
    /// the posts it handed on at that microsecond. The first connect resumes a rewind before it,
    /// and posts up to it are dropped as duplicates.
    pub resume: Option<(i64, Vec<String>)>,
}

impl JetstreamConfig {
    /// The defaults for `url`: a 10,000-post queue, a 5-second rewind, backoff from 100 ms to 30 s.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            queue: 10_000,
            rewind: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            raw: false,
            resume: None,
        }
    }

    /// Whether the URL can be a Jetstream endpoint: `ws://` or `wss://` and a host. A URL that
    /// cannot would otherwise only fail to connect, again and again, with backoff.
    pub fn check(&self) -> Result<(), String> {
        let rest = self.url.strip_prefix("wss://").or_else(|| self.url.strip_prefix("ws://"));
        match rest {
            Some(rest) if !rest.is_empty() && !rest.starts_with(['/', '?', ':']) => Ok(()),
            _ => Err(format!(
                "{:?} is not a Jetstream URL: expected ws://HOST/subscribe or wss://HOST/subscribe",
                self.url
            )),
        }
    }

    /// The URL to connect to, resuming from `cursor` (µs) when given.
    pub fn subscribe_url(&self, cursor: Option<i64>) -> String {
        let mut url = self.url.clone();
        let mut add = |param: String| {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&param);
        };
        if !self.url.contains("wantedCollections=") {
            add("wantedCollections=app.bsky.feed.post".into());
        }
        if let Some(cursor) = cursor {
            add(format!("cursor={cursor}"));
        }
        url
    }
}

/// What the client has seen, readable while it runs.
#[derive(Debug, Default)]
pub struct JetstreamStats {
    /// Successful connections (the first, then one per reconnect).
    pub connects: AtomicU64,
    /// Connection attempts that failed.
    pub connect_errors: AtomicU64,
    /// Frames received.
    pub frames: AtomicU64,
    /// Posts handed on (in raw mode, frames handed on).
    pub posts: AtomicU64,
    /// Well-formed events that are neither new posts nor deletions of posts.
    pub skipped: AtomicU64,
    /// Post deletions handed on.
    pub deletes: AtomicU64,
    /// Frames that are not Jetstream events.
    pub malformed: AtomicU64,
    /// Posts seen before (replayed by a resume), dropped.
    pub duplicates: AtomicU64,
    /// Posts and malformed frames dropped because the consumer's queue was full.
    pub dropped: AtomicU64,
    /// `time_us` of the last event handled (0 before the first).
    pub cursor: AtomicI64,
}

/// What the client hands on.
#[derive(Debug)]
pub enum Item {
    /// A new post, with its event's `time_us` (Jetstream's cursor).
    Post {
        /// The post.
        post: Box<Post>,
        /// When Jetstream handled the event, µs since the epoch.
        time_us: i64,
    },
    /// A frame that is not a Jetstream event, with where it came from.
    Malformed(Malformed),
    /// A post was deleted by its author: remove it wherever it is shown (Bluesky's developer
    /// guidelines require it).
    Delete {
        /// The deleted post's id (as its [`Item::Post`] had it).
        id: String,
        /// The delete event's `time_us`.
        time_us: i64,
    },
    /// An event's frame as received ([`JetstreamConfig::raw`]).
    Raw(String),
}

/// A running client: read [`Jetstream::items`]; dropping it (or the receiver) stops the client.
pub struct Jetstream {
    /// Posts and malformed frames, in the order they arrived.
    pub items: flume::Receiver<Item>,
    /// Counters.
    pub stats: Arc<JetstreamStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Jetstream {
    /// Starts the client on `runtime`.
    pub fn start(config: JetstreamConfig, runtime: &tokio::runtime::Handle) -> Self {
        let (sender, items) = flume::bounded(config.queue.max(1));
        let stats = Arc::new(JetstreamStats::default());
        let task = runtime.spawn(run(config, sender, stats.clone()));
        Jetstream { items, stats, task }
    }
}

/// A tokio runtime of one worker thread for the client, for a program that has none of its own
/// (the client needs little: one socket and a queue).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("jetstream").enable_all().build()
}

impl Drop for Jetstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects, reads, and reconnects until the consumer is gone.
async fn run(config: JetstreamConfig, sender: flume::Sender<Item>, stats: Arc<JetstreamStats>) {
    let mut client =
        Client { config, sender, stats, seen: Recent::default(), floor: 0, frame: 0, last_raw: (0, Vec::new()) };
    if let Some((time_us, ids)) = client.config.resume.take() {
        client.stats.cursor.store(time_us, Ordering::Relaxed);
        client.floor = time_us;
        let rewind = client.config.rewind.as_micros() as i64;
        for id in &ids {
            client.seen.insert(id, time_us, rewind);
        }
    }
    let mut backoff = client.config.backoff_min;
    loop {
        let cursor = client.resume_from();
        let url = client.config.subscribe_url(cursor);
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((socket, _)) => {
                client.stats.connects.fetch_add(1, Ordering::Relaxed);
                backoff = client.config.backoff_min;
                let (_, mut read) = socket.split();
                while let Some(message) = read.next().await {
                    let handled = match message {
                        Ok(Message::Text(text)) => client.frame(text.as_bytes(), &url),
                        Ok(Message::Binary(_)) => {
                            client.frame += 1;
                            let handed_on = client.malformed(
                                "a binary frame (compressed mode is not supported)".into(),
                                String::new(),
                                &url,
                            );
                            client.stats.frames.fetch_add(1, Ordering::Release);
                            handed_on
                        }
                        Ok(Message::Close(_)) | Err(_) => break,
                        Ok(_) => true,
                    };
                    if !handled {
                        return;
                    }
                }
            }
            Err(error) => {
                client.stats.connect_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%url, %error, retry_in = ?backoff, "cannot connect to Jetstream");
            }
        }
        if client.sender.is_disconnected() {
            return;
        }
        tokio::time::sleep(jitter(backoff)).await;
        backoff = (backoff * 2).min(client.config.backoff_max);
    }
}

/// Between half and all of `backoff`, so many clients cut off at once do not all return at once.
fn jitter(backoff: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let half = backoff / 2;
    half + half.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

struct Client {
    config: JetstreamConfig,
    sender: flume::Sender<Item>,
    stats: Arc<JetstreamStats>,
    seen: Recent,
    /// Posts before this `time_us` were handed on by a previous run ([`JetstreamConfig::resume`]).
    floor: i64,
    frame: u64,
    /// Raw mode: the newest `time_us` handed on and the hashes of the frames handed on at it.
    last_raw: (i64, Vec<u64>),
}

impl Client {
    /// The cursor a (re)connect asks for: the rewind before the last event handled.
    fn resume_from(&self) -> Option<i64> {
        let last = self.stats.cursor.load(Ordering::Relaxed);
        (last > 0).then(|| (last - self.config.rewind.as_micros() as i64).max(0))
    }

    /// Handles one text frame; `false` once the consumer is gone. The frame is counted last, so
    /// a reader who sees `frames` reach n also sees every other counter of those n frames.
    fn frame(&mut self, frame: &[u8], url: &str) -> bool {
        self.frame += 1;
        let handed_on = self.handle(frame, url);
        self.stats.frames.fetch_add(1, Ordering::Release);
        handed_on
    }

    fn handle(&mut self, frame: &[u8], url: &str) -> bool {
        if self.config.raw {
            return self.raw(frame);
        }
        let event = match decode_jetstream_event(frame) {
            Ok(event) => event,
            Err(reason) => return self.malformed(reason, String::from_utf8_lossy(frame).into_owned(), url),
        };
        if event.time_us > 0 {
            self.stats.cursor.fetch_max(event.time_us, Ordering::Relaxed);
        }
        if let Some(id) = event.deleted {
            let handed_on = self.hand_on(Item::Delete { id, time_us: event.time_us }, false);
            self.stats.deletes.fetch_add(1, Ordering::Relaxed);
            return handed_on;
        }
        let Some(post) = event.post else {
            self.stats.skipped.fetch_add(1, Ordering::Relaxed);
            return true;
        };
        let rewind = self.config.rewind.as_micros() as i64;
        if event.time_us < self.floor || !self.seen.insert(&post.id, event.time_us, rewind) {
            self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        self.hand_on(Item::Post { post: Box::new(post), time_us: event.time_us }, true)
    }

    /// Raw mode: hands the frame on unless a resume repeats it (events come in `time_us` order,
    /// so one at or before the newest handed on is a repeat, unless it is a different frame at
    /// that same microsecond). A frame without a `time_us` is handed on as it is.
    fn raw(&mut self, frame: &[u8]) -> bool {
        let time_us = decode_jetstream_event(frame).map_or(0, |e| e.time_us);
        if time_us > 0 {
            let hash = {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(frame, &mut hasher);
                std::hash::Hasher::finish(&hasher)
            };
            let (last, hashes) = &mut self.last_raw;
            if time_us < *last || (time_us == *last && hashes.contains(&hash)) {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            if time_us > *last {
                *last = time_us;
                hashes.clear();
            }
            hashes.push(hash);
            self.stats.cursor.fetch_max(time_us, Ordering::Relaxed);
        }
        self.hand_on(Item::Raw(String::from_utf8_lossy(frame).into_owned()), true)
    }

    fn malformed(&mut self, reason: String, raw: String, url: &str) -> bool {
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        let record = Malformed { path: PathBuf::from(url), line: self.frame, reason, raw };
        self.hand_on(Item::Malformed(record), false)
    }

    fn hand_on(&self, item: Item, is_post: bool) -> bool {
        match self.sender.try_send(item) {
            Ok(()) => {
                if is_post {
                    self.stats.posts.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            Err(flume::TrySendError::Full(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(flume::TrySendError::Disconnected(_)) => false,
        }
    }
}

/// The ids of the posts handled within two rewinds of the newest: what a resume can replay.
#[derive(Default)]
struct Recent {
    ids: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

impl Recent {
    /// Remembers `id` (seen at `time_us`); `false` if it was already there.
    fn insert(&mut self, id: &str, time_us: i64, rewind_us: i64) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        while self.order.front().is_some_and(|(t, _)| *t < time_us - 2 * rewind_us) {
            if let Some((_, old)) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        self.ids.insert(id.to_owned());
        self.order.push_back((time_us, id.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscribe_url_asks_for_posts_and_resumes_from_the_cursor() {
        let config = JetstreamConfig::new("ws://127.0.0.1:1/subscribe");
        assert_eq!(config.subscribe_url(None), "ws://127.0.0.1:1/subscribe?wantedCollections=app.bsky.feed.post");
        assert_eq!(
            config.subscribe_url(Some(42)),
            "ws://127.0.0.1:1/subscribe?wantedCollections=app.bsky.feed.post&cursor=42"
        );
        let own = JetstreamConfig::new("wss://x/subscribe?wantedCollections=app.bsky.feed.like");
        assert_eq!(own.subscribe_url(None), "wss://x/subscribe?wantedCollections=app.bsky.feed.like");
        assert_eq!(config.check(), Ok(()));
        for bad in ["https://jetstream.example/subscribe", "ws://", "wss:///subscribe", "jetstream.example"] {
            let error = JetstreamConfig::new(bad).check().unwrap_err();
            assert!(error.contains("is not a Jetstream URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn recent_ids_are_forgotten_after_two_rewinds() {
        let mut recent = Recent::default();
        assert!(recent.insert("a", 1_000, 100));
        assert!(!recent.insert("a", 1_050, 100), "a repeat within the rewind is a duplicate");
        assert!(recent.insert("b", 1_300, 100), "…and 'a' (older than 2 rewinds) is forgotten");
        assert_eq!(recent.ids.len(), 1);
        let j = jitter(Duration::from_millis(100));
        assert!(j >= Duration::from_millis(50) && j <= Duration::from_millis(100), "{j:?}");
    }
}
