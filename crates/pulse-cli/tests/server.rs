//! `pulse serve` as an operator and an attacker meet it: shutdown with clients still connected,
//! slow and idle connections, and more connections than it accepts. A real process on a real
//! socket; the limits are set small through the config file so the tests run in seconds.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use pulse_testsuite::server::Served;

struct Server(Served);

impl Server {
    /// `pulse serve` on boston-west at 3600x with `[http]` settings from `http`.
    fn start(dir: &tempfile::TempDir, http: &str) -> Self {
        let config = dir.path().join("pulse.toml");
        std::fs::write(&config, format!("[http]\nlisten = \"127.0.0.1:0\"\n{http}")).unwrap();
        Self(Served::start(
            Command::new(env!("CARGO_BIN_EXE_pulse"))
                .args(["serve", "--config", config.to_str().unwrap()])
                .args(["--state-dir", dir.path().join("state").to_str().unwrap()])
                .env("PULSE_DATA_DIR", pulse_testsuite::data_dir()),
        ))
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.0.address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.0.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.0.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

/// Reads from `stream` until it is closed by the server; how long that took.
fn time_to_close(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return started.elapsed(),
            Err(error) => panic!("still open after {:?}: {error}", started.elapsed()),
        }
    }
}

/// Opens `/v1/stream` and reads until the first event has arrived.
fn open_event_stream(server: &Server) -> TcpStream {
    let mut stream = server.connect();
    stream.write_all(b"GET /v1/stream HTTP/1.1\r\nHost: pulse\r\n\r\n").unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("event: stories") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the stream closed before its first event: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen));
    stream
}

#[test]
fn sigterm_ends_event_streams_and_exits_0_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir, "header_timeout = \"60s\"\nshutdown_grace = \"3s\"\n");
    let mut events = open_event_stream(&server);
    // A request whose head never ends: only the grace period can end it.
    let mut half_sent = server.connect();
    half_sent.write_all(b"GET /v1/trends HTTP/1.1\r\nHost: pulse\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let signalled = Instant::now();
    server.signal("TERM");
    let stream_closed = time_to_close(&mut events);
    assert!(stream_closed < Duration::from_secs(2), "the event stream stayed open {stream_closed:?} after SIGTERM");
    let status = server.wait(Duration::from_secs(15)).expect("pulse serve still running 15 s after SIGTERM");
    assert_eq!(status.code(), Some(0), "{status}");
    let took = signalled.elapsed();
    assert!(took >= Duration::from_secs(2), "exited after {took:?}: it did not wait for the open request");
    assert!(took < Duration::from_secs(8), "exited after {took:?}: the 3 s grace period was not kept");
}

#[test]
fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir, "header_timeout = \"60s\"\nshutdown_grace = \"60s\"\n");
    let mut half_sent = server.connect();
    half_sent.write_all(b"GET /v1/trends HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.0.child.try_wait().unwrap().is_none(), "exited before the grace period ended");
    server.signal("INT");
    let status = server.wait(Duration::from_secs(3)).expect("still running after a second signal");
    assert_eq!(status.code(), Some(130), "{status}");
}

#[test]
fn slow_and_idle_connections_are_closed_and_one_over_the_cap_gets_a_json_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir, "header_timeout = \"2s\"\nmax_connections = 3\n");

    // An idle connection and a slowloris (a header line every 300 ms, never the end of the head).
    let mut idle = server.connect();
    let mut slow = server.connect();
    slow.write_all(b"GET /v1/trends HTTP/1.1\r\n").unwrap();
    let slow_writer = {
        let mut slow = slow.try_clone().unwrap();
        std::thread::spawn(move || {
            for n in 0..100 {
                if slow.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        })
    };
    // Meanwhile the cap: the two above and one more are open, so a fourth is refused.
    let third = server.connect();
    std::thread::sleep(Duration::from_millis(300));
    let mut fourth = server.connect();
    let mut refused = String::new();
    fourth.read_to_string(&mut refused).unwrap();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    let body: serde_json::Value = serde_json::from_str(refused.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "too_many_connections", "{refused}");

    for (name, stream) in [("idle", &mut idle), ("slowloris", &mut slow)] {
        let closed = time_to_close(stream);
        assert!(closed < Duration::from_secs(4), "the {name} connection stayed open {closed:?} (header timeout 2 s)");
    }
    slow_writer.join().unwrap();
    drop(third);
    std::thread::sleep(Duration::from_millis(300));

    // With the slots free again, requests are served, and the refusal is counted.
    let metrics = ureq::get(format!("{}/metrics", server.0.base())).call().unwrap().into_body().read_to_string();
    let metrics = metrics.unwrap();
    let refused_total = metrics
        .lines()
        .find_map(|l| l.strip_prefix("pulse_http_connections_refused_total "))
        .unwrap_or_else(|| panic!("no refusal counter in {metrics}"));
    assert_eq!(refused_total.trim(), "1", "{metrics}");
}

/// Runs `pulse serve` on `input` with the state directory `state` and waits up to 30 s for it to
/// exit by itself.
fn serve_until_it_exits(
    dir: &tempfile::TempDir,
    input: &std::path::Path,
    state: &std::path::Path,
) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["serve", "--listen", "127.0.0.1:0", "--max", "--loop", "1", "--replay", input.to_str().unwrap()])
        .args(["--state-dir", state.to_str().unwrap()])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("pulse serve still running 30 s after its dead letters failed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_dead_letter_file_that_cannot_be_written_stops_serve_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("posts.jsonl");
    std::fs::write(&input, "{\"id\":\"1\",\"created_at\":\"2024-05-01T00:00:00Z\",\"author\":\"a\",\"text\":\"ok\",\"source\":\"test\",\"kind\":\"post\"}\nnot json\n").unwrap();
    // Found at start: the path is a directory.
    let state = dir.path().join("unwritable");
    std::fs::create_dir_all(state.join("dead-letters.jsonl")).unwrap();
    let (status, said) = serve_until_it_exits(&dir, &input, &state);
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(said.contains("cannot write dead letters to"), "{said}");
    // Found on the first malformed record: the file opens but every write fails (a full disk).
    let state = dir.path().join("full");
    std::fs::create_dir_all(&state).unwrap();
    std::os::unix::fs::symlink("/dev/full", state.join("dead-letters.jsonl")).unwrap();
    let (status, said) = serve_until_it_exits(&dir, &input, &state);
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(said.contains("the replay failed: cannot write dead letters to"), "{said}");
    assert!(said.contains("No space left on device"), "{said}");
}

#[test]
fn a_second_serve_on_the_same_state_directory_is_refused_and_the_first_keeps_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(&dir, "");
    let search = |server: &Server| {
        let mut stream = server.connect();
        stream.write_all(b"GET /v1/search?q=boston HTTP/1.1\r\nHost: pulse\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
        serde_json::from_str::<serde_json::Value>(&body).map_or(0, |v| v["total"].as_u64().unwrap_or(0))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while search(&first) == 0 {
        assert!(Instant::now() < deadline, "the first server never indexed a post about boston");
        std::thread::sleep(Duration::from_millis(200));
    }
    let second = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state-dir", dir.path().join("state").to_str().unwrap()])
        .env("PULSE_DATA_DIR", pulse_testsuite::data_dir())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{said}");
    let named = format!("another pulse process (pid {}) is using the state directory", first.0.child.id());
    assert!(said.contains(&named) && said.contains(dir.path().join("state").to_str().unwrap()), "{said}");
    // The first one's index was not wiped under it.
    assert!(search(&first) > 0);
}

#[test]
fn a_post_piped_into_serve_is_read_while_the_pipe_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = Served::start(
        Command::new(env!("CARGO_BIN_EXE_pulse"))
            .args(["serve", "--replay", "-", "--listen", "127.0.0.1:0"])
            .args(["--state-dir", dir.path().join("state").to_str().unwrap()])
            .stdin(std::process::Stdio::piped()),
    );
    let mut input = served.child.stdin.take().unwrap();
    let server = Server(served);
    let records_read = || {
        let mut stream = server.connect();
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: pulse\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
            .lines()
            .find_map(|l| l.strip_prefix("pulse_records_read_total "))
            .map_or(0, |n| n.trim().parse::<f64>().unwrap() as u64)
    };
    assert_eq!(records_read(), 0);
    input
        .write_all(b"{\"id\":\"1\",\"created_at\":\"2024-05-01T00:00:00Z\",\"author\":\"a\",\"text\":\"live post\",\"source\":\"test\",\"kind\":\"post\"}\n")
        .unwrap();
    input.flush().unwrap();
    let sent = Instant::now();
    while records_read() == 0 {
        assert!(sent.elapsed() < Duration::from_secs(5), "the piped post was not read");
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("piped post read by serve after {:?}", sent.elapsed());
    drop(input);
}
