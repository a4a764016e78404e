//! Counters of an ingest worker, for its `/metrics`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What an ingest worker has done; the handles are lock-free atomics, cheap on the hot path.
pub struct IngestStats {
    registry: Mutex<Registry>,
    ready: AtomicBool,
    /// Records consumed from the posts topic (posts and malformed).
    pub records: Counter,
    /// Posts analysed and counted.
    pub posts: Counter,
    /// Malformed records dead-lettered.
    pub malformed: Counter,
    /// Records skipped because a rollup already covers them (re-read after a takeover).
    pub reread_skipped: Counter,
    /// Rollups produced and acknowledged.
    pub rollups: Counter,
    /// Offset commits issued.
    pub commits: Counter,
    /// Rebalances seen (assignments and revocations).
    pub rebalances: Counter,
    /// Partitions currently assigned.
    pub partitions: Gauge,
}

impl Default for IngestStats {
    fn default() -> Self {
        let stats = Self {
            registry: Mutex::new(Registry::with_prefix("pulse_ingest")),
            ready: AtomicBool::new(false),
            records: Counter::default(),
            posts: Counter::default(),
            malformed: Counter::default(),
            reread_skipped: Counter::default(),
            rollups: Counter::default(),
            commits: Counter::default(),
            rebalances: Counter::default(),
            partitions: Gauge::default(),
        };
        {
            let mut r = stats.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            r.register("records", "Records consumed from the posts topic", stats.records.clone());
            r.register("posts", "Posts analysed and counted", stats.posts.clone());
            r.register("malformed_records", "Malformed records sent to the dead-letter topic", stats.malformed.clone());
            r.register(
                "reread_skipped",
                "Records skipped because a rollup already covers them",
                stats.reread_skipped.clone(),
            );
            r.register("rollups", "Rollups produced and acknowledged", stats.rollups.clone());
            r.register("commits", "Offset commits issued", stats.commits.clone());
            r.register("rebalances", "Partition assignments and revocations", stats.rebalances.clone());
            r.register("partitions_assigned", "Posts partitions currently assigned", stats.partitions.clone());
        }
        stats
    }
}

impl IngestStats {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }

    /// Whether the worker has joined its group and is consuming.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the worker ready or not.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}
