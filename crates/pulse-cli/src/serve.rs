//! `pulse serve`: the embedded all-in-one. A replay → an ingest node (analysis, trend engine,
//! search index; `pulse_ingest::IngestNode`) → the HTTP API and dashboard, in one process, no
//! broker.
//!
//! Shutdown (SIGINT/SIGTERM): the replay stops at the next post, the node drains its queue and
//! flushes, a last checkpoint is written, the index commits, the server finishes open requests,
//! exit 0. A checkpoint is also written every `--checkpoint-interval`; on start, the state
//! directory's checkpoint of the same run (same inputs and trend settings) is resumed from
//! (`state`): the engine as it was, the index without what it took after the checkpoint, the
//! replay skipping what it had handed on. Standard input cannot be read again: a restart keeps the
//! state and reads what the pipe brings. `--fresh` starts empty.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::Args;
use pulse_api::AppState;
use pulse_core::Span;
use pulse_core::dead_letters::DeadLetters;
use pulse_core::replay::{self, Pacing, ReplayOptions, SystemClock};
use pulse_ingest::checkpoint::SourcePosition;
use pulse_ingest::{Checkpoints, IngestNode, NodeConfig, PipelineStats, SourceObserver};

use crate::config::{Config, ConfigArg, HttpArgs, IndexArgs, TrendArgs};
use crate::{inputs, live, server, state};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// What to replay: files, directories or dataset names.
    #[arg(long = "replay", value_name = "INPUT", num_args = 1..)]
    replay: Option<Vec<PathBuf>>,
    /// Event-time speed-up of the replay (3600: an hour of posts per second).
    #[arg(long, conflicts_with = "max")]
    speed: Option<f64>,
    /// Replay as fast as possible instead (a load test).
    #[arg(long)]
    max: bool,
    /// Passes over the inputs, each shifted past the previous one in time; 0 = forever (standard
    /// input, a live stream, is read once).
    #[arg(long = "loop", value_name = "N")]
    loops: Option<u32>,
    /// Ingest threads.
    #[arg(long)]
    workers: Option<usize>,
    /// Serve Bluesky's live firehose through Jetstream instead of a replay (default: a public
    /// instance; any `ws://` or `wss://` `…/subscribe` URL).
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = pulse_jetstream::DEFAULT_URL, conflicts_with_all = ["replay", "speed", "max", "loops"])]
    jetstream: Option<String>,
    /// How often the state is saved for a restart to resume from (also at shutdown).
    #[arg(long, value_name = "SPAN")]
    checkpoint_interval: Option<Span>,
    /// Start empty: discard the state directory's checkpoint and index instead of resuming.
    #[arg(long)]
    fresh: bool,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    trends: TrendArgs,
    #[command(flatten)]
    index: IndexArgs,
    /// Print the effective configuration (a file `--config` accepts) and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut config = args.config.load()?;
    let serve = &mut config.serve;
    if let Some(replay) = args.replay {
        serve.replay = replay;
    }
    if let Some(speed) = args.speed {
        serve.speed = speed;
    }
    serve.max |= args.max;
    if let Some(loops) = args.loops {
        serve.loops = loops;
    }
    if args.workers.is_some() {
        serve.workers = args.workers;
    }
    if args.jetstream.is_some() {
        serve.jetstream = args.jetstream;
    }
    if let Some(every) = args.checkpoint_interval {
        serve.checkpoint_interval = every;
    }
    args.http.apply(&mut config.http);
    args.trends.apply(&mut config.trends);
    args.index.apply(&mut config.index);
    config.check_serve()?;
    let trend_config = config.trend_config()?;
    if args.print_config {
        print!("{}", config.to_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    let serve = &config.serve;
    if let Some(url) = &serve.jetstream {
        pulse_jetstream::JetstreamConfig::new(url.as_str()).check().map_err(anyhow::Error::msg)?;
    }
    let inputs = if serve.jetstream.is_some() { Vec::new() } else { inputs::resolve(&serve.replay, None)? };
    let fingerprint = fingerprint(&config, &inputs)?;
    let mut node_config = NodeConfig::default();
    if let Some(workers) = serve.workers {
        node_config.workers = workers;
    }
    let state::ServeState { engine, index, lock: _state_lock, resumed } =
        state::open(&config.index, trend_config, &fingerprint, args.fresh, node_config.workers)?;
    let stats = Arc::new(PipelineStats::default());
    if let Some(checkpoint) = &resumed {
        checkpoint.counts.restore(&stats);
    }
    let checkpoints = Checkpoints {
        dir: config.index.state_dir.clone(),
        every: serve.checkpoint_interval.to_std(),
        fingerprint,
        engine: (*engine).clone(),
        index: index.clone(),
    };
    let resumed_seq = resumed.as_ref().map_or(0, |c| c.seq);
    let resumed_note = match &resumed {
        Some(checkpoint) => format!(", resuming after post {} of the last checkpoint", checkpoint.seq),
        None => String::new(),
    };
    let state = AppState::new(engine.clone(), index.clone(), stats.clone(), config.http.max_streams);
    let stop = Arc::new(AtomicBool::new(false));

    let node = IngestNode::start(&engine, Some(&index), stats.clone(), &node_config)?;
    let stdin = serve.replay.iter().any(|p| p.as_os_str() == "-");
    let options = ReplayOptions {
        pacing: if serve.max { Pacing::Max } else { Pacing::Speed(serve.speed) },
        // Standard input can be read only once: a live stream is not looped.
        loops: if stdin {
            1
        } else if serve.loops == 0 {
            u32::MAX
        } else {
            serve.loops
        },
        resume: match resumed.as_ref().map(|c| &c.position) {
            Some(SourcePosition::Replay(position)) if !stdin => *position,
            _ => Default::default(),
        },
        ..ReplayOptions::default()
    };
    // The replay ending must not stop the server; the replay failing (an input that cannot be
    // read, a dead letter that cannot be written) does, and the process then exits non-zero.
    let replay_failed = Arc::new(AtomicBool::new(false));
    if let Some(url) = serve.jetstream.clone() {
        let dead_letters = DeadLetters::create(config.index.state_dir.join("dead-letters.jsonl"))?;
        let observer = SourceObserver::new(stats.clone(), dead_letters);
        let mut sink = node.sink(stop.clone()).numbered_from(resumed_seq).with_checkpoints(checkpoints);
        let mut cursor = None;
        if let Some(SourcePosition::Jetstream { time_us, ids }) = resumed.map(|c| c.position) {
            sink = sink.resume_stream(time_us, ids.clone());
            cursor = Some((time_us, ids));
        }
        let live = live::Live::start(
            &url,
            cursor,
            sink,
            observer,
            state.clone(),
            stats.clone(),
            stop.clone(),
            replay_failed.clone(),
        )?;
        let app = pulse_api::router(state.clone());
        let front = state.front();
        // Ready once the first post has arrived (see `live`), or at once with resumed state.
        state.set_ready(resumed_seq > 0);
        server::serve_http(app, &config.http, front, Some(stats), replay_failed, |address| {
            eprintln!("pulse serve: http://{address} (live from {url}{resumed_note})");
        })?;
        eprintln!("pulse serve: shutting down");
        state.set_ready(false);
        stop.store(true, Ordering::Release);
        let posts = live.finish()?;
        node.finish()?;
        index.shutdown()?;
        eprintln!("pulse serve: {posts} posts from Jetstream");
        return Ok(ExitCode::SUCCESS);
    }
    let replay_thread = {
        let mut sink = node.sink(stop.clone()).numbered_from(resumed_seq).with_checkpoints(checkpoints);
        let dead_letters = DeadLetters::create(config.index.state_dir.join("dead-letters.jsonl"))?;
        let mut observer = SourceObserver::new(stats.clone(), dead_letters);
        let failed = replay_failed.clone();
        std::thread::Builder::new().name("replay".into()).spawn(move || {
            pulse_ingest::node::lower_priority("replay");
            let summary = replay::replay(&inputs, &options, &mut sink, &mut SystemClock::default(), &mut observer);
            if let Err(error) = &summary
                && !error.is_stopped()
            {
                eprintln!("pulse serve: the replay failed: {error}");
                failed.store(true, Ordering::Release);
            }
            // Ended or stopped: what was handed on is saved, and a restart goes on after it.
            match sink.checkpoint() {
                Ok(()) => eprintln!("pulse serve: checkpoint written after post {}", sink.numbered()),
                Err(error) => {
                    eprintln!("pulse serve: the last checkpoint failed: {error}");
                    failed.store(true, Ordering::Release);
                }
            }
            summary
        })?
    };

    let pacing = if serve.max { "max speed".to_string() } else { format!("{}x", serve.speed) };
    let replaying: Vec<String> = serve.replay.iter().map(|p| p.display().to_string()).collect();
    let app = pulse_api::router(state.clone());
    let front = state.front();
    server::serve_http(app, &config.http, front, Some(stats), replay_failed, |address| {
        eprintln!("pulse serve: http://{address} (replaying {} at {pacing}{resumed_note})", replaying.join(", "));
        state.set_ready(true);
    })?;
    eprintln!("pulse serve: shutting down");
    state.set_ready(false);
    stop.store(true, Ordering::Release);
    let summary = replay_thread.join().map_err(|_| anyhow::anyhow!("the replay thread panicked"))?;
    node.finish()?;
    index.shutdown()?;
    match summary {
        Ok(summary) => {
            eprintln!("pulse serve: replayed {} posts, {} malformed", summary.emitted(), summary.malformed())
        }
        Err(error) if error.is_stopped() => eprintln!("pulse serve: replay stopped"),
        Err(error) => return Err(error.into()),
    }
    Ok(ExitCode::SUCCESS)
}

/// What run a checkpoint is of: the source and the trend settings. Pacing, threads and the
/// server's settings do not change what is counted, so a restart may change them.
fn fingerprint(config: &Config, inputs: &[replay::ReplayInput]) -> Result<String> {
    let source = match &config.serve.jetstream {
        Some(url) => format!("jetstream {url}"),
        None => {
            let paths: Vec<String> = inputs.iter().map(|i| i.path.display().to_string()).collect();
            format!("replay {} loop {}", paths.join(" "), config.serve.loops)
        }
    };
    Ok(format!("{source}; trends {}", serde_json::to_string(&config.trends)?))
}
