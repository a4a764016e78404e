//! Windows longer than the ring, told from the rollup tiers, on real data (`boston-west`, 13 days):
//! every post counted once however the window straddles the ring and the tiers, points of whole
//! hours (7 days) or days (beyond), authors distinct within each point.

use std::collections::HashSet;

use pulse_trends::{TrendConfig, TrendEngine};

const DAY: i64 = 86_400;

#[test]
fn a_week_and_a_month_count_every_post_once() {
    let posts = pulse_testsuite::boston_west_analyzed();
    let engine = TrendEngine::new(TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(600) }).unwrap();
    let mut worker = engine.worker().manual_flush();
    let first = (posts[0].created_at / 600 + 1) * 600;
    let next = pulse_testsuite::feed_closing(&engine, &mut worker, posts, first, 600, |_| {});
    worker.flush().unwrap();
    engine.advance_watermark(next);

    for (topic, span, width) in [("boston", 7 * DAY, 3600), ("west", 7 * DAY, 3600), ("boston", 30 * DAY, DAY)] {
        let stats = engine.topic(topic, Some(span)).unwrap_or_else(|| panic!("{topic} over {span} s"));
        let first = chrono::DateTime::parse_from_rfc3339(&stats.series[0].at).unwrap().timestamp();
        let carrying: Vec<_> = posts
            .iter()
            .filter(|p| p.created_at >= first && p.created_at < next)
            .filter(|p| p.topics.iter().any(|t| t.key == topic))
            .collect();
        let distinct: HashSet<u64> = carrying.iter().map(|p| p.author_hash).collect();
        let truth = carrying.len() as u64;
        println!(
            "{topic} over {} d: {} posts (truth {truth}), {} authors (distinct over the window {}), {} points",
            span / DAY,
            stats.posts,
            stats.authors,
            distinct.len(),
            stats.series.len()
        );
        // Count-min estimates never count less; a post counted in both the ring and a tier
        // would put the total far above the truth.
        assert!(stats.posts >= truth && stats.posts <= truth + truth / 50, "{topic}: {} vs {truth}", stats.posts);
        assert_eq!(stats.series.iter().map(|p| p.posts).sum::<u64>(), stats.posts);
        assert!(stats.authors >= distinct.len() as u64 && stats.authors <= stats.posts, "{topic}: {}", stats.authors);
        for point in &stats.series {
            let at = chrono::DateTime::parse_from_rfc3339(&point.at).unwrap().timestamp();
            assert_eq!(at % width, 0, "{topic}: point at {}", point.at);
            assert!(point.authors <= point.posts);
        }
        assert!(stats.series.len() as i64 <= span / width + 1);
        let sentiment = stats.sentiment_now.expect("scored posts");
        assert!((sentiment.positive + sentiment.neutral + sentiment.negative - 1.0).abs() < 0.01);
    }
    // The week reaches back before the ring's 24 hours: it holds more than the day.
    let day = engine.topic("boston", Some(DAY)).unwrap();
    let week = engine.topic("boston", Some(7 * DAY)).unwrap();
    assert!(week.posts > day.posts, "week {} vs day {}", week.posts, day.posts);
    assert!(engine.topic("boston", Some(7 * DAY)).unwrap().series.len() > 24);
    assert!(engine.topic("no such topic", Some(30 * DAY)).is_none(), "no posts: no answer, not zeros");
}
