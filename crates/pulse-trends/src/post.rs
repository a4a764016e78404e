//! The engine's input: a post after text analysis, reduced to what trends need.

use serde::{Deserialize, Serialize};

/// How a topic key was found (mirrors the analyzer's kinds, without depending on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicKind {
    /// `#tag`.
    Hashtag,
    /// A content word.
    Word,
    /// Two or three adjacent content words.
    Phrase,
    /// A run of capitalised words.
    Entity,
    /// `@user`; filtered from trends by default.
    Mention,
    /// `$TICKER`.
    Cashtag,
}

impl TopicKind {
    /// The lower-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicKind::Hashtag => "hashtag",
            TopicKind::Word => "word",
            TopicKind::Phrase => "phrase",
            TopicKind::Entity => "entity",
            TopicKind::Mention => "mention",
            TopicKind::Cashtag => "cashtag",
        }
    }
}

/// One topic of a post: the canonical key (the identity, hashed with [`pulse_sketch::hash_key`]),
/// how it was found, and the form as written (for display names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRef {
    /// Canonical key (`boston marathon`, `#bostonmarathon`).
    pub key: String,
    /// [`pulse_sketch::hash_key`] of `key`: what the engine counts under. The analyzer has it
    /// already (it de-duplicates a post's topics by it), so the engine does not hash each key again;
    /// [`TopicRef::new`] computes it.
    pub hash: u64,
    /// How it was found.
    pub kind: TopicKind,
    /// Surface form (`Boston Marathon`, `#BostonMarathon`).
    pub surface: String,
}

impl TopicRef {
    /// A topic with its key hash computed.
    pub fn new(key: impl Into<String>, kind: TopicKind, surface: impl Into<String>) -> Self {
        let key = key.into();
        Self { hash: pulse_sketch::hash_key(&key), key, kind, surface: surface.into() }
    }
}

/// A post after analysis, as the engine consumes it. Reuse one per thread (clear the vectors):
/// the engine only reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalyzedPost {
    /// Post id (kept as a sample for tracked topics).
    pub id: String,
    /// Event time, Unix seconds.
    pub created_at: i64,
    /// Hash of the author ([`pulse_sketch::hash_key`] of the account): the unit of the score.
    pub author_hash: u64,
    /// Language tag (`en`, `und`, ...).
    pub lang: String,
    /// Topics, each once.
    pub topics: Vec<TopicRef>,
    /// Compound sentiment in [-1, 1] (topic-masked VADER), `None` when not scored.
    pub sentiment: Option<f32>,
    /// Whether the post is a repost.
    pub is_repost: bool,
    /// Hash of the original text (without `RT @user:`, links and punctuation, case folded): copies
    /// of one text share it. An author's identical posts in one bucket count once, co-occurrence is
    /// counted once per text, and stories are told with the most-copied texts. 0 disables all three.
    pub content_hash: u64,
    /// The text without a leading `RT @user:`, kept when it is among a topic's most-copied texts.
    pub text: String,
    /// The author as the source names them (shown beside a story's posts).
    pub author: String,
}
