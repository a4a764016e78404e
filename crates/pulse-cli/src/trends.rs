//! `pulse trends`: replay inputs at full speed through analysis and the trend engine, and print
//! the trending stories at every `--every` step of data time.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use chrono::DateTime;
use clap::{Args, ValueEnum};
use pulse_core::replay::{self, ManualClock, ReplayOptions};
use pulse_core::sink::{Sink, SinkError};
use pulse_core::{Format, Post, Span};
use pulse_ingest::Pipeline;
use pulse_trends::{Report, Story, TrendEngine, TrendQuery};

use crate::config::{ConfigArg, TrendArgs};
use crate::inputs;
use crate::progress::Progress;

#[derive(Args)]
pub struct TrendsArgs {
    /// Files, directories or dataset names (`pulse data list`), merged by event time.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Input format; detected from each file's first line when not given.
    #[arg(long, value_parser = inputs::parse_format)]
    input_format: Option<Format>,
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    trends: TrendArgs,
    /// Report every this much data time.
    #[arg(long, default_value = "1h")]
    every: Span,
    /// Stories per report.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Only stories mostly in this language (`en`).
    #[arg(long)]
    lang: Option<String>,
    /// Least distinct authors in the window for a topic to trend.
    #[arg(long)]
    min_authors: Option<u64>,
    /// Let @mentions trend.
    #[arg(long)]
    include_mentions: bool,
    /// Output: one JSON line per report, or a readable timeline.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    format: OutputFormat,
    /// Where malformed records are written (JSON lines with file, line, reason and the raw record).
    #[arg(long, default_value = "pulse-dead-letters.jsonl")]
    dead_letter: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Json,
    Table,
}

pub fn run(args: TrendsArgs) -> Result<ExitCode> {
    let mut settings = args.config.load()?.trends;
    args.trends.apply(&mut settings);
    if let Some(m) = args.min_authors {
        settings.min_authors = m;
    }
    settings.include_mentions |= args.include_mentions;
    let mut config = settings.config()?;
    // A replay is merged in time order: the reports set the watermark explicitly.
    config.auto_watermark = false;
    if !args.every.is_whole_seconds() {
        anyhow::bail!("--every must be whole seconds");
    }
    let inputs = inputs::resolve(&args.inputs, args.input_format)?;
    let engine = TrendEngine::new(config)?;
    let query = TrendQuery { limit: Some(args.top), lang: args.lang.clone(), ..Default::default() };
    let mut sink = TrendSink {
        pipeline: Pipeline::new().with_trends(engine.worker()),
        engine: engine.clone(),
        query,
        every: args.every.as_secs_i64(),
        next: None,
        last: None,
        format: args.format,
        out: BufWriter::new(io::stdout().lock()),
    };
    let mut progress = Progress::new(args.dead_letter.clone(), inputs::known_posts(&args.inputs));
    let started = Instant::now();
    let result =
        replay::replay(&inputs, &ReplayOptions::default(), &mut sink, &mut ManualClock::default(), &mut progress);
    progress.bar.finish_and_clear();
    let summary = result?;
    let seconds = started.elapsed().as_secs_f64();
    let m = engine.metrics();
    eprintln!(
        "{} posts in {seconds:.2} s ({:.0} posts/s); {} duplicates, {} late counted, {} late dropped, {} malformed",
        m.posts_ingested,
        m.posts_ingested as f64 / seconds.max(1e-9),
        m.posts_duplicate,
        m.posts_late_counted,
        m.posts_late_dropped,
        summary.malformed()
    );
    if summary.malformed() > 0 {
        eprintln!("malformed records written to {}", progress.dead_letters.path().display());
    }
    Ok(ExitCode::SUCCESS)
}

struct TrendSink<W: Write> {
    pipeline: Pipeline,
    engine: TrendEngine,
    query: TrendQuery,
    every: i64,
    next: Option<i64>,
    last: Option<i64>,
    format: OutputFormat,
    out: W,
}

/// One line of `pulse trends --format json`: the stories at one step of data time.
#[derive(serde::Serialize)]
struct Line<'a> {
    as_of: &'a str,
    stories: &'a [Story],
}

impl<W: Write> TrendSink<W> {
    fn report(&mut self, at: i64) -> Result<(), SinkError> {
        self.pipeline.flush()?;
        self.engine.advance_watermark(at);
        let report = self.engine.report(&TrendQuery { as_of: Some(at), ..self.query.clone() });
        match self.format {
            OutputFormat::Json => {
                let line = Line { as_of: &report.as_of, stories: &report.stories };
                writeln!(self.out, "{}", serde_json::to_string(&line)?)?;
            }
            OutputFormat::Table => write_table(&mut self.out, &report)?,
        }
        Ok(())
    }
}

/// A readable timeline: per report, each story's headline, state and numbers, then its terms.
fn write_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let at = DateTime::parse_from_rfc3339(&report.as_of)
        .map_or(report.as_of.clone(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let n = report.stories.len();
    writeln!(out, "── {at} ─ {n} {}", if n == 1 { "story" } else { "stories" })?;
    for (i, story) in report.stories.iter().enumerate() {
        writeln!(
            out,
            "{:>3}. {}\n     {:<8} {:>5} posts {:>5} authors  mood {}  [{}]",
            i + 1,
            story.headline,
            story.state.as_str(),
            story.posts,
            story.authors,
            story.sentiment.map_or_else(|| "  -  ".to_string(), |s| format!("{:+.2}", s.compound)),
            story.terms.iter().take(6).cloned().collect::<Vec<_>>().join(", ")
        )?;
    }
    Ok(())
}

impl<W: Write> Sink for TrendSink<W> {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        let t = post.created_at.timestamp();
        let next = *self.next.get_or_insert((t.div_euclid(self.every) + 1) * self.every);
        let mut next = next;
        while t >= next {
            self.report(next)?;
            next += self.every;
        }
        self.next = Some(next);
        self.last = Some(t);
        self.pipeline.ingest(post)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if let (Some(next), Some(_)) = (self.next, self.last) {
            self.report(next)?;
        }
        self.out.flush()?;
        Ok(())
    }
}
