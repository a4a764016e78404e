//! Anti-manipulation: one loud account never makes a trend; many accounts do.

use pulse_sketch::hash_key;
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, TrendConfig, TrendEngine, TrendQuery};

const T0: i64 = 1_366_000_000 - 1_366_000_000 % 60;

fn post(id: u64, at: i64, author: &str, tags: &[&str], text: &str) -> AnalyzedPost {
    AnalyzedPost {
        id: id.to_string(),
        created_at: at,
        author_hash: hash_key(author),
        lang: "en".into(),
        topics: tags.iter().map(|t| TopicRef::new(t.to_lowercase(), TopicKind::Hashtag, *t)).collect(),
        sentiment: Some(0.3),
        is_repost: false,
        content_hash: hash_key(text),
        text: text.to_owned(),
        author: author.to_owned(),
    }
}

/// Two hours of background (40 accounts, 20 tags), then an hour with the flood and the real trend.
fn engine_after(flood_text_varies: bool) -> TrendEngine {
    let engine = TrendEngine::new(TrendConfig {
        history_buckets: 360,
        warmup_buckets: 60,
        auto_watermark: false,
        ..TrendConfig::for_bucket(60)
    })
    .unwrap();
    let mut w = engine.worker();
    let mut id = 0;
    for minute in 0..180 {
        let t = T0 + minute * 60;
        for k in 0..10 {
            id += 1;
            let tag = format!("#topic{}", (minute + k) % 20);
            w.ingest(&post(id, t + k, &format!("bg{}", (minute * 7 + k) % 40), &[&tag], &format!("bg {id}"))).unwrap();
        }
        if minute >= 120 {
            // One account, 10,000 posts of #spam over the hour (≈ 167 a minute).
            for n in 0..167 {
                id += 1;
                let text = if flood_text_varies { format!("buy now {id}") } else { "buy now".to_owned() };
                w.ingest(&post(id, t + 20, "@loud", &["#Spam"], &text)).unwrap();
                let _ = n;
            }
            // 300 accounts posting #Real 3 times each: 900 posts spread over the hour.
            for n in 0..15 {
                let i = (minute - 120) * 15 + n;
                id += 1;
                w.ingest(&post(id, t + 30, &format!("fan{}", i % 300), &["#Real"], &format!("real {id}"))).unwrap();
            }
        }
    }
    w.flush().unwrap();
    engine.advance_watermark(T0 + 180 * 60);
    engine
}

#[test]
fn one_account_ten_thousand_times_does_not_trend_and_300_accounts_do() {
    for varies in [true, false] {
        let engine = engine_after(varies);
        let list = engine.report(&TrendQuery::default());
        let topics: Vec<&str> = list.trends.iter().map(|t| t.topic.as_str()).collect();
        assert_eq!(topics.first(), Some(&"#real"), "{topics:?}");
        assert!(!topics.contains(&"#spam"), "{topics:?}");
        let real = &list.trends[0];
        // The first minute, before #real was watched, counts by its per-bucket authors (15): an
        // upper bound on the union; the HLL covers the rest exactly.
        assert!((300..=315).contains(&real.authors), "{}", real.authors);
        assert_eq!(real.posts, 900);
        assert_eq!(real.display_name, "#Real");
        let spam = engine.topic("#spam", Some(3600)).unwrap();
        // One account: 1 in the HLL, plus at most one for the minute before #spam was watched.
        assert!(spam.authors <= 2 && spam.score <= 1.0, "{} {}", spam.authors, spam.score);
        let m = engine.metrics();
        if varies {
            assert_eq!(spam.posts, 60 * 167);
            assert_eq!(spam.series.len(), 60);
            assert_eq!(m.posts_duplicate, 0);
        } else {
            // Identical posts by one account count once per bucket.
            assert_eq!(spam.posts, 60);
            assert_eq!(m.posts_duplicate, 60 * 166);
        }
    }
}

#[test]
fn late_posts_are_counted_while_their_bucket_is_in_the_ring_and_reported_otherwise() {
    let config =
        TrendConfig { history_buckets: 10, window_buckets: 2, auto_watermark: false, ..TrendConfig::for_bucket(60) };
    let engine = TrendEngine::new(config).unwrap();
    let mut w = engine.worker();
    w.ingest(&post(1, T0 + 30 * 60, "a", &["#x"], "1")).unwrap();
    w.flush().unwrap();
    engine.advance_watermark(T0 + 31 * 60);
    w.ingest(&post(2, T0 + 25 * 60, "b", &["#x"], "2")).unwrap(); // closed, still in the ring
    w.ingest(&post(3, T0, "c", &["#x"], "3")).unwrap(); // older than the ring
    w.flush().unwrap();
    let m = engine.metrics();
    assert_eq!((m.posts_ingested, m.posts_late_counted, m.posts_late_dropped), (3, 1, 1));
    let series = engine.topic("#x", None).unwrap().series;
    assert_eq!(series.iter().map(|p| p.posts).sum::<u64>(), 2);
}

#[test]
fn a_late_post_into_a_closed_bucket_reaches_the_next_report() {
    // A report keeps the author unions of closed buckets for the next one (`memo.rs`); a late
    // post into one of those buckets must still be counted.
    let engine = engine_after(true);
    let real = |engine: &TrendEngine| {
        let report = engine.report(&TrendQuery::default());
        let t = report.trends.iter().find(|t| t.topic == "#real").cloned().unwrap();
        let story = report.stories.iter().find(|s| s.id == t.story_id).cloned().unwrap();
        (t.authors, story.series.iter().map(|p| p.authors).sum::<u64>())
    };
    let (authors, in_series) = real(&engine);
    assert_eq!(real(&engine), (authors, in_series), "the same state reports the same counts");
    let mut w = engine.worker();
    for n in 0..50 {
        let late = post(900_000 + n, T0 + 170 * 60 + 5, &format!("late{n}"), &["#Real"], &format!("late {n}"));
        w.ingest(&late).unwrap();
    }
    w.flush().unwrap();
    assert_eq!(engine.metrics().posts_late_counted, 50);
    assert_eq!(real(&engine), (authors + 50, in_series + 50));
}
