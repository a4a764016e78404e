//! Trains the opinion model (`src/opinion.rs`) and writes `model/opinion.bin`, then reports how it
//! and VADER do on labelled sets that were not trained on.
//!
//! ```text
//! PULSE_EVAL_DIR=../shared/eval/sentiment PULSE_DATA_DIR=../shared/replay-data \
//!     cargo run --release -p pulse-text --example train_opinion [-- --check]
//! ```
//!
//! Training data: the SemEval 2013–2016 Twitter sets of subtask A
//! (`$PULSE_EVAL_DIR/semeval-2013-2016/*.txt`, ≈ 50k labelled tweets), duplicates removed, and
//! every text of TweetEval's validation split removed (TweetEval draws it from the same pool: it
//! is reported on below). One tenth, chosen by a hash of the text, is held out to choose the neutral
//! band θ and the number of passes, and to measure the error rates stored with the weights (what
//! corrects a set of posts' class shares, `src/shares.rs`); the airline set and Sentiment140 are
//! never trained on.
//!
//! The fit: multinomial logistic regression, AdaGrad, classes weighted to equal total weight
//! (macro recall is what counts), fixed order, so the same data gives the same bytes. `--check`
//! trains and compares with the committed file instead of writing it.

use std::collections::HashSet;
use std::path::PathBuf;

use pulse_testsuite::eval::{self, pearson};
use pulse_text::Vader;
use pulse_text::opinion::{CLASSES, Opinion, features, softmax};

const BUCKETS: u32 = 1 << 18;
const PASSES: usize = 6;
const LEARNING_RATE: f32 = 0.01;
const L2: f32 = 1e-4;

struct Example {
    label: usize,
    features: Vec<u32>,
}

fn label_index(label: &str) -> Option<usize> {
    match label {
        "negative" => Some(0),
        "neutral" => Some(1),
        "positive" => Some(2),
        _ => None,
    }
}

/// What the texts are compared by when removing duplicates and TweetEval's texts: TweetEval
/// writes every mention as `@user`, drops links and keeps `\uXXXX` escapes literally, so only
/// the letters and digits outside mentions, links and escapes are compared, lower-cased.
fn text_key(text: &str) -> String {
    let mut key = String::new();
    for token in text.split_whitespace() {
        if token.starts_with('@') || token.starts_with("http") || token.starts_with("www.") {
            continue;
        }
        let mut chars = token.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek() == Some(&'u') {
                chars.next();
                for _ in 0..4 {
                    chars.next();
                }
            } else if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
            }
        }
    }
    key
}

fn semeval() -> Vec<(usize, String)> {
    let dir = pulse_testsuite::eval_dir().join("semeval-2013-2016");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("twitter-")))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        for line in String::from_utf8_lossy(&bytes).lines() {
            let mut fields = line.split('\t');
            let (_id, label, text) = (fields.next(), fields.next(), fields.next());
            if let (Some(label), Some(text)) = (label.and_then(|l| label_index(l.trim())), text) {
                out.push((label, text.trim_matches('"').to_string()));
            }
        }
    }
    out
}

fn tweeteval() -> Vec<(usize, String)> {
    eval::tweeteval().into_iter().map(|(label, text)| (usize::from(label), text)).collect()
}

fn featurise(text: &str, vader: &Vader, word: &mut String) -> Vec<u32> {
    let masked = vader.polarity_scores_masked(text, pulse_text::Masking::SOCIAL);
    let mut out = Vec::new();
    features(text, &masked, BUCKETS, word, &mut out);
    out
}

fn held_out(text: &str) -> bool {
    text_key(text).bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 10 == 0
}

/// Macro recall of `predict` over `(label, features)`.
fn macro_recall(examples: &[Example], predict: impl Fn(&[u32]) -> usize) -> (f64, [f64; CLASSES]) {
    let (mut hit, mut total) = ([0usize; CLASSES], [0usize; CLASSES]);
    for e in examples {
        total[e.label] += 1;
        hit[e.label] += usize::from(predict(&e.features) == e.label);
    }
    let recall: [f64; CLASSES] = std::array::from_fn(|k| hit[k] as f64 / total[k].max(1) as f64);
    (recall.iter().sum::<f64>() / CLASSES as f64, recall)
}

/// `rates[i][j]`: the share of `examples` of class `i` that `predict` labels `j`.
fn error_rates(examples: &[Example], predict: impl Fn(&[u32]) -> usize) -> [[f32; CLASSES]; CLASSES] {
    let mut counts = [[0usize; CLASSES]; CLASSES];
    for e in examples {
        counts[e.label][predict(&e.features)] += 1;
    }
    counts.map(|row| {
        let total = row.iter().sum::<usize>().max(1) as f32;
        row.map(|n| n as f32 / total)
    })
}

/// The class by the neutral band: |P(pos) − P(neg)| < θ is neutral.
fn by_band(p: [f32; CLASSES], band: f32) -> usize {
    let d = p[2] - p[0];
    if d >= band {
        2
    } else if d <= -band {
        0
    } else {
        1
    }
}

fn train(examples: &[Example], passes: usize) -> (Vec<[f32; CLASSES]>, [f32; CLASSES]) {
    let mut weights = vec![[0f32; CLASSES]; BUCKETS as usize];
    let mut squares = vec![[1e-6f32; CLASSES]; BUCKETS as usize];
    let (mut bias, mut bias_squares) = ([0f32; CLASSES], [1e-6f32; CLASSES]);
    let mut counts = [0usize; CLASSES];
    for e in examples {
        counts[e.label] += 1;
    }
    let class_weight: [f32; CLASSES] =
        std::array::from_fn(|k| examples.len() as f32 / (CLASSES as f32 * counts[k].max(1) as f32));
    // A fixed shuffle (xorshift): the same order, so the same weights, every run.
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for pass in 0..passes {
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let _ = pass;
        for &i in &order {
            let e = &examples[i];
            let logits: [f32; CLASSES] =
                std::array::from_fn(|k| bias[k] + e.features.iter().map(|&f| weights[f as usize][k]).sum::<f32>());
            let p = softmax(logits);
            let g: [f32; CLASSES] =
                std::array::from_fn(|k| (p[k] - f32::from(u8::from(k == e.label))) * class_weight[e.label]);
            for k in 0..CLASSES {
                bias_squares[k] += g[k] * g[k];
                bias[k] -= LEARNING_RATE * g[k] / bias_squares[k].sqrt();
            }
            for &f in &e.features {
                let (w, s) = (&mut weights[f as usize], &mut squares[f as usize]);
                for k in 0..CLASSES {
                    let grad = g[k] + L2 * w[k];
                    s[k] += grad * grad;
                    w[k] -= LEARNING_RATE * grad / s[k].sqrt();
                }
            }
        }
    }
    (weights, bias)
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let vader = Vader::shared();
    let mut word = String::new();
    let excluded: HashSet<String> = tweeteval().iter().map(|(_, t)| text_key(t)).collect();
    let mut seen = HashSet::new();
    let (mut train_set, mut dev_set) = (Vec::new(), Vec::new());
    let (mut duplicates, mut removed) = (0, 0);
    for (label, text) in semeval() {
        let key = text_key(&text);
        if excluded.contains(&key) {
            removed += 1;
            continue;
        }
        if !seen.insert(key) {
            duplicates += 1;
            continue;
        }
        let example = Example { label, features: featurise(&text, vader, &mut word) };
        if held_out(&text) { dev_set.push(example) } else { train_set.push(example) }
    }
    eprintln!(
        "SemEval: {} training, {} held out; {duplicates} duplicates and {removed} TweetEval validation texts removed",
        train_set.len(),
        dev_set.len()
    );

    // Passes and θ by macro recall on the held-out tenth.
    let mut best = (0.0, 0, 0.0f32);
    for passes in [1, 2, 3, 4, PASSES] {
        let (weights, bias) = train(&train_set, passes);
        let model = Opinion::quantise(BUCKETS, &weights, bias, 0.5);
        for band in (1..=12).map(|i| i as f32 * 0.05) {
            let (recall, _) = macro_recall(&dev_set, |f| by_band(model.probabilities(f), band));
            if recall > best.0 {
                best = (recall, passes, band);
            }
        }
    }
    let (dev_recall, passes, band) = best;
    eprintln!("held-out macro recall {dev_recall:.4} with {passes} passes, θ = {band:.2}");
    let (weights, bias) = train(&train_set, passes);
    let model = Opinion::quantise(BUCKETS, &weights, bias, band);
    let rates = error_rates(&dev_set, |f| by_band(model.probabilities(f), band));
    eprintln!("held-out error rates (row: true class, column: label; negative, neutral, positive): {rates:.3?}");
    let model = model.with_error_rates(rates).expect("a model better than chance on every class");
    let bytes = model.to_bytes();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("model/opinion.bin");
    if check {
        let committed = std::fs::read(&path).expect("committed model");
        assert!(committed == bytes, "training does not reproduce {}", path.display());
        eprintln!("{} reproduced byte for byte", path.display());
    } else {
        std::fs::write(&path, &bytes).expect("write the model");
        eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    report(&model, vader);
}

/// TweetEval macro recall and Pearson r against the VADER paper's ratings, for the model and VADER.
fn report(model: &Opinion, vader: &Vader) {
    let mut scratch = pulse_text::opinion::OpinionScratch::default();
    let vader_class = |c: f64| {
        if c >= 0.05 {
            2
        } else if c <= -0.05 {
            0
        } else {
            1
        }
    };
    let mut rows = Vec::new();
    let data = tweeteval();
    for (name, score) in [("model", true), ("VADER", false)] {
        let (mut hit, mut total) = ([0usize; CLASSES], [0usize; CLASSES]);
        for (label, text) in &data {
            let compound = if score {
                let masked = vader.polarity_scores_masked(text, pulse_text::Masking::SOCIAL);
                model.score(text, &masked, &mut scratch).compound
            } else {
                vader.polarity_scores(text).compound
            };
            total[*label] += 1;
            hit[*label] += usize::from(vader_class(compound) == *label);
        }
        let recall: Vec<f64> = (0..CLASSES).map(|k| hit[k] as f64 / total[k] as f64).collect();
        rows.push(format!(
            "TweetEval validation, {name}: macro recall {:.4} (neg {:.3} / neu {:.3} / pos {:.3})",
            recall.iter().sum::<f64>() / 3.0,
            recall[0],
            recall[1],
            recall[2]
        ));
    }
    let (mut human, mut by_model, mut by_vader) = (Vec::new(), Vec::new(), Vec::new());
    for (rating, text) in eval::vader_tweets() {
        human.push(rating);
        let masked = vader.polarity_scores_masked(&text, pulse_text::Masking::SOCIAL);
        by_model.push(model.score(&text, &masked, &mut scratch).compound);
        by_vader.push(vader.polarity_scores(&text).compound);
    }
    rows.push(format!(
        "VADER paper's 4,200 rated tweets, Pearson r: model {:.3}, VADER {:.3}",
        pearson(&by_model, &human),
        pearson(&by_vader, &human)
    ));
    for row in rows {
        println!("{row}");
    }
    report_shares(model, vader);
}

/// How well a set of posts' class shares are estimated, counted from the model's labels and
/// corrected by its held-out error rates, on labelled sets it was not trained on: each whole set,
/// and 500 samples of 100 TweetEval posts with random class mixes (the usual test of quantifiers:
/// shares far from the training mix are where counting errs most).
fn report_shares(model: &Opinion, vader: &Vader) {
    let mut scratch = pulse_text::opinion::OpinionScratch::default();
    let mut label = |text: &str| {
        let masked = vader.polarity_scores_masked(text, pulse_text::Masking::SOCIAL);
        let c = model.score(text, &masked, &mut scratch).compound;
        if c <= -0.05 {
            0
        } else if c < 0.05 {
            1
        } else {
            2
        }
    };
    let sentiment140: Vec<(usize, String)> = pulse_core::PostReader::open(
        &pulse_testsuite::eval_dir().join("sentiment140-test.csv"),
        Some(pulse_core::Format::Sentiment140),
    )
    .expect("sentiment140-test.csv")
    .filter_map(|r| match r {
        Ok(pulse_core::Record::Post(p)) => label_index(&p.labels["sentiment"]).map(|l| (l, p.text)),
        _ => None,
    })
    .collect();
    let tweeteval: Vec<(usize, usize)> = tweeteval().iter().map(|(l, t)| (*l, label(t))).collect();
    let sentiment140: Vec<(usize, usize)> = sentiment140.iter().map(|(l, t)| (*l, label(t))).collect();
    let correction = model.share_correction();
    // Mean absolute error over the three shares: (counted, corrected).
    let errors = |pairs: &[(usize, usize)]| {
        let (mut truth, mut counts) = ([0f64; CLASSES], [0u64; CLASSES]);
        for &(t, p) in pairs {
            truth[t] += 1.0 / pairs.len() as f64;
            counts[p] += 1;
        }
        let counted = counts.map(|c| c as f64 / pairs.len() as f64);
        let corrected = correction.shares(counts).expect("posts");
        let mae = |x: [f64; CLASSES]| (0..CLASSES).map(|k| (x[k] - truth[k]).abs()).sum::<f64>() / CLASSES as f64;
        (mae(counted), mae(corrected))
    };
    for (name, pairs) in [("TweetEval validation", &tweeteval), ("Sentiment140 test", &sentiment140)] {
        let (counted, corrected) = errors(pairs);
        println!(
            "{name}, class shares of the whole set, mean absolute error: counted {counted:.3}, corrected {corrected:.3}"
        );
    }
    let mut by_class: [Vec<(usize, usize)>; CLASSES] = Default::default();
    for &pair in &tweeteval {
        by_class[pair.0].push(pair);
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut counted, mut corrected) = (0.0, 0.0);
    for _ in 0..500 {
        let (a, b) = ((next() % 101) as usize, (next() % 101) as usize);
        let mix = [a.min(b), a.max(b) - a.min(b), 100 - a.max(b)];
        let sample: Vec<(usize, usize)> = (0..CLASSES)
            .flat_map(|k| {
                (0..mix[k]).map(|_| by_class[k][(next() % by_class[k].len() as u64) as usize]).collect::<Vec<_>>()
            })
            .collect();
        let (c, r) = errors(&sample);
        counted += c / 500.0;
        corrected += r / 500.0;
    }
    println!(
        "TweetEval, 500 samples of 100 posts with random class mixes, mean absolute error of the shares: counted {counted:.3}, corrected {corrected:.3}"
    );
}
