//! What the engine answers: trend lists, their stories, topic statistics.

use serde::{Deserialize, Serialize};

/// The answer of [`crate::TrendEngine::trends`]: the `pulse trends` line and the HTTP body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendList {
    /// Evaluation time, RFC 3339.
    pub at: String,
    /// Stories, best first.
    pub trends: Vec<Trend>,
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

/// Sentiment of a topic's posts in the window (topic-masked VADER compound; ±0.05 classes).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SentimentSummary {
    /// Share of scored posts with compound ≥ 0.05.
    pub positive: f64,
    /// Share of scored posts in between.
    pub neutral: f64,
    /// Share of scored posts with compound ≤ −0.05.
    pub negative: f64,
    /// Mean compound.
    pub compound: f64,
    /// Mean compound now minus mean compound before the window (`null` with fewer than 3 scored
    /// posts before).
    pub shift: Option<f64>,
}

/// One story: trending topics that co-occur, under a headline topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Headline topic key.
    pub topic: String,
    /// Most common surface form of the headline.
    pub display_name: String,
    /// The story's topic keys, headline first.
    pub terms: Vec<String>,
    /// Rising, hot or cooling.
    pub state: TrendState,
    /// Ranking score: max(current, decayed peak) of (O − E)²/E on distinct authors.
    pub score: f64,
    /// Posts with the headline in the window.
    pub posts: u64,
    /// Distinct authors of the headline in the window.
    pub authors: u64,
    /// Expected authors in the window from the baseline.
    pub expected: f64,
    /// When the episode started, RFC 3339.
    pub started_at: Option<String>,
    /// When the score peaked, RFC 3339.
    pub peak_at: Option<String>,
    /// What people feel about it.
    pub sentiment: SentimentSummary,
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
    /// Posts in the trend window.
    pub posts: u64,
    /// Distinct authors in the trend window.
    pub authors: u64,
    /// Expected authors in the trend window.
    pub expected: f64,
    /// Current score (0 when below baseline).
    pub score: f64,
    /// Sentiment in the trend window.
    pub sentiment_now: SentimentSummary,
    /// Sentiment over the span before the trend window.
    pub sentiment_baseline: SentimentSummary,
    /// Co-occurring topics, most shared first.
    pub related: Vec<RelatedTopic>,
    /// A few post ids.
    pub samples: Vec<String>,
}
