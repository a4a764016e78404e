//! What the engine answers: stories, the trending topics they are made of, topic statistics.

use serde::{Deserialize, Serialize};

/// The answer of [`crate::TrendEngine::report`]: the stories and the trending topics of one
/// window, evaluated together (every trend names its story).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Evaluation time (event time), RFC 3339.
    pub as_of: String,
    /// Stories, best first.
    pub stories: Vec<Story>,
    /// Trending topics, best first.
    pub trends: Vec<Trend>,
}

/// One story: the trending topics that describe one event, told with its most central posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Stable id: kept from report to report while the story's topics churn.
    pub id: String,
    /// What happened, in the words of its most central post (cleaned); the story's top terms when
    /// no post qualifies.
    pub headline: String,
    /// The post the headline is taken from.
    pub headline_post: Option<StoryPost>,
    /// Up to three further central posts that say something else.
    pub summary: Vec<StoryPost>,
    /// The best-ranked topic's key.
    pub topic: String,
    /// Its most common surface form.
    pub display_name: String,
    /// The story's topic keys, best first (at most the configured `story_terms`).
    pub terms: Vec<String>,
    /// Capitalised phrases and hashtags among its topics, as written.
    pub entities: Vec<String>,
    /// Every topic of the story with its own numbers, best first.
    pub topics: Vec<StoryTopic>,
    /// Rising, hot or cooling.
    pub state: TrendState,
    /// Ranking score: the best topic's.
    pub score: f64,
    /// Distinct posts carrying any of its topics in the window (each post once).
    pub posts: u64,
    /// Whether `posts` is exact; otherwise an estimate from a uniform sample, within about 9 %.
    pub posts_exact: bool,
    /// Distinct authors of those posts.
    pub authors: u64,
    /// Authors the best topic's baseline expected in the window.
    pub expected: f64,
    /// When the story started (its earliest topic's trend episode), RFC 3339.
    pub started_at: String,
    /// When it peaked, RFC 3339.
    pub peak_at: String,
    /// Sentiment of its posts (the same posts as `posts`); `None` when none of them was scored
    /// (sentiment is English-only).
    pub sentiment: Option<SentimentSummary>,
    /// Posts per bucket of its best topic over the window, oldest first, with the buckets' starts:
    /// the shape of the story for a sparkline.
    pub series: Vec<TopicPoint>,
    /// One plain sentence built from the numbers.
    pub explanation: String,
}

/// A post a story is told with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryPost {
    /// Post id (the first post with this text).
    pub id: String,
    /// Its author.
    pub author: String,
    /// When it was posted, RFC 3339.
    pub created_at: String,
    /// The text, cleaned for reading (no retweet prefix, mentions, links or trailing hashtags).
    pub text: String,
    /// Posts that carried the same text in the window.
    pub copies: u64,
}

/// One topic of a story, with its own numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryTopic {
    /// Key.
    pub topic: String,
    /// Most common surface form.
    pub display_name: String,
    /// Posts with it in the window.
    pub posts: u64,
    /// Distinct authors.
    pub authors: u64,
    /// Its ranking score.
    pub score: f64,
}

/// Where a trend is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendState {
    /// Score above the last bucket close's.
    Rising,
    /// Trending, at least half its peak, not rising.
    Hot,
    /// Below half its peak score.
    Cooling,
}

impl TrendState {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrendState::Rising => "rising",
            TrendState::Hot => "hot",
            TrendState::Cooling => "cooling",
        }
    }
}

/// Sentiment of a topic's posts in the window (the analyzer's topic sentiment compound; ±0.05
/// classes). The shares are estimates of how many posts are of each class: the counted classes
/// corrected for the model's measured error rates (`pulse_text::shares`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SentimentSummary {
    /// Estimated share of scored posts that are positive.
    pub positive: f64,
    /// Estimated share neutral.
    pub neutral: f64,
    /// Estimated share negative.
    pub negative: f64,
    /// Mean compound.
    pub compound: f64,
    /// Mean compound now minus mean compound before the window (`null` with fewer than 3 scored
    /// posts before).
    pub shift: Option<f64>,
}

/// One trending topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Topic key.
    pub topic: String,
    /// Most common surface form.
    pub display_name: String,
    /// The story it belongs to ([`Story::id`]).
    pub story_id: String,
    /// Rising, hot or cooling.
    pub state: TrendState,
    /// Ranking score: max(current, decayed peak) of (O − E)²/E on distinct authors.
    pub score: f64,
    /// Posts with the topic in the window.
    pub posts: u64,
    /// Distinct authors of those posts.
    pub authors: u64,
    /// Expected authors in the window from the baseline.
    pub expected: f64,
    /// When the episode started, RFC 3339.
    pub started_at: Option<String>,
    /// When the score peaked, RFC 3339.
    pub peak_at: Option<String>,
    /// What people feel about it; `None` when none of its posts was scored.
    pub sentiment: Option<SentimentSummary>,
    /// One plain sentence built from the numbers.
    pub explanation: String,
}

/// One bucket of a topic's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicPoint {
    /// Bucket start, RFC 3339.
    pub at: String,
    /// Posts (count-min estimate).
    pub posts: u64,
    /// Distinct authors.
    pub authors: u64,
    /// Mean compound, when the topic was watched and posts were scored.
    pub sentiment: Option<f64>,
}

/// A topic seen together with another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedTopic {
    /// Key.
    pub topic: String,
    /// Posts with both, in the trend window.
    pub posts: u64,
}

/// Everything about one topic ([`crate::TrendEngine::topic`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicStats {
    /// Key.
    pub topic: String,
    /// Most common surface form.
    pub display_name: String,
    /// Evaluation time, RFC 3339.
    pub at: String,
    /// Per bucket over the asked span, oldest first.
    pub series: Vec<TopicPoint>,
    /// Posts in the window.
    pub posts: u64,
    /// Distinct authors in the window.
    pub authors: u64,
    /// Expected authors in the window, from the baseline.
    pub expected: f64,
    /// Score of the window against the baseline (0 when below it).
    pub score: f64,
    /// Sentiment in the window; `None` when none of its posts was scored.
    pub sentiment_now: Option<SentimentSummary>,
    /// Sentiment in the ring before the window; `None` when none of those posts was scored.
    pub sentiment_baseline: Option<SentimentSummary>,
    /// Co-occurring topics, most shared first.
    pub related: Vec<RelatedTopic>,
    /// A few post ids.
    pub samples: Vec<String>,
}

/// A story over time ([`crate::TrendEngine::story`]): the story as the report tells it, its
/// timeline and the other stories of the report most like it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryDetail {
    /// Evaluation time, RFC 3339.
    pub as_of: String,
    /// The story.
    #[serde(flatten)]
    pub story: Story,
    /// Per bucket over the asked span, oldest first: posts and authors with any of its topics
    /// (each once), and their mean sentiment.
    pub timeline: Vec<TopicPoint>,
    /// Other current stories sharing posts or context with it, most alike first.
    pub related: Vec<RelatedStory>,
}

/// A story related to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedStory {
    /// Its id.
    pub id: String,
    /// Its headline.
    pub headline: String,
    /// How alike (average similarity of their topics, 0–1).
    pub similarity: f64,
}
