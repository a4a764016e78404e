//! `pulse record --jetstream [URL] (--out FILE.jsonl.gz | --to kafka --brokers … --topic posts)
//! [--duration 1h] [--limit N]`: captures Bluesky's firehose as it comes, for `pulse replay` to
//! read back (at its original pace or faster) and for load tests, or feeds it to Kafka so the
//! distributed mode runs live.
//!
//! The file holds Jetstream's events exactly as received, one per line, gzip-compressed (every
//! event, not only posts: a recording is a sample of the stream, and the replay's reader skips and
//! counts what is not a post). Into Kafka go the posts, as canonical JSON keyed by id (what
//! `pulse replay --to kafka` produces); frames that are not events are dead-lettered. A dropped
//! connection is resumed as in `pulse serve --jetstream`, with what a resume repeats left out.
//! Recording stops at the duration, at the limit (events to a file, posts to Kafka), or at
//! SIGINT/SIGTERM; the file is always closed whole (a complete gzip stream) and Kafka's
//! acknowledgements are awaited.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use flate2::Compression;
use flate2::write::GzEncoder;
use indicatif::{ProgressBar, ProgressStyle};
use pulse_core::Span;
use pulse_core::dead_letters::DeadLetters;
use pulse_core::sink::Sink;
use pulse_jetstream::{Item, Jetstream, JetstreamConfig, RecvTimeoutError};

/// Where `pulse record` sends what it captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Destination {
    /// Jetstream's events, gzip JSONL (`--out`).
    File,
    /// The posts, to the Kafka posts topic (`--brokers`, `--topic`, or `[kafka]` in `--config`).
    Kafka,
}

#[derive(Args)]
pub struct RecordArgs {
    /// The Jetstream endpoint to record (default: a public instance).
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = pulse_jetstream::DEFAULT_URL, required = true)]
    jetstream: Option<String>,
    /// Where the capture goes.
    #[arg(long, value_enum, default_value = "file")]
    to: Destination,
    /// Where to write the events: gzip-compressed JSONL (`.jsonl.gz`).
    #[arg(long, value_name = "FILE", required_if_eq("to", "file"))]
    out: Option<PathBuf>,
    /// Into Kafka: where frames that are not events are written.
    #[arg(long, default_value = "pulse-dead-letters.jsonl")]
    dead_letter: PathBuf,
    /// Stop after this long (`30s`, `10m`, `1h`).
    #[arg(long, value_name = "SPAN")]
    duration: Option<Span>,
    /// Stop after this many events (to a file) or posts (to Kafka).
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    #[cfg(feature = "kafka")]
    #[command(flatten)]
    config: crate::config::ConfigArg,
    #[cfg(feature = "kafka")]
    #[command(flatten)]
    kafka: crate::kafka::KafkaArgs,
}

/// Where the captured items are written.
enum Recorder {
    File(GzEncoder<std::io::BufWriter<std::fs::File>>),
    Kafka(Box<dyn Sink>, DeadLetters),
}

impl Recorder {
    fn open(args: &RecordArgs) -> Result<Self> {
        match (args.to, &args.out) {
            (Destination::File, Some(out)) => {
                let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
                Ok(Recorder::File(GzEncoder::new(std::io::BufWriter::new(file), Compression::default())))
            }
            (Destination::File, None) => bail!("--out FILE is needed (or --to kafka)"),
            (Destination::Kafka, Some(_)) => bail!("--out and --to kafka are exclusive"),
            (Destination::Kafka, None) => {
                Ok(Recorder::Kafka(kafka_sink(args)?, DeadLetters::create(args.dead_letter.clone())?))
            }
        }
    }

    /// Writes one item; whether it counts towards `--limit`.
    fn write(&mut self, item: Item) -> Result<bool> {
        match (self, item) {
            (Recorder::File(out), Item::Raw(frame)) => {
                out.write_all(frame.as_bytes())?;
                out.write_all(b"\n")?;
                Ok(true)
            }
            (Recorder::Kafka(sink, _), Item::Post { post, .. }) => {
                sink.send(&post)?;
                Ok(true)
            }
            (Recorder::Kafka(_, dead_letters), Item::Malformed(malformed)) => {
                dead_letters.keep(&malformed)?;
                Ok(false)
            }
            // A file gets raw frames only, Kafka never does.
            _ => Ok(false),
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Recorder::File(out) => out.finish()?.flush()?,
            Recorder::Kafka(mut sink, _) => sink.finish()?,
        }
        Ok(())
    }
}

#[cfg(feature = "kafka")]
fn kafka_sink(args: &RecordArgs) -> Result<Box<dyn Sink>> {
    let kafka = crate::kafka::load(&args.config, &args.kafka)?.kafka;
    Ok(Box::new(pulse_kafka::PostProducer::new(&kafka)?))
}

#[cfg(not(feature = "kafka"))]
fn kafka_sink(_: &RecordArgs) -> Result<Box<dyn Sink>> {
    bail!("this pulse was built without Kafka (cargo feature `kafka`)")
}

pub fn run(args: RecordArgs) -> Result<std::process::ExitCode> {
    let url = args.jetstream.clone().unwrap_or_else(|| pulse_jetstream::DEFAULT_URL.to_string());
    if args.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    JetstreamConfig::new(url.as_str()).check().map_err(anyhow::Error::msg)?;
    let mut recorder = Recorder::open(&args)?;
    let runtime = pulse_jetstream::runtime().context("starting the Jetstream client's runtime")?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        runtime.spawn(async move {
            crate::server::shutdown_signal().await;
            stop.store(true, Ordering::Release);
        });
    }
    let raw = args.to == Destination::File;
    let jetstream = Jetstream::start(JetstreamConfig { raw, ..JetstreamConfig::new(&url) }, runtime.handle());
    let bar = progress(args.limit);
    let started = Instant::now();
    let until = args.duration.map(|d| started + Duration::from_secs(d.as_secs_i64().max(0) as u64));
    let mut events = 0u64;
    while !stop.load(Ordering::Acquire)
        && args.limit.is_none_or(|limit| events < limit)
        && until.is_none_or(|until| Instant::now() < until)
    {
        match jetstream.items.recv_timeout(Duration::from_millis(100)) {
            Ok(item) => {
                if recorder.write(item)? {
                    events += 1;
                    bar.inc(1);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(jetstream);
    runtime.shutdown_background();
    recorder.finish()?;
    bar.finish_and_clear();
    let (what, into) = match &args.out {
        Some(out) => ("events", out.display().to_string()),
        None => ("posts", "Kafka".to_string()),
    };
    eprintln!("recorded {events} {what} from {url} in {:.1} s to {into}", started.elapsed().as_secs_f64());
    Ok(std::process::ExitCode::SUCCESS)
}

/// A bar towards `limit` on a terminal, a counter without one; hidden when not a terminal.
fn progress(limit: Option<u64>) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match limit {
        Some(limit) => ProgressBar::new(limit).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} events, {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} events, {per_sec}, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}
