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

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use pulse_api::{AppState, PipelineStats};
use pulse_core::replay::{self, Pacing, ReplayObserver, ReplayOptions, ReplaySummary, Sink, SinkError, SystemClock};
use pulse_core::{Malformed, Post};
use pulse_ingest::Pipeline;
use pulse_trends::TrendEngine;
use serde::Serialize;

use crate::config::{ConfigArg, EngineArgs, EngineSettings, FileConfig, IndexArgs, IndexSettings};
use crate::{inputs, server};

/// Posts waiting between the replay and the analysis workers.
const ANALYSIS_QUEUE: usize = 8192;
/// A worker with nothing to do flushes its local aggregates after this long.
const IDLE_FLUSH: Duration = Duration::from_millis(200);

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// What to replay: files, directories or dataset names [default: boston-west].
    #[arg(long = "replay", value_name = "INPUT", num_args = 1..)]
    replay: Option<Vec<PathBuf>>,
    /// Event-time speed-up of the replay (3600: an hour of posts per second) [default: 3600].
    #[arg(long, conflicts_with = "max")]
    speed: Option<f64>,
    /// Replay as fast as possible instead (a load test).
    #[arg(long)]
    max: bool,
    /// Passes over the inputs, each shifted past the previous one in time; 0 = forever [default: 0].
    #[arg(long = "loop", value_name = "N")]
    loops: Option<u32>,
    /// Analysis workers [default: one per core].
    #[arg(long)]
    workers: Option<usize>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    index: IndexArgs,
    /// Print the effective configuration and exit.
    #[arg(long)]
    print_config: bool,
}

/// The effective `[serve]` settings.
#[derive(Serialize)]
struct ReplaySettings {
    replay: Vec<PathBuf>,
    speed: f64,
    max: bool,
    loops: u32,
    workers: usize,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let file = FileConfig::load(args.config.config.as_deref())?;
    let engine_settings = EngineSettings::resolve(&args.engine, &file)?;
    let index_settings = IndexSettings::resolve(&args.index, &file)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let replay = ReplaySettings {
        replay: args.replay.or(file.serve.replay).unwrap_or_else(|| vec!["boston-west".into()]),
        speed: args.speed.or(file.serve.speed).unwrap_or(3600.0),
        max: args.max || file.serve.max.unwrap_or(false),
        loops: args.loops.or(file.serve.loops).unwrap_or(0),
        workers: args.workers.or(file.serve.workers).unwrap_or(cores).max(1),
    };
    if replay.speed.is_nan() || replay.speed <= 0.0 {
        anyhow::bail!("the replay speed must be greater than 0");
    }
    let trend_config = engine_settings.trend_config();
    let index_config = index_settings.index_config();
    if args.print_config {
        let effective = serde_json::json!({
            "serve": &replay, "http_and_trends": &engine_settings, "index_dir": &index_settings,
            "trends": &trend_config, "index": &index_config,
        });
        println!("{}", serde_json::to_string_pretty(&effective)?);
        return Ok(ExitCode::SUCCESS);
    }
    let inputs = inputs::resolve(&replay.replay, None)?;
    let engine = Arc::new(TrendEngine::new(trend_config)?);
    let index = server::fresh_index(&index_settings)?;
    let stats = Arc::new(PipelineStats::default());
    let state = AppState::new(engine.clone(), index.clone(), stats.clone());
    let stop = Arc::new(AtomicBool::new(false));

    let (posts_tx, posts_rx) = flume::bounded::<Post>(ANALYSIS_QUEUE);
    let options = ReplayOptions {
        pacing: if replay.max { Pacing::Max } else { Pacing::Speed(replay.speed) },
        loops: if replay.loops == 0 { u32::MAX } else { replay.loops },
        ..ReplayOptions::default()
    };
    let dead_letters = index_settings.data_dir.join("dead-letters.jsonl");
    let replay_thread = {
        let (stats, stop) = (stats.clone(), stop.clone());
        std::thread::Builder::new().name("replay".into()).spawn(move || {
            server::lower_priority("replay");
            let mut sink = QueueSink { queue: posts_tx, stats: stats.clone(), stop };
            let mut observer = ServeObserver { stats, dead_letters, file: None };
            replay::replay(&inputs, &options, &mut sink, &mut SystemClock::default(), &mut observer)
        })?
    };
    let mut worker_threads = Vec::new();
    for n in 0..replay.workers {
        let (engine, index, stats, posts) = (engine.clone(), index.clone(), stats.clone(), posts_rx.clone());
        worker_threads.push(std::thread::Builder::new().name(format!("analyze-{n}")).spawn(move || {
            server::lower_priority("analysis");
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

    let pacing = if replay.max { "max speed".to_string() } else { format!("{}x", replay.speed) };
    let replaying: Vec<String> = replay.replay.iter().map(|p| p.display().to_string()).collect();
    let (app, listen) = (pulse_api::router(state.clone()), engine_settings.listen);
    // The replay ending (or failing) must not stop the server, so it gets a flag of its own.
    server::serve_http(app, listen, Some(stats), Arc::new(AtomicBool::new(false)), |address| {
        eprintln!("pulse serve: http://{address} (replaying {} at {pacing})", replaying.join(", "));
        state.set_ready(true);
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
