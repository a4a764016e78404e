//! Trend engine benches on real data (CrisisLexT6 boston-west, analysed once up front):
//!
//! * `ingest`: posts/s through one worker with analysis precomputed (the engine's own cost:
//!   count-min, de-duplication, top-k, watched-topic detail, merges at bucket boundaries).
//! * `ingest_dense`: the same posts, 10,000 per bucket (a busy stream): the per-post cost, in
//!   the steady state of a running worker (heaviest topics watched from the first post on);
//!   `ingest_dense_cold`: the same for a new worker on a new engine (nothing watched at first).
//! * `query_top50`: latency of a report of the top 50 (stories with their headlines and
//!   summaries, and trending topics) on an engine holding the replay up to the West explosion
//!   (2013-04-18 02:00 UTC), 10-minute buckets, 24 h ring.
//! * `stories_top50_1m`: the same report with a million posts in its one-hour window (see
//!   [`a_million_posts_in_the_window`]): what a dashboard refresh costs on a busy stream, every
//!   bucket of the window closed; `stories_top50_1m_open`: the same with the newest bucket
//!   still open, as on a live stream (its authors are merged anew at every refresh).
//!
//! `PULSE_DATA_DIR` (default `../shared/replay-data`) must hold `crisislex-t6/`.

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pulse_sketch::hash_u64;
use pulse_trends::{AnalyzedPost, TrendConfig, TrendEngine, TrendQuery, Worker};

fn load() -> Vec<AnalyzedPost> {
    pulse_testsuite::boston_west_analyzed().to_vec()
}

/// `PULSE_ENGINE_PROFILE=1`, for callgrind and for comparing two builds on a busy machine
/// (`benches/RESULTS.md`, trend engine): one worker ingests the dense posts three times over,
/// 30 minutes of data time apart, with no interval flushes (under valgrind the 100 ms interval
/// would flush every 1,024 posts), and the process exits without criterion. Nothing is watched
/// for the first 10,000 posts; the rest is the steady state. Returns the CPU time of the three
/// rounds in nanoseconds (ingest, flushes and bucket closes, which `ingest_dense` does not time); `PULSE_ENGINE_PASSES` (default 1) repeats the run and the best per post
/// is printed.
fn profile_run(rounds: &[Vec<AnalyzedPost>], config: TrendConfig) -> u64 {
    let t0 = rounds[0][0].created_at;
    let engine = TrendEngine::new(TrendConfig { flush_interval_ms: u64::MAX / 2, ..config }).unwrap();
    let mut w = engine.worker();
    let start = cpu_ns();
    for (round, posts) in (0..).zip(rounds) {
        for p in posts {
            w.ingest(p).unwrap();
        }
        w.flush().unwrap();
        engine.advance_watermark(t0 + (round + 1) * 1800);
    }
    cpu_ns() - start
}

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`), which leaves out the time other
/// processes hold the core on a shared machine.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux) for the profile mode")
}

fn benches(c: &mut Criterion) {
    let posts = load();
    let topics: usize = posts.iter().map(|p| p.topics.len()).sum();
    eprintln!("{} posts, {:.1} topics/post", posts.len(), topics as f64 / posts.len() as f64);
    // `PULSE_ENGINE_WATCH` overrides the watched-set size, to measure what the per-topic detail
    // of watched topics costs (`benches/RESULTS.md`).
    let watch: Option<usize> = std::env::var("PULSE_ENGINE_WATCH").ok().and_then(|w| w.parse().ok());
    let config = || {
        let config = TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(600) };
        TrendConfig { watch_size: watch.unwrap_or(config.watch_size), ..config }
    };
    // The same posts compressed in time (10,000 per 10-minute bucket, as on a busy live stream):
    // the per-post cost without the per-bucket merge that dominates a sparse replay.
    let t0 = posts[0].created_at;
    let dense: Vec<AnalyzedPost> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| AnalyzedPost { created_at: t0 + (i as i64 / 10_000) * 600, ..p.clone() })
        .collect();
    if std::env::var_os("PULSE_ENGINE_PROFILE").is_some() {
        let passes: usize = std::env::var("PULSE_ENGINE_PASSES").ok().and_then(|p| p.parse().ok()).unwrap_or(1);
        let rounds: Vec<Vec<AnalyzedPost>> = (0..3)
            .map(|round| {
                dense.iter().map(|p| AnalyzedPost { created_at: p.created_at + round * 1800, ..p.clone() }).collect()
            })
            .collect();
        let best = (0..passes).map(|_| profile_run(&rounds, config())).min().unwrap_or(0);
        eprintln!("{:.0} ns of CPU per post (best of {passes})", best as f64 / (3 * dense.len()) as f64);
        std::process::exit(0);
    }

    let mut g = c.benchmark_group("trends");
    g.throughput(Throughput::Elements(posts.len() as u64));
    g.bench_function("ingest", |b| {
        b.iter(|| {
            let engine = TrendEngine::new(config()).unwrap();
            let mut w = engine.worker();
            for p in &posts {
                w.ingest(p).unwrap();
            }
            w.flush().unwrap();
            engine
        })
    });
    // A fresh engine per run (a long-lived engine would see its buckets' state grow across runs);
    // allocating and zeroing its ring (≈ 23 MB for 144 buckets) is a start-up cost, not timed.
    // `ingest_dense` is the steady state of a running worker: it has already been through two
    // buckets as busy, so the engine watches the heaviest topics from the first post on (every
    // watched topic in a post costs detail: authors HLL, sentiment, co-occurrence, surface
    // forms) and the worker's de-duplication sets have grown to size. `ingest_dense_cold` is a
    // new worker on a new engine: nothing is watched until its first bucket closes, so it does
    // about half that detail work. Earlier versions of this bench measured only the cold case.
    let warmup: Vec<AnalyzedPost> =
        dense[..20_000].iter().map(|p| AnalyzedPost { created_at: p.created_at - 1800, ..p.clone() }).collect();
    g.bench_function("ingest_dense", |b| {
        b.iter_batched(
            || {
                let engine = TrendEngine::new(config()).unwrap();
                let mut w = engine.worker();
                for p in &warmup {
                    w.ingest(p).unwrap();
                }
                w.flush().unwrap();
                // Close the warm-up buckets: the worker recycles their sets at its next flush.
                engine.advance_watermark(t0);
                w
            },
            |mut w| {
                for p in &dense {
                    w.ingest(p).unwrap();
                }
                w.flush().unwrap();
                w
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("ingest_dense_cold", |b| {
        b.iter_batched(
            || TrendEngine::new(config()).unwrap(),
            |engine| {
                let mut w = engine.worker();
                for p in &dense {
                    w.ingest(p).unwrap();
                }
                w.flush().unwrap();
                drop(w);
                engine
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let cut = chrono::DateTime::parse_from_rfc3339("2013-04-18T02:00:00Z").unwrap().timestamp();
    let engine = TrendEngine::new(config()).unwrap();
    replay_until(&engine, &posts, cut, |_, _| {});
    engine.advance_watermark(cut);
    let q = TrendQuery { limit: Some(50), ..Default::default() };
    let report = engine.report(&q);
    eprintln!("top-50 at the cut: {} stories, {} trends", report.stories.len(), report.trends.len());
    let mut g = c.benchmark_group("trends");
    g.bench_function("query_top50", |b| b.iter(|| engine.report(&q)));
    g.finish();

    let engine = a_million_posts_in_the_window(&posts, config(), cut);
    engine.advance_watermark(cut);
    let report = engine.report(&q);
    eprintln!(
        "a million posts in the window: {} stories, the first \"{}\" over {} posts",
        report.stories.len(),
        report.stories.first().map_or("", |s| s.headline.as_str()),
        report.stories.first().map_or(0, |s| s.posts)
    );
    let mut g = c.benchmark_group("trends");
    g.bench_function("stories_top50_1m", |b| b.iter(|| engine.report(&q)));
    g.finish();
    refresh_percentiles("stories_top50_1m", &engine, &q);

    // As a live stream sees it: the window's newest bucket is still open (its posts arrive until
    // the watermark passes it), so every refresh merges it anew.
    let engine = a_million_posts_in_the_window(&posts, config(), cut);
    engine.advance_watermark(cut - 300);
    let mut g = c.benchmark_group("trends");
    g.bench_function("stories_top50_1m_open", |b| b.iter(|| engine.report(&q)));
    g.finish();
    refresh_percentiles("stories_top50_1m_open", &engine, &q);
}

/// Times 200 reports one by one and prints their median, p99 and maximum: the goal is a p99, and
/// criterion reports means of batches.
fn refresh_percentiles(name: &str, engine: &TrendEngine, q: &TrendQuery) {
    let mut ms: Vec<f64> = (0..200)
        .map(|_| {
            let started = std::time::Instant::now();
            std::hint::black_box(engine.report(q));
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    eprintln!("{name}: 200 refreshes, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ms[100], ms[197], ms[199]);
}

/// An engine holding boston-west up to `cut`, and in the hour before it a million posts more:
/// each post of that hour again from a thousand-odd other accounts, every other one a copy of
/// its text (a retweet) and the rest their own text with the same topics. The West explosion
/// told by a thousand times as many people: the load a report's grouping and headlines face on
/// the busiest stream. Every bucket before the one holding `cut` is closed.
fn a_million_posts_in_the_window(posts: &[AnalyzedPost], config: TrendConfig, cut: i64) -> TrendEngine {
    let engine = TrendEngine::new(config).unwrap();
    let hour_start = cut - 3600;
    let in_hour = posts.iter().filter(|p| (hour_start..cut).contains(&p.created_at)).count();
    let repeats = (1_000_000 / in_hour.max(1)) as u64 + 1;
    let mut total = 0u64;
    replay_until(&engine, posts, cut, |w, p| {
        if p.created_at >= hour_start {
            for k in 1..repeats {
                let content_hash = if k % 2 == 0 { p.content_hash } else { hash_u64(p.content_hash ^ k) };
                let repeat = AnalyzedPost {
                    id: format!("{}-{k}", p.id),
                    author_hash: hash_u64(p.author_hash ^ k.rotate_left(32)),
                    content_hash,
                    ..p.clone()
                };
                w.ingest(&repeat).unwrap();
            }
            total += repeats;
        }
    });
    eprintln!("{total} posts in the hour before the cut");
    engine
}

/// Feeds `posts` before `cut` to `engine` in time order, closing each 10-minute bucket as the
/// replay passes it (the last stays open), and calls `after` with the worker after each post (to add posts of its own).
fn replay_until(
    engine: &TrendEngine,
    posts: &[AnalyzedPost],
    cut: i64,
    mut after: impl FnMut(&mut Worker, &AnalyzedPost),
) {
    let mut w = engine.worker();
    let mut next = (posts[0].created_at / 600 + 1) * 600;
    for p in posts.iter().filter(|p| p.created_at < cut) {
        while p.created_at >= next {
            w.flush().unwrap();
            engine.advance_watermark(next);
            next += 600;
        }
        w.ingest(p).unwrap();
        after(&mut w, p);
    }
    w.flush().unwrap();
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(group);
