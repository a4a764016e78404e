//! `pulse serve --jetstream` against a local WebSocket server playing Jetstream events: not ready
//! before the first post, then stories over HTTP from the stream alone, and malformed frames
//! counted in `/metrics`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pulse_testsuite::jetstream::{frames, serve};
use pulse_testsuite::server::Served;

fn get(url: &str) -> (u16, String) {
    match ureq::get(url).call() {
        Ok(mut response) => (response.status().as_u16(), response.body_mut().read_to_string().unwrap()),
        Err(ureq::Error::StatusCode(code)) => (code, String::new()),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// `pulse serve --jetstream URL` with 10-minute buckets, its state in `state`.
fn serve_live(url: &str, state: &std::path::Path) -> Served {
    Served::start(
        Command::new(env!("CARGO_BIN_EXE_pulse"))
            .args(["serve", "--jetstream", url, "--bucket", "10m", "--listen", "127.0.0.1:0"])
            .args(["--state-dir", state.to_str().unwrap()]),
    )
}

#[test]
fn serve_jetstream_shows_stories_from_the_live_stream() {
    let go = Arc::new(AtomicBool::new(false));
    let url = serve(frames(), go.clone());
    let dir = tempfile::tempdir().unwrap();
    let server = serve_live(&url, &dir.path().join("state"));
    let base = server.base();
    // Connected, but nothing has arrived: not ready.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&format!("{base}/readyz")).0, 503);
    go.store(true, Ordering::Release);

    let deadline = Instant::now() + Duration::from_secs(60);
    let story = loop {
        let (_, body) = get(&format!("{base}/v1/stories"));
        let stories: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let found = stories["stories"].as_array().and_then(|s| {
            s.iter().find(|s| s["terms"].as_array().unwrap().iter().any(|t| t == "#floodwarning")).cloned()
        });
        if let Some(story) = found {
            break story;
        }
        assert!(Instant::now() < deadline, "no flood story: {body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(get(&format!("{base}/readyz")).0, 200);
    assert!(story["headline"].as_str().unwrap().contains("river is over the bridge"), "{story}");
    assert!(story["authors"].as_u64().unwrap() >= 30, "{story}");
    let (_, stories) = get(&format!("{base}/v1/stories"));
    assert!(stories.contains("\"as_of\":\"2024-11-05T0"), "the clock is the stream's: {stories}");
    // The broken frame was counted and dead-lettered; nothing was dropped.
    let (_, metrics) = get(&format!("{base}/metrics"));
    assert!(metrics.lines().any(|l| l == "pulse_records_malformed_total 1"), "{metrics}");
    assert!(metrics.lines().any(|l| l == "pulse_source_posts_lost_total{outcome=\"dropped\"} 0"), "{metrics}");
    let dead = std::fs::read_to_string(dir.path().join("state/dead-letters.jsonl")).unwrap();
    assert!(dead.contains("did:plc:broken"), "{dead}");
    drop(server);
}

/// A metric's value in `/metrics` of `base`.
fn metric(base: &str, line_start: &str) -> Option<u64> {
    let (_, metrics) = get(&format!("{base}/metrics"));
    metrics.lines().find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

#[test]
fn a_restarted_live_server_goes_on_after_its_checkpoint_and_counts_nothing_twice() {
    let frames = frames();
    let posts = frames.len() as u64 - 1; // one frame is broken
    let url = serve(frames, Arc::new(AtomicBool::new(true)));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let start = || serve_live(&url, &state);
    let wait_until = |base: &str, line_start: &str, value: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while metric(base, line_start) != Some(value) {
            assert!(Instant::now() < deadline, "{line_start} never reached {value}: {:?}", metric(base, line_start));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let stories = |base: &str| {
        let (_, body) = get(&format!("{base}/v1/stories"));
        let stories: serde_json::Value = serde_json::from_str(&body).unwrap();
        stories["stories"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };

    let mut first = start();
    wait_until(&first.base(), "pulse_posts_ingested_total", posts);
    let before = stories(&first.base());
    assert!(!before.is_empty());
    let status = Command::new("kill").args(["-TERM", &first.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(first.child.wait().unwrap().success());

    // The restart asks for the stream from a rewind before its checkpoint's cursor: the server
    // sends every frame again, and every post is a repeat, dropped and counted as such.
    let second = start();
    let base = second.base();
    wait_until(&base, "pulse_source_posts_lost_total{outcome=\"duplicate\"}", posts);
    assert_eq!(metric(&base, "pulse_posts_ingested_total"), Some(posts), "nothing counted twice");
    assert_eq!(get(&format!("{base}/readyz")).0, 200, "ready with the state it resumed");
    assert_eq!(stories(&base), before, "the same stories, by the same ids");
}

#[test]
fn a_post_its_author_deletes_leaves_search_and_the_story() {
    // The stream, then its authors delete half of the flood reports (Jetstream's delete commits).
    let mut frames = frames();
    let mut deleted = std::collections::HashSet::new();
    let mut time_us: i64 = 1_900_000_000_000_000;
    for frame in frames.clone() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&frame) else { continue };
        let text = event["commit"]["record"]["text"].as_str().unwrap_or_default();
        let (did, rkey) = (event["did"].as_str().unwrap(), event["commit"]["rkey"].as_str().unwrap_or_default());
        if text.starts_with("#floodwarning") && rkey.ends_with(['0', '2', '4', '6', '8']) {
            time_us += 1;
            deleted.insert(format!("at://{did}/app.bsky.feed.post/{rkey}"));
            frames.push(
                serde_json::json!({"did": did, "time_us": time_us, "kind": "commit",
                                   "commit": {"rev": "r", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}})
                .to_string(),
            );
        }
    }
    let url = serve(frames, Arc::new(AtomicBool::new(true)));
    let dir = tempfile::tempdir().unwrap();
    let server = serve_live(&url, &dir.path().join("state"));
    let base = server.base();
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(&base, "pulse_index_posts_deleted_total") != Some(deleted.len() as u64) {
        assert!(
            Instant::now() < deadline,
            "deletions not applied: {:?}",
            metric(&base, "pulse_index_posts_deleted_total")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Search: only the reports that were kept (after the commit that applies the deletions).
    let deadline = Instant::now() + Duration::from_secs(10);
    let kept = loop {
        let (_, body) = get(&format!("{base}/v1/search?q=river%20bridge&limit=100"));
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let ids: Vec<String> =
            page["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
        if ids.iter().all(|id| !deleted.contains(id)) && !ids.is_empty() {
            break page["total"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "a deleted post is still searchable: {body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(kept, 360 - deleted.len() as u64, "the other reports stay");
    // The story is still there, told by posts that were not deleted; its counts stay.
    let (_, body) = get(&format!("{base}/v1/stories"));
    let stories: serde_json::Value = serde_json::from_str(&body).unwrap();
    let story = stories["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["terms"].as_array().unwrap().iter().any(|t| t == "#floodwarning"))
        .expect("the flood story");
    let shown: Vec<&str> = std::iter::once(&story["headline_post"])
        .chain(story["summary"].as_array().unwrap())
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(!shown.is_empty() && shown.iter().all(|id| !deleted.contains(*id)), "{story}");
}

#[test]
fn record_captures_the_events_as_they_came_and_replay_reads_them_back() {
    let frames = frames();
    let url = serve(frames.clone(), Arc::new(AtomicBool::new(true)));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bluesky.jsonl.gz");
    let status = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["record", "--jetstream", &url, "--out", out.to_str().unwrap(), "--limit", "500"])
        .status()
        .unwrap();
    assert!(status.success());
    // Every event as received, one per line, in a whole gzip stream: the first 500 frames,
    // the broken one (the 101st) included.
    let mut recorded = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap()), &mut recorded)
        .unwrap();
    let lines: Vec<&str> = recorded.lines().collect();
    assert_eq!(lines.len(), 500);
    let differing = lines.iter().zip(&frames).position(|(line, frame)| line != frame);
    assert_eq!(differing, None, "the first differing line");
    // `pulse replay` reads the recording back: 499 posts, the broken frame reported.
    let replayed = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args([
            "replay",
            out.to_str().unwrap(),
            "--max",
            "--dead-letter",
            dir.path().join("dl.jsonl").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
    let posts: Vec<serde_json::Value> =
        String::from_utf8(replayed.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(posts.len(), 499);
    assert_eq!(posts[0]["source"], "bluesky");
    assert!(posts[0]["id"].as_str().unwrap().starts_with("at://did:plc:user0/app.bsky.feed.post/"), "{}", posts[0]);
    assert!(
        String::from_utf8_lossy(&replayed.stderr).contains("1 malformed")
            || String::from_utf8_lossy(&replayed.stderr).contains("     1 "),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
}

#[test]
fn a_url_that_cannot_be_jetstream_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    for args in [
        vec!["serve", "--jetstream", "https://jetstream.example/subscribe", "--state-dir", state.to_str().unwrap()],
        vec!["record", "--jetstream", "jetstream.example", "--out", "/dev/null"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_pulse")).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is not a Jetstream URL: expected ws://HOST/subscribe"), "{args:?}: {stderr}");
    }
}
