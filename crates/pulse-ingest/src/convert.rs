//! The adapters between the analyzer's output and what the engine and the index take, written
//! once: every path (serve, the Kafka worker, the query node, `pulse trends`, the benches) converts
//! through here, so they all count the same thing.

use std::sync::Arc;

use pulse_core::Post;
use pulse_index::IndexPost;
use pulse_sketch::hash_key;
use pulse_text::{Analysis, TokenKind};
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef};

/// The engine's kind for an analyzer kind.
pub fn topic_kind(kind: pulse_text::TopicKind) -> TopicKind {
    match kind {
        pulse_text::TopicKind::Hashtag => TopicKind::Hashtag,
        pulse_text::TopicKind::Word => TopicKind::Word,
        pulse_text::TopicKind::Phrase => TopicKind::Phrase,
        pulse_text::TopicKind::Entity => TopicKind::Entity,
        pulse_text::TopicKind::Mention => TopicKind::Mention,
        pulse_text::TopicKind::Cashtag => TopicKind::Cashtag,
    }
}

/// Fills `out` from a post and its analysis, reusing `out`'s strings and vectors.
pub fn to_analyzed(post: &Post, analysis: &Analysis, out: &mut AnalyzedPost) {
    out.id.clear();
    out.id.push_str(&post.id);
    out.created_at = post.created_at.timestamp();
    out.author_hash = hash_key(&post.author);
    out.lang.clear();
    out.lang.push_str(analysis.lang());
    let topics = analysis.topics();
    out.topics.truncate(topics.len());
    while out.topics.len() < topics.len() {
        out.topics.push(TopicRef { key: String::new(), hash: 0, kind: TopicKind::Word, surface: String::new() });
    }
    for (slot, t) in out.topics.iter_mut().zip(topics) {
        slot.key.clear();
        slot.key.push_str(t.key());
        slot.hash = t.hash();
        slot.surface.clear();
        slot.surface.push_str(t.surface());
        slot.kind = topic_kind(t.kind());
    }
    // The masked score: a topic's own name should not decide what people feel about it.
    out.sentiment = analysis.topic_sentiment().map(|s| s.compound as f32);
    out.is_repost = analysis.is_repost();
    out.content_hash = content_hash(analysis);
    out.text.clear();
    out.text.push_str(analysis.original_text());
    out.author.clear();
    out.author.push_str(&post.author);
}

/// The hash that copies of one text share: its words, hashtags, mentions, numbers and emoji,
/// normalized, in order; links and punctuation left out (a copy's link or trailing `…` often
/// differs). 0 for a text without any of them.
pub fn content_hash(analysis: &Analysis) -> u64 {
    let tokens = analysis.tokens();
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    let mut any = false;
    for token in tokens.as_slice() {
        if matches!(token.kind, TokenKind::Url | TokenKind::Punct) {
            continue;
        }
        hasher.update(tokens.norm(token).as_bytes());
        hasher.update(b" ");
        any = true;
    }
    if any { hasher.digest().max(1) } else { 0 }
}

/// What the search index keeps of a post: the text with its language, the masked sentiment (the
/// one trends aggregate, so a post sits on the same side in both) and its topic keys.
pub fn to_index_post(post: &Post, analysis: &Analysis) -> IndexPost {
    let sentiment = analysis.topic_sentiment().map(|s| s.compound);
    IndexPost::new(Arc::new(post.clone()), analysis.lang(), sentiment)
        .with_topics(analysis.topics().iter().map(|t| t.key().to_string()))
        .with_repost(analysis.is_repost())
}
