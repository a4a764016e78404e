//! pulse-index benchmarks on real tweets (custom harness: prints a Markdown report).
//!
//! 1. **Indexing throughput**: the 60,082 CrisisLex T6 tweets, analyzed once by `pulse-text`
//!    (not timed), replayed 17 times with unique ids and time shifts (1,021,394 posts) into an
//!    on-disk index with the default configuration (2 indexing threads, 256 MB, commit every 1 s
//!    or 100k posts), sent through the bounded queue from one producer thread. Timed from the first
//!    send to the end of the final commit.
//! 2. **Search latency** on that ≥ 1M-post index (after its merges finished): a mix of hashtag,
//!    word, phrase, filtered, recency-sorted and paginated queries, each run many times;
//!    p50 / p99 / max per kind and overall, plus `representative` latency.
//! 3. **Retention cost**: the commit that deletes the oldest posts with the `created_at`
//!    range delete, against a plain commit.
//!
//! Run: `cargo bench -p pulse-index --bench index` (`PULSE_DATA_DIR` as for the tests;
//! `PULSE_BENCH_LOOPS` to change the 17 loops; `PULSE_BENCH_THREADS` for indexing threads).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pulse_core::{Post, PostReader, Record};
use pulse_index::{IndexConfig, IndexPost, SearchIndex, SearchRequest, SentimentClass, SortOrder};
use pulse_text::Analyzer;

fn load_t6() -> Vec<IndexPost> {
    let dir = pulse_testsuite::data_dir().join("crisislex-t6");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("crisislex-t6").flatten().map(|e| e.path()).collect();
    files.sort();
    let analyzer = Analyzer::shared();
    let mut out = Vec::new();
    for path in files {
        for record in PostReader::open(&path, None).expect("readable") {
            if let Ok(Record::Post(post)) = record {
                let analysis = analyzer.analyze(&post);
                out.push(IndexPost {
                    lang: analysis.lang().to_string(),
                    sentiment: analysis.topic_sentiment().map(|s| s.compound),
                    topics: analysis.topics().iter().map(|t| t.key().to_string()).collect(),
                    is_repost: analysis.is_repost(),
                    post: Arc::new(post),
                    seq: out.len() as u64 + 1,
                });
            }
        }
    }
    out.sort_by_key(|p| p.post.created_at);
    out
}

fn shifted(item: &IndexPost, k: usize, shift: chrono::Duration) -> IndexPost {
    let mut post: Post = (*item.post).clone();
    post.id = format!("{k}-{}", post.id);
    post.created_at += shift;
    IndexPost { post: Arc::new(post), ..item.clone() }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let loops: usize = std::env::var("PULSE_BENCH_LOOPS").ok().and_then(|v| v.parse().ok()).unwrap_or(17);
    let threads: usize = std::env::var("PULSE_BENCH_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let started = Instant::now();
    let base = load_t6();
    eprintln!("loaded and analyzed {} posts in {:.1}s", base.len(), started.elapsed().as_secs_f64());
    let first = base[0].post.created_at;
    let last = base[base.len() - 1].post.created_at;
    let period = (last - first) + chrono::Duration::days(1);
    // Prepare every post up front so the timing measures the index, not the cloning.
    let all: Vec<IndexPost> =
        (0..loops).flat_map(|k| base.iter().map(move |p| shifted(p, k, period * k as i32))).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = IndexConfig { indexing_threads: threads, retention_secs: None, ..IndexConfig::default() };

    // 1. Throughput.
    let index = SearchIndex::open(dir.path(), config.clone()).expect("open");
    let sender = index.sender();
    let n = all.len();
    let t0 = Instant::now();
    let mut max_depth = 0;
    for (i, post) in all.into_iter().enumerate() {
        sender.send(post).expect("send");
        if i % 4096 == 0 {
            max_depth = max_depth.max(sender.queue_depth());
        }
    }
    let sent = t0.elapsed();
    index.flush().expect("flush");
    let indexed = t0.elapsed();
    let stats = index.stats();
    let t1 = Instant::now();
    index.shutdown().expect("shutdown");
    let merges = t1.elapsed();
    drop(index);
    println!("## Indexing throughput\n");
    println!(
        "| posts | indexing threads | sent in | searchable (last commit) after | posts/s | commits | max queue depth seen | merges after |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {threads} | {:.1} s | {:.1} s | **{:.0}** | {} | {max_depth} / {} | {:.1} s |",
        sent.as_secs_f64(),
        indexed.as_secs_f64(),
        n as f64 / indexed.as_secs_f64(),
        stats.commits,
        config.queue_capacity,
        merges.as_secs_f64()
    );

    // 2. Search latency, on the finished index.
    let index = SearchIndex::open(dir.path(), config.clone()).expect("reopen");
    let stats = index.stats();
    println!(
        "\nIndex: {} posts, {} segments, {:.0} MB on disk.\n",
        stats.num_docs,
        stats.num_segments,
        stats.disk_bytes.unwrap_or(0) as f64 / 1e6
    );
    let day = |d: i64| -> DateTime<Utc> { first + chrono::Duration::days(d) };
    let kinds: Vec<(&str, Vec<SearchRequest>)> = vec![
        (
            "hashtag",
            ["#bostonmarathon", "#sandy", "#yycflood", "#prayforboston", "#bigwet", "#okwx"]
                .iter()
                .map(|q| SearchRequest::new(*q))
                .collect(),
        ),
        (
            "word",
            ["explosion", "flood", "tornado", "police", "help", "fire"]
                .iter()
                .map(|q| SearchRequest::new(*q))
                .collect(),
        ),
        (
            "phrase",
            ["\"finish line\"", "\"west texas\"", "\"power outage\"", "\"red cross\""]
                .iter()
                .map(|q| SearchRequest::new(*q))
                .collect(),
        ),
        (
            "two words AND",
            ["fertilizer plant", "boston explosion", "flood water", "storm power"]
                .iter()
                .map(|q| SearchRequest::new(*q))
                .collect(),
        ),
        (
            "filtered (time+lang+class)",
            ["explosion", "flood", "#sandy", "help"]
                .iter()
                .enumerate()
                .map(|(i, q)| SearchRequest {
                    since: Some(day(30 * i as i64)),
                    until: Some(day(30 * i as i64 + 60)),
                    lang: Some("en".into()),
                    sentiment: Some(SentimentClass::Negative),
                    ..SearchRequest::new(*q)
                })
                .collect(),
        ),
        (
            "recent sort",
            ["explosion", "flood", "#sandy", ""]
                .iter()
                .map(|q| SearchRequest { sort: SortOrder::Recent, ..SearchRequest::new(*q) })
                .collect(),
        ),
        (
            "page 5 (offset 400, limit 100)",
            ["flood", "boston"]
                .iter()
                .map(|q| SearchRequest { offset: 400, limit: 100, ..SearchRequest::new(*q) })
                .collect(),
        ),
    ];
    const ROUNDS: usize = 40;
    // Warm-up: touch every query once (page cache, doc store cache).
    for (_, requests) in &kinds {
        for r in requests {
            index.search(r).expect("search");
        }
    }
    let mut overall = Vec::new();
    println!("## Search latency (ms), {ROUNDS} rounds over each query\n");
    println!("| kind | queries | mean hits total | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for (kind, requests) in &kinds {
        let mut times = Vec::new();
        let mut totals = 0usize;
        for _ in 0..ROUNDS {
            for r in requests {
                let t = Instant::now();
                let page = index.search(r).expect("search");
                times.push(t.elapsed());
                totals += page.total;
            }
        }
        times.sort();
        println!(
            "| {kind} | {} | {} | {} | {} | {} |",
            requests.len(),
            totals / times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap())
        );
        overall.extend(times);
    }
    overall.sort();
    println!(
        "| **all** | {} | | **{}** | **{}** | {} |",
        overall.len() / ROUNDS,
        ms(percentile(&overall, 0.5)),
        ms(percentile(&overall, 0.99)),
        ms(*overall.last().unwrap())
    );
    let mut rep = Vec::new();
    for _ in 0..10 {
        for (topic, from) in [("#bostonmarathon", None), ("flood", Some(day(100))), ("explosion", None)] {
            let t = Instant::now();
            index.representative(topic, from, None, 5).expect("representative");
            rep.push(t.elapsed());
        }
    }
    rep.sort();
    println!(
        "| representative (3 sides × 5, topics #bostonmarathon, flood, explosion) | 3 | | {} | {} | {} |",
        ms(percentile(&rep, 0.5)),
        ms(percentile(&rep, 0.99)),
        ms(*rep.last().unwrap())
    );
    index.shutdown().expect("shutdown");
    drop(index);

    // 3. Retention: a commit that range-deletes the oldest posts vs a plain commit.
    let newest = last + period * (loops as i32 - 1);
    let keep = newest - first - chrono::Duration::days(60 * loops as i64 / 17);
    let config = IndexConfig { retention_secs: Some(keep.num_seconds() as u64), ..config };
    let index = SearchIndex::open(dir.path(), config).expect("reopen");
    let before = index.stats().num_docs;
    let plain = {
        let t = Instant::now();
        index.flush().expect("flush");
        t.elapsed()
    };
    let t = Instant::now();
    let mut newest_post = (*base[base.len() - 1].post).clone();
    newest_post.id = "retention-probe".into();
    newest_post.created_at = newest;
    index.sender().send(IndexPost::new(newest_post, "en", None)).expect("send");
    index.flush().expect("flush");
    let deleting = t.elapsed();
    let after = index.stats().num_docs;
    println!("\n## Retention delete\n");
    println!("| commit | time | docs before → after |");
    println!("|---|---|---|");
    println!("| plain commit (nothing to delete) | {} ms | {before} |", ms(plain));
    println!("| 1 post + range delete of `created_at < cutoff` | {} ms | {before} → {after} |", ms(deleting));
    index.shutdown().expect("shutdown");
}
