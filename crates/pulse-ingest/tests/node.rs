//! The real ingest path of `pulse serve`: a replay of real posts through an [`IngestNode`] into a
//! trend engine and a search index.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::DateTime;
use pulse_core::dead_letters::DeadLetters;
use pulse_core::replay::{ManualClock, ReplayOptions, replay};
use pulse_core::sink::Sink;
use pulse_index::{IndexConfig, SearchIndex, SearchRequest};
use pulse_ingest::{IngestNode, NodeConfig, PipelineStats, SourceObserver};
use pulse_trends::{TrendConfig, TrendEngine, TrendQuery};

fn at(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

fn node_config(workers: usize) -> NodeConfig {
    NodeConfig { workers, background: false, ..NodeConfig::default() }
}

#[test]
fn every_replayed_post_is_counted_indexed_and_trends() {
    let engine = TrendEngine::new(TrendConfig::default()).unwrap();
    let index = SearchIndex::in_ram(IndexConfig::small()).unwrap();
    let stats = Arc::new(PipelineStats::default());
    let node = IngestNode::start(&engine, Some(&index), stats.clone(), &node_config(2)).unwrap();
    let until = DateTime::parse_from_rfc3339("2013-04-15T21:00:00Z").unwrap().to_utc();
    let options = ReplayOptions { until: Some(until), ..ReplayOptions::default() };
    let dir = tempfile::tempdir().unwrap();
    let mut observer = SourceObserver::new(stats.clone(), DeadLetters::new(dir.path().join("dead.jsonl")));
    let mut sink = node.sink(Arc::new(AtomicBool::new(false)));
    let summary =
        replay(&pulse_testsuite::boston_west(), &options, &mut sink, &mut ManualClock::default(), &mut observer)
            .unwrap();
    drop(sink);
    node.finish().unwrap();
    index.flush().unwrap();

    let n = summary.emitted();
    assert!(n > 800, "{n}");
    assert_eq!(stats.posts_analyzed.load(Ordering::Relaxed), n);
    assert_eq!(stats.records_read.load(Ordering::Relaxed), n);
    assert_eq!(engine.metrics().posts_ingested, n);
    assert_eq!(index.stats().num_docs, n);
    let hits = index.search(&SearchRequest::new("#prayforboston")).unwrap();
    assert!(hits.total > 10, "{}", hits.total);
    // The node's workers flushed everything: the bombing trends at 20:00.
    engine.advance_watermark(at("2013-04-15T20:00:00Z"));
    let report = engine.report(&TrendQuery { as_of: Some(at("2013-04-15T20:00:00Z")), ..TrendQuery::default() });
    let terms: Vec<&str> = report.stories.iter().take(5).flat_map(|t| t.terms.iter().map(String::as_str)).collect();
    assert!(terms.iter().any(|t| t.contains("boston") || t.contains("explosion")), "{terms:?}");
}

#[test]
fn an_idle_node_flushes_so_queries_see_posts_before_it_stops() {
    let engine = TrendEngine::new(TrendConfig::default()).unwrap();
    let stats = Arc::new(PipelineStats::default());
    let config = NodeConfig { idle_flush: Duration::from_millis(20), ..node_config(1) };
    let node = IngestNode::start(&engine, None, stats, &config).unwrap();
    let mut sink = node.sink(Arc::new(AtomicBool::new(false)));
    let posts = pulse_testsuite::posts(pulse_testsuite::WEST_TEXAS);
    for post in &posts[..50] {
        sink.send(post).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.metrics().posts_ingested < 50 {
        assert!(Instant::now() < deadline, "posts still unflushed: {:?}", engine.metrics());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(sink);
    node.finish().unwrap();
    assert_eq!(engine.metrics().posts_ingested, 50);
}

#[test]
fn a_stopped_node_ends_the_replay_as_stopped_and_keeps_what_it_took() {
    let engine = TrendEngine::new(TrendConfig::default()).unwrap();
    let stats = Arc::new(PipelineStats::default());
    let node = IngestNode::start(&engine, None, stats.clone(), &node_config(2)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));

    /// Sets the stop flag after 100 posts, as a signal handler would.
    struct StopAfter<S> {
        inner: S,
        stop: Arc<AtomicBool>,
        sent: u64,
    }
    impl<S: Sink> Sink for StopAfter<S> {
        fn send(&mut self, post: &pulse_core::Post) -> Result<(), pulse_core::sink::SinkError> {
            self.sent += 1;
            if self.sent == 101 {
                self.stop.store(true, Ordering::Release);
            }
            self.inner.send(post)
        }
    }
    let mut sink = StopAfter { inner: node.sink(stop.clone()), stop, sent: 0 };
    let result = replay(
        &pulse_testsuite::boston_west(),
        &ReplayOptions::default(),
        &mut sink,
        &mut ManualClock::default(),
        &mut (),
    );
    assert!(result.as_ref().is_err_and(pulse_core::Error::is_stopped), "{result:?}");
    drop(sink);
    node.finish().unwrap();
    assert_eq!(engine.metrics().posts_ingested, 100);
    assert_eq!(stats.posts_analyzed.load(Ordering::Relaxed), 100);
}
