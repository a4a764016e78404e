//! `pulse replay` and `pulse data` end to end: the real binary on the real datasets.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `pulse` with the real data directory and an empty cache.
fn pulse(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(args)
        .env("PULSE_DATA_DIR", pulse_testsuite::data_dir())
        .env("PULSE_CACHE_DIR", cache)
        .output()
        .expect("pulse runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn replaying_boston_west_prints_20018_valid_posts_in_time_order() {
    let cache = tempfile::tempdir().unwrap();
    let output = pulse(&["replay", "boston-west", "--max"], cache.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/post.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let mut times = Vec::new();
    for line in stdout.lines() {
        let post: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(validator.is_valid(&post), "{line}");
        times.push(post["created_at"].as_str().unwrap().to_string());
    }
    assert_eq!(times.len(), 20_018);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "created_at must not decrease");
    assert_eq!(times.first().unwrap(), "2013-04-15T00:01:07Z");
    assert_eq!(times.last().unwrap(), "2013-04-27T23:59:54Z");
    let summary = stderr(&output);
    assert!(summary.contains("replayed 20018 posts"), "{summary}");
    assert!(summary.contains("10012     10012         0"), "{summary}");
}

#[test]
fn limit_since_until_and_loop_shape_the_stream() {
    let cache = tempfile::tempdir().unwrap();
    let args = ["replay", "boston-west", "--since", "2013-04-15T18:00:00Z", "--until", "2013-04-15T20:00:00Z"];
    let output = pulse(&args, cache.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(output.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 100, "{}", lines.len());
    assert!(lines.iter().all(|p| {
        let t = p["created_at"].as_str().unwrap();
        ("2013-04-15T18:00:00Z".."2013-04-15T20:00:00Z").contains(&t)
    }));

    let output = pulse(&["replay", "boston-west", "--loop", "2", "--limit", "20020"], cache.path());
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let last: Vec<serde_json::Value> = stdout.lines().rev().take(2).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(stdout.lines().count(), 20_020);
    assert!(last.iter().all(|p| p["id"].as_str().unwrap().ends_with("~1")));
    assert!(last[0]["created_at"].as_str().unwrap() > "2013-04-28");
}

#[test]
fn malformed_rows_are_reported_dead_lettered_and_skipped_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.csv");
    std::fs::write(
        &input,
        "tweet id, tweet, label\n'323586747210539008',\"first\",on-topic\nnot-an-id,\"second\",on-topic\n'323587150807453696',\"third\",off-topic\n",
    )
    .unwrap();
    let dead = dir.path().join("dead.jsonl");
    let args = ["replay", input.to_str().unwrap(), "--dead-letter", dead.to_str().unwrap()];
    let output = pulse(&args, dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8(output.stdout.clone()).unwrap().lines().count(), 2);
    let report = stderr(&output);
    assert!(
        report.contains(&format!("malformed: {}:3: tweet id \"not-an-id\" is not a number", input.display())),
        "{report}"
    );
    assert!(report.contains("1 malformed records skipped"), "{report}");
    let letters = std::fs::read_to_string(&dead).unwrap();
    let letter: serde_json::Value = serde_json::from_str(letters.lines().next().unwrap()).unwrap();
    assert_eq!(letter["line"], 3);
    assert_eq!(letter["raw"], "not-an-id,\"second\",on-topic", "the row exactly as in the file");

    let strict =
        pulse(&["replay", input.to_str().unwrap(), "--strict", "--dead-letter", dead.to_str().unwrap()], dir.path());
    assert!(!strict.status.success());
    assert!(stderr(&strict).contains("(strict mode)"), "{}", stderr(&strict));
}

#[test]
fn unknown_inputs_and_formats_are_clear_errors() {
    let cache = tempfile::tempdir().unwrap();
    let output = pulse(&["replay", "no-such-dataset"], cache.path());
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no dataset named \"no-such-dataset\"; known: boston-west"),
        "{}",
        stderr(&output)
    );
    let garbage = cache.path().join("garbage.bin");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 10, 1, 2]).unwrap();
    let output = pulse(&["replay", garbage.to_str().unwrap()], cache.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("garbage.bin: unknown format"), "{}", stderr(&output));
    // A file that is not posts may hold anything: the error names it and never quotes it.
    let secret = cache.path().join("passwd");
    std::fs::write(&secret, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let output = pulse(&["replay", secret.to_str().unwrap()], cache.path());
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("passwd: unknown format") && !stderr(&output).contains("root:x"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_directory_with_an_empty_file_and_a_symlink_replays_the_rest_with_warnings() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("inputs");
    std::fs::create_dir(&dir).unwrap();
    let post = |id: u32| {
        format!(
            "{{\"id\":\"{id}\",\"created_at\":\"2024-05-01T00:00:0{id}Z\",\"author\":\"a\",\"text\":\"hello {id}\",\"source\":\"test\",\"kind\":\"post\"}}\n"
        )
    };
    std::fs::write(dir.join("a.jsonl"), post(1) + &post(2)).unwrap();
    std::fs::write(dir.join("b-empty.jsonl"), "").unwrap();
    let outside = cache.path().join("outside.txt");
    std::fs::write(&outside, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("c-link.jsonl")).unwrap();
    let output = pulse(&["replay", dir.to_str().unwrap(), "--max"], cache.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);
    let said = stderr(&output);
    assert!(said.contains("b-empty.jsonl: empty") && said.contains("c-link.jsonl: a symbolic link"), "{said}");
    assert!(!said.contains("root:x"), "{said}");
}

#[test]
fn a_dead_letter_file_that_cannot_be_written_fails_the_replay() {
    let cache = tempfile::tempdir().unwrap();
    let input = cache.path().join("posts.jsonl");
    std::fs::write(&input, "{\"id\":\"1\",\"created_at\":\"2024-05-01T00:00:00Z\",\"author\":\"a\",\"text\":\"ok\",\"source\":\"test\",\"kind\":\"post\"}\nnot json\n").unwrap();
    let dead_letter = cache.path().join("a-directory");
    std::fs::create_dir(&dead_letter).unwrap();
    for command in ["replay", "trends"] {
        let output =
            pulse(&[command, input.to_str().unwrap(), "--dead-letter", dead_letter.to_str().unwrap()], cache.path());
        assert!(!output.status.success(), "{command}: {}", stderr(&output));
        let said = stderr(&output);
        assert!(said.contains(&format!("cannot write dead letters to {}", dead_letter.display())), "{command}: {said}");
    }
}

#[test]
fn data_commands_list_and_locate_datasets() {
    let cache = tempfile::tempdir().unwrap();
    let output = pulse(&["data", "list"], cache.path());
    let listing = String::from_utf8(output.stdout.clone()).unwrap();
    for name in
        ["boston-west", "crisislex-t6", "crisislex-t26", "airline-sentiment", "sentiment140", "sentiment140-test"]
    {
        assert!(listing.lines().any(|l| l.starts_with(name)), "{name} missing:\n{listing}");
    }
    assert!(listing.lines().any(|l| l.starts_with("boston-west") && l.contains(" yes ")), "{listing}");
    let output = pulse(&["data", "path", "boston-west"], cache.path());
    let paths = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(paths.lines().count(), 2);
    assert!(paths.lines().all(|p| Path::new(p).is_file()));
    let output = pulse(&["data", "path", "sentiment140"], cache.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("run `pulse data fetch sentiment140`"), "{}", stderr(&output));
}

#[test]
fn analyze_prints_topics_and_sentiment_per_line() {
    let cache = tempfile::tempdir().unwrap();
    let input = cache.path().join("lines.txt");
    std::fs::write(&input, "RT @AP: Explosions at the #BostonMarathon finish line\nI love this airline :)\n").unwrap();
    let output = pulse(&["analyze", "--text", input.to_str().unwrap()], cache.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(output.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["is_repost"], true);
    let keys: Vec<&str> = lines[0]["topics"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"#bostonmarathon") && keys.contains(&"boston marathon"), "{keys:?}");
    assert!(lines[1]["sentiment"]["compound"].as_f64().unwrap() > 0.5);
}

#[test]
fn analyze_text_reports_an_overlong_line_and_goes_on() {
    let cache = tempfile::tempdir().unwrap();
    let input = cache.path().join("lines.txt");
    let huge = "a".repeat(pulse_core::readers::MAX_RECORD_BYTES + 10);
    std::fs::write(&input, format!("good morning\n\n{huge}\nthis is awful\r\n")).unwrap();
    let output = pulse(&["analyze", "--text", input.to_str().unwrap()], cache.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(output.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Line 2 is blank (skipped), line 3 too long (reported); ids stay line numbers.
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "4"]);
    assert!(lines[1]["sentiment"]["compound"].as_f64().unwrap() < -0.05);
    let err = stderr(&output);
    assert!(err.contains("lines.txt:3: line longer than 1048576 bytes"), "{err}");
    assert!(err.contains("1 malformed records skipped"), "{err}");
}

#[test]
fn a_post_piped_into_replay_comes_out_while_the_pipe_stays_open() {
    use std::io::{BufRead, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["replay", "-", "--max"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            lines.send((std::time::Instant::now(), line.unwrap())).unwrap();
        }
    });
    // Five posts, one every 200 ms, on a pipe that stays open: each must come out on its own.
    let mut latencies = Vec::new();
    for i in 0..5 {
        let post = format!(
            "{{\"id\":\"{i}\",\"created_at\":\"2024-05-01T00:00:0{i}Z\",\"author\":\"a\",\"text\":\"post {i}\",\"source\":\"test\",\"kind\":\"post\"}}\n"
        );
        let sent = std::time::Instant::now();
        input.write_all(post.as_bytes()).unwrap();
        input.flush().unwrap();
        let (at, line) = received.recv_timeout(std::time::Duration::from_secs(10)).expect("the post came out");
        assert!(line.contains(&format!("\"id\":\"{i}\"")), "{line}");
        latencies.push(at - sent);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    latencies.sort();
    eprintln!("piped post to replayed line: {latencies:?}");
    assert!(latencies[2] < std::time::Duration::from_millis(100), "median {:?}", latencies[2]);
    drop(input);
    assert!(child.wait().unwrap().success());
}
