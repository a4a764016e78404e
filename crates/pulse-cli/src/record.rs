//! `pulse record --jetstream [URL] --out FILE.jsonl.gz [--duration 1h] [--limit N]`: captures
//! Bluesky's firehose as it comes, for `pulse replay` to read back (at its original pace or
//! faster) and for load tests.
//!
//! The file holds Jetstream's events exactly as received, one per line, gzip-compressed (every
//! event, not only posts: a recording is a sample of the stream, and the replay's reader skips and
//! counts what is not a post). A dropped connection is resumed as in `pulse serve --jetstream`,
//! with the events a resume repeats left out. Recording stops at the duration, at the limit, or at
//! SIGINT/SIGTERM, and the file is always closed whole (a complete gzip stream).

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
use pulse_jetstream::{Item, Jetstream, JetstreamConfig, RecvTimeoutError};

#[derive(Args)]
pub struct RecordArgs {
    /// The Jetstream endpoint to record (default: a public instance).
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = pulse_jetstream::DEFAULT_URL, required = true)]
    jetstream: Option<String>,
    /// Where to write the events: gzip-compressed JSONL (`.jsonl.gz`).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Stop after this long (`30s`, `10m`, `1h`).
    #[arg(long, value_name = "SPAN")]
    duration: Option<Span>,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
}

pub fn run(args: RecordArgs) -> Result<std::process::ExitCode> {
    let url = args.jetstream.unwrap_or_else(|| pulse_jetstream::DEFAULT_URL.to_string());
    if args.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    let file = std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("jetstream")
        .enable_all()
        .build()
        .context("starting the Jetstream client's runtime")?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        runtime.spawn(async move {
            crate::server::shutdown_signal().await;
            stop.store(true, Ordering::Release);
        });
    }
    let jetstream = Jetstream::start(JetstreamConfig { raw: true, ..JetstreamConfig::new(&url) }, runtime.handle());
    let bar = progress(args.limit);
    let started = Instant::now();
    let until = args.duration.map(|d| started + Duration::from_secs(d.as_secs_i64().max(0) as u64));
    let mut events = 0u64;
    while !stop.load(Ordering::Acquire)
        && args.limit.is_none_or(|limit| events < limit)
        && until.is_none_or(|until| Instant::now() < until)
    {
        match jetstream.items.recv_timeout(Duration::from_millis(100)) {
            Ok(Item::Raw(frame)) => {
                out.write_all(frame.as_bytes())?;
                out.write_all(b"\n")?;
                events += 1;
                bar.inc(1);
            }
            Ok(Item::Post(_) | Item::Malformed(_)) => {}
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(jetstream);
    runtime.shutdown_background();
    out.finish()?.flush()?;
    bar.finish_and_clear();
    eprintln!(
        "recorded {events} events from {url} in {:.1} s to {}",
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
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
