//! The HTTP handlers. Each parses its parameters strictly, reads a snapshot, and answers JSON.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use pulse_index::{SearchRequest, SentimentClass, SortOrder};
use serde_json::json;

use crate::AppState;
use crate::ask;
use crate::error::AppError;
use crate::metrics::ServerNumbers;
use crate::params::{self, AskParams, SearchParams, StoryParams, TopicParams, TrendParams};
use crate::read::{self, Windows, find_topic, format_window, representative};
use crate::response::{StoryResponse, TopicResponse};

/// Posts per side in a topic's "what people think".
const REPRESENTATIVE_PER_SIDE: usize = 2;
/// How often `/v1/stream` looks for changed stories.
const STREAM_INTERVAL: Duration = Duration::from_secs(1);

/// Turns axum's plain-text query rejection (e.g. an unknown parameter) into our JSON 400.
fn query<T>(extracted: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    extracted.map(|Query(q)| q).map_err(|e| AppError::bad_request("bad_parameter", e.body_text()))
}

/// The report `/v1/trends` and `/v1/stories` both answer from (one cache entry per window,
/// language and limit).
async fn cached_report(
    state: &AppState,
    params: TrendParams,
) -> Result<std::sync::Arc<crate::cache::CachedReport>, AppError> {
    let windows = Windows::of(state);
    let window = windows.parse(params.window.as_deref(), windows.trend)?;
    let lang = params::lang(params.lang.as_deref())?;
    let limit = params::limit(params.limit.as_deref(), 20)?;
    Ok(read::report(state, window, lang, limit).await)
}

/// `GET /v1/trends?window=1h&lang=en&limit=20`
pub async fn trends(
    State(state): State<AppState>,
    params: Result<Query<TrendParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let cached = cached_report(&state, query(params)?).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], cached.trends_json.clone()).into_response())
}

/// `GET /v1/stories?window=1h&lang=en&limit=20`
pub async fn stories(
    State(state): State<AppState>,
    params: Result<Query<TrendParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let cached = cached_report(&state, query(params)?).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], cached.stories_json.clone()).into_response())
}

/// `GET /v1/stories/{id}?window=1h&lang=en`
pub async fn story(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<StoryParams>, QueryRejection>,
) -> Result<Json<StoryResponse>, AppError> {
    let params = query(params)?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::bad_request("bad_story", "a story id is 1 to 64 letters and digits"));
    }
    let windows = Windows::of(&state);
    let window = windows.parse(params.window.as_deref(), windows.trend)?;
    let lang = params::lang(params.lang.as_deref())?;
    let detail = read::story(&state, &id, window, lang).await?.ok_or_else(|| {
        AppError::NotFound(format!("no story {id:?} among the stories of the last {}", format_window(window)))
    })?;
    let representative = representative(&state, &detail.story.topic, REPRESENTATIVE_PER_SIDE).await?;
    let topics = detail.story.topics.iter().map(|t| t.topic.clone()).collect();
    let reactions = read::reactions(&state, topics, window).await?;
    Ok(Json(StoryResponse { window: format_window(window), detail, representative, reactions }))
}

/// `GET /v1/topics/{topic}?window=24h` (up to `90d`: past the ring, from the rollup tiers)
pub async fn topic(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    params: Result<Query<TopicParams>, QueryRejection>,
) -> Result<Json<TopicResponse>, AppError> {
    let params = query(params)?;
    let windows = Windows::of(&state);
    let span = windows.parse_topic(params.window.as_deref(), windows.history.min(24 * 3600))?;
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
///
/// The stream ends when the server shuts down; over the stream cap the answer is a 503.
pub async fn stream(State(state): State<AppState>) -> Response {
    let Some(slot) = state.open_stream() else {
        return AppError::Unavailable {
            code: "too_many_streams",
            message: "the server has as many event streams open as it serves; retry later".into(),
        }
        .into_response();
    };
    let ticker = tokio::time::interval(STREAM_INTERVAL);
    let stopping = Box::pin(state.shutdown().wait());
    let start = (state, ticker, None, stopping, slot);
    let events = stream::unfold(start, |(state, mut ticker, mut last, mut stopping, slot)| async move {
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = &mut stopping => return None,
            }
            let windows = Windows::of(&state);
            let cached = read::report(&state, windows.trend, None, 20).await;
            // Compared without the report's time, so unchanged stories are not resent every second.
            if last != Some(cached.stories_fingerprint) {
                last = Some(cached.stories_fingerprint);
                let json = String::from_utf8_lossy(&cached.stories_json);
                let event = Event::default().event("stories").data(json);
                return Some((Ok::<_, Infallible>(event), (state, ticker, last, stopping, slot)));
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: data is flowing and queries can be answered.
///
/// 503 while starting, and while the search index cannot take posts (its writer failed and is
/// being reopened), with the reason.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.index().writer_down() {
        Some(reason) if state.is_ready() => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "index_down", "reason": reason}))).into_response()
        }
        _ => ready_response(state.is_ready()),
    }
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
        let connections = &state.front().connections;
        let server = ServerNumbers {
            connections_open: connections.open.load(Ordering::Relaxed),
            connections_refused: connections.refused.load(Ordering::Relaxed),
            streams_open: state.open_streams(),
        };
        state.metrics().render(state.pipeline(), &engine, &index, &server)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(openmetrics(body))
}

/// Any other path.
pub async fn not_found() -> AppError {
    AppError::NotFound("no such endpoint; see /v1/trends, /v1/topics/{topic}, /v1/search, /v1/ask, /v1/stream".into())
}
