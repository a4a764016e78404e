//! [`PipelineStats`]: what the ingest path has done, as lock-free counters read at scrape time.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Counters the ingest path updates as it runs (lock-free), read by `/metrics`.
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Records read from the source (posts, malformed and skipped).
    pub records_read: AtomicU64,
    /// Malformed records (counted, reported, dead-lettered).
    pub malformed: AtomicU64,
    /// Posts analysed.
    pub posts_analyzed: AtomicU64,
    /// Posts waiting for analysis.
    pub analysis_queue: AtomicU64,
    /// Posts per second over the last second, ×1000.
    pub ingest_rate_milli: AtomicU64,
    /// Newest event time handed to analysis, Unix ms (the replay clock in live mode).
    pub newest_event_ms: AtomicI64,
    /// Query nodes: rollups merged into the trend engine.
    pub rollups_merged: AtomicU64,
    /// Query nodes: rollups dropped because their offsets were applied already.
    pub rollups_duplicate: AtomicU64,
    /// Query nodes: rollups dropped because they overlap what was applied (a zombie worker).
    pub rollups_overlap: AtomicU64,
    /// Live source: posts dropped because ingest did not keep up with the stream.
    pub source_dropped: AtomicU64,
    /// Live source: posts received twice (replayed by a resume) and dropped.
    pub source_duplicates: AtomicU64,
}

impl PipelineStats {
    /// Sets the ingest rate from the posts analysed since the last call (`last` holds that
    /// count) over `elapsed`; call it on a timer.
    pub fn sample_rate(&self, last: &mut u64, elapsed: Duration) {
        let now = self.posts_analyzed.load(Ordering::Relaxed);
        let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX).max(1);
        let rate_milli = now.saturating_sub(*last).saturating_mul(1_000_000) / millis;
        self.ingest_rate_milli.store(rate_milli, Ordering::Relaxed);
        *last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_posts_per_second_since_the_last_sample() {
        let stats = PipelineStats::default();
        let mut last = 0;
        stats.posts_analyzed.store(1500, Ordering::Relaxed);
        stats.sample_rate(&mut last, Duration::from_secs(1));
        assert_eq!((stats.ingest_rate_milli.load(Ordering::Relaxed), last), (1_500_000, 1500));
        stats.posts_analyzed.store(2500, Ordering::Relaxed);
        stats.sample_rate(&mut last, Duration::from_millis(500));
        assert_eq!(stats.ingest_rate_milli.load(Ordering::Relaxed), 2_000_000);
    }
}
