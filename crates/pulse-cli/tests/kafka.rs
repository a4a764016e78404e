//! Pulse on a real Kafka-protocol broker (`PULSE_TEST_BROKERS`, started by `./scripts/test.sh`):
//! `pulse replay --to kafka` into a 4-partition topic, two `pulse ingest` workers, one
//! `pulse query` node — compared with `pulse serve` on the same data, and with a run in which a
//! worker is killed with SIGKILL mid-stream and restarted.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// boston-west up to the morning after the West, Texas explosion: both stories have trended, and
/// the West story is still in the top 10 at the end.
const UNTIL: &str = "2013-04-18T06:00:00Z";
/// Posts in boston-west before [`UNTIL`].
const POSTS: f64 = 8723.0;

fn brokers() -> String {
    std::env::var("PULSE_TEST_BROKERS").expect(
        "PULSE_TEST_BROKERS is not set: these tests need a Kafka-protocol broker (./scripts/test.sh starts Tansu)",
    )
}

/// Topic and group names no other test (or earlier run on the same broker) uses.
struct Names {
    posts: String,
    rollups: String,
    dlq: String,
    group: String,
}

impl Names {
    fn new(tag: &str) -> Self {
        let unique = format!(
            "{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
        );
        Self {
            posts: format!("posts-{unique}"),
            rollups: format!("rollups-{unique}"),
            dlq: format!("dlq-{unique}"),
            group: format!("ingest-{unique}"),
        }
    }

    fn args(&self) -> Vec<String> {
        [
            "--brokers",
            &brokers(),
            "--topic",
            &self.posts,
            "--rollups",
            &self.rollups,
            "--dlq",
            &self.dlq,
            "--group",
            &self.group,
        ]
        .map(String::from)
        .to_vec()
    }
}

fn pulse() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command.env("PULSE_DATA_DIR", pulse_testsuite::data_dir()).env("PULSE_LOG", "warn");
    command
}

fn run_ok(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// A running `pulse` process, killed when dropped.
struct Process {
    child: Child,
    url: String,
}

impl Process {
    /// Starts `pulse args…` listening on an ephemeral port and waits for it to print its URL.
    fn start(args: &[String]) -> Self {
        let mut child = pulse().args(args).args(["--listen", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let name = args[0].clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://") {
                    let url: String = line[at..].chars().take_while(|c| !c.is_whitespace()).collect();
                    let _ = tx.send(url);
                }
                eprintln!("[{name}] {line}");
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(60)).expect("the process did not start listening");
        Self { child, url }
    }

    fn get(&self, path: &str) -> serde_json::Value {
        let body = ureq::get(&format!("{}{path}", self.url)).call().unwrap().into_body().read_to_string().unwrap();
        serde_json::from_str(&body).unwrap()
    }

    /// A counter or gauge from `/metrics` (summed over its label sets).
    fn metric(&self, name: &str) -> f64 {
        let Ok(response) = ureq::get(&format!("{}/metrics", self.url)).call() else { return f64::NAN };
        let text = response.into_body().read_to_string().unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    fn kill(mut self) {
        // SIGKILL: no flush, no commit, no goodbye.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until `metric` reaches `target` and stays there (nothing more arrives) for 3 s.
fn settle(process: &Process, metric: &str, target: f64) {
    let mut polls = 0;
    wait_for(&format!("{metric} = {target}"), Duration::from_secs(300), || {
        let value = process.metric(metric);
        polls += 1;
        if polls % 40 == 0 {
            eprintln!("waiting for {metric} = {target} on {}: {value}", process.url);
        }
        value >= target
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(process.metric(metric), target, "{metric} went past {target}: something was counted twice");
}

fn create_topics(names: &Names) {
    run_ok(pulse().args(["topics", "create", "--partitions", "4"]).args(names.args()));
}

/// boston-west before [`UNTIL`] as one JSONL file, so `serve` and Kafka replay the same posts.
fn write_posts(dir: &Path) -> PathBuf {
    let path = dir.join("boston-west.jsonl");
    run_ok(pulse().args(["replay", "boston-west", "--until", UNTIL, "--out"]).arg(&path));
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(lines as f64, POSTS);
    path
}

/// Replays `posts` into the posts topic. One record per producer batch: Tansu 0.6 serves a fetch
/// only from batch starts, so a worker resuming inside a multi-record batch (as after a takeover)
/// would never see the rest of it. Real Kafka needs no such setting.
fn replay_into(names: &Names, posts: &Path) {
    run_ok(
        pulse()
            .env("PULSE_KAFKA_BATCH_NUM_MESSAGES", "1")
            .args(["replay", "--to", "kafka"])
            .arg(posts)
            .args(names.args()),
    );
}

fn ingest(names: &Names) -> Process {
    let mut args = vec!["ingest".to_string(), "--flush-interval".into(), "300ms".into()];
    args.extend(names.args());
    Process::start(&args)
}

fn query(names: &Names, dir: &Path) -> Process {
    let mut args = vec!["query".to_string(), "--state-dir".into(), dir.display().to_string()];
    args.extend(names.args());
    Process::start(&args)
}

/// A listed story: its headline topic, and every topic it groups with that topic's own posts and
/// authors.
#[derive(Debug)]
struct Story {
    topic: String,
    topics: BTreeMap<String, (f64, f64)>,
}

/// The first `limit` stories of `/v1/stories`.
fn stories(process: &Process, limit: usize) -> Vec<Story> {
    let list = process.get(&format!("/v1/stories?limit={limit}"));
    list["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Story {
            topic: s["topic"].as_str().unwrap().to_string(),
            topics: s["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let count = |k: &str| t[k].as_f64().unwrap();
                    (t["topic"].as_str().unwrap().to_string(), (count("posts"), count("authors")))
                })
                .collect(),
        })
        .collect()
}

/// The same stories, with the same counts within sketch error. Rollups are sketches built over
/// other subsets of the posts than one engine's, so near-ties can swap a rank, pick another
/// member as a story's headline or leave a marginal topic out: a story counts as the same when
/// its headline topic is grouped in one among the other side's top 20. Every topic both sides
/// list must agree on its posts and authors within the count-min's error.
fn assert_same_stories(what: &str, a: &Process, b: &Process) {
    let (a10, a20, b10, b20) = (stories(a, 10), stories(a, 20), stories(b, 10), stories(b, 20));
    assert!(!a10.is_empty() && !b10.is_empty(), "{what}: no stories to compare: {a10:?} / {b10:?}");
    for (top, pool, side) in [(&a10, &b20, "first"), (&b10, &a20, "second")] {
        for story in top {
            assert!(
                pool.iter().any(|other| other.topics.contains_key(&story.topic)),
                "{what}: the {side} side's story {:?} has no counterpart in {:?}",
                story.topic,
                pool.iter().map(|s| &s.topic).collect::<Vec<_>>()
            );
        }
    }
    let counts = |list: &[Story]| -> BTreeMap<String, (f64, f64)> {
        list.iter().flat_map(|s| s.topics.iter().map(|(k, v)| (k.clone(), *v))).collect()
    };
    let (a_counts, b_counts) = (counts(&a10), counts(&b10));
    let mut compared = 0;
    for (topic, (a_posts, a_authors)) in &a_counts {
        if let Some((b_posts, b_authors)) = b_counts.get(topic) {
            compared += 1;
            for (name, x, y) in [("posts", a_posts, b_posts), ("authors", a_authors, b_authors)] {
                let bound = (0.02 * x.max(*y)).max(3.0);
                assert!((x - y).abs() <= bound, "{what}: {topic} {name} {x} vs {y} (bound {bound})");
            }
        }
    }
    assert!(compared >= 20, "{what}: only {compared} topics listed on both sides");
}

#[test]
fn two_workers_and_a_query_node_match_serve_and_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let posts = write_posts(dir.path());

    // The reference: the embedded pipeline over the same data.
    let serve = Process::start(&[
        "serve".to_string(),
        "--replay".into(),
        posts.display().to_string(),
        "--max".into(),
        "--loop".into(),
        "1".into(),
        "--state-dir".into(),
        dir.path().join("serve").display().to_string(),
    ]);

    // Uninterrupted: replay into 4 partitions, 2 workers, 1 query node.
    let clean = Names::new("clean");
    create_topics(&clean);
    replay_into(&clean, &posts);
    let workers = [ingest(&clean), ingest(&clean)];
    let node = query(&clean, &dir.path().join("clean"));
    settle(&node, "pulse_posts_ingested_total", POSTS);
    assert_eq!(node.metric("pulse_rollups_total{outcome=\"overlap\"}"), 0.0);
    let worker_posts: f64 = workers.iter().map(|w| w.metric("pulse_ingest_posts_total")).sum();
    assert!(worker_posts >= POSTS, "workers counted {worker_posts} posts");
    assert!(workers.iter().all(|w| w.metric("pulse_ingest_partitions_assigned") == 2.0), "4 partitions, 2 each");
    settle(&serve, "pulse_posts_ingested_total", POSTS);
    assert_same_stories("query node vs serve", &node, &serve);
    // Search on the query node covers the posts topic.
    wait_for("the query node to index what serve indexed", Duration::from_secs(120), || {
        node.metric("pulse_index_documents") == serve.metric("pulse_index_documents")
    });
    let hits = node.get("/v1/search?q=%23bostonmarathon&limit=5");
    assert_eq!(hits["hits"].as_array().unwrap().len(), 5, "{hits}");
    drop(workers);

    // Killed: the same data, one worker SIGKILLed mid-stream and restarted.
    let killed = Names::new("killed");
    create_topics(&killed);
    replay_into(&killed, &posts);
    let clean_node = node;
    let node = query(&killed, &dir.path().join("killed"));
    let steady = ingest(&killed);
    let victim = ingest(&killed);
    wait_for("the victim to be mid-stream", Duration::from_secs(120), || {
        victim.metric("pulse_ingest_posts_total") >= 1000.0
    });
    let before = node.metric("pulse_posts_ingested_total");
    assert!(before < POSTS, "the run finished before the kill ({before} posts)");
    victim.kill();
    // Restart once the dead worker's session (10 s) has expired. Tansu 0.6 removes an expired
    // member only when the group next changes, and a member that joins while the dead one still
    // counts can be left with partitions nobody consumes; Kafka's coordinator has no such gap.
    std::thread::sleep(Duration::from_secs(12));
    let restarted = ingest(&killed);
    settle(&node, "pulse_posts_ingested_total", POSTS);
    assert_eq!(node.metric("pulse_rollups_total{outcome=\"overlap\"}"), 0.0, "no rollup overlapped another");
    assert_same_stories("killed run vs uninterrupted run", &node, &clean_node);
    drop((steady, restarted));
}

/// `pulse record --to kafka` feeds the distributed mode from a live Jetstream: every post of the
/// recorded frames reaches the posts topic once, and a query node indexes them.
#[test]
fn record_feeds_kafka_from_jetstream() {
    let names = Names::new("record");
    create_topics(&names);
    let frames = pulse_testsuite::jetstream::frames();
    let url = pulse_testsuite::jetstream::serve(
        frames.clone(),
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
    );
    let dir = tempfile::tempdir().unwrap();
    // The first 600 posts: the 101st frame is not an event, so 601 frames are read.
    run_ok(
        pulse()
            .env("PULSE_KAFKA_BATCH_NUM_MESSAGES", "1")
            .args(["record", "--jetstream", &url, "--to", "kafka", "--limit", "600", "--dead-letter"])
            .arg(dir.path().join("dl.jsonl"))
            .args(names.args()),
    );
    let dead = std::fs::read_to_string(dir.path().join("dl.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 1, "{dead}");
    let query = query(&names, &dir.path().join("query"));
    let coffee = frames[..601].iter().filter(|f| f.contains("coffee this morning")).count() as u64;
    assert!(coffee > 100);
    wait_for("the query node to index the recorded posts", Duration::from_secs(60), || {
        query.get("/v1/search?q=coffee&limit=1")["total"].as_u64() == Some(coffee)
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(query.get("/v1/search?q=coffee&limit=1")["total"].as_u64(), Some(coffee), "each post once");
}
