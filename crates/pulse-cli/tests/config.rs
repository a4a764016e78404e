//! The config file and flags through the real binary: `--print-config` reads back as itself, flags
//! override the file, and values that cannot run are refused before anything starts.

use std::process::{Command, Output};

fn pulse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulse")).args(args).env_remove("PULSE_CONFIG").output().expect("pulse runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn print_config_reads_back_as_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["serve", "query", "ingest"] {
        let printed = stdout(&pulse(&[command, "--bucket", "5m", "--window", "30m", "--print-config"]));
        assert!(printed.contains("bucket = \"5m\"") && printed.contains("window = \"30m\""), "{printed}");
        let path = dir.path().join(format!("{command}.toml"));
        std::fs::write(&path, &printed).unwrap();
        let again = stdout(&pulse(&[command, "--config", path.to_str().unwrap(), "--print-config"]));
        assert_eq!(again, printed, "{command}");
    }
}

#[test]
fn flags_override_the_file_and_old_names_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pulse.toml");
    std::fs::write(&path, "[trends]\nbucket = \"1m\"\nwindow = \"10m\"\n[index]\ndata_dir = \"/tmp/old-name\"\n")
        .unwrap();
    let config = path.to_str().unwrap();
    let printed = stdout(&pulse(&["serve", "--config", config, "--window", "20m", "--print-config"]));
    assert!(printed.contains("bucket = \"1m\"") && printed.contains("window = \"20m\""), "{printed}");
    assert!(printed.contains("state_dir = \"/tmp/old-name\""), "{printed}");
    let printed = stdout(&pulse(&["serve", "--config", config, "--data-dir", "/tmp/flag", "--print-config"]));
    assert!(printed.contains("state_dir = \"/tmp/flag\""), "{printed}");
    // The live source: off by default, from the flag (its default URL when bare) or the file.
    assert!(!printed.contains("jetstream"), "{printed}");
    let printed = stdout(&pulse(&["serve", "--config", config, "--jetstream", "--print-config"]));
    assert!(printed.contains("jetstream = \"wss://jetstream2.us-east.bsky.network/subscribe\""), "{printed}");
    let live = dir.path().join("live.toml");
    std::fs::write(&live, "[serve]\njetstream = \"ws://127.0.0.1:9/subscribe\"\n").unwrap();
    let printed = stdout(&pulse(&["serve", "--config", live.to_str().unwrap(), "--print-config"]));
    assert!(printed.contains("jetstream = \"ws://127.0.0.1:9/subscribe\""), "{printed}");
}

#[test]
fn settings_that_cannot_run_are_clear_errors() {
    for (args, says) in [
        (&["serve", "--bucket", "7m", "--window", "1h", "--print-config"][..], "whole number of buckets"),
        (&["serve", "--speed", "1e-300", "--print-config"][..], "between"),
        (&["serve", "--speed", "0", "--print-config"][..], "between"),
        (&["serve", "--window", "soon", "--print-config"][..], "not a duration"),
    ] {
        let output = pulse(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn help_shows_each_default_from_the_config_type() {
    let help = stdout(&pulse(&["serve", "--help"]));
    for expected in ["[default: 10m]", "[default: 1h]", "[default: boston-west]", "[default: 127.0.0.1:8080]"] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
    let help = stdout(&pulse(&["topics", "create", "--help"]));
    assert!(help.contains("[default: 4]") && help.contains("[default: localhost:9092]"), "{help}");
}
