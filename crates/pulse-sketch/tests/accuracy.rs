//! Accuracy against exact counts: CrisisLexT6 words and a 10M-item Zipf(1.1) stream.
//!
//! Each sketch is checked against its *stated* bound: count-min overestimates by more than
//! ε·N for at most a δ fraction of keys and never underestimates; top-k bounds always contain
//! the true count and the top-50 recall is ≥ 0.99; HLL relative error ≤ 2 % at precision 14.

use std::collections::HashMap;
use std::time::Instant;

use pulse_sketch::{CountMin, Hll, Mergeable, TopK, UpdateRule, hash_key, hash_u64};

const EPSILON: f64 = 0.001;
const DELTA: f64 = 0.01;
const TOPK_CAPACITY: usize = 1024;

struct CmReport {
    violations: usize,
    keys: usize,
    mean_over: f64,
}

/// Checks a count-min against exact counts; returns violations of ε·N and the mean overestimate.
fn check_countmin<'a>(cm: &CountMin, exact: impl Iterator<Item = (u64, u64)> + 'a, label: &str) -> CmReport {
    let bound = cm.error_bound();
    let (mut violations, mut keys, mut over) = (0usize, 0usize, 0u64);
    for (hash, truth) in exact {
        let est = cm.estimate(hash);
        assert!(est >= truth, "{label}: count-min underestimated {est} < {truth}");
        violations += usize::from(est - truth > bound);
        over += est - truth;
        keys += 1;
    }
    assert!(
        violations as f64 <= cm.delta() * keys as f64,
        "{label}: {violations} of {keys} keys over the ε·N = {bound} bound (δ allows {:.0})",
        cm.delta() * keys as f64
    );
    CmReport { violations, keys, mean_over: over as f64 / keys as f64 }
}

fn check_topk<T: Clone + Eq + std::hash::Hash + Ord + std::fmt::Debug>(
    topk: &TopK<T>,
    exact: &HashMap<T, u64>,
    hash: impl Fn(&T) -> u64,
    label: &str,
) -> f64 {
    let n: u64 = exact.values().sum();
    assert_eq!(topk.total(), n, "{label}: top-k total weight");
    assert!(
        topk.maximum_error() as f64 <= topk.epsilon() * n as f64,
        "{label}: offset {} over the a-priori 2N/(k+1) = {:.0}",
        topk.maximum_error(),
        topk.epsilon() * n as f64
    );
    for (item, &truth) in exact {
        let b = topk.bounds(hash(item));
        assert!(
            b.lower <= truth && truth <= b.upper,
            "{label}: {item:?} true {truth} outside [{}, {}]",
            b.lower,
            b.upper
        );
    }
    let top: Vec<T> = topk.top(50).iter().map(|h| h.item.clone()).collect();
    for h in topk.top(50) {
        assert_eq!(hash(h.item), h.hash, "{label}: item stored with its own hash");
    }
    let r = pulse_testsuite::zipf::recall(exact, &top, 50);
    if r < 0.99 {
        let mut truth: Vec<(&T, u64)> = exact.iter().map(|(k, &n)| (k, n)).collect();
        truth.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let missed: Vec<String> = truth[..50]
            .iter()
            .filter(|(k, _)| !top.contains(k))
            .map(|(k, n)| format!("{k:?} true {n} bounds {:?}", topk.bounds(hash(k))))
            .collect();
        let last = topk.top(50).last().map(|h| (h.lower_bound, h.upper_bound));
        panic!(
            "{label}: top-50 recall {r}; missed {missed:?}; 50th reported bounds {last:?}, 51st true count {}",
            truth[50].1
        );
    }
    r
}

#[test]
fn crisislex_words_within_stated_bounds() {
    let started = Instant::now();
    let files = pulse_testsuite::zipf::crisislex_words();
    let mut exact: HashMap<String, u64> = HashMap::new();
    let mut whole_cu = CountMin::new(EPSILON, DELTA).unwrap();
    let mut whole_std = CountMin::with_rule(EPSILON, DELTA, UpdateRule::Standard).unwrap();
    let mut whole_top = TopK::<String>::new(TOPK_CAPACITY).unwrap();
    let mut whole_hll = Hll::new(14).unwrap();
    let mut merged_cu = CountMin::new(EPSILON, DELTA).unwrap();
    let mut merged_top = TopK::<String>::new(TOPK_CAPACITY).unwrap();
    let mut merged_hll = Hll::new(14).unwrap();

    for (_, words) in &files {
        // One sketch set per event file, as if each came from another worker.
        let mut cu = CountMin::new(EPSILON, DELTA).unwrap();
        let mut top = TopK::<String>::new(TOPK_CAPACITY).unwrap();
        let mut hll = Hll::new(14).unwrap();
        for w in words {
            let h = hash_key(w);
            *exact.entry(w.clone()).or_insert(0) += 1;
            for (cm, tk, hl) in [(&mut whole_cu, &mut whole_top, &mut whole_hll), (&mut cu, &mut top, &mut hll)] {
                cm.update(h, 1);
                tk.update(h, w.as_str(), 1);
                hl.insert(h);
            }
            whole_std.update(h, 1);
        }
        merged_cu.merge(&cu).unwrap();
        merged_top.merge(&top).unwrap();
        merged_hll.merge(&hll).unwrap();
    }
    let n: u64 = exact.values().sum();
    assert!(n > 500_000 && exact.len() > 30_000, "{n} words, {} distinct", exact.len());
    let hashed = || exact.iter().map(|(w, &c)| (hash_key(w), c));

    let cu = check_countmin(&whole_cu, hashed(), "crisislex count-min CU");
    let st = check_countmin(&whole_std, hashed(), "crisislex count-min standard");
    let mg = check_countmin(&merged_cu, hashed(), "crisislex count-min CU merged per file");
    assert!(
        cu.mean_over < st.mean_over,
        "conservative update should cut the error: CU {:.2} vs standard {:.2}",
        cu.mean_over,
        st.mean_over
    );

    let r_whole = check_topk(&whole_top, &exact, |w| hash_key(w), "crisislex top-k");
    let r_merged = check_topk(&merged_top, &exact, |w| hash_key(w), "crisislex top-k merged");

    let distinct = exact.len() as f64;
    let e_whole = (whole_hll.count() - distinct) / distinct;
    let e_merged = (merged_hll.count() - distinct) / distinct;
    assert!(e_whole.abs() <= 0.02, "HLL relative error {e_whole}");
    assert!(e_merged.abs() <= 0.02, "merged HLL relative error {e_merged}");

    eprintln!(
        "crisislex: N={n}, distinct={distinct}, ε·N={}; count-min mean overestimate CU {:.3} / standard {:.3} / \
         CU merged {:.3} ({} / {} / {} of {} keys over ε·N); top-50 recall {r_whole} (merged {r_merged}), \
         top-k offset {} (merged {}); HLL error {:+.3}% (merged {:+.3}%); {:.1}s",
        whole_cu.error_bound(),
        cu.mean_over,
        st.mean_over,
        mg.mean_over,
        cu.violations,
        st.violations,
        mg.violations,
        cu.keys,
        whole_top.maximum_error(),
        merged_top.maximum_error(),
        e_whole * 100.0,
        e_merged * 100.0,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn zipf_10m_within_stated_bounds() {
    const ITEMS: usize = 10_000_000;
    const VOCABULARY: usize = 1_000_000;
    let started = Instant::now();
    let mut zipf = pulse_testsuite::zipf::Zipf::new(VOCABULARY, 1.1, 0x5eed);
    let mut exact = vec![0u64; VOCABULARY];
    // Two halves, as two workers, merged at the end; the first also gets a whole-stream view.
    let mut cm = [CountMin::new(EPSILON, DELTA).unwrap(), CountMin::new(EPSILON, DELTA).unwrap()];
    let mut top = [TopK::<u64>::new(TOPK_CAPACITY).unwrap(), TopK::<u64>::new(TOPK_CAPACITY).unwrap()];
    let mut whole_cm = CountMin::new(EPSILON, DELTA).unwrap();
    let mut whole_top = TopK::<u64>::new(TOPK_CAPACITY).unwrap();
    for i in 0..ITEMS {
        let rank = zipf.sample();
        exact[rank as usize] += 1;
        let h = hash_u64(rank);
        let half = i % 2;
        cm[half].update(h, 1);
        top[half].update(h, &rank, 1);
        whole_cm.update(h, 1);
        whole_top.update(h, &rank, 1);
    }
    let generated = started.elapsed();
    let [mut merged_cm, cm_b] = cm;
    merged_cm.merge(&cm_b).unwrap();
    let [mut merged_top, top_b] = top;
    merged_top.merge(&top_b).unwrap();

    let seen = || exact.iter().enumerate().filter(|(_, c)| **c > 0).map(|(r, &c)| (hash_u64(r as u64), c));
    let whole = check_countmin(&whole_cm, seen(), "zipf count-min");
    let merged = check_countmin(&merged_cm, seen(), "zipf count-min merged");

    let exact_map: HashMap<u64, u64> =
        exact.iter().enumerate().filter(|(_, c)| **c > 0).map(|(r, &c)| (r as u64, c)).collect();
    let r_whole = check_topk(&whole_top, &exact_map, |&r| hash_u64(r), "zipf top-k");
    let r_merged = check_topk(&merged_top, &exact_map, |&r| hash_u64(r), "zipf top-k merged");
    // Counts of the reported top 50 are within the stated error of the truth.
    for h in whole_top.top(50) {
        let truth = exact[*h.item as usize];
        assert!(truth - h.lower_bound <= whole_top.maximum_error());
    }

    eprintln!(
        "zipf: N={ITEMS}, distinct={}, ε·N={}; count-min mean overestimate {:.3} (merged {:.3}), keys over ε·N {} / {} \
         (merged {}); top-50 recall {r_whole} (merged {r_merged}), offset {} (merged {}, a-priori {:.0}); \
         generated+updated in {:.1}s, total {:.1}s",
        exact_map.len(),
        whole_cm.error_bound(),
        whole.mean_over,
        merged.mean_over,
        whole.violations,
        whole.keys,
        merged.violations,
        whole_top.maximum_error(),
        merged_top.maximum_error(),
        whole_top.epsilon() * ITEMS as f64,
        generated.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn hll_within_two_percent_from_1e3_to_1e7() {
    let started = Instant::now();
    let mut hll = Hll::new(14).unwrap();
    let checkpoints = [1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000u64];
    let mut inserted = 0u64;
    let mut report = Vec::new();
    for &n in &checkpoints {
        while inserted < n {
            hll.insert(hash_u64(inserted));
            // Duplicates must not move the estimate.
            if inserted.is_multiple_of(7) {
                hll.insert(hash_u64(inserted / 2));
            }
            inserted += 1;
        }
        let err = (hll.count() - n as f64) / n as f64;
        report.push(format!("{n}: {:+.3}%", err * 100.0));
        assert!(err.abs() <= 0.02, "HLL p=14 at {n} distinct: relative error {err}");
    }
    eprintln!(
        "hll p=14 (theory 1.04/√m = {:.3}%): {} in {:.1}s",
        hll.relative_standard_error() * 100.0,
        report.join(", "),
        started.elapsed().as_secs_f64()
    );
}
