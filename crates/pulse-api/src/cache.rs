//! A one-second cache of trend lists, in front of the engine.
//!
//! A trend query itself takes well under a millisecond, but it reads the engine under its lock, and
//! while ingest merges a closing bucket the query waits (measured in `benches/RESULTS.md`: p99 261 ms
//! for `/v1/trends` under a full-speed sparse replay). Dashboards poll the same few lists many
//! times a second, and the stream sends at most one list a second anyway, so each distinct list is
//! computed at most once per [`TTL`] and everyone else gets that copy: at most one request per list
//! and second waits for the engine.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::time::{Duration, Instant};

use crate::handlers::TrendsResponse;

/// How long a computed trend list is served before it is computed again.
pub const TTL: Duration = Duration::from_secs(1);
/// Distinct lists kept (window × language × limit); the cache is emptied when it is full.
const MAX_ENTRIES: usize = 256;

/// What identifies a trend list: window in seconds, language filter, limit.
type Key = (i64, Option<String>, usize);

/// Recently computed trend lists.
#[derive(Default)]
pub struct TrendCache {
    entries: Mutex<HashMap<Key, (Instant, TrendsResponse)>>,
}

impl TrendCache {
    /// The list for `key`, computed by `compute` unless a copy younger than [`TTL`] exists.
    pub fn get_or_compute(&self, key: Key, compute: impl FnOnce() -> TrendsResponse) -> TrendsResponse {
        let now = Instant::now();
        {
            let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((_, list)) = entries.get(&key).filter(|(at, _)| now.duration_since(*at) < TTL) {
                return list.clone();
            }
        }
        // Computed outside the cache lock: a slow engine read never blocks cache hits.
        let list = compute();
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (now, list.clone()));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(as_of: &str) -> TrendsResponse {
        TrendsResponse { as_of: as_of.into(), window: "1h".into(), trends: Vec::new() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_list_is_reused_for_one_second_then_recomputed() {
        let cache = TrendCache::default();
        let key = (3600, None, 20);
        assert_eq!(cache.get_or_compute(key.clone(), || list("a")).as_of, "a");
        tokio::time::advance(Duration::from_millis(900)).await;
        assert_eq!(cache.get_or_compute(key.clone(), || list("b")).as_of, "a");
        assert_eq!(cache.get_or_compute((3600, Some("en".into()), 20), || list("c")).as_of, "c");
        tokio::time::advance(Duration::from_millis(200)).await;
        assert_eq!(cache.get_or_compute(key, || list("d")).as_of, "d");
    }
}
