//! Real posts for the tests: the public datasets in `../shared` (or `$PULSE_DATA_DIR`), analyzed
//! by `pulse-text` the way the pipeline does it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use pulse_core::{Post, PostReader, Record};
use pulse_index::IndexPost;
use pulse_text::Analyzer;

/// `$PULSE_DATA_DIR`, else `../shared/replay-data` next to the repository.
pub fn replay_data() -> PathBuf {
    let dir = std::env::var_os("PULSE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replay-data"));
    assert!(dir.is_dir(), "real datasets not found at {}: set PULSE_DATA_DIR", dir.display());
    dir
}

/// Every post of one dataset file (relative to the replay data), in file order.
pub fn posts(relative: &str) -> Vec<Post> {
    let path = replay_data().join(relative);
    assert!(path.is_file(), "dataset file {} is missing: set PULSE_DATA_DIR", path.display());
    PostReader::open(&path, None)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .filter_map(|record| match record.expect("readable dataset") {
            Record::Post(post) => Some(post),
            _ => None,
        })
        .collect()
}

/// A post as the pipeline hands it to the index: language, topic-masked sentiment, topic keys,
/// repost flag.
pub fn to_index_post(post: Post) -> IndexPost {
    let analysis = Analyzer::shared().analyze(&post);
    IndexPost {
        lang: analysis.lang().to_string(),
        sentiment: analysis.topic_sentiment().map(|s| s.compound),
        topics: analysis.topics().iter().map(|t| t.key().to_string()).collect(),
        is_repost: analysis.is_repost(),
        post: Arc::new(post),
    }
}

/// The analyzed posts of one dataset file.
pub fn index_posts(relative: &str) -> Vec<IndexPost> {
    posts(relative).into_iter().map(to_index_post).collect()
}

pub const BOSTON: &str = "crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv";
pub const WEST_TEXAS: &str = "crisislex-t6/2013_West_Texas_Explosion-ontopic_offtopic.csv";
pub const AIRLINE: &str = "airline-sentiment/Airline-Sentiment-2-w-AA.csv";
pub const COSTA_RICA: &str = "crisislex-t26/2012_Costa_Rica_earthquake-tweets_labeled.csv";

/// The analyzed Boston posts, analyzed once per test binary.
pub fn boston() -> &'static [IndexPost] {
    static POSTS: std::sync::OnceLock<Vec<IndexPost>> = std::sync::OnceLock::new();
    POSTS.get_or_init(|| index_posts(BOSTON))
}
