//! Streams for the sketch tests: the words of real tweets, and a seeded Zipf stream.

use std::path::PathBuf;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::data_dir;

/// Lower-cased alphanumeric words of every CrisisLexT6 tweet, one `Vec` per file (sorted by name).
pub fn crisislex_words() -> Vec<(String, Vec<String>)> {
    let dir = data_dir().join("crisislex-t6");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "CrisisLexT6 data not found at {} ({e}); set PULSE_DATA_DIR to the replay-data directory",
                dir.display()
            )
        })
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "CrisisLexT6 has six event files in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_path(&path)
                .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
            let mut words = Vec::new();
            for record in reader.records() {
                let record = record.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let text = record.get(1).expect("tweet column");
                words.extend(
                    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase),
                );
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, words)
        })
        .collect()
}

/// A Zipf(s) sampler over ranks `0..n` (rank r has weight `(r + 1)^-s`), by inverse CDF.
pub struct Zipf {
    cdf: Vec<f64>,
    rng: SmallRng,
}

impl Zipf {
    /// A sampler over `n` ranks with exponent `s`, seeded.
    pub fn new(n: usize, s: f64, seed: u64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for r in 1..=n {
            acc += (r as f64).powf(-s);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        Self { cdf, rng: SmallRng::seed_from_u64(seed) }
    }

    /// The next rank.
    pub fn sample(&mut self) -> u64 {
        let u: f64 = self.rng.random();
        let r = self.cdf.partition_point(|&c| c < u);
        r.min(self.cdf.len() - 1) as u64
    }
}

/// Recall of `reported` against the true top `k` of `exact` (item → count), counting an item
/// tied with the k-th true count as found when any item of that count was reported.
pub fn recall<K: Eq + std::hash::Hash + Clone + Ord>(
    exact: &std::collections::HashMap<K, u64>,
    reported: &[K],
    k: usize,
) -> f64 {
    let mut truth: Vec<(&K, u64)> = exact.iter().map(|(k, &n)| (k, n)).collect();
    truth.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let kth = truth[k - 1].1;
    let reported: std::collections::HashSet<&K> = reported.iter().collect();
    let top: std::collections::HashSet<&K> = truth.iter().take(k).map(|(k, _)| *k).collect();
    // Reported items outside the true top k but tied with the k-th count.
    let mut tied_budget = reported.iter().filter(|r| !top.contains(**r) && exact.get(**r) == Some(&kth)).count();
    let mut hits = 0;
    for (item, n) in truth.iter().take(k) {
        if reported.contains(item) {
            hits += 1;
        } else if *n == kth && tied_budget > 0 {
            // Another item with the same count stands in for this one.
            tied_budget -= 1;
            hits += 1;
        }
    }
    hits as f64 / k as f64
}
