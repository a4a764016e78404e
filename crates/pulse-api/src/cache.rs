//! A one-second cache of trend lists, in front of the engine, served stale while it refreshes.
//!
//! A trend query itself takes well under a millisecond, but it reads the engine under its lock, and
//! while ingest merges a closing bucket the query waits (measured in `benches/RESULTS.md`: p99 261 ms
//! for `/v1/trends` under a full-speed sparse replay). Dashboards poll the same few lists many
//! times a second, and the stream sends at most one list a second anyway, so each distinct list is
//! computed at most once per [`TTL`]. Once a list has been computed, no request waits for the engine
//! again: a request that finds its copy older than [`TTL`] gets that copy and starts one refresh on
//! the blocking pool (HTTP's stale-while-revalidate), so a served list is at most [`TTL`] plus one
//! computation old.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::time::{Duration, Instant};

use crate::response::TrendsResponse;

/// How long a computed trend list is served before it is computed again.
pub const TTL: Duration = Duration::from_secs(1);
/// Distinct lists kept (window × language × limit); the cache is emptied when it is full.
const MAX_ENTRIES: usize = 256;

/// What identifies a trend list: window in seconds, language filter, limit.
type Key = (i64, Option<String>, usize);

/// A computed trend list and its JSON body, serialized once: a cache hit costs a reference count,
/// not a copy and a serialization of twenty stories.
pub struct CachedTrends {
    /// The list.
    pub list: TrendsResponse,
    /// `list` as the JSON body of `/v1/trends`.
    pub json: Bytes,
}

impl CachedTrends {
    fn new(list: TrendsResponse) -> Arc<Self> {
        let json = Bytes::from(serde_json::to_vec(&list).unwrap_or_default());
        Arc::new(Self { list, json })
    }
}

struct Entry {
    computed_at: Instant,
    list: Arc<CachedTrends>,
    /// A refresh is running: serve `list` meanwhile, start no other.
    refreshing: bool,
}

/// Recently computed trend lists.
#[derive(Default)]
pub struct TrendCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl TrendCache {
    /// The list for `key`: the cached copy (refreshed in the background once older than [`TTL`]),
    /// or, the first time, the result of `compute` run on the blocking pool.
    pub async fn get(
        self: &Arc<Self>,
        key: Key,
        compute: impl FnOnce() -> TrendsResponse + Send + 'static,
    ) -> Arc<CachedTrends> {
        let started = Instant::now();
        {
            let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(entry) = entries.get_mut(&key) {
                if started.duration_since(entry.computed_at) >= TTL && !entry.refreshing {
                    entry.refreshing = true;
                    let cache = Arc::clone(self);
                    let key = key.clone();
                    tokio::task::spawn_blocking(move || cache.store(key, started, CachedTrends::new(compute())));
                }
                return Arc::clone(&entry.list);
            }
        }
        let list = match tokio::task::spawn_blocking(move || CachedTrends::new(compute())).await {
            Ok(list) => list,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        self.store(key, started, Arc::clone(&list));
        list
    }

    fn store(&self, key: Key, computed_at: Instant, list: Arc<CachedTrends>) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, Entry { computed_at, list, refreshing: false });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(as_of: &str) -> TrendsResponse {
        TrendsResponse { as_of: as_of.into(), window: "1h".into(), trends: Vec::new() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_list_is_reused_for_one_second_then_refreshed_in_the_background() {
        let cache = Arc::new(TrendCache::default());
        let key = (3600, None, 20);
        assert_eq!(cache.get(key.clone(), || list("a")).await.list.as_of, "a");
        tokio::time::advance(Duration::from_millis(900)).await;
        assert_eq!(cache.get(key.clone(), || list("b")).await.list.as_of, "a");
        assert_eq!(cache.get((3600, Some("en".into()), 20), || list("c")).await.list.as_of, "c");
        tokio::time::advance(Duration::from_millis(200)).await;
        // Stale: this request gets the old copy and starts the refresh, which waits for `release`;
        // a request during the refresh neither waits nor starts another.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let refresh = move || {
            let _ = gate.recv();
            list("d")
        };
        assert_eq!(cache.get(key.clone(), refresh).await.list.as_of, "a");
        assert_eq!(cache.get(key.clone(), || list("never")).await.list.as_of, "a");
        release.send(()).unwrap();
        // The refresh finishes on the blocking pool (real time; the test clock stays put).
        let mut latest = String::new();
        for _ in 0..2000 {
            latest = cache.get(key.clone(), || list("never")).await.list.as_of.clone();
            if latest != "a" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(latest, "d");
    }
}
