//! Sketch benchmarks: ns per update, merge cost and encoded bytes of the pulse-sketch types, next
//! to the maintained alternatives they were chosen over (Apache `datasketches`, `heavykeeper`,
//! `streaming_algorithms`).
//!
//! Streams: 1M keys drawn from Zipf(1.1) over a 1M vocabulary (seeded), pre-hashed with
//! `hash_u64`; for string items, the CrisisLexT6 words (real data, `PULSE_DATA_DIR`). Before the
//! timings, an accuracy and size table for every alternative is printed (same streams, exact
//! counts). Results: `benches/RESULTS.md` at the workspace root.
//!
//! Run: `cargo bench -p pulse-sketch --bench sketches -- --warm-up-time 1 --measurement-time 2`

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, Throughput};
use datasketches::countmin::CountMinSketch;
use datasketches::frequencies::FrequentItemsSketch;
use datasketches::hll::{HllSketch, HllType, HllUnion};
use pulse_sketch::{CountMin, Hll, Mergeable, Persist, TopK, UpdateRule, hash_key, hash_u64};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const N: usize = 1_000_000;
const VOCAB: usize = 1_000_000;
const EPS: f64 = 0.001;
const DELTA: f64 = 0.01;
const CAPACITY: usize = 1024;
/// DataSketches frequent items with a 2048-slot map tracks up to 1536 items.
const DS_MAP: usize = 2048;

fn zipf_ranks() -> Vec<u64> {
    let mut cdf = Vec::with_capacity(VOCAB);
    let mut acc = 0.0;
    for r in 1..=VOCAB {
        acc += (r as f64).powf(-1.1);
        cdf.push(acc);
    }
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    (0..N)
        .map(|_| {
            let u: f64 = rng.random::<f64>() * acc;
            cdf.partition_point(|&c| c < u).min(VOCAB - 1) as u64
        })
        .collect()
}

fn crisislex_words() -> Vec<String> {
    let dir = pulse_testsuite::data_dir().join("crisislex-t6");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("CrisisLexT6 not found at {} ({e})", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let mut words = Vec::new();
    for f in files {
        let mut r = csv::Reader::from_path(&f).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            words.extend(rec[1].split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase));
        }
    }
    words
}

fn exact<K: std::hash::Hash + Eq + Clone>(items: &[K]) -> HashMap<K, u64> {
    let mut m = HashMap::new();
    for k in items {
        *m.entry(k.clone()).or_insert(0) += 1;
    }
    m
}

fn recall<K: std::hash::Hash + Eq + Ord + Clone>(ex: &HashMap<K, u64>, reported: &[K]) -> f64 {
    let mut t: Vec<(&K, u64)> = ex.iter().map(|(k, &n)| (k, n)).collect();
    t.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<&K> = t.iter().take(50).map(|x| x.0).collect();
    top.iter().filter(|k| reported.contains(k)).count() as f64 / 50.0
}

/// Prints the accuracy / size table of all alternatives once.
fn report(ranks: &[u64], hashes: &[u64], words: &[String]) {
    let ex = exact(ranks);
    let n_words = exact(words);
    println!("\n== accuracy and size (Zipf(1.1) N={N}, {} distinct; CrisisLexT6 {} words) ==", ex.len(), words.len());

    // Count-min.
    let mut ours = CountMin::new(EPS, DELTA).unwrap();
    let mut std_ = CountMin::with_rule(EPS, DELTA, UpdateRule::Standard).unwrap();
    let mut ds = CountMinSketch::<u64>::new(ours.depth() as u8, ours.width() as u32).unwrap();
    for &h in hashes {
        ours.update(h, 1);
        std_.update(h, 1);
        ds.update(h);
    }
    let over =
        |f: &dyn Fn(u64) -> u64| ex.iter().map(|(&r, &c)| f(hash_u64(r)) - c).sum::<u64>() as f64 / ex.len() as f64;
    println!(
        "count-min {}x{}: mean overestimate ours-CU {:.2}, ours-standard {:.2}, datasketches {:.2}; \
         bytes ours {} / datasketches {}",
        ours.width(),
        ours.depth(),
        over(&|h| ours.estimate(h)),
        over(&|h| std_.estimate(h)),
        over(&|h| ds.estimate(h)),
        ours.to_bytes().unwrap().len(),
        ds.serialize().len()
    );

    // Top-k on Zipf u64 and on words.
    let mut ours = TopK::<u64>::new(CAPACITY).unwrap();
    let mut ds = FrequentItemsSketch::<u64>::new(DS_MAP).unwrap();
    let mut hk = heavykeeper::TopK::<u64>::new(CAPACITY, 2048, 4, 0.9);
    let mut sa = streaming_algorithms::Top::<u64, usize>::new(CAPACITY, 0.99, 2.0 / 1000.0, ());
    for (&r, &h) in ranks.iter().zip(hashes) {
        ours.update(h, &r, 1);
        ds.update(r);
        hk.add(&r, 1);
        sa.push(r, &1);
    }
    let top_ours: Vec<u64> = ours.top(50).iter().map(|h| *h.item).collect();
    let mut ds_rows = ds.frequent_items(datasketches::frequencies::ErrorType::NoFalseNegatives);
    ds_rows.sort_by_key(|r| std::cmp::Reverse(r.lower_bound()));
    let top_ds: Vec<u64> = ds_rows.iter().take(50).map(|r| *r.item()).collect();
    let top_hk: Vec<u64> = hk.list().iter().take(50).map(|n| n.item).collect();
    let top_sa: Vec<u64> = sa.iter().take(50).map(|(k, _)| *k).collect();
    let err_of = |got: &dyn Fn(u64) -> u64, top: &[u64]| top.iter().map(|r| ex[r].abs_diff(got(*r))).max().unwrap_or(0);
    println!(
        "top-k (Zipf, u64): recall@50 ours {:.2} (max err {} ≤ bound {}), datasketches {:.2} (max err {} ≤ bound {}), \
         heavykeeper {:.2} (max err {}, no bound), streaming_algorithms {:.2}; bytes ours {} / datasketches {} (heavykeeper: Vec<u8> items only)",
        recall(&ex, &top_ours),
        err_of(&|r| ours.bounds(hash_u64(r)).lower, &top_ours),
        ours.maximum_error(),
        recall(&ex, &top_ds),
        err_of(&|r| ds.lower_bound(&r), &top_ds),
        ds.maximum_error(),
        recall(&ex, &top_hk),
        err_of(&|r| hk.count(&r), &top_hk),
        recall(&ex, &top_sa),
        ours.to_bytes().unwrap().len(),
        ds.serialize().len(),
    );
    let mut ours_w = TopK::<String>::new(CAPACITY).unwrap();
    let mut ds_w = FrequentItemsSketch::<String>::new(DS_MAP).unwrap();
    for w in words {
        ours_w.update(hash_key(w), w.as_str(), 1);
        ds_w.update_ref(w.as_str());
    }
    let top_ours: Vec<String> = ours_w.top(50).iter().map(|h| h.item.clone()).collect();
    let mut rows = ds_w.frequent_items(datasketches::frequencies::ErrorType::NoFalseNegatives);
    rows.sort_by_key(|r| std::cmp::Reverse(r.lower_bound()));
    let top_ds: Vec<String> = rows.iter().take(50).map(|r| r.item().clone()).collect();
    println!(
        "top-k (CrisisLexT6 words, String): recall@50 ours {:.2} (offset {}), datasketches {:.2} (offset {}); \
         bytes ours {} / datasketches {}",
        recall(&n_words, &top_ours),
        ours_w.maximum_error(),
        recall(&n_words, &top_ds),
        ds_w.maximum_error(),
        ours_w.to_bytes().unwrap().len(),
        ds_w.serialize().len()
    );

    // HLL: 1M distinct dense, and 50-element sparse.
    let mut ours = Hll::new(14).unwrap();
    let mut ds = HllSketch::new(14, HllType::Hll8).unwrap();
    let mut sa = streaming_algorithms::HyperLogLog::<u64>::new(0.0081);
    for i in 0..N as u64 {
        ours.insert(hash_u64(i));
        ds.update(hash_u64(i));
        sa.push(&i);
    }
    let rel = |x: f64| (x - N as f64) / N as f64 * 100.0;
    let mut small = Hll::new(14).unwrap();
    let mut small_ds = HllSketch::new(14, HllType::Hll8).unwrap();
    for i in 0..50 {
        small.insert(hash_u64(i));
        small_ds.update(hash_u64(i));
    }
    println!(
        "hll p=14, 1M distinct: error ours {:+.3}%, datasketches HLL8 {:+.3}%, streaming_algorithms {:+.3}%; \
         bytes dense ours {} / datasketches {}; 50 distinct: ours {} bytes (estimate {:.2}), datasketches {} bytes (estimate {:.2})\n",
        rel(ours.count()),
        rel(ds.estimate()),
        rel(sa.len()),
        ours.to_bytes().unwrap().len(),
        ds.serialize().len(),
        small.to_bytes().unwrap().len(),
        small.count(),
        small_ds.serialize().len(),
        small_ds.estimate()
    );
}

fn benches(c: &mut Criterion, ranks: &[u64], hashes: &[u64], words: &[String]) {
    let word_hashes: Vec<u64> = words.iter().map(|w| hash_key(w)).collect();

    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Elements(words.len() as u64));
    g.bench_function("hash_key/crisislex-words", |b| b.iter(|| words.iter().fold(0u64, |a, w| a ^ hash_key(w))));
    g.finish();

    let mut g = c.benchmark_group("countmin_update");
    g.throughput(Throughput::Elements(N as u64));
    for (name, rule) in [("pulse-cu", UpdateRule::Conservative), ("pulse-standard", UpdateRule::Standard)] {
        g.bench_function(name, |b| {
            let mut s = CountMin::with_rule(EPS, DELTA, rule).unwrap();
            b.iter(|| {
                for &h in hashes {
                    s.update(h, 1);
                }
            })
        });
    }
    g.bench_function("datasketches", |b| {
        let mut s = CountMinSketch::<u64>::new(5, 4096).unwrap();
        b.iter(|| {
            for &h in hashes {
                s.update(h);
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("topk_update_zipf_u64");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("pulse", |b| {
        b.iter_batched_ref(
            || TopK::<u64>::new(CAPACITY).unwrap(),
            |s| {
                for (r, &h) in ranks.iter().zip(hashes) {
                    s.update(h, r, 1);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("datasketches", |b| {
        b.iter_batched_ref(
            || FrequentItemsSketch::<u64>::new(DS_MAP).unwrap(),
            |s| {
                for &r in ranks {
                    s.update(r);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("heavykeeper", |b| {
        b.iter_batched_ref(
            || heavykeeper::TopK::<u64>::new(CAPACITY, 2048, 4, 0.9),
            |s| {
                for r in ranks {
                    s.add(r, 1);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("streaming_algorithms", |b| {
        b.iter_batched_ref(
            || streaming_algorithms::Top::<u64, usize>::new(CAPACITY, 0.99, 2.0 / 1000.0, ()),
            |s| {
                for &r in ranks {
                    s.push(r, &1);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("topk_update_words_string");
    g.throughput(Throughput::Elements(words.len() as u64));
    g.bench_function("pulse (hash precomputed)", |b| {
        b.iter_batched_ref(
            || TopK::<String>::new(CAPACITY).unwrap(),
            |s| {
                for (w, &h) in words.iter().zip(&word_hashes) {
                    s.update(h, w.as_str(), 1);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("datasketches", |b| {
        b.iter_batched_ref(
            || FrequentItemsSketch::<String>::new(DS_MAP).unwrap(),
            |s| {
                for w in words {
                    s.update_ref(w.as_str());
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let distinct: Vec<u64> = (0..N as u64).map(hash_u64).collect();
    let mut g = c.benchmark_group("hll_insert_dense_1M_distinct");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("pulse (hyperloglogplus)", |b| {
        let mut s = Hll::new(14).unwrap();
        for &h in &distinct[..100_000] {
            s.insert(h); // dense before timing
        }
        b.iter(|| {
            for &h in &distinct {
                s.insert(h);
            }
        })
    });
    g.bench_function("datasketches HLL8", |b| {
        let mut s = HllSketch::new(14, HllType::Hll8).unwrap();
        b.iter(|| {
            for &h in &distinct {
                s.update(h);
            }
        })
    });
    g.bench_function("streaming_algorithms", |b| {
        let mut s = streaming_algorithms::HyperLogLog::<u64>::new(0.0081);
        b.iter(|| {
            for &h in &distinct {
                s.push_hash64(h);
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("hll_sparse_1000x50_with_count");
    g.throughput(Throughput::Elements(50_000));
    g.bench_function("pulse (hyperloglogplus)", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for s in 0..1000usize {
                let mut h = Hll::new(14).unwrap();
                for &x in &distinct[s * 50..s * 50 + 50] {
                    h.insert(x);
                }
                total += h.count();
            }
            total
        })
    });
    g.bench_function("datasketches HLL8", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for s in 0..1000usize {
                let mut h = HllSketch::new(14, HllType::Hll8).unwrap();
                for &x in &distinct[s * 50..s * 50 + 50] {
                    h.update(x);
                }
                total += h.estimate();
            }
            total
        })
    });
    g.finish();

    // Merge cost of full sketches built from the two halves of the Zipf stream.
    let (a, b_) = hashes.split_at(N / 2);
    let (ra, rb) = ranks.split_at(N / 2);
    let mut g = c.benchmark_group("merge");
    let cm = |hs: &[u64]| {
        let mut s = CountMin::new(EPS, DELTA).unwrap();
        hs.iter().for_each(|&h| {
            s.update(h, 1);
        });
        s
    };
    let (cm_a, cm_b) = (cm(a), cm(b_));
    g.bench_function("countmin/pulse", |b| {
        b.iter_batched_ref(|| cm_a.clone(), |s| s.merge(&cm_b).unwrap(), BatchSize::SmallInput)
    });
    let dcm = |hs: &[u64]| {
        let mut s = CountMinSketch::<u64>::new(5, 4096).unwrap();
        hs.iter().for_each(|&h| s.update(h));
        s
    };
    let (dcm_a, dcm_b) = (dcm(a), dcm(b_));
    g.bench_function("countmin/datasketches", |b| {
        b.iter_batched_ref(|| dcm_a.clone(), |s| s.merge(&dcm_b).unwrap(), BatchSize::SmallInput)
    });
    let tk = |rs: &[u64], hs: &[u64]| {
        let mut s = TopK::<u64>::new(CAPACITY).unwrap();
        rs.iter().zip(hs).for_each(|(r, &h)| s.update(h, r, 1));
        s
    };
    let (tk_a, tk_b) = (tk(ra, a), tk(rb, b_));
    g.bench_function("topk/pulse", |b| {
        b.iter_batched_ref(|| tk_a.clone(), |s| s.merge(&tk_b).unwrap(), BatchSize::SmallInput)
    });
    let dtk = |rs: &[u64]| {
        let mut s = FrequentItemsSketch::<u64>::new(DS_MAP).unwrap();
        rs.iter().for_each(|&r| s.update(r));
        s
    };
    let (dtk_a, dtk_b) = (dtk(ra), dtk(rb));
    g.bench_function("topk/datasketches", |b| {
        b.iter_batched_ref(|| dtk_a.clone(), |s| s.merge(&dtk_b), BatchSize::SmallInput)
    });
    let hk = |rs: &[u64]| {
        let mut s = heavykeeper::TopK::<u64>::new(CAPACITY, 2048, 4, 0.9);
        rs.iter().for_each(|r| s.add(r, 1));
        s
    };
    let (hk_a, hk_b) = (hk(ra), hk(rb));
    g.bench_function("topk/heavykeeper", |b| {
        b.iter_batched_ref(|| hk_a.clone(), |s| s.merge(&hk_b).unwrap(), BatchSize::SmallInput)
    });
    let hl = |hs: &[u64]| {
        let mut s = Hll::new(14).unwrap();
        hs.iter().for_each(|&h| s.insert(h));
        s
    };
    let (hl_a, hl_b) = (hl(&distinct[..N / 2]), hl(&distinct[N / 2..]));
    g.bench_function("hll-dense/pulse", |b| {
        b.iter_batched_ref(|| hl_a.clone(), |s| s.merge(&hl_b).unwrap(), BatchSize::SmallInput)
    });
    let dhl = |hs: &[u64]| {
        let mut s = HllSketch::new(14, HllType::Hll8).unwrap();
        hs.iter().for_each(|&h| s.update(h));
        s
    };
    let (dhl_a, dhl_b) = (dhl(&distinct[..N / 2]), dhl(&distinct[N / 2..]));
    g.bench_function("hll-dense/datasketches", |b| {
        b.iter(|| {
            let mut u = HllUnion::new(14).unwrap();
            u.update(&dhl_a);
            u.update(&dhl_b);
            u.estimate()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("encode_decode");
    let (cm_blob, tk_blob, hl_blob) = (cm_a.to_bytes().unwrap(), tk_a.to_bytes().unwrap(), hl_a.to_bytes().unwrap());
    g.bench_function("countmin/encode", |b| b.iter(|| cm_a.to_bytes().unwrap()));
    g.bench_function("countmin/decode", |b| b.iter(|| CountMin::from_bytes(&cm_blob).unwrap()));
    g.bench_function("topk/encode", |b| b.iter(|| tk_a.to_bytes().unwrap()));
    g.bench_function("topk/decode", |b| b.iter(|| TopK::<u64>::from_bytes(&tk_blob).unwrap()));
    g.bench_function("hll-dense/encode", |b| b.iter(|| hl_a.to_bytes().unwrap()));
    g.bench_function("hll-dense/decode", |b| b.iter(|| Hll::from_bytes(&hl_blob).unwrap()));
    g.finish();
    black_box((cm_blob, tk_blob, hl_blob));
}

fn main() {
    let ranks = zipf_ranks();
    let hashes: Vec<u64> = ranks.iter().map(|&r| hash_u64(r)).collect();
    let words = crisislex_words();
    report(&ranks, &hashes, &words);
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(2))
        .configure_from_args();
    benches(&mut c, &ranks, &hashes, &words);
    c.final_summary();
}
