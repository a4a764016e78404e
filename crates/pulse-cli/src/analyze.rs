//! `pulse analyze`: what Pulse sees in each post — language, topic keys, sentiment, repost flag.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use pulse_core::readers::{Lines, MAX_RECORD_BYTES, decode_text};
use pulse_core::{Format, PostReader, Record};
use pulse_text::{Analysis, Analyzer};

#[derive(Args)]
pub struct AnalyzeArgs {
    /// Files of posts (any format `pulse replay` reads; detected) or, with --text, of plain text
    /// lines; standard input when none is given.
    #[arg(value_name = "FILE")]
    inputs: Vec<PathBuf>,
    /// Treat each input line as the text of a post (its id is the line number; blank lines are
    /// skipped, lines over 1 MiB reported as malformed).
    #[arg(long)]
    text: bool,
    /// Input format of post files; detected when not given.
    #[arg(long, conflicts_with = "text", value_parser = |s: &str| s.parse::<Format>().map_err(|e| e.to_string()))]
    format: Option<Format>,
}

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let inputs = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs };
    let analyzer = Analyzer::shared();
    let mut analysis = Analysis::default();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut malformed = 0u64;
    for path in &inputs {
        if args.text {
            let input: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
                Box::new(io::BufReader::new(io::stdin()))
            } else {
                Box::new(io::BufReader::new(
                    std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
                ))
            };
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
        } else {
            let reader = if path.as_os_str() == "-" {
                PostReader::from_reader(path, io::stdin(), args.format)?
            } else {
                PostReader::open(path, args.format)?
            };
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
        }
    }
    out.flush()?;
    if malformed > 0 {
        eprintln!("{malformed} malformed records skipped");
    }
    Ok(ExitCode::SUCCESS)
}
