//! The dashboard end to end in headless Chromium: a real `pulse serve`, a real browser, and post text
//! that tries to run script. The story list must fill in from the live stream, the story panel must
//! open from a deep link, and the hostile text must show as text and never execute.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pulse_testsuite::server::Served;

/// Text a malicious account posts: a script tag and an image whose error handler marks the page.
const HOSTILE: &str = "<script>document.title='pwned'</script> <img src=x onerror=\"document.body.dataset.pwned='1'\">";

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "headless Chromium not found at {}: install Debian's chromium (./scripts/test.sh does)",
        path.display()
    );
    path
}

/// Six quiet hours of everyday chatter, then for twenty hours an account every two minutes posts
/// about #xsstest with hostile text (replayed at 3600×: the story forms about six seconds in and
/// keeps growing for twenty more, while the browser watches it).
fn write_fixture(path: &Path) {
    let mut out = std::fs::File::create(path).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z").unwrap().to_utc();
    let chatter = [
        "coffee this morning",
        "traffic again today",
        "nice weather for a walk",
        "new music friday",
        "dinner plans tonight",
    ];
    let mut write = |id: String, minutes: i64, author: String, text: String| {
        let at = (start + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let post = serde_json::json!({"id": id, "created_at": at, "author": author, "text": text, "source": "test", "kind": "post"});
        writeln!(out, "{post}").unwrap();
    };
    for minute in 0..360 {
        for k in 0..3 {
            let n = minute * 3 + k;
            write(
                format!("bg{n}"),
                minute,
                format!("user{}", n % 400),
                chatter[n as usize % chatter.len()].to_string(),
            );
        }
    }
    for n in 0..600 {
        let text = format!("#xsstest {HOSTILE} this is terrible and awful, report {n}");
        write(format!("x{n}"), 360 + 2 * n, format!("attacker{n}"), text);
    }
}

fn http_get(url: &str) -> Option<serde_json::Value> {
    serde_json::from_str(&ureq::get(url).call().ok()?.into_body().read_to_string().ok()?).ok()
}

#[test]
fn the_dashboard_fills_in_live_and_shows_hostile_posts_as_text() {
    let chromium = chromium();
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("posts.jsonl");
    write_fixture(&fixture);
    let server = Served::start(
        Command::new(env!("CARGO_BIN_EXE_pulse"))
            .args(["serve", "--replay", fixture.to_str().unwrap(), "--speed", "3600", "--loop", "1", "--bucket", "1m"])
            .args(["--listen", "127.0.0.1:0", "--state-dir", dir.path().join("data").to_str().unwrap()]),
    );
    let base = server.base();

    let deadline = Instant::now() + Duration::from_secs(60);
    let story = loop {
        let stories = http_get(&format!("{base}/v1/stories")).unwrap_or_default();
        let found = stories["stories"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["topic"] == "#xsstest"))
            .map(|s| s["id"].as_str().unwrap().to_string());
        if let Some(id) = found {
            break id;
        }
        assert!(Instant::now() < deadline, "#xsstest never became a story: {stories}");
        std::thread::sleep(Duration::from_millis(250));
    };

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/dashboard.mjs");
    assert!(
        script.with_file_name("node_modules/playwright-core").is_dir(),
        "run `npm ci --prefix tests/e2e` first (./scripts/test.sh does)"
    );
    let output = Command::new("node")
        .arg(&script)
        .args([base.as_str(), story.as_str()])
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    assert!(output.status.success(), "browser run failed: {}", String::from_utf8_lossy(&output.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // The live story list filled in from the SSE stream, and the deep link opened the story: its
    // headline, taken from the posts (and cut to length), shows the hostile script tag as text...
    let script_tag = HOSTILE.split(' ').next().unwrap();
    let headlines = seen["headlines"].as_array().unwrap();
    assert!(headlines.iter().any(|h| h.as_str().unwrap().starts_with(&format!("xsstest {script_tag}"))), "{seen:#}");
    assert_eq!(seen["selected"], serde_json::json!([story]), "{seen:#}");
    assert!(seen["detail_title"].as_str().unwrap().contains(script_tag), "{seen:#}");
    assert_eq!(seen["status"], "live");
    // ...and its posts show the whole hostile text, character for character, beside its volume and
    // sentiment lines...
    let posts = seen["posts"].as_array().unwrap();
    assert!(posts.iter().any(|p| p.as_str().unwrap().contains(HOSTILE)), "{seen:#}");
    assert_eq!(seen["sparklines"], 2, "{seen:#}");
    // What people are saying: "terrible and awful" posts make a group of anger, shown with one of
    // its posts, as text (the others differ only in their number: near-duplicates, not shown).
    let reactions = seen["reactions"].as_array().unwrap();
    let anger = reactions.iter().find(|r| r["label"].as_str().unwrap().starts_with("Anger and complaints"));
    let anger = anger.unwrap_or_else(|| panic!("no anger group: {seen:#}"));
    let shown = anger["posts"].as_array().unwrap();
    assert_eq!(shown.len(), 1, "{seen:#}");
    assert!(shown.iter().all(|p| p.as_str().unwrap().contains(HOSTILE)), "{seen:#}");
    // The story is negative ("terrible and awful"), and its sentiment line is drawn in the
    // negative colour; the open panel moved on with the replay; nothing failed on the page
    // (the favicon included).
    assert_eq!(seen["sentiment_stroke"], seen["negative_colour"], "{seen:#}");
    assert_eq!(seen["negative_colour"], "rgb(248, 81, 73)", "{seen:#}");
    assert_eq!(seen["detail_updated"], true, "{seen:#}");
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen:#}");
    // ...and none of it became an element or ran.
    assert_eq!(seen["images"], 0, "{seen:#}");
    assert_eq!(seen["scripts"], serde_json::json!(["/assets/app.js"]), "{seen:#}");
    assert_eq!(seen["pwned"], serde_json::Value::Null, "{seen:#}");
    assert_eq!(seen["title"], "Pulse — what's happening, and what people think");
    assert_eq!(seen["dialogs"], serde_json::json!([]));
    drop(server);
}
