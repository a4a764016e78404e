//! `pulse analyze`: what Pulse sees in each post — language, topic keys, sentiment, repost flag.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use pulse_core::readers::{Lines, MAX_RECORD_BYTES, decode_text};
use pulse_core::replay::ReplayInput;
use pulse_core::{Format, PostReader, Record};
use pulse_text::{Analysis, Analyzer, AnalyzerConfig, Scorer};

use crate::inputs;

#[derive(Args)]
pub struct AnalyzeArgs {
    /// Files, directories or dataset names (`pulse data list`) of posts (any format `pulse replay`
    /// reads; detected), or with --text files of plain text lines; standard input when none is given.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Treat each input line as the text of a post (its id is the line number; blank lines are
    /// skipped, lines over 1 MiB reported as malformed).
    #[arg(long)]
    text: bool,
    /// Input format of post files; detected from each file's first line when not given.
    #[arg(long, alias = "format", conflicts_with = "text", value_parser = inputs::parse_format)]
    input_format: Option<Format>,
    /// Sentiment scorer: `model` (the trained opinion model, what trends use) or `vader` (plain
    /// VADER, identical to Python `vaderSentiment` 3.3.2).
    #[arg(long, default_value = "model", value_parser = clap::builder::ValueParser::new(parse_scorer))]
    sentiment: Scorer,
}

fn parse_scorer(text: &str) -> Result<Scorer, String> {
    text.parse()
}

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let inputs = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs };
    let mut out = BufWriter::new(io::stdout().lock());
    let analyzer = Analyzer::with_config(AnalyzerConfig { scorer: args.sentiment, ..AnalyzerConfig::default() });
    let malformed = if args.text {
        inputs.iter().map(|path| analyze_lines(&analyzer, path, &mut out)).sum::<Result<u64>>()?
    } else {
        inputs::resolve(&inputs, args.input_format)?
            .iter()
            .map(|input| analyze_posts(&analyzer, input, &mut out))
            .sum::<Result<u64>>()?
    };
    out.flush()?;
    if malformed > 0 {
        eprintln!("{malformed} malformed records skipped");
    }
    Ok(ExitCode::SUCCESS)
}

/// Analyses every post of `input`; the malformed records it skipped.
fn analyze_posts(analyzer: &Analyzer, input: &ReplayInput, out: &mut impl Write) -> Result<u64> {
    let reader = if input.path.as_os_str() == "-" {
        PostReader::from_reader(&input.path, io::stdin(), input.format)?
    } else {
        PostReader::open(&input.path, input.format)?
    };
    let (mut analysis, mut malformed) = (Analysis::default(), 0);
    for record in reader {
        match record? {
            Record::Post(post) => {
                analyzer.analyze_into(&post, &mut analysis);
                writeln!(out, "{}", analysis.to_json_line())?;
            }
            Record::Malformed(bad) => {
                malformed += 1;
                eprintln!("malformed: {bad}");
            }
            Record::Skipped => {}
        }
    }
    Ok(malformed)
}

/// Analyses each non-blank line of `path` as the text of a post; the lines it skipped as too long.
fn analyze_lines(analyzer: &Analyzer, path: &Path, out: &mut impl Write) -> Result<u64> {
    let input: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        Box::new(io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        ))
    };
    let (mut analysis, mut malformed) = (Analysis::default(), 0);
    let mut lines = Lines::new(input);
    while let Some(line) = lines.next_line().with_context(|| format!("cannot read {}", path.display()))? {
        if line.too_long {
            malformed += 1;
            eprintln!("malformed: {}:{}: line longer than {MAX_RECORD_BYTES} bytes", path.display(), line.line);
            continue;
        }
        let text = decode_text(line.bytes);
        let id = line.line.to_string();
        let is_repost = pulse_core::post::is_old_style_retweet(&text);
        analyzer.analyze_text_into(&id, &text, None, is_repost, &mut analysis);
        writeln!(out, "{}", analysis.to_json_line())?;
    }
    Ok(malformed)
}
