//! Merging: state from another engine merges whole or not at all; flushes into one bucket add up.

use pulse_sketch::Persist;
use pulse_sketch::hash_key;
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, TrendBucket, TrendConfig, TrendEngine, TrendError};

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

/// Co-occurring watched topics count each other, both ways with the same counts, over several
/// flushes into one bucket (what stories are grouped by).
#[test]
fn co_occurrence_is_counted_both_ways_across_flushes() {
    let engine = TrendEngine::new(TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(600) }).unwrap();
    let mut w = engine.worker();
    let mut id = 0;
    let mut post = |tags: &[&str]| {
        id += 1;
        AnalyzedPost {
            id: id.to_string(),
            created_at: T0 + id,
            author_hash: hash_key(&format!("a{id}")),
            lang: "en".into(),
            topics: tags.iter().map(|t| TopicRef::new(*t, TopicKind::Hashtag, *t)).collect(),
            ..Default::default()
        }
    };
    // Not watched yet: these make the three tags the heaviest, and the flush watches them.
    for _ in 0..5 {
        w.ingest(&post(&["#a", "#b", "#c"])).unwrap();
    }
    w.flush().unwrap();
    for _ in 0..4 {
        w.ingest(&post(&["#c", "#b", "#a"])).unwrap();
    }
    for _ in 0..2 {
        w.ingest(&post(&["#c", "#a"])).unwrap();
    }
    w.flush().unwrap();
    w.ingest(&post(&["#b", "#c"])).unwrap();
    w.flush().unwrap();

    let bucket = TrendBucket::from_bytes(&engine.snapshot_bucket(T0).unwrap().unwrap()).unwrap();
    let co = |x: &str, y: &str| bucket.detail[&hash_key(x)].cooccurring.get(&hash_key(y)).copied();
    assert_eq!((co("#a", "#b"), co("#b", "#a")), (Some(4), Some(4)));
    assert_eq!((co("#a", "#c"), co("#c", "#a")), (Some(6), Some(6)));
    assert_eq!((co("#b", "#c"), co("#c", "#b")), (Some(5), Some(5)));
    assert_eq!(co("#a", "#a"), None);
}
