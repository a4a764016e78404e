//! Merging state from another engine: all of it or nothing.

use pulse_sketch::hash_key;
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, TrendConfig, TrendEngine, TrendError};

const T0: i64 = 1_366_000_000 - 1_366_000_000 % 600;

/// An engine with `config` that saw `authors` posts of `#x`, one a minute over two 10-minute buckets.
fn engine_with(config: TrendConfig, authors: usize) -> TrendEngine {
    let engine = TrendEngine::new(TrendConfig { auto_watermark: false, ..config }).unwrap();
    let mut w = engine.worker();
    for i in 0..authors {
        w.ingest(&AnalyzedPost {
            id: i.to_string(),
            created_at: T0 + 60 * (i as i64 % 20),
            author_hash: hash_key(&format!("a{i}")),
            lang: "en".into(),
            topics: vec![TopicRef::new("#x", TopicKind::Hashtag, "#X")],
            sentiment: Some(0.5),
            ..Default::default()
        })
        .unwrap();
    }
    w.flush().unwrap();
    engine
}

fn posts_of_x(engine: &TrendEngine) -> u64 {
    engine.topic("#x", None).unwrap().series.iter().map(|p| p.posts).sum()
}

#[test]
fn a_ring_with_other_sketch_sizes_is_refused_whole_and_a_matching_one_adds_up() {
    let config = TrendConfig::for_bucket(600);
    let engine = engine_with(config.clone(), 30);
    assert_eq!(posts_of_x(&engine), 30);

    // The top-k capacity differs but the count-mins match: without the check before merging, the
    // first bucket's counts would have been added before the top-k refused.
    let other = engine_with(TrendConfig { topk_capacity: 64, ..config.clone() }, 10);
    let err = engine.merge_snapshot(&other.snapshot().unwrap()).unwrap_err();
    assert!(matches!(err, TrendError::Sketch(_)), "{err:?}");
    assert!(err.to_string().contains("top-k capacity 1024 vs 64"), "{err}");
    assert_eq!(posts_of_x(&engine), 30, "nothing of the refused ring was merged");

    let err =
        engine.merge_snapshot(&engine_with(TrendConfig { cm_epsilon: 0.01, ..config.clone() }, 10).snapshot().unwrap());
    assert!(err.unwrap_err().to_string().contains("count-min"));
    assert_eq!(posts_of_x(&engine), 30);

    engine.merge_snapshot(&engine_with(config, 10).snapshot().unwrap()).unwrap();
    assert_eq!(posts_of_x(&engine), 40);
}
