//! The bodies of the API's responses (described in `schemas/openapi.yaml`).

use pulse_index::{Reactions, Representative};
use pulse_trends::{Story, StoryDetail, TopicStats, Trend};
use serde::Serialize;

/// Body of `/v1/trends`.
#[derive(Clone, Serialize)]
pub struct TrendsResponse {
    /// Evaluation time (event time), RFC 3339.
    pub as_of: String,
    /// Window the trends are computed over (`1h`).
    pub window: String,
    /// Trending topics, best first, each naming its story.
    pub trends: Vec<Trend>,
}

/// Body of `/v1/stories` and of each `/v1/stream` event.
#[derive(Clone, Serialize)]
pub struct StoriesResponse {
    /// Evaluation time (event time), RFC 3339.
    pub as_of: String,
    /// Window the stories are computed over (`1h`).
    pub window: String,
    /// Stories, best first.
    pub stories: Vec<Story>,
}

/// Body of `/v1/stories/{id}`.
#[derive(Serialize)]
pub struct StoryResponse {
    /// Window of the story's numbers (`1h`).
    pub window: String,
    /// The story, its series and related stories.
    #[serde(flatten)]
    pub detail: StoryDetail,
    /// Typical posts per side about its best topic over the trend window, with the counts per
    /// side.
    pub representative: Representative,
    /// What people are saying: the posts carrying any of its topics in the window, in groups of
    /// reaction with their shares of authors, sentiment and two posts each.
    pub reactions: Reactions,
}

/// Body of `/v1/topics/{topic}`.
#[derive(Serialize)]
pub struct TopicResponse {
    /// Span of `series` (`24h`).
    pub window: String,
    /// Counts, time series, sentiment now vs baseline, related topics.
    #[serde(flatten)]
    pub stats: TopicStats,
    /// Typical posts per side over the trend window, with the counts per side.
    pub representative: Representative,
}
