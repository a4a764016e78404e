//! Pulse ingest: the one path every post takes into the state the API reads — analysis
//! (`pulse-text`), then the trend engine (a local `pulse-trends` worker) and, optionally, the
//! search index (`pulse-index`). Shared by `pulse trends`, `pulse serve` and the API's tests, so the
//! adapter between the analyzer's output and the engine's input exists once.
//!
//! One [`Pipeline`] per ingest thread: it owns reusable analysis buffers and its engine worker, so
//! the hot path allocates only what the engine and index keep.

use std::sync::Arc;

use pulse_core::Post;
use pulse_index::{IndexPost, IndexSender};
use pulse_sketch::hash_key;
use pulse_text::{Analysis, Analyzer};
use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, Worker};

/// Errors of the ingest path.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The trend engine refused a post or a flush.
    #[error("trend engine: {0}")]
    Trends(#[from] pulse_trends::TrendError),
    /// The search index refused a post (closed or failed).
    #[error("search index: {0}")]
    Index(#[from] pulse_index::IndexError),
}

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
    out.content_hash = hash_key(analysis.original_text());
}

/// What the search index keeps of a post: the text with its language, the masked sentiment (the
/// one trends aggregate, so a post sits on the same side in both) and its topic keys.
pub fn to_index_post(post: &Post, analysis: &Analysis) -> IndexPost {
    let sentiment = analysis.topic_sentiment().map(|s| s.compound);
    IndexPost::new(Arc::new(post.clone()), analysis.lang(), sentiment)
        .with_topics(analysis.topics().iter().map(|t| t.key().to_string()))
        .with_repost(analysis.is_repost())
}

/// One ingest thread's pipeline: its analysis buffers, its engine worker and, optionally, a
/// sender to the search index.
pub struct Pipeline {
    analyzer: &'static Analyzer,
    analysis: Analysis,
    post: AnalyzedPost,
    /// The engine worker posts go to; flush it when the input pauses or ends.
    pub worker: Worker,
    index: Option<IndexSender>,
}

impl Pipeline {
    /// A pipeline feeding `worker` with the shared analyzer.
    pub fn new(worker: Worker) -> Self {
        Self {
            analyzer: Analyzer::shared(),
            analysis: Analysis::default(),
            post: AnalyzedPost::default(),
            worker,
            index: None,
        }
    }

    /// Also index every post (the send waits while the index queue is full: backpressure).
    pub fn with_index(mut self, index: IndexSender) -> Self {
        self.index = Some(index);
        self
    }

    /// Analyses one post, counts it in the engine and hands it to the index.
    pub fn ingest(&mut self, post: &Post) -> Result<(), IngestError> {
        self.analyzer.analyze_into(post, &mut self.analysis);
        to_analyzed(post, &self.analysis, &mut self.post);
        self.worker.ingest(&self.post)?;
        if let Some(index) = &self.index {
            index.send(to_index_post(post, &self.analysis))?;
        }
        Ok(())
    }

    /// Merges this worker's local aggregates into the shared engine.
    pub fn flush(&mut self) -> Result<(), IngestError> {
        Ok(self.worker.flush()?)
    }
}
