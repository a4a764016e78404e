//! `pulse`: replay public social posts, find what is trending and what people think about it.

mod data;
mod inputs;
mod replay;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// List, download and locate the public datasets Pulse can replay.
    #[command(subcommand)]
    Data(data::DataCommand),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PULSE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Data(command) => data::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
