//! A trend episode in progress: when it started, its peak, its last scores. A trending topic has
//! one, and so has a story (over its members' closes).

use serde::{Deserialize, Serialize};

use crate::config::TrendConfig;
use crate::report::TrendState;

/// One topic's trend episode, from the bucket close where it first passed the gates until it
/// falls back to its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// An episode that starts at `started_at`, first scored `score` at the close `at`.
    pub(crate) fn new(started_at: i64, score: f64, at: i64) -> Self {
        Self { started_at, peak_score: score, peak_at: at, last_score: score, prev_score: 0.0, last_at: at }
    }

    /// Records the score at the close `at`.
    pub(crate) fn record(&mut self, score: f64, at: i64) {
        self.prev_score = self.last_score;
        self.last_score = score;
        self.last_at = at;
        if score > self.peak_score {
            self.peak_score = score;
            self.peak_at = at;
        }
    }

    /// The state of an episode scoring `score` at `as_of`: cooling below half its peak, rising
    /// above its previous close (the one before `as_of`), hot otherwise.
    pub(crate) fn state(&self, score: f64, as_of: i64) -> TrendState {
        let reference = if self.last_at >= as_of { self.prev_score } else { self.last_score };
        if score < 0.5 * self.peak_score {
            TrendState::Cooling
        } else if score > reference {
            TrendState::Rising
        } else {
            TrendState::Hot
        }
    }

    /// The peak score decayed to `as_of` (Mastodon's decayed maximum): keeps a story listed, as
    /// `cooling`, while its baseline catches up.
    pub(crate) fn decayed(&self, config: &TrendConfig, as_of: i64) -> f64 {
        self.peak_score * 0.5f64.powf((as_of - self.peak_at) as f64 / config.score_half_life_secs.max(1) as f64)
    }
}
