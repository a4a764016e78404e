//! `pulse serve` survives a restart: killed (`kill -9`) or stopped (SIGTERM) mid-replay and started
//! again with the same flags, it resumes from its last checkpoint and ends with exactly what an
//! uninterrupted run shows — the same trends, stories and topic counts, every post indexed once.
//! Also: a damaged checkpoint is set aside, never used, and `--fresh` starts empty.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The first three days of `boston-west` (Boston's bombing and West's explosion), as a file.
fn input(dir: &Path) -> (PathBuf, Vec<String>) {
    let path = dir.join("boston-west.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["replay", "boston-west", "--max", "--until", "2013-04-18T06:00:00Z"])
        .env("PULSE_DATA_DIR", pulse_testsuite::data_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::write(&path, &output.stdout).unwrap();
    let ids = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    (path, ids)
}

/// A `pulse serve` process; what it says on standard error is kept.
struct Serve {
    child: Child,
    base: String,
    said: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    /// `pulse serve` on `input` in `state`, with `pacing` (`--max` or `--speed N`), one ingest
    /// thread (the same posts in the same order: runs comparable to the byte), a checkpoint every
    /// second and retention long enough to keep every post searchable.
    fn start(input: &Path, state: &Path, pacing: &[&str], extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pulse"))
            .args(["serve", "--replay", input.to_str().unwrap(), "--loop", "1", "--workers", "1"])
            .args(pacing)
            .args(["--checkpoint-interval", "1s", "--retention", "1000d", "--listen", "127.0.0.1:0"])
            .args(["--state-dir", state.to_str().unwrap()])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let said = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let keep = said.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(address) = line.split_whitespace().find_map(|w| w.strip_prefix("http://")) {
                    let _ = tx.send(address.to_owned());
                }
                keep.lock().unwrap().push(line);
            }
        });
        let address = rx.recv_timeout(Duration::from_secs(60)).expect("the server says where it listens");
        Self { child, base: format!("http://{address}"), said }
    }

    fn get(&self, path: &str) -> String {
        ureq::get(&format!("{}{path}", self.base)).call().unwrap().into_body().read_to_string().unwrap()
    }

    fn metric(&self, name: &str) -> u64 {
        let metrics = self.get("/metrics");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("no {name}"))
            .parse()
            .unwrap()
    }

    /// Waits until `posts` posts are counted and indexed.
    fn wait_for(&self, posts: u64) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.metric("pulse_posts_ingested_total") < posts || self.metric("pulse_index_documents") < posts {
            assert!(Instant::now() < deadline, "not all posts counted and indexed: {:?}", self.said());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What a reader sees at the end, and the ids of every indexed post (page by page, oldest
    /// first).
    fn outcome(&self) -> (Vec<String>, Vec<String>) {
        let views = [
            "/v1/trends?limit=20",
            "/v1/stories?limit=20",
            "/v1/topics/west?window=24h",
            "/v1/topics/boston?window=24h",
            "/v1/topics/boston?window=7d",
        ]
        .iter()
        .map(|path| self.get(path))
        .collect();
        let mut ids = Vec::new();
        for offset in (0..).step_by(100) {
            let page: serde_json::Value =
                serde_json::from_str(&self.get(&format!("/v1/search?sort=recent&limit=100&offset={offset}"))).unwrap();
            let hits = page["hits"].as_array().unwrap();
            ids.extend(hits.iter().map(|h| h["id"].as_str().unwrap().to_owned()));
            if hits.len() < 100 {
                break;
            }
        }
        (views, ids)
    }

    fn said(&self) -> Vec<String> {
        self.said.lock().unwrap().clone()
    }

    fn signal(&mut self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "still running after kill {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The number in "… after post N …" of the line of `said` containing `marker`.
fn post_number(said: &[String], marker: &str) -> u64 {
    let line = said.iter().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no {marker:?} in {said:?}"));
    let rest = line.split("after post ").nth(1).unwrap();
    rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

/// Where two long texts first differ, with some context.
fn first_difference(got: &str, expected: &str) -> String {
    let at = got.bytes().zip(expected.bytes()).take_while(|(a, b)| a == b).count();
    let around = |s: &str| s.get(at.saturating_sub(200)..(at + 200).min(s.len())).unwrap_or_default().to_owned();
    format!("differs at byte {at}:\n got      …{}…\n expected …{}…", around(got), around(expected))
}

/// Sorted ids, and whether there was a repeat.
fn sorted(mut ids: Vec<String>) -> (Vec<String>, bool) {
    ids.sort();
    let before = ids.len();
    ids.dedup();
    let repeated = ids.len() != before;
    (ids, repeated)
}

/// Runs the input uninterrupted, then again stopped by `signal` mid-replay and restarted; returns
/// the posts the restart resumed after, and what the first run had counted when it was stopped.
fn interrupted_run_equals_uninterrupted(signal: &str) -> (u64, u64, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (input, ids) = input(dir.path());
    let total = ids.len() as u64;
    let reference = Serve::start(&input, &dir.path().join("reference"), &["--max"], &[]);
    reference.wait_for(total);
    let (expected_views, expected_ids) = reference.outcome();
    drop(reference);

    // Paced to take about seven seconds, stopped after about three, with checkpoints written.
    let state = dir.path().join("interrupted");
    let pacing = ["--speed", "40000"];
    let mut first = Serve::start(&input, &state, &pacing, &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !state.join("checkpoint.bin").exists() || first.metric("pulse_posts_ingested_total") < total / 4 {
        assert!(Instant::now() < deadline, "no checkpoint: {:?}", first.said());
        std::thread::sleep(Duration::from_millis(50));
    }
    let counted = first.metric("pulse_posts_ingested_total");
    assert!(counted < total, "stopped mid-replay");
    first.signal(signal);
    let first_said = first.said();
    drop(first);

    let second = Serve::start(&input, &state, &pacing, &[]);
    second.wait_for(total);
    let resumed = post_number(&second.said(), "resuming after post");
    let (views, indexed) = second.outcome();
    // What a reader sees equals the uninterrupted run's.
    for (view, expected) in views.iter().zip(&expected_views) {
        assert!(view == expected, "{}", first_difference(view, expected));
    }
    let (indexed, repeated) = sorted(indexed);
    assert!(!repeated, "a post indexed twice");
    assert_eq!(indexed, sorted(expected_ids).0);
    assert_eq!(indexed, sorted(ids).0, "every post, once");
    assert_eq!(second.metric("pulse_posts_ingested_total"), total, "every post counted once");
    (resumed, counted, first_said)
}

#[test]
fn killed_mid_replay_and_restarted_it_ends_as_an_uninterrupted_run() {
    let (resumed, counted, _) = interrupted_run_equals_uninterrupted("-KILL");
    // The posts after the last checkpoint were read again (the checkpoint is at most a second old).
    assert!(resumed > 0 && resumed <= counted, "resumed after {resumed}, {counted} were counted at the kill");
}

#[test]
fn stopped_with_sigterm_and_restarted_it_loses_nothing_and_repeats_nothing() {
    let (resumed, counted, said) = interrupted_run_equals_uninterrupted("-TERM");
    // The last checkpoint, at shutdown, holds every post handed on: the restart reads none again.
    assert_eq!(resumed, post_number(&said, "checkpoint written after post"), "{said:?}");
    assert!(resumed >= counted, "resumed after {resumed}, {counted} were counted before the signal");
}

#[test]
fn a_damaged_checkpoint_is_set_aside_and_fresh_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (input, ids) = input(dir.path());
    let state = dir.path().join("state");
    let mut first = Serve::start(&input, &state, &["--max"], &[]);
    first.wait_for(ids.len() as u64);
    first.signal("-TERM");
    drop(first);

    // One flipped byte: the checksum catches it; the file is kept aside and the run starts over.
    let path = state.join("checkpoint.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
    let mut second = Serve::start(&input, &state, &["--max"], &[]);
    let said = second.said().join("\n");
    assert!(said.contains("not resuming from the checkpoint") && said.contains("checksum"), "{said}");
    let aside: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("checkpoint.bin.unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1, "{said}");
    assert!(!said.contains("resuming after post"), "{said}");
    second.wait_for(ids.len() as u64);
    assert_eq!(second.metric("pulse_index_documents"), ids.len() as u64, "the index started empty too");
    second.signal("-TERM");
    drop(second);

    // --fresh: the good checkpoint the last run left is discarded, not resumed.
    let third = Serve::start(&input, &state, &["--max"], &["--fresh"]);
    let said = third.said().join("\n");
    assert!(said.contains("--fresh: removed") && !said.contains("resuming"), "{said}");
    third.wait_for(ids.len() as u64);
    assert_eq!(third.metric("pulse_posts_ingested_total"), ids.len() as u64);
}
