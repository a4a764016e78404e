//! The writer recovers from a transient I/O failure: with the process out of file descriptors,
//! tantivy kills its writer; once descriptors are free again, the writer is reopened, the outage
//! has been reported, and new posts are searchable. (One test in its own binary: it lowers the
//! whole process's open-file limit.)

use std::fs::File;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pulse_index::{IndexConfig, IndexPost, SearchIndex, SearchRequest};
use rustix::process::{Resource, getrlimit, setrlimit};

fn posts(word: &str, n: usize) -> Vec<IndexPost> {
    let at = DateTime::<Utc>::from_timestamp(1_366_000_000, 0).unwrap();
    (0..n)
        .map(|i| {
            let post = pulse_core::Post::new(
                format!("{word}-{i}"),
                at,
                format!("author{i}"),
                format!("{word} post {i}"),
                "test",
            );
            IndexPost::new(post, "en", None)
        })
        .collect()
}

fn index_all(index: &SearchIndex, batch: Vec<IndexPost>) {
    let sender = index.sender();
    for post in batch {
        sender.send(post).unwrap();
    }
}

fn hits(index: &SearchIndex, word: &str) -> usize {
    index.search(&SearchRequest::new(word)).unwrap().total
}

#[test]
fn a_writer_killed_by_running_out_of_file_descriptors_is_reopened_and_search_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), IndexConfig::small()).unwrap();
    index_all(&index, posts("before", 50));
    index.flush().unwrap();
    assert_eq!(hits(&index, "before"), 50);

    // Use up every file descriptor under a low limit.
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = Some(256);
    setrlimit(Resource::Nofile, limit).unwrap();
    let mut hogs: Vec<File> = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        hogs.push(file);
    }
    index_all(&index, posts("during", 50));
    assert!(index.flush().is_err(), "a commit without file descriptors cannot succeed");
    let down = index.writer_down().expect("the outage is reported while it lasts");
    let stats = index.stats();
    assert!(stats.errors >= 1 && stats.lost >= 1, "errors {} lost {}: {down}", stats.errors, stats.lost);
    // Searches of what was committed before still work.
    assert_eq!(hits(&index, "before"), 50);

    drop(hogs);
    let deadline = Instant::now() + Duration::from_secs(10);
    while index.writer_down().is_some() {
        assert!(Instant::now() < deadline, "the writer was not reopened: {:?}", index.writer_down());
        // Any message wakes the writer thread; a reopen is also due on its own schedule.
        let _ = index.flush();
        std::thread::sleep(Duration::from_millis(100));
    }
    index_all(&index, posts("after", 50));
    index.flush().unwrap();
    assert_eq!(hits(&index, "after"), 50);
    assert_eq!(hits(&index, "before"), 50);
    // Every post sent during the outage is either searchable or counted as lost.
    let lost = index.stats().lost;
    assert_eq!(hits(&index, "during") as u64 + lost, 50, "{lost} lost");
}
