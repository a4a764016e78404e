//! [`IndexPost`]: what the pipeline hands the index.

use std::sync::Arc;

use pulse_core::Post;

/// A post with what the pipeline's analysis found, as the index takes it.
///
/// The index does not analyze the posts it is given: the pipeline fills this from `pulse-text`'s
/// analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPost {
    /// The post (shared with the other consumers of the pipeline).
    pub post: Arc<Post>,
    /// Detected language code (`en`, `es`, `und`, ...).
    pub lang: String,
    /// Compound sentiment in [−1, 1] (the analyzer's topic sentiment: the opinion model by default); `None` when
    /// the post has no sentiment (e.g. not English).
    pub sentiment: Option<f64>,
    /// Topic keys of the post (canonical keys: `#bostonmarathon`, `boston marathon`, `@united`).
    pub topics: Vec<String>,
    /// Whether the post is a repost (`RT @user: ...` or a native repost).
    pub is_repost: bool,
    /// The post's place in its source, counted from 1 (0: not counted). `pulse serve` numbers
    /// its posts so that a restart from a checkpoint can delete what was indexed after it
    /// ([`crate::SearchIndex::forget_after`]) and index it again without duplicates.
    pub seq: u64,
}

impl IndexPost {
    /// A post with its language and sentiment, no topics, not a repost.
    pub fn new(post: impl Into<Arc<Post>>, lang: impl Into<String>, sentiment: Option<f64>) -> Self {
        Self { post: post.into(), lang: lang.into(), sentiment, topics: Vec::new(), is_repost: false, seq: 0 }
    }

    /// Sets the topic keys.
    pub fn with_topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the post's place in its source.
    pub fn with_seq(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    /// Marks the post as a repost (or not).
    pub fn with_repost(mut self, is_repost: bool) -> Self {
        self.is_repost = is_repost;
        self
    }
}
