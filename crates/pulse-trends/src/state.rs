//! The engine's shared state: the ring of buckets and what is derived from it at bucket closes
//! (baselines, trend episodes).

use pulse_sketch::{Window, hash_key};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::baseline::Baseline;
use crate::bucket::TrendBucket;
use crate::registry::Registry;
use crate::tier::Tiers;
use crate::track::Track;

/// The shared, lock-protected part of the engine.
pub(crate) struct State {
    /// The ring of event-time buckets.
    pub(crate) window: Window<TrendBucket>,
    /// End of the last closed bucket (the watermark, aligned down).
    pub(crate) closed_through: Option<i64>,
    /// Start of the first bucket ever seen: where baselines begin.
    pub(crate) first_start: Option<i64>,
    /// Per-topic baseline cache (EWMA state fed up to some bucket).
    pub(crate) baselines: FxHashMap<u64, Baseline>,
    /// Trend episodes in progress.
    pub(crate) tracks: FxHashMap<u64, Track>,
    /// Hashes of the evergreen words.
    pub(crate) evergreen: FxHashSet<u64>,
    /// The stories found at bucket closes, with their ids.
    pub(crate) stories: Registry,
    /// What the ring retired, kept hourly and daily.
    pub(crate) tiers: Tiers,
}

impl State {
    /// Whether every word of `key` is evergreen (hashtags, mentions and cashtags never are).
    pub(crate) fn is_evergreen(&self, key: &str) -> bool {
        !key.starts_with(['#', '@', '$']) && key.split(' ').all(|w| self.evergreen.contains(&hash_key(w)))
    }

    /// The open buckets with starts in `[from, to)`, oldest first.
    pub(crate) fn buckets_in(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, &TrendBucket)> + '_ {
        let width = self.window.width();
        let oldest = self.window.iter().next().map_or(to, |(s, _)| s);
        let newest = self.window.iter().next_back().map_or(from, |(s, _)| s + width);
        let from = from.max(oldest);
        let to = to.min(newest);
        let first = from.div_euclid(width) * width + if from.rem_euclid(width) == 0 { 0 } else { width };
        (0..)
            .map(move |i| first + i * width)
            .take_while(move |s| *s < to)
            .filter_map(move |s| self.window.get(s).map(|b| (s, b)))
    }

    /// The key a topic hash goes by: a watched detail's key, else a top-k item, else a tier's.
    pub(crate) fn key_of(&self, hash: u64) -> Option<String> {
        for (_, b) in self.window.iter().rev() {
            if let Some(d) = b.detail.get(&hash) {
                return Some(d.key.clone());
            }
            if let Some(k) = b.top.item(hash) {
                return Some(k.clone());
            }
        }
        self.tiers.key_of(hash).map(str::to_owned)
    }
}
