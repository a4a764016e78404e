//! Pulse's query service: the HTTP API under `/v1` (described in `schemas/openapi.yaml`), Server-Sent
//! Events, health and Prometheus metrics, and the dashboard, all served by one axum [`router`].
//!
//! The API only *reads*: trends and topic stats from the shared [`pulse_trends::TrendEngine`]
//! (queries take a consistent snapshot and never stop ingest) and posts from the
//! [`pulse_index::SearchIndex`] (searches run on the blocking pool so a slow one never stalls the
//! async workers). Every parameter is parsed strictly ([`params`]); anything a caller can fix is a
//! 400 with `{"error": {"code", "message"}}`, an unknown topic a 404 ([`error::AppError`]).
//!
//! "Now" is event time: the engine's watermark. In a replay the clock follows the replayed posts, so
//! `window=1h` means the last hour of the data, not of the wall clock.

pub mod ask;
pub mod cache;
pub mod dashboard;
pub mod error;
pub mod handlers;
pub mod metrics;
pub mod params;
mod read;
pub mod response;
pub mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use pulse_index::SearchIndex;
use pulse_ingest::PipelineStats;
use pulse_trends::TrendEngine;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use metrics::Metrics;

/// Longest a request may take before it is answered with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body accepted (the API takes none; this bounds what a client can send).
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<TrendEngine>,
    index: Arc<SearchIndex>,
    pipeline: Arc<PipelineStats>,
    metrics: Metrics,
    report_cache: Arc<cache::ReportCache>,
    ready: AtomicBool,
    front: server::Front,
    streams: AtomicUsize,
    max_streams: usize,
}

impl AppState {
    /// State over a running engine and index; `pipeline` is updated by whoever feeds them, and at
    /// most `max_streams` event streams are served at once.
    pub fn new(
        engine: Arc<TrendEngine>,
        index: Arc<SearchIndex>,
        pipeline: Arc<PipelineStats>,
        max_streams: usize,
    ) -> Self {
        let inner = Inner {
            engine,
            index,
            pipeline,
            metrics: Metrics::default(),
            report_cache: Arc::default(),
            ready: AtomicBool::new(false),
            front: server::Front::default(),
            streams: AtomicUsize::new(0),
            max_streams,
        };
        Self { inner: Arc::new(inner) }
    }

    /// The trend engine.
    pub fn engine(&self) -> &TrendEngine {
        &self.inner.engine
    }

    /// The search index.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.inner.index
    }

    /// The pipeline's counters.
    pub fn pipeline(&self) -> &PipelineStats {
        &self.inner.pipeline
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Reports computed in the last second.
    pub fn report_cache(&self) -> &Arc<cache::ReportCache> {
        &self.inner.report_cache
    }

    /// Marks the service ready (`/readyz` answers 200) once data is flowing.
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.store(ready, Ordering::Release);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Acquire)
    }

    /// The server's shutdown signal: event streams end when it fires.
    pub fn shutdown(&self) -> &server::Shutdown {
        &self.inner.front.shutdown
    }

    /// What the server in front of this state shares with it (give it to [`server::serve`]).
    pub fn front(&self) -> server::Front {
        self.inner.front.clone()
    }

    /// Takes one of the event-stream slots, or `None` when all are in use; the slot is given back
    /// when the returned guard is dropped.
    pub fn open_stream(&self) -> Option<StreamSlot> {
        let taken = self.inner.streams.fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
            (open < self.inner.max_streams).then_some(open + 1)
        });
        match taken {
            Ok(_) => Some(StreamSlot(self.clone())),
            Err(_) => {
                self.inner.metrics.stream_refused();
                None
            }
        }
    }

    /// Event streams open now.
    pub fn open_streams(&self) -> usize {
        self.inner.streams.load(Ordering::Acquire)
    }
}

/// One open event stream; dropping it frees the slot.
pub struct StreamSlot(AppState);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.inner.streams.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The whole service: API, health, metrics and dashboard, with timeouts, body limits and latency
/// metrics per route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/trends", get(handlers::trends))
        .route("/v1/stories", get(handlers::stories))
        .route("/v1/stories/{id}", get(handlers::story))
        .route("/v1/topics/{topic}", get(handlers::topic))
        .route("/v1/search", get(handlers::search))
        .route("/v1/ask", get(handlers::ask))
        .route("/v1/stream", get(handlers::stream))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .merge(dashboard::routes())
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), record_latency))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(error::harden))
        .with_state(state)
}

/// Health of a process without a query API (a Kafka ingest worker): `/healthz`, `/readyz` from
/// `ready`, and `/metrics` from `render`; anything else is a 404 JSON error.
pub fn probe_router(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::probe_readyz))
        .route("/metrics", get(handlers::probe_metrics))
        .fallback(handlers::not_found)
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(error::harden))
        .with_state(probes)
}

/// What [`probe_router`] reports.
#[derive(Clone)]
pub struct Probes {
    /// Whether the process is ready.
    pub ready: Arc<dyn Fn() -> bool + Send + Sync>,
    /// The Prometheus text exposition.
    pub render: Arc<dyn Fn() -> String + Send + Sync>,
}

async fn record_latency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = route.filter(|r| r.starts_with("/v1/") && r != "/v1/stream") {
        state.metrics().observe_request(&route, started.elapsed().as_secs_f64());
    }
    response
}
