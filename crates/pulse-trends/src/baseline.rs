//! A topic's baseline: how many distinct authors per bucket it usually has.
//!
//! An EWMA over the topic's own buckets *before* the trend window (a spike does not raise its own
//! baseline), smoothed toward a prior for sparse topics:
//! `rate = (Σ wᵢ·xᵢ + k·prior) / (Σ wᵢ + k)`, `wᵢ = (1 − α)^age`, `α = 1 − 2^(−1/half-life)`.
//! The decayed sums are cached per topic and fed bucket by bucket, so a bucket close costs one
//! step per candidate, not a pass over the ring.

use pulse_sketch::Window;
use serde::{Deserialize, Serialize};

use crate::bucket::TrendBucket;
use crate::config::TrendConfig;

/// Cached baseline of one topic: decayed sums fed with every bucket before `next`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    /// Start of the next bucket to feed.
    pub(crate) next: i64,
    /// Σ wᵢ·xᵢ (EWMA-weighted distinct authors per bucket).
    num: f64,
    /// Σ wᵢ.
    den: f64,
}

impl Baseline {
    /// Expected distinct authors per bucket.
    pub(crate) fn rate(&self, config: &TrendConfig) -> f64 {
        let k = config.prior_weight_buckets;
        (self.num + k * config.prior_rate) / (self.den + k)
    }

    /// `cached` (or a fresh baseline) fed with topic `hash`'s buckets of `window` up to `until`;
    /// `first_start` is the first bucket the engine ever saw, where baselines begin.
    pub(crate) fn fed(
        config: &TrendConfig,
        window: &Window<TrendBucket>,
        first_start: Option<i64>,
        hash: u64,
        until: i64,
        cached: Option<Baseline>,
    ) -> Baseline {
        let width = config.bucket_secs;
        let decay = 1.0 - config.alpha();
        let oldest = window.iter().next().map_or(until, |(s, _)| s);
        let start = first_start.unwrap_or(until).max(oldest).min(until);
        let mut b = match cached {
            Some(c) if c.next <= until => c,
            _ => {
                // No history cached: the topic was never among a closed bucket's candidates, so its
                // earlier buckets count as empty (only the newest is read). This keeps a new topic's
                // first evaluation O(1) instead of a pass over the whole ring.
                let next = (until - width).max(start);
                let n = ((next - start) / width) as i32;
                Baseline { next, num: 0.0, den: (1.0 - decay.powi(n)) / (1.0 - decay) }
            }
        };
        if b.next < oldest {
            // Buckets retired while the topic was not fed: empty for it as far as we know.
            let missed = ((oldest - b.next) / width) as i32;
            b.num *= decay.powi(missed);
            b.den = b.den * decay.powi(missed) + (1.0 - decay.powi(missed)) / (1.0 - decay);
            b.next = oldest;
        }
        while b.next < until {
            let x = window.get(b.next).map_or(0, |bk| bk.authors(hash)) as f64;
            b.num = b.num * decay + x;
            b.den = b.den * decay + 1.0;
            b.next += width;
        }
        b
    }
}
