//! `pulse trends` on the real boston-west replay: one JSON line per report, the Boston story in
//! the top 5 at 19:50 UTC on 2013-04-15, the West story at 01:50 UTC on 2013-04-18, and the whole
//! output byte for byte.

use std::process::Command;

use sha2::{Digest, Sha256};

/// SHA-256 of `pulse trends boston-west --bucket 10m --every 10m`'s output. Any change to what
/// Pulse reports shows here: when it is meant, update the file and say in the commit what changed
/// and why.
const GOLDEN: &str = include_str!("golden/boston-west-trends.sha256");

fn in_top5(report: &serde_json::Value, words: &[&str]) -> bool {
    report["trends"].as_array().unwrap().iter().take(5).any(|t| {
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
    let at = |t: &str| reports.iter().find(|r| r["at"] == t).unwrap();
    assert!(in_top5(
        at("2013-04-15T19:50:00Z"),
        &["boston", "marathon", "explosion", "explosions", "#bostonmarathon", "bomb", "bombs"]
    ));
    assert!(in_top5(at("2013-04-18T01:50:00Z"), &["west", "texas", "fertilizer", "plant"]));
    let trend = &at("2013-04-18T01:50:00Z")["trends"][0];
    for field in [
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
