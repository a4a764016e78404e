//! A checkpoint taken mid-stream, mid-bucket, with counts the worker has not merged yet, restored
//! into a new engine goes on exactly as the engine it was taken from: same reports, story ids,
//! counters and ring, to the byte (real data: `boston-west`).

use pulse_trends::{AnalyzedPost, TrendConfig, TrendEngine, TrendQuery, Worker};

fn config() -> TrendConfig {
    TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(600) }
}

/// Feeds `posts` through `worker`, flushing and closing buckets every 10 minutes of data time
/// from `next`; returns the next close.
fn feed(engine: &TrendEngine, worker: &mut Worker, posts: &[AnalyzedPost], next: i64) -> i64 {
    pulse_testsuite::feed_closing(engine, worker, posts, next, 600, |_| {})
}

/// What a reader sees at the end, as JSON: the top 50 over the last hour and day, and two topics
/// over a week and a month (from the rollup tiers).
fn reports(engine: &TrendEngine) -> Vec<String> {
    let mut out: Vec<String> = [3600, 86_400]
        .iter()
        .map(|window| {
            let query = TrendQuery { window_secs: Some(*window), limit: Some(50), ..Default::default() };
            serde_json::to_string(&engine.report(&query)).unwrap()
        })
        .collect();
    for (topic, span) in [("boston", 7 * 86_400), ("west", 30 * 86_400)] {
        out.push(serde_json::to_string(&engine.topic(topic, Some(span))).unwrap());
    }
    out
}

/// The posts before and after a cut in the middle of the busiest bucket (the most left in the open
/// bucket's sets); after the cut, the 50 posts before it come again (their authors post the same
/// texts again, in the same bucket), then the rest.
fn cut(posts: &[AnalyzedPost]) -> (&[AnalyzedPost], Vec<AnalyzedPost>) {
    let mut counts = std::collections::BTreeMap::<i64, Vec<usize>>::new();
    for (i, post) in posts.iter().enumerate() {
        counts.entry(post.created_at / 600).or_default().push(i);
    }
    let busiest = counts.values().max_by_key(|v| v.len()).unwrap();
    let at = busiest[busiest.len() / 2];
    let mut after = posts[at - 50..at].to_vec();
    for post in &mut after {
        post.created_at = posts[at].created_at;
    }
    after.extend_from_slice(&posts[at..]);
    (&posts[..at], after)
}

#[test]
fn a_restored_engine_goes_on_as_the_one_it_was_taken_from() {
    let posts = pulse_testsuite::boston_west_analyzed();
    let (before, after) = cut(posts);
    let first_close = (posts[0].created_at / 600 + 1) * 600;

    let engine = TrendEngine::new(config()).unwrap();
    let mut worker = engine.worker().manual_flush();
    let next = feed(&engine, &mut worker, before, first_close);
    // Taken as `pulse serve` takes it: no flush, the worker's counts travel unmerged.
    let blob = engine.checkpoint(vec![worker.state()]).unwrap();

    let restored = TrendEngine::restore(config(), &blob, 1).unwrap();
    assert_eq!(reports(&restored), reports(&engine), "restored as it was");
    let mut restored_worker = restored.worker().manual_flush();

    let end = feed(&engine, &mut worker, &after, next);
    worker.flush().unwrap();
    engine.advance_watermark(end);
    let restored_end = feed(&restored, &mut restored_worker, &after, next);
    restored_worker.flush().unwrap();
    restored.advance_watermark(restored_end);

    assert_eq!(reports(&restored), reports(&engine));
    assert_eq!(restored.metrics(), engine.metrics());
    assert!(restored.snapshot().unwrap() == engine.snapshot().unwrap(), "every sketch of the ring alike");
    assert_eq!(engine.metrics().posts_duplicate, 50, "the repeats after the cut are known as repeats");
}

#[test]
fn without_the_open_buckets_sets_the_counts_differ() {
    // The control: restoring the engine but not what its (flushed) worker had seen counts the
    // authors and texts seen before the cut again — which is why the checkpoint holds them.
    let posts = pulse_testsuite::boston_west_analyzed();
    let (before, after) = cut(posts);
    let first_close = (posts[0].created_at / 600 + 1) * 600;
    let run = |keep_sets: bool| {
        let engine = TrendEngine::new(config()).unwrap();
        let mut worker = engine.worker().manual_flush();
        let next = feed(&engine, &mut worker, before, first_close);
        worker.flush().unwrap();
        let workers = if keep_sets { vec![worker.state()] } else { Vec::new() };
        let restored = TrendEngine::restore(config(), &engine.checkpoint(workers).unwrap(), 1).unwrap();
        let mut worker = restored.worker().manual_flush();
        let end = feed(&restored, &mut worker, &after, next);
        worker.flush().unwrap();
        restored.advance_watermark(end);
        restored.metrics().posts_duplicate
    };
    assert_eq!((run(false), run(true)), (0, 50));
}

#[test]
fn a_checkpoint_of_another_ring_or_a_damaged_one_is_refused() {
    let engine = TrendEngine::new(config()).unwrap();
    let mut worker = engine.worker().manual_flush();
    feed(&engine, &mut worker, &pulse_testsuite::boston_west_analyzed()[..2000], i64::MAX);
    let blob = engine.checkpoint(vec![worker.state()]).unwrap();
    let other = TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(60) };
    let refused = TrendEngine::restore(other, &blob, 1).err().expect("another bucket width");
    assert!(refused.to_string().contains("buckets of 600 s"), "{refused}");
    let mut damaged = blob.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    assert!(TrendEngine::restore(config(), &damaged, 1).is_err());
    assert!(TrendEngine::restore(config(), &blob[..blob.len() - 1], 1).is_err());
}
