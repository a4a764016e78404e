//! The HTTP handlers. Each parses its parameters strictly, reads a snapshot, and answers JSON.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use futures_util::stream::{self, Stream};
use pulse_index::{Representative, SearchRequest, SentimentClass, SortOrder};
use pulse_trends::{TopicStats, Trend, TrendQuery};
use serde::Serialize;
use serde_json::json;

use crate::cache::CachedTrends;
use crate::error::AppError;
use crate::params::{self, AskParams, SearchParams, TopicParams, TrendParams};
use crate::{AppState, ask};

/// Posts per side in a topic's "what people think".
const REPRESENTATIVE_PER_SIDE: usize = 2;
/// How often `/v1/stream` looks for a changed trend list.
const STREAM_INTERVAL: Duration = Duration::from_secs(1);

/// Turns axum's plain-text query rejection (e.g. an unknown parameter) into our JSON 400.
fn query<T>(extracted: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    extracted.map(|Query(q)| q).map_err(|e| AppError::bad_request("bad_parameter", e.body_text()))
}

/// Window lengths as the engine sees them.
pub(crate) struct Windows {
    pub bucket: i64,
    pub history: i64,
    pub trend: i64,
}

impl Windows {
    pub(crate) fn of(state: &AppState) -> Self {
        let config = state.engine().config();
        let bucket = config.bucket_secs;
        Self {
            bucket,
            history: bucket * i64::try_from(config.history_buckets).unwrap_or(i64::MAX / bucket),
            trend: bucket * i64::try_from(config.window_buckets).unwrap_or(1),
        }
    }

    pub(crate) fn parse(&self, text: Option<&str>, default: i64) -> Result<i64, AppError> {
        params::window_secs(text, self.bucket, self.history, default)
    }
}

/// `2h`, `30m`, `90s` for a number of seconds.
pub(crate) fn format_window(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Event time "now": the engine's watermark (the replay clock), or the wall clock before any data.
pub(crate) fn now(state: &AppState) -> DateTime<Utc> {
    state.engine().watermark().and_then(|w| Utc.timestamp_opt(w, 0).single()).unwrap_or_else(Utc::now)
}

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

/// The trend list for these parameters, from the cache (at most [`crate::cache::TTL`] plus one computation old).
pub(crate) async fn trends_response(
    state: &AppState,
    window: i64,
    lang: Option<String>,
    limit: usize,
) -> Arc<CachedTrends> {
    let app = state.clone();
    let key = (window, lang.clone(), limit);
    state
        .trend_cache()
        .get(key, move || {
            let list = app.engine().trends(&TrendQuery {
                window_secs: Some(window),
                limit: Some(limit),
                lang,
                ..TrendQuery::default()
            });
            TrendsResponse { as_of: list.at, window: format_window(window), trends: list.trends }
        })
        .await
}

/// `GET /v1/trends?window=1h&lang=en&limit=20`
pub async fn trends(
    State(state): State<AppState>,
    params: Result<Query<TrendParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = query(params)?;
    let windows = Windows::of(&state);
    let window = windows.parse(params.window.as_deref(), windows.trend)?;
    let lang = params::lang(params.lang.as_deref())?;
    let limit = params::limit(params.limit.as_deref(), 20)?;
    let cached = trends_response(&state, window, lang, limit).await;
    Ok(([(header::CONTENT_TYPE, "application/json")], cached.json.clone()).into_response())
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

/// The stats of a topic given as a key or as free text (`Boston Marathon`), if the engine has any.
///
/// Read on the blocking pool: the engine's lock can be held by a bucket close, and an async worker
/// waiting for it would stall every other request scheduled on that worker.
pub(crate) async fn find_topic(state: &AppState, text: &str, span: i64) -> Result<Option<TopicStats>, AppError> {
    let (app, text) = (state.clone(), text.trim().to_string());
    tokio::task::spawn_blocking(move || {
        let engine = app.engine();
        let key = text.to_lowercase();
        engine
            .topic(&key, Some(span))
            .or_else(|| engine.resolve_topic(&text).and_then(|k| engine.topic(&k, Some(span))))
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

/// `GET /v1/topics/{topic}?window=24h`
pub async fn topic(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    params: Result<Query<TopicParams>, QueryRejection>,
) -> Result<Json<TopicResponse>, AppError> {
    let params = query(params)?;
    let windows = Windows::of(&state);
    let span = windows.parse(params.window.as_deref(), windows.history.min(24 * 3600))?;
    if topic.trim().is_empty() || topic.len() > 200 {
        return Err(AppError::bad_request("bad_topic", "the topic must be 1 to 200 characters"));
    }
    let stats = find_topic(&state, &topic, span)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no posts about {topic:?} in the last {}", format_window(span))))?;
    let representative = representative(&state, &stats.topic, REPRESENTATIVE_PER_SIDE).await?;
    Ok(Json(TopicResponse { window: format_window(span), stats, representative }))
}

/// `GET /v1/search?q=…&since=…&until=…&lang=…&sentiment=…&sort=relevance|recent&limit=…&offset=…`
pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<pulse_index::SearchPage>, AppError> {
    let params = query(params)?;
    let q = params.q.unwrap_or_default();
    if q.len() > 1000 {
        return Err(AppError::bad_request("bad_query", "q must be at most 1000 bytes"));
    }
    let sentiment = match params.sentiment.as_deref() {
        None => None,
        Some(text) => {
            Some(text.parse::<SentimentClass>().map_err(|message| AppError::bad_request("bad_sentiment", message))?)
        }
    };
    let sort = match params.sort.as_deref() {
        None | Some("relevance") => SortOrder::Relevance,
        Some("recent") => SortOrder::Recent,
        Some(other) => {
            return Err(AppError::bad_request("bad_sort", format!("sort {other:?} must be relevance or recent")));
        }
    };
    let request = SearchRequest {
        q,
        since: params::time("since", params.since.as_deref())?,
        until: params::time("until", params.until.as_deref())?,
        lang: params::lang(params.lang.as_deref())?,
        sentiment,
        sort,
        offset: params::offset(params.offset.as_deref())?,
        limit: params::limit(params.limit.as_deref(), 20)?,
    };
    let index = state.index().clone();
    let page = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(page))
}

/// `GET /v1/ask?q=what do people think about boston`
pub async fn ask(
    State(state): State<AppState>,
    params: Result<Query<AskParams>, QueryRejection>,
) -> Result<Json<ask::Answer>, AppError> {
    let params = query(params)?;
    let question = params.q.unwrap_or_default();
    if question.trim().is_empty() || question.len() > 500 {
        return Err(AppError::bad_request("bad_question", "q must be a question of 1 to 500 characters"));
    }
    Ok(Json(ask::answer(&state, &question).await?))
}

/// `GET /v1/stream`: the trend list (default window, 20 stories) as Server-Sent Events, sent when it
/// changes, checked once a second.
pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticker = tokio::time::interval(STREAM_INTERVAL);
    let events = stream::unfold((state, ticker, String::new()), |(state, mut ticker, mut last)| async move {
        loop {
            ticker.tick().await;
            let windows = Windows::of(&state);
            let cached = trends_response(&state, windows.trend, None, 20).await;
            // Compare without the timestamp, so an unchanged list is not resent every second.
            let fingerprint = serde_json::to_string(&cached.list.trends).unwrap_or_default();
            if fingerprint != last {
                last = fingerprint;
                let event = Event::default().event("trends").json_data(&cached.list).unwrap_or_default();
                return Some((Ok(event), (state, ticker, last)));
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: data is flowing and queries can be answered.
pub async fn readyz(State(state): State<AppState>) -> Response {
    ready_response(state.is_ready())
}

/// `GET /readyz` of a [`crate::probe_router`].
pub async fn probe_readyz(State(probes): State<crate::Probes>) -> Response {
    ready_response((probes.ready)())
}

/// `GET /metrics` of a [`crate::probe_router`].
pub async fn probe_metrics(State(probes): State<crate::Probes>) -> Response {
    openmetrics((probes.render)())
}

fn ready_response(ready: bool) -> Response {
    if ready {
        Json(json!({"status": "ready"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "starting"}))).into_response()
    }
}

fn openmetrics(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    // Off the async workers, like topic reads: the engine's counters sit behind its lock.
    let body = tokio::task::spawn_blocking(move || {
        let engine = state.engine().metrics();
        let index = state.index().stats();
        state.metrics().render(state.pipeline(), &engine, &index)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(openmetrics(body))
}

/// Any other path.
pub async fn not_found() -> AppError {
    AppError::NotFound("no such endpoint; see /v1/trends, /v1/topics/{topic}, /v1/search, /v1/ask, /v1/stream".into())
}
