//! The engine's shared state: the ring of buckets and what is derived from it at bucket closes
//! (baselines, trend episodes).

use std::sync::{Arc, Mutex};

use pulse_sketch::{Window, hash_key};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::authors::Authors;
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
    /// Changes whenever a closed bucket does (a late post or rollup, a bucket leaving the ring):
    /// what [`crate::memo`] keeps is valid for one revision.
    pub(crate) closed_revision: u64,
    /// Author unions over closed buckets, kept between reports ([`crate::memo`]).
    pub(crate) unions: Mutex<KeptUnions>,
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

/// Most unions kept; past it the store starts again (a report needs a few hundred).
const MAX_KEPT: usize = 4096;

/// The topics (sorted hashes) and the closed buckets `[from, to)` a kept union covers.
pub(crate) type UnionKey = (Box<[u64]>, i64, i64);

/// A union of watched authors over closed buckets.
pub(crate) struct ClosedUnion {
    /// The number of distinct authors (`None` when sketches of different precisions met).
    pub(crate) count: Option<u64>,
    /// The union itself, kept when open buckets follow it (they are merged into it).
    pub(crate) union: Option<Authors>,
}

/// Unions over closed buckets kept between reports ([`crate::memo`]), valid for one stamp:
/// `(closed_revision, closed_through)`.
#[derive(Default)]
pub(crate) struct KeptUnions {
    stamp: (u64, Option<i64>),
    kept: FxHashMap<UnionKey, Arc<ClosedUnion>>,
}

impl KeptUnions {
    /// The union kept for `key`, if it was kept under `stamp`.
    pub(crate) fn get(&self, stamp: (u64, Option<i64>), key: &UnionKey) -> Option<Arc<ClosedUnion>> {
        if self.stamp == stamp { self.kept.get(key).cloned() } else { None }
    }

    /// Keeps `union` for `key` under `stamp`, dropping what another stamp kept.
    pub(crate) fn put(&mut self, stamp: (u64, Option<i64>), key: UnionKey, union: Arc<ClosedUnion>) {
        if self.stamp != stamp || self.kept.len() >= MAX_KEPT {
            self.stamp = stamp;
            self.kept.clear();
        }
        self.kept.insert(key, union);
    }
}

impl State {
    /// Whether every word of `key` is evergreen (hashtags, mentions and cashtags never are).
    pub(crate) fn is_evergreen(&self, key: &str) -> bool {
        !key.starts_with(['#', '@', '$']) && key.split(' ').all(|w| self.evergreen.contains(&hash_key(w)))
    }

    /// Notes that the bucket starting at `start` changed: if it had closed, what was kept of the
    /// closed buckets no longer holds.
    pub(crate) fn changed(&mut self, start: i64) {
        if self.closed_through.is_some_and(|c| start + self.window.width() <= c) {
            self.closed_revision += 1;
        }
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
