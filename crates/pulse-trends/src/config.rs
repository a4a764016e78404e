//! Engine configuration: defaults in code, every field documented.

use pulse_core::Span;
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
    /// Least average similarity of two groups of trending topics for them to be one story
    /// (see `story.rs`: co-occurrence, shared copies, variants and shared context).
    pub story_similarity: f64,
    /// Most terms listed per story.
    pub story_terms: usize,
    /// Words that never trend on their own (see [`crate::evergreen::DEFAULT_EVERGREEN`]).
    pub evergreen: Vec<String>,
    /// Let `@mentions` trend.
    pub include_mentions: bool,
    /// Minimum interval between a worker's merges into the shared window, in milliseconds.
    pub flush_interval_ms: u64,
}

/// The bucket width of [`TrendConfig::default`]: 10 minutes, which suits both sparse replays
/// (CrisisLex has a few posts a minute, and a 1-minute bucket's rate is noise) and busy streams.
pub const DEFAULT_BUCKET_SECS: i64 = 600;

impl Default for TrendConfig {
    /// 10-minute buckets and an hour-long window (see [`TrendConfig::for_bucket`]).
    fn default() -> Self {
        Self::for_bucket(DEFAULT_BUCKET_SECS)
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
            history_buckets: history,
            window_buckets: window,
            allowed_lateness_secs: bucket_secs,
            auto_watermark: true,
            cm_epsilon: 0.002,
            cm_delta: 0.01,
            topk_capacity: 1024,
            candidates: 256,
            watch_size: 512,
            baseline_half_life_buckets: (3.0 * 3600.0 / b).max(3.0),
            prior_rate: 0.05,
            prior_weight_buckets: 3.0,
            min_expected: 1.0,
            min_authors: 10,
            min_ratio: 2.0,
            min_z: 3.0,
            warmup_buckets: ((4.0 * 3600.0 / b).round() as usize).max(window * 2),
            score_half_life_secs: 7200,
            story_similarity: 0.25,
            story_terms: 8,
            evergreen: crate::evergreen::DEFAULT_EVERGREEN.iter().map(|w| (*w).to_owned()).collect(),
            include_mentions: false,
            flush_interval_ms: 100,
        }
    }

    /// [`TrendConfig::for_bucket`] with a trend window of `window_secs` (a whole number of
    /// buckets) and history for at least four such windows.
    pub fn for_window(bucket_secs: i64, window_secs: i64) -> Result<Self> {
        if bucket_secs <= 0 || window_secs < bucket_secs || window_secs % bucket_secs != 0 {
            return Err(TrendError::Config(format!(
                "the trend window ({window_secs} s) must be a whole number of buckets ({bucket_secs} s)"
            )));
        }
        let mut config = Self::for_bucket(bucket_secs);
        config.window_buckets = usize::try_from(window_secs / bucket_secs)
            .map_err(|_| TrendError::Config(format!("the trend window ({window_secs} s) is too long")))?;
        config.history_buckets = config.history_buckets.max(config.window_buckets * 4);
        Ok(config)
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
        if !(0.0..=1.0).contains(&self.story_similarity) {
            return bad("story_similarity must be in [0, 1]");
        }
        Ok(())
    }

    /// The EWMA smoothing factor α = 1 − 2^(−1/half-life).
    pub fn alpha(&self) -> f64 {
        1.0 - 0.5f64.powf(1.0 / self.baseline_half_life_buckets)
    }
}

/// What a user sets of the engine (the `[trends]` section of Pulse's config file, and the flags
/// that override it); everything else follows from the bucket width ([`TrendConfig::for_window`]).
/// Its defaults are [`TrendConfig::default`]'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendSettings {
    /// Bucket width: `10m` suits sparse replays such as CrisisLex, `1m` busy live streams.
    pub bucket: Span,
    /// Trend window, a whole number of buckets: how much recent data counts as "now".
    pub window: Span,
    /// Least distinct authors in the window for a topic to trend.
    pub min_authors: u64,
    /// Let `@mentions` trend.
    pub include_mentions: bool,
}

impl Default for TrendSettings {
    fn default() -> Self {
        let config = TrendConfig::default();
        let secs = |s: i64| Span::from_secs(u64::try_from(s).unwrap_or(0));
        Self {
            bucket: secs(config.bucket_secs),
            window: secs(config.bucket_secs * config.window_buckets as i64),
            min_authors: config.min_authors,
            include_mentions: config.include_mentions,
        }
    }
}

impl TrendSettings {
    /// The engine configuration for these settings.
    pub fn config(&self) -> Result<TrendConfig> {
        if !self.bucket.is_whole_seconds() || !self.window.is_whole_seconds() {
            return Err(TrendError::Config("bucket and window must be whole seconds".into()));
        }
        let mut config = TrendConfig::for_window(self.bucket.as_secs_i64(), self.window.as_secs_i64())?;
        config.min_authors = self.min_authors;
        config.include_mentions = self.include_mentions;
        Ok(config)
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

    #[test]
    fn the_default_settings_give_the_default_engine() {
        let settings = TrendSettings::default();
        assert_eq!((settings.bucket.to_string(), settings.window.to_string()), ("10m".into(), "1h".into()));
        assert_eq!(settings.config().unwrap(), TrendConfig::default());
    }

    #[test]
    fn windows_are_whole_buckets_with_four_windows_of_history() {
        let c = TrendConfig::for_window(600, 6 * 3600).unwrap();
        assert_eq!((c.window_buckets, c.history_buckets), (36, 144));
        let c = TrendConfig::for_window(600, 12 * 3600).unwrap();
        assert_eq!((c.window_buckets, c.history_buckets), (72, 288));
        for (bucket, window) in [(600, 900), (600, 300), (0, 600)] {
            let error = TrendConfig::for_window(bucket, window).unwrap_err().to_string();
            assert!(error.contains("whole number of buckets"), "{error}");
        }
    }
}
