//! Throughput on real tweets, one core: VADER alone (ours vs the `vader-parity` crate) and the
//! full `Analyzer::analyze_into`.
//!
//! Texts: the 4,200 VADER paper tweets + the 2,000 TweetEval validation tweets (sentiment), and the
//! same plus 10,000 CrisisLex T6 Boston tweets (analyze). Besides criterion's report, each group
//! prints `RESULT <name> <texts per second>` lines from a plain timed loop, which
//! `scripts/bench_vs_python.py` reads to compute the ratio to Python.
//!
//! `cargo bench -p pulse-text --bench analyze -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pulse_text::{Analysis, Analyzer, Masking, Vader, VaderScratch};

fn dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default))
}

fn sentiment_texts() -> Vec<String> {
    let eval = dir("PULSE_EVAL_DIR", "../../../shared/eval/sentiment");
    let read = |name: &str| {
        std::fs::read_to_string(eval.join(name)).unwrap_or_else(|e| panic!("missing {name} in {}: {e}", eval.display()))
    };
    let mut texts: Vec<String> = read("vader-tweets-groundtruth.tsv")
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| l.trim_end_matches('\r').splitn(3, '\t').nth(2).map(String::from))
        .collect();
    texts.extend(read("tweeteval-val-text.txt").lines().map(String::from));
    texts
}

fn crisis_texts() -> Vec<String> {
    let path = dir("PULSE_DATA_DIR", "../../../shared/replay-data")
        .join("crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("missing {}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    reader.records().filter_map(|r| r.ok()?.get(1).map(String::from)).collect()
}

/// Texts per second of `f` over `texts`, best of 3 passes of at least 1 s.
fn rate(texts: &[String], mut f: impl FnMut(&str)) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..3 {
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed().as_secs_f64() < 1.0 {
            for t in texts {
                f(t);
            }
            n += texts.len();
        }
        best = best.max(n as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn sentiment(c: &mut Criterion) {
    let texts = sentiment_texts();
    let ours = Vader::new();
    let theirs = vader_parity::SentimentIntensityAnalyzer::new();
    let mut scratch = VaderScratch::default();
    let mut g = c.benchmark_group("sentiment");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("pulse_text_vader", |b| {
        b.iter(|| texts.iter().map(|t| ours.score_with(t, Masking::NONE, &mut scratch).compound).sum::<f64>())
    });
    g.bench_function("pulse_text_vader_masked", |b| {
        b.iter(|| texts.iter().map(|t| ours.score_with(t, Masking::SOCIAL, &mut scratch).compound).sum::<f64>())
    });
    g.bench_function("vader_parity_crate", |b| {
        b.iter(|| texts.iter().map(|t| theirs.polarity_scores(t).compound).sum::<f64>())
    });
    g.finish();
    println!("RESULT sentiment_texts {}", texts.len());
    println!(
        "RESULT sentiment_pulse_text {:.0}",
        rate(&texts, |t| {
            black_box(ours.score_with(t, Masking::NONE, &mut scratch));
        })
    );
    println!(
        "RESULT sentiment_vader_parity {:.0}",
        rate(&texts, |t| {
            black_box(theirs.polarity_scores(t));
        })
    );
}

fn analyze(c: &mut Criterion) {
    let mut texts = sentiment_texts();
    texts.extend(crisis_texts());
    let analyzer = Analyzer::new();
    let mut out = Analysis::default();
    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("analyze_into", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                analyzer.analyze_text_into("1", t, None, false, &mut out);
                n += out.topics().len();
            }
            n
        })
    });
    g.bench_function("whichlang_only", |b| {
        b.iter(|| texts.iter().map(|t| whichlang::detect_language(t) as usize).sum::<usize>())
    });
    g.finish();
    println!("RESULT analyze_texts {}", texts.len());
    println!(
        "RESULT analyze_pulse_text {:.0}",
        rate(&texts, |t| {
            analyzer.analyze_text_into("1", t, None, false, &mut out);
            black_box(&out);
        })
    );
}

criterion_group!(benches, sentiment, analyze);
criterion_main!(benches);
