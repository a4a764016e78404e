//! Engine configuration: defaults in code, every field documented.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrendError};

/// Knobs of a [`crate::TrendEngine`]. Durations are in seconds of event time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendConfig {
    /// Bucket width (60 for live streams; 600–900 for sparse replays such as CrisisLex).
    pub bucket_secs: i64,
    /// Buckets kept in the ring (history for baselines and topic stats).
    pub history_buckets: usize,
    /// The trend window: buckets counted as "now" when scoring (6 × 10 min = the last hour).
    pub window_buckets: usize,
    /// Allowed lateness: the automatic watermark trails the newest event time by this much.
    pub allowed_lateness_secs: i64,
    /// Move the watermark automatically from event times on every worker flush.
    pub auto_watermark: bool,
    /// Count-min relative error ε per bucket (two sketches per bucket: posts and authors).
    pub cm_epsilon: f64,
    /// Count-min failure probability δ.
    pub cm_delta: f64,
    /// Misra–Gries capacity of the per-bucket candidate summary.
    pub topk_capacity: usize,
    /// Candidates scored per query/bucket close (heaviest by authors in the window).
    pub candidates: usize,
    /// Topics with per-bucket detail (HLL of authors, sentiment, co-occurrence, samples).
    pub watch_size: usize,
    /// Baseline EWMA half-life, in buckets.
    pub baseline_half_life_buckets: f64,
    /// Prior rate (distinct authors per bucket) a topic's baseline starts from.
    pub prior_rate: f64,
    /// Weight of the prior, in buckets of evidence: the baseline rate is
    /// `(Σ wᵢ·xᵢ + k·prior) / (Σ wᵢ + k)` with EWMA weights `wᵢ`, so a topic with little history
    /// leans on the prior and an evergreen one on its own rate.
    pub prior_weight_buckets: f64,
    /// Floor of the expected count over the window (never divide by less).
    pub min_expected: f64,
    /// Least distinct authors in the window for a topic to trend.
    pub min_authors: u64,
    /// Least observed/expected ratio to trend.
    pub min_ratio: f64,
    /// Least Poisson z-score (O − E)/√E to trend.
    pub min_z: f64,
    /// Closed buckets of history needed before anything may trend.
    pub warmup_buckets: usize,
    /// Half-life of a trend's peak score (Mastodon-style decay), in seconds.
    pub score_half_life_secs: i64,
    /// Co-occurrence share (posts with both / posts of the rarer) joining a topic to a story.
    pub story_cooccurrence: f64,
    /// Most terms listed per story.
    pub story_terms: usize,
    /// Words that never trend on their own (see [`crate::evergreen::DEFAULT_EVERGREEN`]).
    pub evergreen: Vec<String>,
    /// Let `@mentions` trend.
    pub include_mentions: bool,
    /// Minimum interval between a worker's merges into the shared window, in milliseconds.
    pub flush_interval_ms: u64,
}

impl Default for TrendConfig {
    fn default() -> Self {
        Self {
            bucket_secs: 60,
            history_buckets: 360,
            window_buckets: 60,
            allowed_lateness_secs: 60,
            auto_watermark: true,
            cm_epsilon: 0.002,
            cm_delta: 0.01,
            topk_capacity: 1024,
            candidates: 256,
            watch_size: 512,
            baseline_half_life_buckets: 180.0,
            prior_rate: 0.05,
            prior_weight_buckets: 3.0,
            min_expected: 1.0,
            min_authors: 10,
            min_ratio: 2.0,
            min_z: 3.0,
            warmup_buckets: 60,
            score_half_life_secs: 7200,
            story_cooccurrence: 0.3,
            story_terms: 8,
            evergreen: crate::evergreen::DEFAULT_EVERGREEN.iter().map(|w| (*w).to_owned()).collect(),
            include_mentions: false,
            flush_interval_ms: 100,
        }
    }
}

impl TrendConfig {
    /// Defaults scaled to a bucket width: an hour-long trend window (at least 3 buckets), 24 h of
    /// history (at least 4 windows), a 3-hour baseline half-life and a 4-hour warm-up.
    pub fn for_bucket(bucket_secs: i64) -> Self {
        let b = bucket_secs.max(1) as f64;
        let window = ((3600.0 / b).round() as usize).max(3);
        let history = ((86_400.0 / b).round() as usize).max(window * 4);
        Self {
            bucket_secs,
            window_buckets: window,
            history_buckets: history,
            allowed_lateness_secs: bucket_secs,
            baseline_half_life_buckets: (3.0 * 3600.0 / b).max(3.0),
            warmup_buckets: ((4.0 * 3600.0 / b).round() as usize).max(window * 2),
            ..Self::default()
        }
    }

    /// Checks ranges; called by the engine constructor.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(TrendError::Config(m.to_owned()));
        if self.bucket_secs <= 0 {
            return bad("bucket_secs must be > 0");
        }
        if self.window_buckets == 0 || self.history_buckets <= self.window_buckets {
            return bad("need 0 < window_buckets < history_buckets");
        }
        if self.baseline_half_life_buckets <= 0.0 || self.min_expected <= 0.0 {
            return bad("baseline_half_life_buckets and min_expected must be > 0");
        }
        if self.candidates == 0 || self.watch_size == 0 || self.story_terms == 0 {
            return bad("candidates, watch_size and story_terms must be > 0");
        }
        if !(0.0..=1.0).contains(&self.story_cooccurrence) {
            return bad("story_cooccurrence must be in [0, 1]");
        }
        Ok(())
    }

    /// The EWMA smoothing factor α = 1 − 2^(−1/half-life).
    pub fn alpha(&self) -> f64 {
        1.0 - 0.5f64.powf(1.0 / self.baseline_half_life_buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_minute_buckets_get_an_hour_window_and_a_day_of_history() {
        let c = TrendConfig::for_bucket(600);
        assert_eq!((c.window_buckets, c.history_buckets, c.warmup_buckets), (6, 144, 24));
        assert_eq!(c.baseline_half_life_buckets, 18.0);
        assert!((c.alpha() - 0.037_8).abs() < 1e-3, "{}", c.alpha());
        c.validate().unwrap();
        let bad = TrendConfig { window_buckets: 400, ..TrendConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("window_buckets"));
    }
}
