//! Throughput on real tweets, one core: VADER alone (ours vs the `vader-parity` crate), the
//! opinion model alone, and the full `Analyzer::analyze_into`.
//!
//! Texts: the 4,200 VADER paper tweets + the 2,000 TweetEval validation tweets (sentiment), and the
//! same plus 10,000 CrisisLex T6 Boston tweets (analyze). Besides criterion's report, each group
//! prints `RESULT <name> <texts per second>` lines from a plain timed loop, which
//! `scripts/bench_vs_python.py` reads to compute the ratio to Python.
//!
//! `cargo bench -p pulse-text --bench analyze -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pulse_text::opinion::OpinionScratch;
use pulse_text::{Analysis, Analyzer, Masking, Opinion, Vader, VaderScratch};

fn sentiment_texts() -> Vec<String> {
    let eval = pulse_testsuite::eval_dir();
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
    let path = pulse_testsuite::dataset(pulse_testsuite::BOSTON);
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

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`; wall-clock time elsewhere). On a
/// shared machine this excludes the time other processes hold the core.
fn cpu_ns(wall: Instant) -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| wall.elapsed().as_nanos() as u64)
}

/// `PULSE_TEXT_PROFILE=sentiment|analyze`: `PULSE_TEXT_PASSES` (default 3) passes of one workload,
/// printing the CPU time per text, and exit; nothing else of the bench runs. For a profiler
/// (`valgrind --tool=callgrind … --bench`) and for comparing two builds on a busy machine.
/// `PULSE_TEXT_PROFILE=dump` prints every analysis of the bench texts instead (JSON line and
/// topic sentiment), so that a speed change can be diffed against the previous build's output.
fn profile_mode() {
    let Ok(what) = std::env::var("PULSE_TEXT_PROFILE") else { return };
    let passes: usize = std::env::var("PULSE_TEXT_PASSES").ok().and_then(|p| p.parse().ok()).unwrap_or(3);
    let mut texts = sentiment_texts();
    let analyzer = Analyzer::new();
    let mut out = Analysis::default();
    let vader = Vader::new();
    let mut scratch = VaderScratch::default();
    if what != "sentiment" {
        texts.extend(crisis_texts());
    }
    let wall = Instant::now();
    let start = cpu_ns(wall);
    for _ in 0..passes {
        for (i, t) in texts.iter().enumerate() {
            match what.as_str() {
                "sentiment" => {
                    black_box(vader.score_with(t, Masking::NONE, &mut scratch));
                }
                "dump" => {
                    analyzer.analyze_text_into(&i.to_string(), t, None, false, &mut out);
                    println!("{} {:?}", out.to_json_line(), out.topic_sentiment());
                }
                _ => {
                    analyzer.analyze_text_into("1", t, None, false, &mut out);
                    black_box(&out);
                }
            }
        }
        if what == "dump" {
            std::process::exit(0);
        }
    }
    let per_text = (cpu_ns(wall) - start) as f64 / (passes * texts.len()) as f64;
    println!("profiled {what}: {passes} passes over {} texts, {per_text:.1} ns of CPU per text", texts.len());
    std::process::exit(0);
}

fn sentiment(c: &mut Criterion) {
    profile_mode();
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
    // The opinion model alone, given the VADER scores it reads (the analyzer computes them anyway).
    let masked: Vec<_> = texts.iter().map(|t| ours.score_with(t, Masking::SOCIAL, &mut scratch)).collect();
    let model = Opinion::shared();
    let mut opinion = OpinionScratch::default();
    g.bench_function("opinion_model", |b| {
        b.iter(|| texts.iter().zip(&masked).map(|(t, v)| model.score(t, v, &mut opinion).compound).sum::<f64>())
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
