//! Every metric `/metrics` exposes, declared in one place (Prometheus text format through
//! `prometheus-client`).
//!
//! Ingest-side numbers live where they are produced (the pipeline's `PipelineStats` atomics, the
//! engine's and the index's own counters) and are copied into the registry at scrape time, so the
//! hot path never touches a metrics lock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use pulse_ingest::PipelineStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: String,
}

/// The registry and the metric handles.
pub struct Metrics {
    registry: Mutex<Registry>,
    request_seconds: Family<RouteLabel, Histogram>,
    records_read: Counter,
    malformed: Counter,
    posts_ingested: Counter,
    posts_late: Family<OutcomeLabel, Counter>,
    rollups: Family<OutcomeLabel, Counter>,
    source_posts: Family<OutcomeLabel, Counter>,
    ingest_rate: Gauge<f64, AtomicU64>,
    event_time_lag: Gauge<f64, AtomicU64>,
    queue_depth: Family<QueueLabel, Gauge>,
    index_docs: Gauge,
    index_commits: Counter,
    index_commit_seconds: Gauge<f64, AtomicU64>,
    index_errors: Counter,
    index_lost: Counter,
    index_deleted: Counter,
    index_up: Gauge,
    connections_open: Gauge,
    connections_refused: Counter,
    streams_open: Gauge,
    streams_refused: Counter,
}

/// The HTTP server's own numbers at scrape time.
pub struct ServerNumbers {
    /// Connections open now.
    pub connections_open: u64,
    /// Connections refused over the cap so far.
    pub connections_refused: u64,
    /// Event streams open now.
    pub streams_open: usize,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("pulse");
        let request_seconds = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0])
        });
        registry.register("http_request_duration_seconds", "Query latency per route", request_seconds.clone());
        let records_read = Counter::default();
        registry.register("records_read", "Records read from the source", records_read.clone());
        let malformed = Counter::default();
        registry.register("records_malformed", "Malformed records (reported and dead-lettered)", malformed.clone());
        let source_posts = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "source_posts_lost",
            "Live source posts not ingested: dropped because ingest fell behind, or duplicates of a resume",
            source_posts.clone(),
        );
        let posts_ingested = Counter::default();
        registry.register("posts_ingested", "Posts merged into the trend state", posts_ingested.clone());
        let posts_late = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "posts_late",
            "Posts behind the watermark: counted in a closed bucket, or dropped",
            posts_late.clone(),
        );
        let rollups = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "rollups",
            "Query nodes: ingest-worker rollups merged, or dropped as already applied (duplicate, overlap)",
            rollups.clone(),
        );
        let ingest_rate = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "ingest_rate_posts_per_second",
            "Posts analysed per second (last second)",
            ingest_rate.clone(),
        );
        let event_time_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "event_time_lag_seconds",
            "Newest event time read minus the trend watermark",
            event_time_lag.clone(),
        );
        let queue_depth = Family::<QueueLabel, Gauge>::default();
        registry.register("queue_depth", "Items waiting per internal queue", queue_depth.clone());
        let index_docs = Gauge::default();
        registry.register("index_documents", "Searchable posts", index_docs.clone());
        let index_commits = Counter::default();
        registry.register("index_commits", "Search index commits", index_commits.clone());
        let index_commit_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "index_last_commit_seconds",
            "How long the last search index commit took (a post waits for the commit interval, then this)",
            index_commit_seconds.clone(),
        );
        let index_errors = Counter::default();
        registry.register(
            "index_errors",
            "Search index failures (failed commits, rejected posts)",
            index_errors.clone(),
        );
        let index_lost = Counter::default();
        registry.register(
            "index_posts_lost",
            "Posts not made searchable because the index writer was down or failed before committing them",
            index_lost.clone(),
        );
        let index_deleted = Counter::default();
        registry.register(
            "index_posts_deleted",
            "Posts removed from search because their authors deleted them (live sources)",
            index_deleted.clone(),
        );
        let index_up = Gauge::default();
        registry.register(
            "index_writer_up",
            "1 while the search index takes posts, 0 while its writer is reopened",
            index_up.clone(),
        );
        let connections_open = Gauge::default();
        registry.register("http_connections_open", "HTTP connections open", connections_open.clone());
        let connections_refused = Counter::default();
        registry.register(
            "http_connections_refused",
            "HTTP connections refused with a 503 because the connection cap was reached",
            connections_refused.clone(),
        );
        let streams_open = Gauge::default();
        registry.register("sse_streams_open", "Event streams (/v1/stream) open", streams_open.clone());
        let streams_refused = Counter::default();
        registry.register(
            "sse_streams_refused",
            "Event streams refused with a 503 because the stream cap was reached",
            streams_refused.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            request_seconds,
            records_read,
            malformed,
            posts_ingested,
            posts_late,
            rollups,
            source_posts,
            ingest_rate,
            event_time_lag,
            queue_depth,
            index_docs,
            index_commits,
            index_commit_seconds,
            index_errors,
            index_lost,
            index_deleted,
            index_up,
            connections_open,
            connections_refused,
            streams_open,
            streams_refused,
        }
    }
}

/// Raises a counter to an absolute value read from elsewhere (counters only go up).
fn raise(counter: &Counter, to: u64) {
    let now = counter.get();
    if to > now {
        counter.inc_by(to - now);
    }
}

impl Metrics {
    /// Records one request's latency.
    pub fn observe_request(&self, route: &str, seconds: f64) {
        self.request_seconds.get_or_create(&RouteLabel { route: route.to_string() }).observe(seconds);
    }

    /// Counts an event stream refused over the cap.
    pub fn stream_refused(&self) {
        self.streams_refused.inc();
    }

    /// Copies the current ingest, engine, index and server numbers in and renders the text format.
    pub fn render(
        &self,
        pipeline: &PipelineStats,
        engine: &pulse_trends::EngineMetrics,
        index: &pulse_index::IndexStats,
        server: &ServerNumbers,
    ) -> String {
        self.connections_open.set(i64::try_from(server.connections_open).unwrap_or(i64::MAX));
        raise(&self.connections_refused, server.connections_refused);
        self.streams_open.set(i64::try_from(server.streams_open).unwrap_or(i64::MAX));
        raise(&self.records_read, pipeline.records_read.load(Ordering::Relaxed));
        raise(&self.malformed, pipeline.malformed.load(Ordering::Relaxed));
        raise(&self.posts_ingested, engine.posts_ingested);
        raise(&self.posts_late.get_or_create(&OutcomeLabel { outcome: "counted".into() }), engine.posts_late_counted);
        raise(&self.posts_late.get_or_create(&OutcomeLabel { outcome: "dropped".into() }), engine.posts_late_dropped);
        raise(&self.index_commits, index.commits);
        self.index_commit_seconds.set(index.last_commit_ms.map_or(0.0, |ms| ms / 1000.0));
        raise(&self.index_errors, index.errors);
        raise(&self.index_lost, index.lost);
        raise(&self.index_deleted, index.deleted);
        self.index_up.set(i64::from(index.writer_down.is_none()));
        for (outcome, count) in [("dropped", &pipeline.source_dropped), ("duplicate", &pipeline.source_duplicates)] {
            raise(
                &self.source_posts.get_or_create(&OutcomeLabel { outcome: outcome.into() }),
                count.load(Ordering::Relaxed),
            );
        }
        for (outcome, count) in [
            ("merged", &pipeline.rollups_merged),
            ("duplicate", &pipeline.rollups_duplicate),
            ("overlap", &pipeline.rollups_overlap),
        ] {
            raise(
                &self.rollups.get_or_create(&OutcomeLabel { outcome: outcome.into() }),
                count.load(Ordering::Relaxed),
            );
        }
        self.ingest_rate.set(pipeline.ingest_rate_milli.load(Ordering::Relaxed) as f64 / 1000.0);
        let newest = pipeline.newest_event_ms.load(Ordering::Relaxed);
        let lag = engine.watermark.map_or(0.0, |w| ((newest as f64 / 1000.0) - w as f64).max(0.0));
        self.event_time_lag.set(lag);
        let queue = |name: &str| self.queue_depth.get_or_create(&QueueLabel { queue: name.into() }).clone();
        queue("analysis").set(i64::try_from(pipeline.analysis_queue.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        queue("index").set(i64::try_from(index.queue_depth).unwrap_or(i64::MAX));
        self.index_docs.set(i64::try_from(index.num_docs).unwrap_or(i64::MAX));
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}
