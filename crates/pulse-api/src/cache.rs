//! Reports in front of the engine: each distinct report (window × language × limit: its stories and
//! trending topics) is computed at most once a [`TTL`], serialized once and shared.
//!
//! A trend query takes well under a millisecond, but it reads the engine under its lock, and while
//! ingest merges a closing bucket the query waits. Dashboards poll the same few lists many times a
//! second, and the stream sends at most one list a second anyway. So:
//!
//! - a copy younger than [`TTL`] is served as is;
//! - a copy up to [`MAX_STALE`] old is served while one refresh runs on the blocking pool (HTTP's
//!   stale-while-revalidate): under steady polling no request waits for the engine;
//! - an older copy (after a quiet spell) is never served: the request waits for a fresh list, so
//!   the first answer after a pause is as current as the data.
//!
//! Requests that need a fresh list at the same time share one computation: a cold key asked by
//! five hundred dashboards at once is computed once. The lists live in a [`DashMap`]: every request
//! on every async worker reads it and refreshes write it from the blocking pool, and its shards keep
//! a refresh of one list from holding up readers of the others.

use std::sync::Arc;

use axum::body::Bytes;
use dashmap::DashMap;
use tokio::sync::OnceCell;
use tokio::time::{Duration, Instant};

use crate::response::{StoriesResponse, TrendsResponse};

/// How long a computed report is served before it is refreshed.
pub const TTL: Duration = Duration::from_secs(1);
/// The oldest copy served while a refresh runs; an older one waits for the refresh.
pub const MAX_STALE: Duration = Duration::from_secs(2);
/// Distinct lists kept; the cache is emptied when it is full.
const MAX_ENTRIES: usize = 256;

/// What identifies a report: window in seconds, language filter, limit.
pub type Key = (i64, Option<String>, usize);

/// A computed report and its JSON bodies, serialized once: a cache hit costs a reference count,
/// not a copy and a serialization of twenty stories.
pub struct CachedReport {
    /// The trending topics.
    pub trends: TrendsResponse,
    /// `trends` as the JSON body of `/v1/trends`.
    pub trends_json: Bytes,
    /// The stories.
    pub stories: StoriesResponse,
    /// `stories` as the JSON body of `/v1/stories`.
    pub stories_json: Bytes,
    /// A hash of the stories without the report's time: equal when the list has not changed, so
    /// an event stream checks for news with one comparison instead of a serialization.
    pub stories_fingerprint: u64,
}

impl CachedReport {
    fn new((trends, stories): (TrendsResponse, StoriesResponse)) -> Arc<Self> {
        let trends_json = Bytes::from(serde_json::to_vec(&trends).unwrap_or_default());
        let stories_json = Bytes::from(serde_json::to_vec(&stories).unwrap_or_default());
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&serde_json::to_vec(&stories.stories).unwrap_or_default(), &mut hasher);
        let stories_fingerprint = std::hash::Hasher::finish(&hasher);
        Arc::new(Self { trends, trends_json, stories, stories_json, stories_fingerprint })
    }
}

/// What the cache computes a report from.
pub type Compute = (TrendsResponse, StoriesResponse);

/// A computation in flight, shared by everyone who waits for it.
type Pending = Arc<OnceCell<Arc<CachedReport>>>;

#[derive(Default)]
struct Slot {
    /// The newest list and when its computation started.
    ready: Option<(Arc<CachedReport>, Instant)>,
    /// The refresh running now, with when it started.
    pending: Option<(Pending, Instant)>,
}

/// Recently computed reports.
#[derive(Default)]
pub struct ReportCache {
    slots: DashMap<Key, Slot>,
}

/// What a request does with the slot it found.
enum Plan {
    Serve(Arc<CachedReport>),
    ServeAndRefresh(Arc<CachedReport>, Pending, Instant),
    Wait(Pending, Instant),
}

impl ReportCache {
    /// The report for `key`: a cached copy when it is fresh enough (see the module docs), else the
    /// result of `compute`, run once on the blocking pool for everyone waiting.
    pub async fn get(
        self: &Arc<Self>,
        key: Key,
        compute: impl FnOnce() -> Compute + Send + 'static,
    ) -> Arc<CachedReport> {
        let now = Instant::now();
        if !self.slots.contains_key(&key) && self.slots.len() >= MAX_ENTRIES {
            self.slots.clear();
        }
        let plan = {
            // The slot's lock is held only for this block, never across an await.
            let mut slot = self.slots.entry(key.clone()).or_default();
            let fresh = slot.ready.as_ref().map(|(list, at)| (Arc::clone(list), now.duration_since(*at)));
            match fresh {
                Some((list, age)) if age < TTL => Plan::Serve(list),
                Some((list, age)) if age < MAX_STALE => match &slot.pending {
                    Some(_) => Plan::Serve(list),
                    None => {
                        let pending: Pending = Arc::default();
                        slot.pending = Some((Arc::clone(&pending), now));
                        Plan::ServeAndRefresh(list, pending, now)
                    }
                },
                _ => {
                    let (pending, started) = slot.pending.get_or_insert_with(|| (Arc::default(), now));
                    Plan::Wait(Arc::clone(pending), *started)
                }
            }
        };
        match plan {
            Plan::Serve(list) => list,
            Plan::ServeAndRefresh(list, pending, started) => {
                let cache = Arc::clone(self);
                tokio::spawn(async move { cache.complete(key, pending, started, compute).await });
                list
            }
            Plan::Wait(pending, started) => self.complete(key, pending, started, compute).await,
        }
    }

    /// Waits for `pending` (computing it with `compute` if nobody else is), and makes its result
    /// the slot's list.
    async fn complete(
        &self,
        key: Key,
        pending: Pending,
        started: Instant,
        compute: impl FnOnce() -> Compute + Send + 'static,
    ) -> Arc<CachedReport> {
        let list = pending
            .get_or_init(|| async move {
                match tokio::task::spawn_blocking(move || CachedReport::new(compute())).await {
                    Ok(list) => list,
                    Err(join) => std::panic::resume_unwind(join.into_panic()),
                }
            })
            .await;
        let list = Arc::clone(list);
        if let Some(mut slot) = self.slots.get_mut(&key)
            && slot.pending.as_ref().is_some_and(|(p, _)| Arc::ptr_eq(p, &pending))
        {
            slot.pending = None;
            slot.ready = Some((Arc::clone(&list), started));
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn list(as_of: &str) -> Compute {
        (
            TrendsResponse { as_of: as_of.into(), window: "1h".into(), trends: Vec::new() },
            StoriesResponse { as_of: as_of.into(), window: "1h".into(), stories: Vec::new() },
        )
    }

    /// Polls until the background refresh has replaced `old` (the refresh runs on the blocking
    /// pool in real time while the test clock stays put; yielding lets its task finish).
    async fn eventually(cache: &Arc<ReportCache>, key: &Key, old: &str) -> String {
        for _ in 0..2000 {
            let latest = cache.get(key.clone(), || list("never")).await.trends.as_of.clone();
            if latest != old {
                return latest;
            }
            tokio::task::yield_now().await;
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        old.to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn a_list_is_reused_for_a_second_then_refreshed_in_the_background() {
        let cache = Arc::new(ReportCache::default());
        let key = (3600, None, 20);
        assert_eq!(cache.get(key.clone(), || list("a")).await.trends.as_of, "a");
        tokio::time::advance(Duration::from_millis(900)).await;
        assert_eq!(cache.get(key.clone(), || list("b")).await.trends.as_of, "a");
        assert_eq!(cache.get((3600, Some("en".into()), 20), || list("c")).await.trends.as_of, "c");
        tokio::time::advance(Duration::from_millis(200)).await;
        // Stale: this request gets the old copy and starts the refresh, which waits for `release`;
        // a request during the refresh neither waits nor starts another.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let refresh = move || {
            let _ = gate.recv();
            list("d")
        };
        assert_eq!(cache.get(key.clone(), refresh).await.trends.as_of, "a");
        assert_eq!(cache.get(key.clone(), || list("never")).await.trends.as_of, "a");
        release.send(()).unwrap();
        assert_eq!(eventually(&cache, &key, "a").await, "d");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_quiet_spell_the_first_request_waits_for_a_fresh_list() {
        let cache = Arc::new(ReportCache::default());
        let key = (3600, None, 20);
        assert_eq!(cache.get(key.clone(), || list("before the pause")).await.trends.as_of, "before the pause");
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(cache.get(key.clone(), || list("now")).await.trends.as_of, "now");
        assert_eq!(cache.get(key, || list("never")).await.trends.as_of, "now");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_for_a_cold_list_share_one_computation() {
        let cache = Arc::new(ReportCache::default());
        let computed = Arc::new(AtomicUsize::new(0));
        let mut requests = Vec::new();
        for _ in 0..200 {
            let (cache, computed) = (Arc::clone(&cache), Arc::clone(&computed));
            requests.push(tokio::spawn(async move {
                let compute = move || {
                    computed.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    list("once")
                };
                cache.get((3600, None, 20), compute).await.trends.as_of.clone()
            }));
        }
        for request in requests {
            assert_eq!(request.await.unwrap(), "once");
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }
}
