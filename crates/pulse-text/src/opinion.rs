//! [`Opinion`]: a sentiment model trained on labelled tweets, for what people think rather than
//! the tone of their words.
//!
//! VADER scores words: "prayers", "safe" and "love" make the Boston bombing look positive, and
//! "still no refund" or "on hold for 2 hours" carry no negative word at all. This model is a
//! multinomial logistic regression (negative / neutral / positive) over hashed features of the
//! text — word unigrams and bigrams, with mentions, links and numbers folded to one token each —
//! plus VADER's compound as a feature, trained on the SemEval 2013–2016 Twitter sets by
//! `examples/train_opinion.rs` (committed, deterministic; see `benches/RESULTS.md` for how it
//! was measured). Mentions are folded, so a topic's own name (`@united`) never decides what people
//! think of it. A linear model is the choice because it runs at millions of posts per second on
//! one core with no runtime beyond a table lookup per feature; the weights are in
//! `model/opinion.bin` (quantised to one byte each).
//!
//! The score is a [`Sentiment`]: `neg`, `neu` and `pos` are the class probabilities, and
//! `compound` is `P(pos) − P(neg)` mapped monotonically so that VADER's ±0.05 rule (what the trend
//! engine counts classes by) gives the classes the model was tuned for: `|P(pos) − P(neg)| <
//! θ` is neutral, with θ chosen on SemEval's development sets.
//!
//! The file also holds the model's error rates on the held-out tenth of SemEval, from which a set
//! of posts' class shares are corrected ([`crate::shares`]).

use crate::shares::ShareCorrection;
use crate::vader::Sentiment;

pub use crate::shares::CLASSES;

/// File magic of the weights.
const MAGIC: &[u8; 8] = b"PULSEOP2";

/// The committed weights.
static WEIGHTS: &[u8] = include_bytes!("../model/opinion.bin");

/// The trained model: per feature bucket one weight per class, a bias per class, the neutral
/// band θ, and its error rates on held-out labelled posts.
#[derive(Debug, Clone)]
pub struct Opinion {
    buckets: u32,
    /// `buckets × CLASSES`, quantised: weight = `q × scale`.
    weights: Vec<[i8; CLASSES]>,
    scale: f32,
    bias: [f32; CLASSES],
    neutral_band: f32,
    /// `rates[i][j]`: the share of held-out posts of class `i` the model labels `j`.
    rates: [[f32; CLASSES]; CLASSES],
    /// The correction those rates give.
    correction: ShareCorrection,
}

/// Reusable buffers for [`Opinion::score`].
#[derive(Debug, Default, Clone)]
pub struct OpinionScratch {
    features: Vec<u32>,
    word: String,
    /// One bit per feature bucket: those found in the post being scored.
    seen: Vec<u64>,
}

impl Opinion {
    /// The committed model, decoded once.
    pub fn shared() -> &'static Opinion {
        static MODEL: std::sync::OnceLock<Opinion> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| Opinion::from_bytes(WEIGHTS).expect("model/opinion.bin is a valid model"))
    }

    /// A model from float weights (training): quantised as it will be stored, with no error rates
    /// yet (see [`Opinion::with_error_rates`]).
    pub fn quantise(buckets: u32, weights: &[[f32; CLASSES]], bias: [f32; CLASSES], neutral_band: f32) -> Self {
        let largest = weights.iter().flatten().fold(0f32, |m, w| m.max(w.abs())).max(1e-9);
        let scale = largest / 127.0;
        let weights = weights.iter().map(|w| w.map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)).collect();
        let rates = std::array::from_fn(|i| std::array::from_fn(|j| f32::from(u8::from(i == j))));
        Self { buckets, weights, scale, bias, neutral_band, rates, correction: ShareCorrection::IDENTITY }
    }

    /// The model with its measured error rates (`rates[i][j]`: the share of posts of class `i`
    /// labelled `j`, on posts it was not trained on); `None` when they cannot correct shares.
    pub fn with_error_rates(self, rates: [[f32; CLASSES]; CLASSES]) -> Option<Self> {
        let correction = ShareCorrection::from_rates(rates)?;
        Some(Self { rates, correction, ..self })
    }

    /// How a set of posts' class counts are turned into shares.
    pub fn share_correction(&self) -> &ShareCorrection {
        &self.correction
    }

    /// The stored form: magic, bucket count, scale, bias, θ, error rates (row by row;
    /// little-endian), then the weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.weights.len() * CLASSES);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.buckets.to_le_bytes());
        out.extend_from_slice(&self.scale.to_le_bytes());
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&self.neutral_band.to_le_bytes());
        for r in self.rates.iter().flatten() {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend(self.weights.iter().flatten().map(|&q| q as u8));
        out
    }

    /// Decodes [`Opinion::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let header = 8 + 4 * (6 + CLASSES * CLASSES);
        if bytes.len() < header || &bytes[..8] != MAGIC {
            return Err("not a Pulse opinion model".into());
        }
        let f32_at = |at: usize| f32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let buckets = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if !buckets.is_power_of_two() || bytes.len() != header + buckets as usize * CLASSES {
            return Err(format!("model holds {} weight bytes for {buckets} buckets", bytes.len() - header));
        }
        let weights = bytes[header..].chunks_exact(CLASSES).map(|c| [c[0] as i8, c[1] as i8, c[2] as i8]).collect();
        let rates = std::array::from_fn(|i| std::array::from_fn(|j| f32_at(32 + 4 * (i * CLASSES + j))));
        Self {
            buckets,
            weights,
            scale: f32_at(12),
            bias: [f32_at(16), f32_at(20), f32_at(24)],
            neutral_band: f32_at(28),
            rates,
            correction: ShareCorrection::IDENTITY,
        }
        .with_error_rates(rates)
        .ok_or_else(|| "the model's error rates cannot be inverted".to_string())
    }

    /// Feature buckets of the model.
    pub fn buckets(&self) -> u32 {
        self.buckets
    }

    /// Class probabilities (negative, neutral, positive) of a post with these features.
    pub fn probabilities(&self, features: &[u32]) -> [f32; CLASSES] {
        let mut sum = [0i32; CLASSES];
        for &f in features {
            let w = self.weights[f as usize];
            for k in 0..CLASSES {
                sum[k] += i32::from(w[k]);
            }
        }
        self.logits_to_probabilities(sum)
    }

    fn logits_to_probabilities(&self, sum: [i32; CLASSES]) -> [f32; CLASSES] {
        let logits: [f32; CLASSES] = std::array::from_fn(|k| sum[k] as f32 * self.scale + self.bias[k]);
        softmax(logits)
    }

    /// The model's sentiment of `text`, whose VADER scores (mentions, hashtags and links masked)
    /// are `vader`.
    pub fn score(&self, text: &str, vader: &Sentiment, scratch: &mut OpinionScratch) -> Sentiment {
        // The weights of each distinct feature, summed as the features are found: a bitmap of
        // the buckets seen (cleared through the list of those set) stands in for sorting and
        // de-duplicating them, and integer sums make the order irrelevant, so the result is
        // exactly `probabilities(features(…))`.
        let OpinionScratch { features: touched, word, seen } = scratch;
        seen.resize(self.buckets.div_ceil(64) as usize, 0);
        touched.clear();
        let mut sum = [0i32; CLASSES];
        each_feature(text, vader, self.buckets, word, |f| {
            let (slot, bit) = ((f / 64) as usize, 1u64 << (f % 64));
            if seen[slot] & bit == 0 {
                seen[slot] |= bit;
                touched.push(f);
                let w = self.weights[f as usize];
                for k in 0..CLASSES {
                    sum[k] += i32::from(w[k]);
                }
            }
        });
        for &f in touched.iter() {
            seen[(f / 64) as usize] = 0;
        }
        let p = self.logits_to_probabilities(sum);
        let round3 = |x: f32| (f64::from(x) * 1000.0).round() / 1000.0;
        Sentiment {
            compound: (f64::from(compound(p[2] - p[0], self.neutral_band)) * 10_000.0).round() / 10_000.0,
            pos: round3(p[2]),
            neu: round3(p[1]),
            neg: round3(p[0]),
        }
    }
}

/// `P(pos) − P(neg)` mapped so that `±band` lands on VADER's ±0.05 class boundary, linearly on
/// each side (monotone, −1 and 1 fixed).
pub fn compound(difference: f32, band: f32) -> f32 {
    let (magnitude, sign) = (difference.abs().min(1.0), difference.signum());
    let mapped =
        if magnitude <= band { magnitude * 0.05 / band } else { 0.05 + (magnitude - band) * 0.95 / (1.0 - band) };
    sign * mapped
}

/// Softmax of three logits.
pub fn softmax(logits: [f32; CLASSES]) -> [f32; CLASSES] {
    let top = logits.iter().fold(f32::MIN, |m, &l| m.max(l));
    let e = logits.map(|l| (l - top).exp());
    let total: f32 = e.iter().sum();
    e.map(|x| x / total)
}

/// The feature buckets of `text` into `out` (cleared first; sorted, repeats removed): its word
/// unigrams (marked when in the scope of a negation, up to the next punctuation), word bigrams
/// (sentence start and end included), the character 3- and 4-grams of its words, and the bin of
/// its VADER scores.
///
/// Words are lower-cased runs split on whitespace, with leading and trailing punctuation trimmed
/// off except for emoticon-like runs kept whole (`:)`, `!!`), letters repeated three times or more
/// cut to two (`soooo` → `soo`), `@mentions` folded to `@`, links to `http`, numbers to `0`, and a
/// `#` dropped (`#fail` is `fail`).
pub fn features(text: &str, vader: &Sentiment, buckets: u32, word: &mut String, out: &mut Vec<u32>) {
    out.clear();
    each_feature(text, vader, buckets, word, |f| out.push(f));
    out.sort_unstable();
    out.dedup();
}

/// Calls `emit` with the bucket of every feature of [`features`], repeats included, in text order.
/// `buckets` must be a power of two (the bucket is the hash's low bits).
fn each_feature(text: &str, vader: &Sentiment, buckets: u32, word: &mut String, mut emit: impl FnMut(u32)) {
    let mask = u64::from(buckets) - 1;
    let bucket = |h: u64| (h & mask) as u32;
    let out = &mut emit;
    let mut previous = fnv(FNV_OFFSET, b"<s>");
    let mut negated = false;
    for raw in text.split_whitespace() {
        normalise(raw, word);
        if word.is_empty() {
            continue;
        }
        let unigram = fnv(FNV_OFFSET, word.as_bytes());
        // A word in the scope of a negation is a different feature: "not good" is not "good".
        out(bucket(if negated { fnv(unigram, b"~") } else { unigram }));
        out(bucket(fnv(previous ^ BIGRAM, word.as_bytes())));
        // Character 3- and 4-grams of the word between boundary marks: spellings, stems and
        // elongations the words alone miss.
        let negation = is_negation(word);
        if word.len() >= 3 && word.as_bytes()[0].is_ascii_alphabetic() {
            // The word between spaces, in place (it is not needed as a word any more).
            word.insert(0, ' ');
            word.push(' ');
            let padded = word.as_bytes();
            for gram in padded.windows(3) {
                out(bucket(fnv(FNV_OFFSET ^ 3, gram)));
            }
            for gram in padded.windows(4) {
                out(bucket(fnv(FNV_OFFSET ^ 4, gram)));
            }
        }
        previous = unigram;
        if negation {
            negated = true;
        } else if raw.ends_with(['.', ',', '!', '?', ';', ':']) {
            negated = false;
        }
    }
    out(bucket(fnv(previous ^ BIGRAM, b"</s>")));
    // VADER's scores in bins (compound in 20, the positive and negative shares in 10 each): what
    // the lexicon knows, weighed by the data.
    let bin = |x: f64, lo: f64, n: f64| ((x - lo) / (1.0 - lo) * n).floor().clamp(0.0, n - 1.0) as u8;
    out(bucket(fnv(FNV_OFFSET, &[b'v', b'c', bin(vader.compound, -1.0, 20.0)])));
    out(bucket(fnv(FNV_OFFSET, &[b'v', b'p', bin(vader.pos, 0.0, 10.0)])));
    out(bucket(fnv(FNV_OFFSET, &[b'v', b'n', bin(vader.neg, 0.0, 10.0)])));
}

/// Seed of the bigram hashes.
const BIGRAM: u64 = 0x9e37_79b9_7f4a_7c15;

/// Whether a feature word negates what follows it.
fn is_negation(word: &str) -> bool {
    matches!(word, "not" | "no" | "never" | "cannot" | "nothing" | "nobody" | "none" | "without")
        || word.ends_with("n't")
        || word.ends_with("nt") && matches!(word, "dont" | "cant" | "wont" | "didnt" | "doesnt" | "isnt" | "wasnt")
}

/// One whitespace token as a feature word, into `word`.
fn normalise(raw: &str, word: &mut String) {
    word.clear();
    if raw.starts_with('@') && raw.len() > 1 {
        word.push('@');
        return;
    }
    if raw.starts_with("http://") || raw.starts_with("https://") || raw.starts_with("www.") {
        word.push_str("http");
        return;
    }
    let trimmed = raw.trim_matches(|c: char| !c.is_alphanumeric());
    if trimmed.is_empty() {
        // All punctuation: an emoticon or emphasis, kept whole (at most 4 characters).
        word.extend(raw.chars().take(4));
        return;
    }
    if trimmed.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        word.push('0');
        return;
    }
    let mut last = '\0';
    let mut run = 0;
    let mut keep = |c: char| {
        run = if c == last { run + 1 } else { 1 };
        last = c;
        if run <= 2 {
            word.push(c);
        }
    };
    if trimmed.is_ascii() {
        trimmed.bytes().for_each(|b| keep(char::from(b.to_ascii_lowercase())));
    } else {
        trimmed.chars().flat_map(char::to_lowercase).for_each(keep);
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a from `seed`: stable across platforms and versions, so trained weights keep
/// their meaning.
fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut word = String::new();
        text.split_whitespace()
            .map(|raw| {
                normalise(raw, &mut word);
                word.clone()
            })
            .collect()
    }

    #[test]
    fn words_are_folded_the_documented_way() {
        assert_eq!(
            words("@united Sooooo LATE!!! #fail http://t.co/x 2,000 :) ..."),
            ["@", "soo", "late", "fail", "http", "0", ":)", "..."]
        );
    }

    #[test]
    fn the_compound_map_is_monotone_and_puts_the_band_on_vaders_boundary() {
        assert!((compound(0.2, 0.2) - 0.05).abs() < 1e-6);
        assert!((compound(-0.2, 0.2) + 0.05).abs() < 1e-6);
        assert_eq!(compound(1.0, 0.2), 1.0);
        assert_eq!(compound(0.0, 0.2), 0.0);
        let mut last = -1.0;
        for i in -100..=100 {
            let c = compound(i as f32 / 100.0, 0.3);
            assert!(c >= last);
            last = c;
        }
    }

    #[test]
    fn scoring_equals_the_probabilities_of_the_features() {
        let (model, vader) = (Opinion::shared(), crate::Vader::shared());
        let (mut scratch, mut word, mut found) = (OpinionScratch::default(), String::new(), Vec::new());
        for text in [
            "RT @AP: Explosions at the #BostonMarathon finish line. So sad",
            "the the the thethe",
            "Ünïcödé WORDS … :) 2,000",
            "",
        ] {
            let masked = vader.polarity_scores_masked(text, crate::Masking::SOCIAL);
            features(text, &masked, model.buckets(), &mut word, &mut found);
            let p = model.probabilities(&found);
            let s = model.score(text, &masked, &mut scratch);
            let round3 = |x: f32| (f64::from(x) * 1000.0).round() / 1000.0;
            assert_eq!((s.neg, s.neu, s.pos), (round3(p[0]), round3(p[1]), round3(p[2])), "{text}");
        }
    }

    #[test]
    fn the_stored_form_round_trips() {
        let weights: Vec<[f32; CLASSES]> = (0..64).map(|i| [i as f32 / 10.0, -(i as f32) / 20.0, 0.5]).collect();
        let model = Opinion::quantise(64, &weights, [0.1, -0.2, 0.3], 0.25);
        let decoded = Opinion::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(decoded.weights, model.weights);
        assert_eq!((decoded.scale, decoded.bias, decoded.neutral_band), (model.scale, model.bias, 0.25));
        assert!(Opinion::from_bytes(&model.to_bytes()[..40]).is_err());
        assert!(Opinion::from_bytes(b"not a model at all, no").is_err());
    }

    #[test]
    fn the_committed_model_reads_opinion_that_vader_misses() {
        let model = Opinion::shared();
        let mut scratch = OpinionScratch::default();
        let vader = crate::Vader::shared();
        let score = |text: &str, scratch: &mut OpinionScratch| {
            model.score(text, &vader.polarity_scores_masked(text, crate::Masking::SOCIAL), scratch).compound
        };
        // Two of the three complaints the issue quotes; "on hold for 2 hours" still reads neutral.
        for complaint in ["@united still no refund", "Cancelled Flightled again"] {
            assert!(score(complaint, &mut scratch) <= -0.05, "{complaint}: {}", score(complaint, &mut scratch));
        }
        assert!(score("Thank you @JetBlue, best crew ever!", &mut scratch) >= 0.05);
    }
}
