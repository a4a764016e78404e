//! `pulse trends` on the real boston-west replay: one JSON line of stories per report, the Boston
//! story in the top 5 at 19:50 UTC on 2013-04-15 and the West story at 01:50 UTC on 2013-04-18,
//! each with a headline that says what happened, and the whole output byte for byte.

use std::process::Command;

use sha2::{Digest, Sha256};

/// SHA-256 of `pulse trends boston-west --bucket 10m --every 10m`'s output. Any change to what
/// Pulse reports shows here: when it is meant, update the file and say in the commit what changed
/// and why.
const GOLDEN: &str = include_str!("golden/boston-west-trends.sha256");

fn in_top5(report: &serde_json::Value, words: &[&str]) -> bool {
    report["stories"].as_array().unwrap().iter().take(5).any(|t| {
        t["terms"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_str())
            .any(|term| term.split(' ').any(|w| words.contains(&w)))
    })
}

#[test]
fn trends_over_boston_west_report_both_events() {
    let dir = pulse_testsuite::data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["trends", "boston-west", "--bucket", "10m", "--every", "10m"])
        .env("PULSE_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("20018 posts"), "{stderr}");
    let digest: String = Sha256::digest(&out.stdout).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, GOLDEN.trim(), "the trend output of boston-west changed");
    let reports: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // 2013-04-15T00:10 .. 2013-04-28T00:00, every 10 minutes.
    assert_eq!(reports.len(), 1872);
    let at = |t: &str| reports.iter().find(|r| r["as_of"] == t).unwrap();
    assert!(in_top5(
        at("2013-04-15T19:50:00Z"),
        &["boston", "marathon", "explosion", "explosions", "#bostonmarathon", "bomb", "bombs"]
    ));
    assert!(in_top5(at("2013-04-18T01:50:00Z"), &["west", "texas", "fertilizer", "plant"]));
    let trend = &at("2013-04-18T01:50:00Z")["stories"][0];
    for field in [
        "id",
        "headline",
        "summary",
        "topics",
        "entities",
        "topic",
        "display_name",
        "terms",
        "state",
        "score",
        "posts",
        "authors",
        "expected",
        "started_at",
        "sentiment",
        "explanation",
    ] {
        assert!(!trend[field].is_null(), "{field} missing in {trend}");
    }
    for field in ["positive", "neutral", "negative", "compound", "shift"] {
        assert!(trend["sentiment"].get(field).is_some(), "sentiment.{field} missing in {trend}");
    }
    assert!(["rising", "hot", "cooling"].contains(&trend["state"].as_str().unwrap()));
    assert!(trend["explanation"].as_str().unwrap().contains("accounts in the last hour"), "{trend}");
}

/// The first story in `report` whose terms include one of `words`.
fn story<'r>(report: &'r serde_json::Value, words: &[&str]) -> &'r serde_json::Value {
    let story = report["stories"].as_array().unwrap().iter().find(|s| {
        s["terms"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str())
            .any(|t| t.split(' ').any(|w| words.contains(&w)))
    });
    story.unwrap_or_else(|| panic!("no story about {words:?} in {report}"))
}

/// The headline of [`story`], lower-cased.
fn headline(report: &serde_json::Value, words: &[&str]) -> String {
    story(report, words)["headline"].as_str().unwrap().to_lowercase()
}

#[test]
fn headlines_say_what_happened() {
    let out = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["trends", "boston-west", "--every", "1h"])
        .env("PULSE_DATA_DIR", pulse_testsuite::data_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reports: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let at = |t: &str| reports.iter().find(|r| r["as_of"] == t).unwrap_or_else(|| panic!("no report at {t}"));
    let boston = headline(at("2013-04-15T20:00:00Z"), &["boston", "marathon", "explosion", "explosions"]);
    assert!(boston.contains("boston") || boston.contains("marathon"), "{boston}");
    assert!(boston.contains("explosion") || boston.contains("bomb"), "{boston}");
    let west = headline(at("2013-04-18T03:00:00Z"), &["west", "texas", "fertilizer", "plant"]);
    assert!(["west", "texas", "plant"].iter().any(|w| west.contains(w)), "{west}");
    assert!(west.contains("explosion"), "{west}");

    // What people think, by the opinion model: the bombing is not read as good news (VADER, which
    // scores "prayers", "safe" and "love", called the Boston story 54 % positive at 21:00).
    let sentiment = |t: &str, words: &[&str]| story(at(t), words)["sentiment"].clone();
    let bombing = sentiment("2013-04-15T20:00:00Z", &["boston", "marathon", "explosion", "explosions"]);
    assert!(bombing["negative"].as_f64() > bombing["positive"].as_f64(), "{bombing}");
    let evening = sentiment("2013-04-15T21:00:00Z", &["boston", "marathon", "#prayforboston"]);
    assert!(evening["positive"].as_f64().unwrap() < 0.5, "{evening}");
    let plant = sentiment("2013-04-18T03:00:00Z", &["west", "texas", "fertilizer", "plant"]);
    assert!(plant["negative"].as_f64() > plant["positive"].as_f64(), "{plant}");
}
