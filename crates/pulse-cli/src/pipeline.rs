//! Post → analysis → trend engine: the adapter between `pulse-text` and `pulse-trends`, shared by
//! every command that feeds the engine (`trends`, later `serve`).

use pulse_core::Post;
use pulse_sketch::hash_key;
use pulse_text::{Analysis, Analyzer};
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, Worker};

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
        out.topics.push(TopicRef { key: String::new(), kind: TopicKind::Word, surface: String::new() });
    }
    for (slot, t) in out.topics.iter_mut().zip(topics) {
        slot.key.clear();
        slot.key.push_str(t.key());
        slot.surface.clear();
        slot.surface.push_str(t.surface());
        slot.kind = topic_kind(t.kind());
    }
    // The masked score: a topic's own name should not decide what people feel about it.
    out.sentiment = analysis.topic_sentiment().map(|s| s.compound as f32);
    out.is_repost = analysis.is_repost();
    out.content_hash = hash_key(analysis.original_text());
}

/// One ingest thread's pipeline: its analysis buffers and its engine worker.
pub struct Pipeline {
    analyzer: &'static Analyzer,
    analysis: Analysis,
    post: AnalyzedPost,
    /// The engine worker posts go to.
    pub worker: Worker,
}

impl Pipeline {
    /// A pipeline feeding `worker` with the shared analyzer.
    pub fn new(worker: Worker) -> Self {
        Self { analyzer: Analyzer::shared(), analysis: Analysis::default(), post: AnalyzedPost::default(), worker }
    }

    /// Analyses one post and counts it.
    pub fn ingest(&mut self, post: &Post) -> pulse_trends::Result<()> {
        self.analyzer.analyze_into(post, &mut self.analysis);
        to_analyzed(post, &self.analysis, &mut self.post);
        self.worker.ingest(&self.post)
    }
}
