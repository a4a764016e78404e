//! `pulse`: replay public social posts, find what is trending and what people think about it.

mod analyze;
mod config;
mod data;
mod inputs;
#[cfg(feature = "kafka")]
mod kafka;
mod live;
mod progress;
mod record;
mod replay;
mod serve;
mod server;
mod state;
mod trends;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Pulse: real-time social trends, and what people think about them.
#[derive(Parser)]
#[command(name = "pulse", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay posts from files or catalogue datasets, merged by event time, as canonical JSONL.
    Replay(replay::ReplayArgs),
    /// Show the language, topic keys, sentiment and repost flag Pulse finds in each post.
    Analyze(analyze::AnalyzeArgs),
    /// Replay inputs at full speed through analysis and the trend engine; print trends over time.
    Trends(trends::TrendsArgs),
    /// Replay a firehose through analysis, trends and search, and serve the API and dashboard.
    Serve(serve::ServeArgs),
    /// Record Bluesky's live firehose (Jetstream events, gzip JSONL) for replays and load tests.
    Record(record::RecordArgs),
    /// List, download and locate the public datasets Pulse can replay.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Kafka ingest worker: analyse the posts topic's partitions into rollups (a consumer group).
    #[cfg(feature = "kafka")]
    Ingest(kafka::IngestArgs),
    /// Kafka query node: merge rollups, index posts, serve the API and dashboard.
    #[cfg(feature = "kafka")]
    Query(kafka::QueryArgs),
    /// Create Pulse's Kafka topics.
    #[cfg(feature = "kafka")]
    #[command(subcommand)]
    Topics(kafka::TopicsCommand),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PULSE_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let matches = config::with_defaults(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Data(command) => data::run(command),
        Command::Analyze(args) => analyze::run(args),
        Command::Trends(args) => trends::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Record(args) => record::run(args),
        #[cfg(feature = "kafka")]
        Command::Ingest(args) => kafka::ingest(args),
        #[cfg(feature = "kafka")]
        Command::Query(args) => kafka::query(args),
        #[cfg(feature = "kafka")]
        Command::Topics(command) => kafka::topics(command),
    };
    match result {
        Ok(code) => code,
        // `pulse replay … | head` closing the pipe early is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<pulse_core::Error>().is_some_and(pulse_core::Error::is_broken_pipe)
    })
}
