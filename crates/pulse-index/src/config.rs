//! [`IndexConfig`]: commit policy, retention, writer memory and queue size.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{IndexError, Result};

/// Smallest writer memory per indexing thread that tantivy accepts (15 MB).
pub const MIN_MEMORY_PER_THREAD: usize = 15_000_000;

/// How the index writes, commits and forgets. Defaults are what `pulse serve` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Commit at most this long (milliseconds) after the first uncommitted post arrived, so a post
    /// is searchable within about this delay plus the commit time. Default 1000.
    pub commit_interval_ms: u64,
    /// Commit as soon as this many posts are uncommitted, whatever the time. Default 100,000.
    pub commit_max_docs: usize,
    /// Memory budget of the writer in bytes, split between its indexing threads (each needs at
    /// least 15 MB); a thread flushes a segment when its share is full. Default 256 MB.
    pub writer_memory_bytes: usize,
    /// Number of tantivy indexing threads. Default 2.
    pub indexing_threads: usize,
    /// Capacity of the bounded queue in front of the writer, in posts; senders wait (or get
    /// `Full` from `try_send`) when it is full. Default 4,096: enough to keep posts coming while a
    /// commit runs, short because under full load it stays full and every post in it delays the
    /// next one's search.
    pub queue_capacity: usize,
    /// Keep posts whose event time is within this many seconds of the newest post seen; older
    /// posts are deleted and not indexed. `None` keeps everything. Default 24 h.
    pub retention_secs: Option<u64>,
    /// A post's time counts for the retention watermark only up to this many seconds past the
    /// wall clock, so one post with a wrong clock cannot expire the whole index. Default 300.
    pub max_future_secs: u64,
    /// A segment with more than this share of deleted posts is merged (compacted). Default 0.3.
    pub merge_deleted_ratio: f32,
    /// Stored-document blocks kept decompressed in the reader cache. Default 100.
    pub doc_cache_blocks: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            commit_interval_ms: 1_000,
            commit_max_docs: 100_000,
            writer_memory_bytes: 256 << 20,
            indexing_threads: 2,
            queue_capacity: 4_096,
            retention_secs: Some(24 * 3600),
            max_future_secs: 300,
            merge_deleted_ratio: 0.3,
            doc_cache_blocks: 100,
        }
    }
}

impl IndexConfig {
    /// A configuration for tests and small in-memory indexes: one indexing thread with the
    /// minimum memory, a small queue, and no retention.
    pub fn small() -> Self {
        Self {
            writer_memory_bytes: MIN_MEMORY_PER_THREAD + (1 << 20),
            indexing_threads: 1,
            queue_capacity: 4_096,
            retention_secs: None,
            ..Self::default()
        }
    }

    /// The commit interval as a duration.
    pub fn commit_interval(&self) -> Duration {
        Duration::from_millis(self.commit_interval_ms)
    }

    /// Checks that the values are usable.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(IndexError::Config(m));
        if self.indexing_threads == 0 || self.indexing_threads > 8 {
            return fail(format!("indexing_threads must be 1..=8, not {}", self.indexing_threads));
        }
        let per_thread = self.writer_memory_bytes / self.indexing_threads;
        if per_thread < MIN_MEMORY_PER_THREAD {
            return fail(format!(
                "writer_memory_bytes {} gives {per_thread} bytes per indexing thread; tantivy needs at least {MIN_MEMORY_PER_THREAD}",
                self.writer_memory_bytes
            ));
        }
        if per_thread >= u32::MAX as usize - (1 << 20) {
            return fail(format!("writer_memory_bytes {} is over 4 GB per thread", self.writer_memory_bytes));
        }
        if self.queue_capacity == 0 {
            return fail("queue_capacity must be at least 1".into());
        }
        if self.commit_max_docs == 0 || self.commit_interval_ms == 0 {
            return fail("commit_max_docs and commit_interval_ms must be at least 1".into());
        }
        if self.retention_secs == Some(0) {
            return fail("retention_secs must be at least 1 (or absent to keep everything)".into());
        }
        if !(self.merge_deleted_ratio > 0.0 && self.merge_deleted_ratio <= 1.0) {
            return fail(format!("merge_deleted_ratio must be in (0, 1], not {}", self.merge_deleted_ratio));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_small_are_valid_and_bad_values_are_explained() {
        IndexConfig::default().validate().unwrap();
        IndexConfig::small().validate().unwrap();
        let low = IndexConfig { writer_memory_bytes: 20 << 20, indexing_threads: 2, ..IndexConfig::default() };
        assert!(low.validate().unwrap_err().to_string().contains("per indexing thread"));
        let zero = IndexConfig { queue_capacity: 0, ..IndexConfig::default() };
        assert!(matches!(zero.validate(), Err(IndexError::Config(_))));
        let ratio = IndexConfig { merge_deleted_ratio: 0.0, ..IndexConfig::default() };
        assert!(ratio.validate().is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<IndexConfig>(r#"{"commit_interval_ms": 500, "bogus": 1}"#).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
        let config: IndexConfig = serde_json::from_str(r#"{"retention_secs": null}"#).unwrap();
        assert_eq!(config.retention_secs, None);
        assert_eq!(config.commit_interval_ms, 1_000);
    }
}
