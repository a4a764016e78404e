//! The index over time: reopening from disk, the commit policy, shutdown, and retention under a
//! looped replay (doc count and disk stay bounded).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use pulse_core::Post;
use pulse_index::{IndexConfig, IndexError, IndexPost, SearchIndex, SearchRequest, TrySendError};

/// A copy of a post with a new id and its time moved by `shift`.
fn shifted(item: &IndexPost, loop_index: usize, shift: chrono::Duration) -> IndexPost {
    let mut post: Post = (*item.post).clone();
    post.id = format!("{loop_index}-{}", post.id);
    post.created_at += shift;
    IndexPost { post: Arc::new(post), ..item.clone() }
}

#[test]
fn reopening_an_on_disk_index_keeps_its_posts() {
    let dir = tempfile::tempdir().unwrap();
    let posts = &pulse_testsuite::boston_index_posts()[..2_000];
    {
        let index = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
        let sender = index.sender();
        for post in &posts[..1_500] {
            sender.send(post.clone()).unwrap();
        }
        // No flush: shutdown drains the queue and commits.
        index.shutdown().unwrap();
        assert!(matches!(sender.send(posts[0].clone()), Err(IndexError::Closed)));
        assert!(
            matches!(sender.try_send(posts[0].clone()), Err(TrySendError::Closed(p)) if p.post.id == posts[0].post.id)
        );
        assert_eq!(index.stats().num_docs, 1_500);
    }
    let index = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
    let stats = index.stats();
    assert_eq!(stats.num_docs, 1_500);
    assert!(stats.disk_bytes.unwrap() > 100_000, "{stats:?}");
    let expected = posts[..1_500].iter().filter(|p| p.post.text.to_lowercase().contains("#bostonmarathon")).count();
    assert!(expected > 0);
    let page = index.search(&SearchRequest::new("#bostonmarathon")).unwrap();
    assert!(page.total > 0 && page.total <= expected, "{} vs {expected}", page.total);
    for post in &posts[1_500..] {
        index.sender().send(post.clone()).unwrap();
    }
    index.flush().unwrap();
    assert_eq!(index.stats().num_docs, 2_000);
}

#[test]
fn a_reopened_index_forgets_the_posts_numbered_after_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let posts = &pulse_testsuite::boston_index_posts()[..1_000];
    {
        let index = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
        let sender = index.sender();
        for (seq, post) in (1..).zip(posts) {
            sender.send(post.clone().with_seq(seq)).unwrap();
        }
        // Unnumbered posts (a Kafka query node's) are never forgotten.
        sender.send(posts[0].clone()).unwrap();
        index.shutdown().unwrap();
    }
    let index = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
    assert_eq!(index.stats().num_docs, 1_001);
    index.forget_after(600).unwrap();
    assert_eq!(index.stats().num_docs, 601, "posts 1 to 600 and the unnumbered one");
    let sender = index.sender();
    for (seq, post) in (601..).zip(&posts[600..]) {
        sender.send(post.clone().with_seq(seq)).unwrap();
    }
    index.flush().unwrap();
    assert_eq!(index.stats().num_docs, 1_001, "indexed again once each");
}

#[test]
fn a_post_its_author_deleted_is_searchable_no_more() {
    let index = SearchIndex::in_ram(IndexConfig::small()).unwrap();
    let posts = &pulse_testsuite::boston_index_posts()[..300];
    let sender = index.sender();
    for post in posts {
        sender.send(post.clone()).unwrap();
    }
    let gone = &posts[150].post;
    index.delete_post(&gone.id).unwrap();
    index.delete_post("at://did:plc:nobody/app.bsky.feed.post/none").unwrap();
    index.flush().unwrap();
    let stats = index.stats();
    assert_eq!((stats.num_docs, stats.deleted), (299, 2), "one post removed; both deletions counted");
    let page = index.search(&SearchRequest::new(format!("\"{}\"", gone.text.replace('"', " ")))).unwrap();
    assert!(page.hits.iter().all(|h| h.id != gone.id), "{:?}", page.hits);
}

#[test]
fn posts_become_searchable_within_the_commit_interval_without_flush() {
    let config = IndexConfig { commit_interval_ms: 300, ..IndexConfig::small() };
    let index = SearchIndex::in_ram(config).unwrap();
    let posts = &pulse_testsuite::boston_index_posts()[..500];
    let started = Instant::now();
    for post in posts {
        index.sender().send(post.clone()).unwrap();
    }
    // Poll instead of sleeping a fixed time; the policy promises ~interval + commit time.
    while index.stats().num_docs < 500 {
        assert!(started.elapsed() < Duration::from_secs(2), "not searchable after 2 s: {:?}", index.stats());
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = index.stats();
    assert!((1..=2).contains(&stats.commits), "{stats:?}");
    assert!(stats.last_commit.is_some() && stats.queue_depth == 0);
    // commit_max_docs commits before the interval elapses.
    let config = IndexConfig { commit_interval_ms: 60_000, commit_max_docs: 100, ..IndexConfig::small() };
    let index = SearchIndex::in_ram(config).unwrap();
    for post in &posts[..250] {
        index.sender().send(post.clone()).unwrap();
    }
    let started = Instant::now();
    while index.stats().num_docs < 200 {
        assert!(started.elapsed() < Duration::from_secs(5), "max-docs commit did not happen: {:?}", index.stats());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(index.stats().num_docs, 200, "the last 50 wait for the interval");
}

#[test]
fn retention_keeps_doc_count_and_disk_bounded_under_a_looped_replay() {
    const LOOPS: usize = 5;
    let retention = chrono::Duration::hours(24);
    let mut posts = pulse_testsuite::boston_index_posts().to_vec();
    posts.sort_by_key(|p| p.post.created_at);
    let first = posts[0].post.created_at;
    let last = posts[posts.len() - 1].post.created_at;
    // Each loop replays the 5 days of Boston tweets again, one hour after the previous loop ended.
    let period = (last - first) + chrono::Duration::hours(1);
    let dir = tempfile::tempdir().unwrap();
    let config = IndexConfig {
        retention_secs: Some(retention.num_seconds() as u64),
        commit_max_docs: 2_000,
        ..IndexConfig::small()
    };
    let index = SearchIndex::open(dir.path(), config).unwrap();
    let sender = index.sender();
    let mut docs = Vec::new();
    let mut disk = Vec::new();
    for k in 0..LOOPS {
        let shift = period * k as i32;
        for post in &posts {
            sender.send(shifted(post, k, shift)).unwrap();
        }
        index.flush().unwrap();
        let stats = index.stats();
        docs.push(stats.num_docs);
        disk.push(stats.disk_bytes.unwrap());
        // Exactly the posts of the last 24 h of event time are kept.
        let cutoff: DateTime<Utc> = last + shift - retention;
        let expected = posts.iter().filter(|p| p.post.created_at + shift >= cutoff).count() as u64;
        assert_eq!(stats.num_docs, expected, "loop {k}: {stats:?}");
        assert_eq!(stats.retention_cutoff, Some(cutoff));
        let old = index.search(&SearchRequest { until: Some(cutoff), ..SearchRequest::default() }).unwrap();
        assert_eq!(old.total, 0, "loop {k}: posts older than the cutoff are still searchable");
    }
    let stats = index.stats();
    eprintln!("docs per loop {docs:?}, disk bytes per loop {disk:?}, final {stats:?}");
    assert_eq!(stats.indexed_total + stats.expired_dropped, (posts.len() * LOOPS) as u64);
    assert!(stats.indexed_total > 5 * docs[LOOPS - 1], "the replay indexed far more than it keeps");
    // Disk does not grow with the number of loops: the last loops use no more than twice the
    // space of the second (the first loop is the warm-up, with fewer deletions to merge away).
    let reference = disk[1];
    for (k, bytes) in disk.iter().enumerate().skip(2) {
        assert!(*bytes <= 2 * reference, "loop {k}: {bytes} bytes on disk vs {reference} after loop 1: {disk:?}");
    }
    // After shutdown (merges finished), the directory holds about one window's worth.
    index.shutdown().unwrap();
    let reopened = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
    assert_eq!(reopened.stats().num_docs, docs[LOOPS - 1]);
    assert!(reopened.stats().disk_bytes.unwrap() <= 2 * reference);
}
