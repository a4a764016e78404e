//! `pulse replay`: posts from files and datasets, merged by event time, paced, as canonical JSONL.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use pulse_core::Format;
use pulse_core::replay::{self, DEFAULT_SORT_BUFFER, Pacing, ReplayOptions, ReplaySummary, SystemClock};
use pulse_core::sink::{JsonlSink, Sink};
use pulse_core::time::parse_time;

use crate::config::SPEED_RANGE;
use crate::inputs;
use crate::progress::{MALFORMED_SHOWN, Progress};

#[derive(Args)]
pub struct ReplayArgs {
    /// Files, directories, `-` (stdin) or dataset names (`pulse data list`); merged by event time.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Input format; detected from each file's first line when not given.
    #[arg(long, alias = "format", value_parser = inputs::parse_format)]
    input_format: Option<Format>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Event-time speed-up: 3600 replays an hour of posts per second.
    #[arg(long, group = "pacing")]
    speed: Option<f64>,
    /// Emit this many posts per second, whatever their timestamps.
    #[arg(long, group = "pacing")]
    rate: Option<f64>,
    /// As fast as possible (the default).
    #[arg(long, group = "pacing")]
    max: bool,
    /// Replay the inputs N times, each pass shifted past the previous one in time, with unique ids.
    #[arg(long = "loop", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    loops: u32,
    /// Stop after this many posts.
    #[arg(long)]
    limit: Option<u64>,
    /// Only posts created at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Only posts created before this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long, value_parser = parse_time)]
    until: Option<DateTime<Utc>>,
    /// Posts held per input to put it in time order; a file more out of order than this fails.
    #[arg(long, default_value_t = DEFAULT_SORT_BUFFER)]
    sort_buffer: usize,
    /// Fail on the first malformed record instead of reporting and skipping it.
    #[arg(long)]
    strict: bool,
    /// Where malformed records are written (JSON lines with file, line, reason and the raw record).
    #[arg(long, default_value = "pulse-dead-letters.jsonl")]
    dead_letter: PathBuf,
    /// Where posts go: JSON lines (standard output or --out), or the Kafka posts topic.
    #[arg(long, value_enum, default_value = "jsonl")]
    to: Destination,
    #[cfg(feature = "kafka")]
    #[command(flatten)]
    config: crate::config::ConfigArg,
    #[cfg(feature = "kafka")]
    #[command(flatten)]
    kafka: crate::kafka::KafkaArgs,
}

/// Where `pulse replay` sends posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Destination {
    /// Canonical JSON lines.
    Jsonl,
    /// The Kafka posts topic (key = post id; `--brokers`, `--topic`, or `[kafka]` in `--config`).
    Kafka,
}

pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    let inputs = inputs::resolve(&args.inputs, args.input_format)?;
    let (slowest, fastest) = SPEED_RANGE;
    let pacing = match (args.speed, args.rate) {
        (Some(speed), _) if (slowest..=fastest).contains(&speed) => Pacing::Speed(speed),
        (_, Some(rate)) if (slowest..=fastest).contains(&rate) => Pacing::Rate(rate),
        (None, None) => Pacing::Max,
        _ => anyhow::bail!("--speed and --rate must be between {slowest} and {fastest:e} (or use --max)"),
    };
    let options = ReplayOptions {
        pacing,
        sort_buffer: args.sort_buffer,
        limit: args.limit,
        since: args.since,
        until: args.until,
        loops: args.loops,
        strict: args.strict,
        ..ReplayOptions::default()
    };
    let total = inputs::known_posts(&args.inputs).map(|posts| posts * u64::from(args.loops));
    let total = match (total, args.limit) {
        (Some(total), Some(limit)) => Some(total.min(limit)),
        (total, limit) => total.or(limit),
    };
    let mut progress = Progress::new(args.dead_letter.clone(), total);
    let mut sink: Box<dyn Sink> = match (args.to, &args.out) {
        (Destination::Kafka, _) => kafka_sink(&args, &mut progress)?,
        (Destination::Jsonl, Some(path)) => {
            let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Box::new(JsonlSink::new(BufWriter::with_capacity(1 << 16, file)))
        }
        (Destination::Jsonl, None) => Box::new(JsonlSink::new(BufWriter::with_capacity(1 << 16, io::stdout().lock()))),
    };
    let started = Instant::now();
    let result = replay::replay(&inputs, &options, sink.as_mut(), &mut SystemClock::default(), &mut progress);
    progress.bar.finish_and_clear();
    let summary = result?;
    print_summary(&summary, started.elapsed().as_secs_f64(), &progress);
    Ok(ExitCode::SUCCESS)
}

/// A producer to the Kafka posts topic; the progress bar then counts acknowledged posts.
#[cfg(feature = "kafka")]
fn kafka_sink(args: &ReplayArgs, progress: &mut Progress) -> Result<Box<dyn Sink>> {
    if args.out.is_some() {
        anyhow::bail!("--out and --to kafka are exclusive");
    }
    let kafka = crate::kafka::load(&args.config, &args.kafka)?.kafka;
    let producer = pulse_kafka::PostProducer::new(&kafka)?;
    progress.acked = Some(producer.acked());
    Ok(Box::new(producer))
}

#[cfg(not(feature = "kafka"))]
fn kafka_sink(_: &ReplayArgs, _: &mut Progress) -> Result<Box<dyn Sink>> {
    anyhow::bail!("this pulse was built without Kafka (cargo feature `kafka`)")
}

fn print_summary(summary: &ReplaySummary, seconds: f64, progress: &Progress) {
    let emitted = summary.emitted();
    let range = match (summary.first_at, summary.last_at) {
        (Some(first), Some(last)) => format!(
            ", event time {} .. {}",
            first.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            last.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
        _ => String::new(),
    };
    eprintln!("replayed {emitted} posts in {seconds:.2} s ({:.0} posts/s){range}", emitted as f64 / seconds.max(1e-9));
    if let Some(acked) = &progress.acked {
        eprintln!("acknowledged by Kafka: {} posts", acked.load(Ordering::Relaxed));
    }
    eprintln!("{:>9} {:>9} {:>9} {:>9} {:>9}  file", "read", "emitted", "malformed", "skipped", "filtered");
    for input in &summary.inputs {
        eprintln!(
            "{:>9} {:>9} {:>9} {:>9} {:>9}  {}",
            input.read,
            input.emitted,
            input.malformed,
            input.skipped,
            input.filtered,
            input.path.display()
        );
    }
    let malformed = summary.malformed();
    if malformed > 0 {
        let hidden = malformed.saturating_sub(MALFORMED_SHOWN as u64);
        let more = if hidden > 0 { format!(" ({hidden} not shown above)") } else { String::new() };
        eprintln!("{malformed} malformed records skipped{more}, written to {}", progress.dead_letters.path().display());
    }
}
