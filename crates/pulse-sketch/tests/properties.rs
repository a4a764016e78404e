//! Property tests: merging equals (within bounds) sketching the union, encodings round-trip
//! exactly, window range queries equal a sketch over the same range, and no input panics a
//! decoder.

use std::collections::HashMap;

use proptest::prelude::*;
use pulse_sketch::codec::{self, kind};
use pulse_sketch::{CountMin, Hll, Mergeable, Persist, TopK, UpdateRule, Window, hash_u64};
use serde::{Deserialize, Serialize};

/// Small sketches so that collisions and purges actually happen in short streams.
fn cm(rule: UpdateRule) -> CountMin {
    CountMin::with_dimensions(5, 3, rule).unwrap()
}

fn stream() -> impl Strategy<Value = Vec<(u64, u64)>> {
    // (key, weight) with a skewed key space of 0..200.
    proptest::collection::vec(((0u64..200).prop_map(|k| k * k / 200), 1u64..5), 0..400)
}

fn exact(items: &[(u64, u64)]) -> HashMap<u64, u64> {
    let mut m = HashMap::new();
    for &(k, w) in items {
        *m.entry(k).or_insert(0) += w;
    }
    m
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TestBucket {
    counts: CountMin,
    top: TopK<u64>,
    distinct: Hll,
    weight: u64,
}

impl TestBucket {
    fn new() -> Self {
        Self {
            counts: cm(UpdateRule::Standard),
            top: TopK::new(16).unwrap(),
            distinct: Hll::new(10).unwrap(),
            weight: 0,
        }
    }

    fn add(&mut self, key: u64, w: u64) {
        let h = hash_u64(key);
        self.counts.update(h, w);
        self.top.update(h, &key, w);
        self.distinct.insert(h);
        self.weight += w;
    }
}

impl Mergeable for TestBucket {
    fn merge(&mut self, o: &Self) -> pulse_sketch::Result<()> {
        self.counts.merge(&o.counts)?;
        self.top.merge(&o.top)?;
        self.distinct.merge(&o.distinct)?;
        self.weight.merge(&o.weight)
    }
}

impl Persist for TestBucket {
    const KIND: u8 = kind::USER_START;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn countmin_merge_is_bounded_by_the_union(a in stream(), b in stream()) {
        let build = |items: &[(u64, u64)], rule| {
            let mut s = cm(rule);
            for &(k, w) in items { s.update(hash_u64(k), w); }
            s
        };
        let union: Vec<_> = a.iter().chain(&b).copied().collect();
        // Standard update is linear: the merge is the union's sketch, cell for cell.
        let mut std_merged = build(&a, UpdateRule::Standard);
        std_merged.merge(&build(&b, UpdateRule::Standard)).unwrap();
        let std_union = build(&union, UpdateRule::Standard);
        prop_assert_eq!(&std_merged, &std_union);
        // Conservative: still an upper bound, never above the standard sketch of the union.
        let mut cu_merged = build(&a, UpdateRule::Conservative);
        cu_merged.merge(&build(&b, UpdateRule::Conservative)).unwrap();
        prop_assert_eq!(cu_merged.total(), std_union.total());
        for (k, truth) in exact(&union) {
            let h = hash_u64(k);
            let est = cu_merged.estimate(h);
            prop_assert!(truth <= est && est <= std_union.estimate(h));
        }
    }

    #[test]
    fn topk_merge_bounds_contain_the_truth_like_the_union(a in stream(), b in stream()) {
        let build = |items: &[(u64, u64)]| {
            let mut t = TopK::<u64>::new(16).unwrap();
            for &(k, w) in items { t.update(hash_u64(k), &k, w); }
            t
        };
        let union: Vec<_> = a.iter().chain(&b).copied().collect();
        let mut merged = build(&a);
        merged.merge(&build(&b)).unwrap();
        let direct = build(&union);
        let n: u64 = union.iter().map(|x| x.1).sum();
        prop_assert_eq!(merged.total(), n);
        prop_assert!(merged.maximum_error() as f64 <= merged.epsilon() * n as f64);
        for (k, truth) in exact(&union) {
            let (m, d) = (merged.bounds(hash_u64(k)), direct.bounds(hash_u64(k)));
            prop_assert!(m.lower <= truth && truth <= m.upper, "merged {:?} vs {}", m, truth);
            prop_assert!(d.lower <= truth && truth <= d.upper);
            // Both answers are intervals around the truth, so they overlap.
            prop_assert!(m.lower <= d.upper && d.lower <= m.upper);
        }
    }

    #[test]
    fn hll_merge_is_exactly_the_union(
        a in proptest::collection::vec(any::<u64>(), 0..3000),
        b in proptest::collection::vec(any::<u64>(), 0..3000),
    ) {
        let build = |keys: &[u64]| {
            let mut h = Hll::new(8).unwrap();
            for &k in keys { h.insert(hash_u64(k)); }
            h
        };
        let union: Vec<_> = a.iter().chain(&b).copied().collect();
        let mut merged = build(&a);
        merged.merge(&build(&b)).unwrap();
        let mut direct = build(&union);
        prop_assert_eq!(merged.count(), direct.count());
    }

    #[test]
    fn encodings_round_trip_exactly(items in stream(), hll_keys in proptest::collection::vec(any::<u64>(), 0..2000)) {
        let mut c = cm(UpdateRule::Conservative);
        let mut t = TopK::<String>::new(8).unwrap();
        let mut h = Hll::new(9).unwrap();
        for &(k, w) in &items {
            c.update(hash_u64(k), w);
            t.update(hash_u64(k), format!("topic-{k}").as_str(), w);
        }
        for &k in &hll_keys { h.insert(hash_u64(k)); }

        let blob = c.to_bytes().unwrap();
        let c2 = CountMin::from_bytes(&blob).unwrap();
        prop_assert_eq!(&c2, &c);
        prop_assert_eq!(c2.to_bytes().unwrap(), blob);

        let blob = t.to_bytes().unwrap();
        let t2 = TopK::<String>::from_bytes(&blob).unwrap();
        prop_assert_eq!(&t2, &t);
        prop_assert_eq!(t2.to_bytes().unwrap(), blob);
        for (k, _) in exact(&items) {
            prop_assert_eq!(t2.bounds(hash_u64(k)), t.bounds(hash_u64(k)));
        }

        let blob = h.to_bytes().unwrap();
        let mut h2 = Hll::from_bytes(&blob).unwrap();
        prop_assert_eq!(h2.to_bytes().unwrap(), blob);
        prop_assert_eq!(h2.count(), h.count());
        // Decoded sketches keep working: more inserts agree.
        h.insert(hash_u64(u64::MAX));
        h2.insert(hash_u64(u64::MAX));
        prop_assert_eq!(h2.count(), h.count());
    }

    #[test]
    fn window_ranges_equal_a_sketch_of_the_range(
        events in proptest::collection::vec((0i64..600, 0u64..50, 1u64..4), 0..300),
        from in 0i64..700,
        span in 0i64..700,
    ) {
        let mut window = Window::new(60, 20, TestBucket::new()).unwrap();
        for &(t, k, w) in &events {
            window.bucket_mut(t).unwrap().add(k, w);
        }
        let to = from + span;
        let got = window.range(from, to).unwrap();
        // Events whose bucket starts in [from, to).
        let mut want = TestBucket::new();
        let mut truth = HashMap::new();
        for &(t, k, w) in &events {
            let start = t - t.rem_euclid(60);
            if (from..to).contains(&start) {
                want.add(k, w);
                *truth.entry(k).or_insert(0) += w;
            }
        }
        prop_assert_eq!(&got.counts, &want.counts, "standard count-min is linear");
        prop_assert_eq!(got.weight, want.weight);
        prop_assert_eq!(got.clone().distinct.count(), want.clone().distinct.count());
        prop_assert_eq!(got.top.total(), want.top.total());
        for (k, n) in truth {
            let b = got.top.bounds(hash_u64(k));
            prop_assert!(b.lower <= n && n <= b.upper);
        }
        // The whole window survives a checkpoint.
        let blob = window.to_bytes().unwrap();
        let back = Window::<TestBucket>::from_bytes(&blob).unwrap();
        prop_assert_eq!(back.to_bytes().unwrap(), blob);
        let got_back = back.range(from, to).unwrap();
        prop_assert_eq!(got_back.counts, got.counts);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), kind in 1u8..5) {
        // Random payloads behind a valid header, so decoding goes past the checksum.
        let mut blob = codec::MAGIC.to_vec();
        blob.push(codec::FORMAT_VERSION);
        blob.push(kind);
        let sum = (pulse_sketch::hash_bytes(&bytes) as u32).to_le_bytes();
        blob.extend_from_slice(&sum);
        blob.extend_from_slice(&bytes);
        let _ = CountMin::from_bytes(&blob);
        let _ = TopK::<String>::from_bytes(&blob);
        let _ = Hll::from_bytes(&blob).map(|mut h| h.count());
        let _ = Window::<TestBucket>::from_bytes(&blob);
        let _ = TestBucket::from_bytes(&blob);
    }

    #[test]
    fn corrupted_blobs_are_errors(items in stream(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut b = TestBucket::new();
        for &(k, w) in &items { b.add(k, w); }
        let mut blob = b.to_bytes().unwrap();
        let i = at.index(blob.len());
        blob[i] ^= flip;
        prop_assert!(TestBucket::from_bytes(&blob).is_err());
        prop_assert!(TestBucket::from_bytes(&blob[..i]).is_err());
    }
}

#[test]
fn crafted_hll_states_are_rejected_not_trusted() {
    // A blob with a valid header and checksum whose HLL state lies about its zero registers:
    // `hyperloglogplus` would trust it (and could underflow later); decoding must refuse it.
    #[derive(Serialize, Deserialize)]
    struct Repr {
        precision: u8,
        inner: Vec<u8>,
    }
    let mut good = Hll::new(4).unwrap();
    for k in 0..1000 {
        good.insert(hash_u64(k));
    }
    let blob = good.to_bytes().unwrap();
    let mut repr: Repr = codec::decode(kind::HLL, &blob).unwrap();
    // The dense state ends with the zero-register count (a one-byte varint here).
    *repr.inner.last_mut().unwrap() += 1;
    let crafted = codec::encode(kind::HLL, &repr).unwrap();
    let err = Hll::from_bytes(&crafted).unwrap_err();
    assert!(matches!(err, pulse_sketch::SketchError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("zero registers"), "{err}");
}
