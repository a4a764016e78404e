//! The bodies of the API's responses (described in `schemas/openapi.yaml`).

use pulse_index::Representative;
use pulse_trends::{TopicStats, Trend};
use serde::Serialize;

/// Body of `/v1/trends` and of each `/v1/stream` event.
#[derive(Clone, Serialize)]
pub struct TrendsResponse {
    /// Evaluation time (event time), RFC 3339.
    pub as_of: String,
    /// Window the trends are computed over (`1h`).
    pub window: String,
    /// Stories, best first.
    pub trends: Vec<Trend>,
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
