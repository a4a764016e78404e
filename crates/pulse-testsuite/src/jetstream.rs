//! A local Jetstream for tests: a WebSocket server on 127.0.0.1 playing events in Jetstream's
//! documented shape, and a fixture stream with a story in it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::{self, Message};

/// Six quiet hours of chatter, then for two hours thirty accounts every ten minutes post about a
/// flood; and one frame that is not an event. Jetstream's shape: commits creating posts.
pub fn frames() -> Vec<String> {
    let start = chrono::DateTime::parse_from_rfc3339("2024-11-05T00:00:00Z").unwrap().to_utc();
    let mut out = Vec::new();
    let mut post = |minute: i64, n: usize, author: String, text: String| {
        let at = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(n as i64 % 60);
        // Jetstream's own clock: when it saw the event, increasing (not the post's createdAt).
        let time_us = start.timestamp_micros() + n as i64 * 1000;
        out.push(
            json!({"did": author, "time_us": time_us, "kind": "commit",
                   "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.post", "rkey": format!("k{n}"), "cid": "c",
                              "record": {"$type": "app.bsky.feed.post", "createdAt": at.to_rfc3339(), "langs": ["en"], "text": text}}})
            .to_string(),
        );
    };
    let chatter = ["coffee this morning", "traffic again today", "nice weather for a walk", "new music friday"];
    let mut n = 0;
    for minute in 0..360 {
        for k in 0..3 {
            n += 1;
            post(minute, n, format!("did:plc:user{}", (minute * 3 + k) % 300), chatter[n % chatter.len()].to_string());
        }
    }
    for minute in (360..480).step_by(10) {
        for k in 0..30 {
            n += 1;
            let text = format!("#floodwarning the river is over the bridge downtown, report {n}");
            post(minute + k % 10, n, format!("did:plc:witness{k}_{minute}"), text);
        }
    }
    out.insert(100, "{\"did\": \"did:plc:broken\"".to_string());
    out
}

/// Serves `frames` once `go` is set, to every connection from the `cursor=` it asks for (the
/// frames whose `time_us` is at or after it; all of them without one), then holds it open.
pub fn serve(frames: Vec<String>, go: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/subscribe", listener.local_addr().unwrap());
    let frames = Arc::new(frames);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let (frames, go) = (frames.clone(), go.clone());
            std::thread::spawn(move || {
                let mut cursor = 0;
                // The error type is tungstenite's handshake response, large by its API's design.
                #[allow(clippy::result_large_err)]
                let callback = |request: &tungstenite::handshake::server::Request, response| {
                    let uri = request.uri().to_string();
                    cursor = uri.split("cursor=").nth(1).and_then(|c| c.split('&').next()?.parse().ok()).unwrap_or(0);
                    Ok(response)
                };
                let Ok(mut socket) = tungstenite::accept_hdr(stream.unwrap(), callback) else { return };
                while !go.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let time_us = |frame: &str| {
                    serde_json::from_str::<serde_json::Value>(frame)
                        .ok()
                        .and_then(|v| v["time_us"].as_i64())
                        .unwrap_or(0)
                };
                for frame in frames.iter().filter(|f| time_us(f) >= cursor) {
                    if socket.send(Message::text(frame.clone())).is_err() {
                        return;
                    }
                }
                std::thread::sleep(Duration::from_secs(120));
            });
        }
    });
    url
}
