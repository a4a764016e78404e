//! `pulse serve`: the embedded all-in-one. A replay source → analysis workers (one per core) →
//! trend engine + search index → HTTP API and dashboard, in one process, no broker.
//!
//! Threads: the replay runs on its own thread and hands posts to a bounded queue; each analysis
//! worker owns an engine worker (local aggregation, merged into the shared window every
//! `flush_interval_ms`) and a sender to the index writer (its own thread, bounded queue). The
//! HTTP server runs on tokio and only reads. Backpressure all the way: when the index or the
//! analysis falls behind, the replay waits instead of queues growing.
//!
//! Shutdown (SIGINT/SIGTERM): the replay stops at the next post, the workers drain the queue and
//! flush, the index commits, the server finishes open requests, exit 0. Trend state is rebuilt
//! from the replay on every start, so the index directory is emptied at start to match it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use pulse_api::{AppState, PipelineStats};
use pulse_core::replay::{self, Pacing, ReplayObserver, ReplayOptions, ReplaySummary, Sink, SinkError, SystemClock};
use pulse_core::{Malformed, Post};
use pulse_index::{IndexConfig, SearchIndex};
use pulse_trends::{TrendConfig, TrendEngine};
use serde::Serialize;

use crate::inputs;
use crate::trends::parse_duration;
use pulse_ingest::Pipeline;

/// Posts waiting between the replay and the analysis workers.
const ANALYSIS_QUEUE: usize = 8192;
/// A worker with nothing to do flushes its local aggregates after this long.
const IDLE_FLUSH: Duration = Duration::from_millis(200);

#[derive(Args, Serialize)]
pub struct ServeArgs {
    /// What to replay: files, directories or dataset names.
    #[arg(long = "replay", value_name = "INPUT", default_value = "boston-west", num_args = 1..)]
    replay: Vec<PathBuf>,
    /// Event-time speed-up of the replay (3600: an hour of posts per second).
    #[arg(long, default_value_t = 3600.0, conflicts_with = "max")]
    speed: f64,
    /// Replay as fast as possible instead (a load test).
    #[arg(long)]
    max: bool,
    /// Passes over the inputs, each shifted past the previous one in time; 0 = forever.
    #[arg(long = "loop", value_name = "N", default_value_t = 0)]
    loops: u32,
    /// Address to serve HTTP on.
    #[arg(long, env = "PULSE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Trend bucket width (10m suits sparse replays such as CrisisLex; 1m live firehoses).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    bucket: i64,
    /// Trend window: how much recent data counts as "now".
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    window: i64,
    /// Analysis workers (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// Where the search index and dead letters live.
    #[arg(long, env = "PULSE_HOME", default_value = "pulse-data")]
    data_dir: PathBuf,
    /// Keep posts searchable for this much event time.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    retention: i64,
    /// Print the effective configuration and exit.
    #[arg(long)]
    #[serde(skip)]
    print_config: bool,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let mut trend_config = TrendConfig::for_bucket(args.bucket);
    trend_config.window_buckets = usize::try_from((args.window / args.bucket).max(1)).unwrap_or(6);
    let index_config =
        IndexConfig { retention_secs: Some(u64::try_from(args.retention).unwrap_or(86_400)), ..IndexConfig::default() };
    if args.print_config {
        let effective =
            serde_json::json!({"serve": &args, "workers": workers, "trends": &trend_config, "index": &index_config});
        println!("{}", serde_json::to_string_pretty(&effective)?);
        return Ok(ExitCode::SUCCESS);
    }
    let inputs = inputs::resolve(&args.replay, None)?;
    let engine = Arc::new(TrendEngine::new(trend_config)?);
    let index_dir = args.data_dir.join("index");
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir).with_context(|| format!("cannot reset {}", index_dir.display()))?;
    }
    std::fs::create_dir_all(&index_dir).with_context(|| format!("cannot create {}", index_dir.display()))?;
    let index = Arc::new(SearchIndex::open(&index_dir, index_config)?);
    let stats = Arc::new(PipelineStats::default());
    let state = AppState::new(engine.clone(), index.clone(), stats.clone());
    let stop = Arc::new(AtomicBool::new(false));

    let (posts_tx, posts_rx) = flume::bounded::<Post>(ANALYSIS_QUEUE);
    let options = ReplayOptions {
        pacing: if args.max { Pacing::Max } else { Pacing::Speed(args.speed) },
        loops: if args.loops == 0 { u32::MAX } else { args.loops },
        ..ReplayOptions::default()
    };
    let dead_letters = args.data_dir.join("dead-letters.jsonl");
    let replay_thread = {
        let (stats, stop) = (stats.clone(), stop.clone());
        std::thread::Builder::new().name("replay".into()).spawn(move || {
            let mut sink = QueueSink { queue: posts_tx, stats: stats.clone(), stop };
            let mut observer = ServeObserver { stats, dead_letters, file: None };
            replay::replay(&inputs, &options, &mut sink, &mut SystemClock::default(), &mut observer)
        })?
    };
    let mut worker_threads = Vec::new();
    for n in 0..workers {
        let (engine, index, stats, posts) = (engine.clone(), index.clone(), stats.clone(), posts_rx.clone());
        worker_threads.push(std::thread::Builder::new().name(format!("analyze-{n}")).spawn(move || {
            let mut pipeline = Pipeline::new(engine.worker()).with_index(index.sender());
            loop {
                match posts.recv_timeout(IDLE_FLUSH) {
                    Ok(post) => {
                        stats.analysis_queue.store(posts.len() as u64, Ordering::Relaxed);
                        pipeline.ingest(&post)?;
                        stats.posts_analyzed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(flume::RecvTimeoutError::Timeout) => pipeline.flush()?,
                    Err(flume::RecvTimeoutError::Disconnected) => break,
                }
            }
            pipeline.flush()?;
            anyhow::Ok(())
        })?);
    }
    drop(posts_rx);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        let pacing = if args.max { "max speed".to_string() } else { format!("{}x", args.speed) };
        let replaying: Vec<String> = args.replay.iter().map(|p| p.display().to_string()).collect();
        eprintln!("pulse serve: http://{address} (replaying {} at {pacing})", replaying.join(", "));
        state.set_ready(true);
        tokio::spawn(measure_rate(stats.clone()));
        let app = pulse_api::router(state.clone());
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    eprintln!("pulse serve: shutting down");
    state.set_ready(false);
    stop.store(true, Ordering::Release);
    let summary = replay_thread.join().map_err(|_| anyhow::anyhow!("the replay thread panicked"))?;
    for thread in worker_threads {
        thread.join().map_err(|_| anyhow::anyhow!("an analysis worker panicked"))??;
    }
    index.shutdown()?;
    match summary {
        Ok(summary) => {
            eprintln!("pulse serve: replayed {} posts, {} malformed", summary.emitted(), summary.malformed())
        }
        Err(pulse_core::Error::Sink(reason)) if reason == STOPPED => eprintln!("pulse serve: replay stopped"),
        Err(error) => return Err(error.into()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The reason the replay ends with when the server shuts down.
const STOPPED: &str = "stopped";

/// Hands replayed posts to the analysis queue (waiting while it is full).
struct QueueSink {
    queue: flume::Sender<Post>,
    stats: Arc<PipelineStats>,
    stop: Arc<AtomicBool>,
}

impl Sink for QueueSink {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        if self.stop.load(Ordering::Acquire) {
            return Err(STOPPED.into());
        }
        self.stats.newest_event_ms.store(post.created_at.timestamp_millis(), Ordering::Relaxed);
        self.queue.send(post.clone()).map_err(|_| STOPPED.into())
    }
}

/// Counts records and dead-letters malformed ones to the data directory.
struct ServeObserver {
    stats: Arc<PipelineStats>,
    dead_letters: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl ReplayObserver for ServeObserver {
    fn on_post(&mut self, _post: &Post, _summary: &ReplaySummary) {
        self.stats.records_read.fetch_add(1, Ordering::Relaxed);
    }

    fn on_malformed(&mut self, malformed: &Malformed) {
        use std::io::Write;
        self.stats.records_read.fetch_add(1, Ordering::Relaxed);
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%malformed, "malformed record skipped");
        if self.file.is_none() {
            self.file = std::fs::File::create(&self.dead_letters).ok().map(std::io::BufWriter::new);
        }
        if let Some(file) = &mut self.file {
            let record = serde_json::json!({"path": malformed.path.display().to_string(), "line": malformed.line, "reason": malformed.reason, "raw": malformed.raw});
            let _ = writeln!(file, "{record}").and_then(|()| file.flush());
        }
    }
}

/// Posts analysed per second, measured once a second.
async fn measure_rate(stats: Arc<PipelineStats>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut last = stats.posts_analyzed.load(Ordering::Relaxed);
    loop {
        ticker.tick().await;
        let now = stats.posts_analyzed.load(Ordering::Relaxed);
        stats.ingest_rate_milli.store(now.saturating_sub(last) * 1000, Ordering::Relaxed);
        last = now;
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
