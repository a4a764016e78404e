//! A trend episode in progress: when it started, its peak, its last scores.

use crate::config::TrendConfig;

/// One topic's trend episode, from the bucket close where it first passed the gates until it
/// falls back to its baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Track {
    /// First bucket of the window in which the topic had at least twice its baseline.
    pub(crate) started_at: i64,
    /// Highest score at a bucket close.
    pub(crate) peak_score: f64,
    /// When that was.
    pub(crate) peak_at: i64,
    /// Score at the last bucket close.
    pub(crate) last_score: f64,
    /// Score at the close before that.
    pub(crate) prev_score: f64,
    /// When the last close was.
    pub(crate) last_at: i64,
}

impl Track {
    /// The peak score decayed to `as_of` (Mastodon's decayed maximum): keeps a story listed, as
    /// `cooling`, while its baseline catches up.
    pub(crate) fn decayed(&self, config: &TrendConfig, as_of: i64) -> f64 {
        self.peak_score * 0.5f64.powf((as_of - self.peak_at) as f64 / config.score_half_life_secs.max(1) as f64)
    }
}
