//! A trend whose posts carry no sentiment (not English) reports none — `null`, not 0 % of each —
//! while a scored one reports shares that add up.

use pulse_sketch::hash_key;
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, TrendConfig, TrendEngine, TrendQuery};

#[test]
fn posts_without_sentiment_give_no_shares() {
    let config = TrendConfig { warmup_buckets: 0, min_authors: 5, ..TrendConfig::for_bucket(600) };
    let engine = TrendEngine::new(config).unwrap();
    let mut worker = engine.worker();
    for i in 0..40 {
        for (tag, lang, sentiment) in [("#inundación", "es", None), ("#flood", "en", Some(-0.6))] {
            worker
                .ingest(&AnalyzedPost {
                    id: format!("{tag}{i}"),
                    created_at: 1_000_000 + i * 10,
                    author_hash: hash_key(&format!("{lang}{i}")),
                    lang: lang.into(),
                    topics: vec![TopicRef::new(tag, TopicKind::Hashtag, tag)],
                    sentiment,
                    text: format!("{tag} {i}"),
                    content_hash: hash_key(&format!("{tag} {i}")),
                    ..Default::default()
                })
                .unwrap();
        }
    }
    worker.flush().unwrap();
    engine.advance_watermark(1_000_800);
    let report = engine.report(&TrendQuery::default());
    let trend = |topic: &str| report.trends.iter().find(|t| t.topic == topic).unwrap_or_else(|| panic!("{topic}"));
    assert_eq!(trend("#inundación").sentiment, None);
    let flood = trend("#flood").sentiment.expect("scored");
    assert!((flood.positive + flood.neutral + flood.negative - 1.0).abs() < 0.01 && flood.negative > 0.9, "{flood:?}");
    let story = |id: &str| report.stories.iter().find(|s| s.id == id).unwrap();
    assert_eq!(story(&trend("#inundación").story_id).sentiment, None);
    assert!(story(&trend("#flood").story_id).sentiment.is_some());
    let json = serde_json::to_value(&report).unwrap();
    let spanish = json["trends"].as_array().unwrap().iter().find(|t| t["topic"] == "#inundación").unwrap();
    assert!(spanish["sentiment"].is_null(), "{spanish}");
}
