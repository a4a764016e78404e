//! The reads every endpoint shares: the engine's windows and clock, cached reports (stories and
//! trending topics), topics resolved from free text, representative posts from the index. Engine and index reads run on
//! the blocking pool: the engine's lock can be held by a bucket close, and an async worker waiting
//! for it would stall every other request scheduled on that worker.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use pulse_core::Span;
use pulse_index::{Reactions, Representative};
use pulse_trends::tier::DAILY;
use pulse_trends::{StoryDetail, TopicStats, TrendQuery};

use crate::AppState;
use crate::cache::CachedReport;
use crate::error::AppError;
use crate::params;
use crate::response::{StoriesResponse, TrendsResponse};

/// Window lengths as the engine sees them.
pub(crate) struct Windows {
    pub bucket: i64,
    pub history: i64,
    pub trend: i64,
    /// The longest window a topic can be asked about: the daily rollup tier's.
    pub longest: i64,
}

impl Windows {
    pub(crate) fn of(state: &AppState) -> Self {
        let config = state.engine().config();
        let bucket = config.bucket_secs;
        Self {
            bucket,
            history: bucket * i64::try_from(config.history_buckets).unwrap_or(i64::MAX / bucket),
            trend: bucket * i64::try_from(config.window_buckets).unwrap_or(1),
            longest: DAILY.0 * DAILY.1 as i64,
        }
    }

    pub(crate) fn parse(&self, text: Option<&str>, default: i64) -> Result<i64, AppError> {
        params::window_secs(text, self.bucket, self.history, default)
    }

    /// A topic's window: as [`Windows::parse`], up to [`Windows::longest`] (past the ring, from
    /// the rollup tiers).
    pub(crate) fn parse_topic(&self, text: Option<&str>, default: i64) -> Result<i64, AppError> {
        params::window_secs(text, self.bucket, self.longest.max(self.history), default)
    }
}

/// `2h`, `30m`, `90s` for a number of seconds.
pub(crate) fn format_window(secs: i64) -> String {
    Span::from_secs(u64::try_from(secs).unwrap_or(0)).to_string()
}

/// Event time "now": the engine's watermark (the replay clock), or the wall clock before any data.
pub(crate) fn now(state: &AppState) -> DateTime<Utc> {
    state.engine().watermark().and_then(|w| Utc.timestamp_opt(w, 0).single()).unwrap_or_else(Utc::now)
}

/// The report (stories and trending topics) for these parameters, from the cache (see
/// [`crate::cache`] for how fresh).
pub(crate) async fn report(state: &AppState, window: i64, lang: Option<String>, limit: usize) -> Arc<CachedReport> {
    let app = state.clone();
    let key = (window, lang.clone(), limit);
    state
        .report_cache()
        .get(key, move || {
            let report = app.engine().report(&TrendQuery {
                window_secs: Some(window),
                limit: Some(limit),
                lang,
                ..TrendQuery::default()
            });
            let window = format_window(window);
            (
                TrendsResponse { as_of: report.as_of.clone(), window: window.clone(), trends: report.trends },
                StoriesResponse { as_of: report.as_of, window, stories: report.stories },
            )
        })
        .await
}

/// Story `id` over `window` (its series over the same span), if a current story has it.
pub(crate) async fn story(
    state: &AppState,
    id: &str,
    window: i64,
    lang: Option<String>,
) -> Result<Option<StoryDetail>, AppError> {
    let (app, id) = (state.clone(), id.to_string());
    tokio::task::spawn_blocking(move || {
        let query = TrendQuery { window_secs: Some(window), lang, ..TrendQuery::default() };
        app.engine().story(&id, &query, None)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// The stats of a topic given as a key or as free text (`Boston Marathon`), if the engine has any.
///
/// Read on the blocking pool: the engine's lock can be held by a bucket close, and an async worker
/// waiting for it would stall every other request scheduled on that worker.
pub(crate) async fn find_topic(state: &AppState, text: &str, span: i64) -> Result<Option<TopicStats>, AppError> {
    let (app, text) = (state.clone(), text.trim().to_string());
    tokio::task::spawn_blocking(move || {
        let engine = app.engine();
        // The busiest of the text's forms and aliases ("united" → `@united`), else the text as a key.
        let key = engine.resolve_topic(&text).unwrap_or_else(|| text.to_lowercase());
        engine.topic(&key, Some(span)).or_else(|| engine.topic(&text.to_lowercase(), Some(span)))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Typical posts per side about a topic key over the trend window ending now.
pub(crate) async fn representative(state: &AppState, key: &str, per_side: usize) -> Result<Representative, AppError> {
    let windows = Windows::of(state);
    // The trend window ending with the bucket that holds "now".
    let until = now(state) + chrono::Duration::seconds(windows.bucket);
    let since = until - chrono::Duration::seconds(windows.trend + windows.bucket);
    let index = state.index().clone();
    let key = key.to_string();
    tokio::task::spawn_blocking(move || index.representative(&key, Some(since), Some(until), per_side))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::from)
}

/// The reaction groups of the posts carrying any of `topics` (a story's, or one topic) over the
/// same buckets as the engine's `window`: whole buckets, the last one the bucket that holds "now"
/// (as the story's own counts). The topics' own words are left out of the groups' terms (every
/// group shares them).
pub(crate) async fn reactions(state: &AppState, topics: Vec<String>, window: i64) -> Result<Reactions, AppError> {
    let bucket = Windows::of(state).bucket;
    let window = (window + bucket - 1) / bucket * bucket;
    let last = (now(state).timestamp() - 1).div_euclid(bucket) * bucket;
    let until = Utc.timestamp_opt(last + bucket, 0).single().unwrap_or_else(Utc::now);
    let since = until - chrono::Duration::seconds(window);
    let index = state.index().clone();
    tokio::task::spawn_blocking(move || {
        let mut own: Vec<String> = Vec::new();
        for topic in &topics {
            let bare = topic.trim_start_matches(['#', '@', '$']);
            own.extend(bare.split(' ').map(str::to_owned));
            own.push(bare.replace(' ', ""));
        }
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        index.reactions(&topics, Some(since), Some(until), &own)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::from)
}

/// The topics closest to an unknown subject (see [`pulse_trends::TrendEngine::closest_topics`]).
pub(crate) async fn closest_topics(state: &AppState, subject: &str, n: usize) -> Vec<String> {
    let (app, subject) = (state.clone(), subject.to_string());
    tokio::task::spawn_blocking(move || app.engine().closest_topics(&subject, n)).await.unwrap_or_default()
}
