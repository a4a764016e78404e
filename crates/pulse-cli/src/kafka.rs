//! The commands that run Pulse around a Kafka broker: `pulse ingest`, `pulse query` and
//! `pulse topics create` (and the flags `pulse replay --to kafka` shares with them).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use pulse_api::server::Front;
use pulse_api::{AppState, Probes};
use pulse_core::Span;
use pulse_ingest::PipelineStats;
use pulse_kafka::query::{PostIndexer, RollupApplier, consume_rollups};
use pulse_kafka::{IngestStats, IngestWorker, KafkaConfig};
use pulse_trends::TrendEngine;

use crate::config::{Config, ConfigArg, HttpArgs, IndexArgs, TrendArgs};
use crate::server;

/// Kafka flags; each overrides the config file's `[kafka]` key of the same meaning.
#[derive(Args, Debug, Default)]
pub struct KafkaArgs {
    /// Bootstrap servers, host:port[,host:port…].
    #[arg(long, env = "PULSE_BROKERS")]
    pub brokers: Option<String>,
    /// The posts topic.
    #[arg(long)]
    pub topic: Option<String>,
    /// The rollups topic.
    #[arg(long)]
    pub rollups: Option<String>,
    /// The dead-letter topic for malformed posts.
    #[arg(long)]
    pub dlq: Option<String>,
    /// The ingest workers' consumer group.
    #[arg(long)]
    pub group: Option<String>,
}

impl KafkaArgs {
    /// Sets what was given.
    pub fn apply(&self, kafka: &mut KafkaConfig) {
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                target.clone_from(v);
            }
        };
        set(&mut kafka.brokers, &self.brokers);
        set(&mut kafka.posts_topic, &self.topic);
        set(&mut kafka.rollups_topic, &self.rollups);
        set(&mut kafka.dlq_topic, &self.dlq);
        set(&mut kafka.group, &self.group);
    }
}

/// The config file with `--config`'s Kafka flags applied.
pub fn load(config: &ConfigArg, kafka: &KafkaArgs) -> Result<Config> {
    let mut loaded = config.load()?;
    kafka.apply(&mut loaded.kafka);
    Ok(loaded)
}

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// How often a rollup per partition is shipped (e.g. 500ms, 1s).
    #[arg(long)]
    flush_interval: Option<Span>,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    trends: TrendArgs,
    /// Print the effective configuration (a file `--config` accepts) and exit.
    #[arg(long)]
    print_config: bool,
}

/// `pulse ingest`: a consumer-group worker; `/healthz`, `/readyz` and `/metrics` on `--listen`.
pub fn ingest(args: IngestArgs) -> Result<ExitCode> {
    let mut config = load(&args.config, &args.kafka)?;
    if let Some(interval) = args.flush_interval {
        config.kafka.flush_interval = interval;
    }
    args.http.apply(&mut config.http);
    args.trends.apply(&mut config.trends);
    let trends = config.trend_config()?;
    if args.print_config {
        print!("{}", config.to_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    let kafka = config.kafka.clone();
    let stats = Arc::new(IngestStats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (kafka, stats, stop) = (kafka.clone(), stats.clone(), stop.clone());
        std::thread::Builder::new().name("ingest".into()).spawn(move || {
            let result = IngestWorker::new(kafka, trends, stats).and_then(|mut worker| worker.run(&stop));
            if let Err(error) = &result {
                eprintln!("pulse ingest: {error}");
            }
            stop.store(true, Ordering::Release);
            result
        })?
    };
    let probes = Probes {
        ready: Arc::new({
            let stats = stats.clone();
            move || stats.is_ready()
        }),
        render: Arc::new({
            let stats = stats.clone();
            move || stats.render()
        }),
    };
    let (posts, group) = (kafka.posts_topic.clone(), kafka.group.clone());
    let served = server::serve_http(
        pulse_api::probe_router(probes),
        &config.http,
        Front::default(),
        None,
        stop.clone(),
        |address| {
            eprintln!("pulse ingest: {posts} → {} as group {group}; health on http://{address}", kafka.rollups_topic);
        },
    );
    stop.store(true, Ordering::Release);
    let outcome = worker.join().map_err(|_| anyhow::anyhow!("the ingest worker panicked"))?;
    served?;
    outcome.context("ingest worker failed")?;
    eprintln!("pulse ingest: stopped after {} posts", stats.posts.get());
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct QueryArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    kafka: KafkaArgs,
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

/// `pulse query`: rollups → trend state, posts → search index, the HTTP API and dashboard.
pub fn query(args: QueryArgs) -> Result<ExitCode> {
    let mut config = load(&args.config, &args.kafka)?;
    args.http.apply(&mut config.http);
    args.trends.apply(&mut config.trends);
    args.index.apply(&mut config.index);
    let trends = config.trend_config()?;
    if args.print_config {
        print!("{}", config.to_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    let kafka = config.kafka.clone();
    let engine = Arc::new(TrendEngine::new(trends)?);
    let (index, _state_lock) = server::fresh_index(&config.index)?;
    let stats = Arc::new(PipelineStats::default());
    let state = AppState::new(engine.clone(), index.clone(), stats.clone(), config.http.max_streams);
    let stop = Arc::new(AtomicBool::new(false));

    let rollups = {
        let (kafka, stop) = (kafka.clone(), stop.clone());
        let mut applier = RollupApplier::new(engine, stats.clone());
        let state = state.clone();
        std::thread::Builder::new().name("rollups".into()).spawn(move || {
            // Ready once the rollups written before this node started are applied.
            let result = consume_rollups(&kafka, &mut applier, || state.set_ready(true), &stop);
            if let Err(error) = &result {
                eprintln!("pulse query: rollups: {error}");
            }
            stop.store(true, Ordering::Release);
            result
        })?
    };
    let posts = {
        let (kafka, stop) = (kafka.clone(), stop.clone());
        let mut indexer = PostIndexer::new(index.sender(), stats.clone());
        std::thread::Builder::new().name("index-posts".into()).spawn(move || {
            // Not the rollups thread: it holds the engine's write lock while merging, and a query
            // waiting for that lock must not also wait for a low-priority thread to be scheduled.
            pulse_ingest::node::lower_priority("post indexing");
            let result = indexer.run(&kafka, &stop);
            if let Err(error) = &result {
                eprintln!("pulse query: posts: {error}");
            }
            stop.store(true, Ordering::Release);
            result
        })?
    };
    let served = server::serve_http(
        pulse_api::router(state.clone()),
        &config.http,
        state.front(),
        Some(stats),
        stop.clone(),
        |address| {
            eprintln!(
                "pulse query: http://{address} (rollups from {}, search over {})",
                kafka.rollups_topic, kafka.posts_topic
            );
        },
    );
    state.set_ready(false);
    stop.store(true, Ordering::Release);
    let rollups = rollups.join().map_err(|_| anyhow::anyhow!("the rollups consumer panicked"))?;
    let posts = posts.join().map_err(|_| anyhow::anyhow!("the posts indexer panicked"))?;
    index.shutdown()?;
    served?;
    rollups.context("rollups consumer failed")?;
    posts.context("posts indexer failed")?;
    Ok(ExitCode::SUCCESS)
}

/// `pulse topics`.
#[derive(Subcommand)]
pub enum TopicsCommand {
    /// Create the posts, rollups and dead-letter topics (existing ones are left alone).
    Create(TopicsArgs),
}

#[derive(Args)]
pub struct TopicsArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Partitions of the posts and rollups topics.
    #[arg(long)]
    partitions: Option<i32>,
    /// Replication factor.
    #[arg(long)]
    replication_factor: Option<i32>,
}

pub fn topics(command: TopicsCommand) -> Result<ExitCode> {
    let TopicsCommand::Create(args) = command;
    let mut kafka = load(&args.config, &args.kafka)?.kafka;
    kafka.partitions = args.partitions.unwrap_or(kafka.partitions);
    kafka.replication_factor = args.replication_factor.unwrap_or(kafka.replication_factor);
    for (topic, created) in pulse_kafka::topics::create_topics(&kafka)? {
        eprintln!("{topic}: {}", if created { "created" } else { "exists" });
    }
    Ok(ExitCode::SUCCESS)
}
