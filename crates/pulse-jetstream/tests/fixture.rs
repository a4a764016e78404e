//! The client against a local WebSocket server that plays Jetstream's documented event shapes:
//! commits that create, update and delete posts, likes, identity and account events, replies,
//! quotes, posts with `langs`, and a malformed frame. The server can cut the connection after a
//! number of frames and answers a reconnect from the `cursor` it asks for.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use pulse_core::PostKind;
use pulse_jetstream::{Item, Jetstream, JetstreamConfig};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// Event `n` of the fixture at `time_us`: a mix of every event kind, one post in three.
fn event(n: u64, time_us: i64) -> String {
    let did = format!("did:plc:author{}", n % 7);
    let post = |record: serde_json::Value| {
        json!({"did": did, "time_us": time_us, "kind": "commit",
               "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.post",
                          "rkey": format!("rk{n}"), "record": record, "cid": "c"}})
    };
    let created = format!("2024-11-05T20:{:02}:{:02}.000Z", (n / 60) % 60, n % 60);
    let value = match n % 9 {
        0 => post(
            json!({"$type": "app.bsky.feed.post", "createdAt": created, "langs": ["en"], "text": format!("post {n} about the storm")}),
        ),
        1 => json!({"did": did, "time_us": time_us, "kind": "identity",
                    "identity": {"did": did, "handle": "a.bsky.social", "seq": n, "time": created}}),
        2 => json!({"did": did, "time_us": time_us, "kind": "account",
                    "account": {"active": true, "did": did, "seq": n, "time": created}}),
        3 => post(
            json!({"$type": "app.bsky.feed.post", "createdAt": created, "langs": ["pt"], "text": format!("resposta {n}"),
                         "reply": {"parent": {"uri": "at://did:plc:x/app.bsky.feed.post/p", "cid": "c"},
                                   "root": {"uri": "at://did:plc:x/app.bsky.feed.post/p", "cid": "c"}}}),
        ),
        4 => json!({"did": did, "time_us": time_us, "kind": "commit",
                    "commit": {"rev": "r", "operation": "update", "collection": "app.bsky.feed.post", "rkey": "old",
                               "record": {"$type": "app.bsky.feed.post", "createdAt": created, "text": "edited"}, "cid": "c"}}),
        5 => json!({"did": did, "time_us": time_us, "kind": "commit",
                    "commit": {"rev": "r", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "gone"}}),
        6 => post(json!({"$type": "app.bsky.feed.post", "createdAt": created, "text": format!("quoting {n}"),
                         "embed": {"$type": "app.bsky.embed.record", "record": {"uri": "at://did:plc:q/app.bsky.feed.post/q", "cid": "c"}}})),
        7 => json!({"did": did, "time_us": time_us, "kind": "commit",
                    "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.like", "rkey": format!("l{n}"),
                               "record": {"$type": "app.bsky.feed.like", "createdAt": created,
                                          "subject": {"uri": "at://did:plc:x/app.bsky.feed.post/p", "cid": "c"}}, "cid": "c"}}),
        _ => {
            return if n == 17 {
                "{\"did\": \"did:plc:broken\", \"time_us\":".to_string()
            } else {
                post(json!({"$type": "app.bsky.feed.post", "createdAt": created, "text": format!("plain {n}")}))
                    .to_string()
            };
        }
    };
    value.to_string()
}

/// A server playing `events` (`(time_us, frame)`, in time order) from each connection's cursor;
/// the first connection is cut after `cut_after` frames. Returns its address and the request
/// URIs it saw.
async fn serve(events: Vec<(i64, String)>, cut_after: Option<usize>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("ws://{}/subscribe", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let uris = seen.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            connection += 1;
            let uri = Arc::new(Mutex::new(String::new()));
            let captured = uri.clone();
            // The error type is tungstenite's handshake response, large by its API's design.
            #[allow(clippy::result_large_err)]
            let callback = move |request: &Request, response: Response| {
                *captured.lock().unwrap() = request.uri().to_string();
                Ok(response)
            };
            let mut socket = tokio_tungstenite::accept_hdr_async(stream, callback).await.unwrap();
            let uri = uri.lock().unwrap().clone();
            uris.lock().unwrap().push(uri.clone());
            let cursor: i64 = uri.split("cursor=").nth(1).and_then(|c| c.split('&').next()?.parse().ok()).unwrap_or(0);
            let limit = if connection == 1 { cut_after.unwrap_or(usize::MAX) } else { usize::MAX };
            for (_, frame) in events.iter().filter(|(t, _)| *t >= cursor).take(limit) {
                if socket.send(Message::text(frame.clone())).await.is_err() {
                    break;
                }
            }
            if connection == 1 && cut_after.is_some() {
                // Cut without a close frame, as a dropped connection does.
                drop(socket);
            } else {
                // Keep the connection open, as a live stream does.
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }
    });
    (address, seen)
}

fn fixture(count: u64) -> Vec<(i64, String)> {
    // One event a second of Jetstream time, from a fixed start.
    (0..count)
        .map(|n| (1_730_836_800_000_000 + n as i64 * 1_000_000, event(n, 1_730_836_800_000_000 + n as i64 * 1_000_000)))
        .collect()
}

fn collect(
    jetstream: &Jetstream,
    posts: usize,
    deadline: Duration,
) -> (Vec<pulse_core::Post>, Vec<pulse_core::Malformed>) {
    let (mut got, mut bad) = (Vec::new(), Vec::new());
    let end = Instant::now() + deadline;
    while got.len() < posts && Instant::now() < end {
        match jetstream.items.recv_timeout(Duration::from_millis(50)) {
            Ok(Item::Post { post, .. }) => got.push(*post),
            Ok(Item::Malformed(m)) => bad.push(m),
            Ok(Item::Raw(frame)) => panic!("a raw frame from a client not asked for them: {frame}"),
            Ok(Item::Delete { .. }) => {}
            Err(_) => {}
        }
    }
    (got, bad)
}

fn expected_posts(events: &[(i64, String)]) -> Vec<String> {
    events
        .iter()
        .filter_map(|(_, f)| pulse_core::readers::decode_jetstream_event(f.as_bytes()).ok()?.post)
        .map(|p| p.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_arrive_in_order_and_other_events_are_counted_and_skipped() {
    let events = fixture(90);
    let expected = expected_posts(&events);
    let (url, _) = serve(events, None).await;
    let jetstream = Jetstream::start(JetstreamConfig::new(url), &tokio::runtime::Handle::current());
    let (posts, malformed) =
        tokio::task::block_in_place(|| collect(&jetstream, expected.len(), Duration::from_secs(10)));
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, expected, "every post once, in the stream's order");
    assert_eq!(posts[0].lang.as_deref(), Some("en"));
    assert_eq!(posts[0].author, "did:plc:author0");
    assert!(posts[0].id.starts_with("at://did:plc:author0/app.bsky.feed.post/rk0"));
    let reply = posts.iter().find(|p| p.text.starts_with("resposta")).unwrap();
    assert_eq!((reply.kind, reply.lang.as_deref()), (PostKind::Reply, Some("pt")));
    assert_eq!(posts.iter().find(|p| p.text.starts_with("quoting")).unwrap().kind, PostKind::Quote);
    // Event 17 is cut short: counted, handed on with its frame number, and the stream goes on.
    assert_eq!(malformed.len(), 1);
    assert_eq!((malformed[0].line, malformed[0].raw.starts_with("{\"did\"")), (18, true));
    let stats = &jetstream.stats;
    let deadline = Instant::now() + Duration::from_secs(5);
    while stats.frames.load(Ordering::Acquire) < 90 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stats.frames.load(Ordering::Acquire), 90);
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 1);
    assert_eq!(stats.posts.load(Ordering::Relaxed), expected.len() as u64);
    // Events 5, 14, … 86 delete a post: handed on, not skipped.
    assert_eq!(stats.deletes.load(Ordering::Relaxed), 10);
    assert_eq!(stats.skipped.load(Ordering::Relaxed), 90 - 1 - 10 - expected.len() as u64);
    assert_eq!((stats.duplicates.load(Ordering::Relaxed), stats.dropped.load(Ordering::Relaxed)), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_post_is_handed_on_as_a_delete_with_the_posts_id() {
    let (url, _) = serve(fixture(6), None).await;
    let jetstream = Jetstream::start(JetstreamConfig::new(url), &tokio::runtime::Handle::current());
    let deadline = Instant::now() + Duration::from_secs(10);
    let delete = tokio::task::block_in_place(|| {
        loop {
            assert!(Instant::now() < deadline, "no delete");
            if let Ok(Item::Delete { id, time_us }) = jetstream.items.recv_timeout(Duration::from_millis(50)) {
                break (id, time_us);
            }
        }
    });
    // Event 5 deletes the post `gone` of author 5.
    assert_eq!(delete, ("at://did:plc:author5/app.bsky.feed.post/gone".to_string(), fixture(6)[5].0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_from_the_cursor_with_no_gap_and_no_duplicate() {
    let events = fixture(120);
    let expected = expected_posts(&events);
    // The first connection is cut after 50 frames: the last event handled is event 49.
    let last_before_cut = events[49].0;
    let (url, uris) = serve(events, Some(50)).await;
    let mut config = JetstreamConfig::new(url);
    config.backoff_min = Duration::from_millis(20);
    let jetstream = Jetstream::start(config, &tokio::runtime::Handle::current());
    let (posts, _) = tokio::task::block_in_place(|| collect(&jetstream, expected.len(), Duration::from_secs(10)));
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, expected, "no gap, no duplicate, in order");
    let uris = uris.lock().unwrap().clone();
    assert_eq!(uris.len(), 2, "{uris:?}");
    assert_eq!(uris[0], "/subscribe?wantedCollections=app.bsky.feed.post");
    let resumed_at = last_before_cut - 5_000_000;
    assert_eq!(uris[1], format!("/subscribe?wantedCollections=app.bsky.feed.post&cursor={resumed_at}"));
    // The five seconds replayed (events 44 to 49, from the cursor on) hold posts already handed
    // on: dropped as duplicates.
    let replayed_posts = expected_posts(&fixture(50)[44..]).len() as u64;
    assert!(replayed_posts > 0);
    assert_eq!(jetstream.stats.duplicates.load(Ordering::Relaxed), replayed_posts);
    assert_eq!(jetstream.stats.connects.load(Ordering::Relaxed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resumed_from_a_checkpoint_goes_on_after_the_last_post_handed_on() {
    // A previous run (`pulse serve` before a restart) handed on every post up to event 48.
    let events = fixture(120);
    let last = 48;
    let handed = pulse_core::readers::decode_jetstream_event(events[last].1.as_bytes()).unwrap().post.unwrap().id;
    let expected = expected_posts(&events[last + 1..]);
    let (url, uris) = serve(events.clone(), None).await;
    let config = JetstreamConfig { resume: Some((events[last].0, vec![handed])), ..JetstreamConfig::new(url) };
    let jetstream = Jetstream::start(config, &tokio::runtime::Handle::current());
    let (posts, _) = tokio::task::block_in_place(|| collect(&jetstream, expected.len(), Duration::from_secs(10)));
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, expected, "the posts after the checkpoint, each once");
    let uris = uris.lock().unwrap().clone();
    let resumed_at = events[last].0 - 5_000_000;
    assert_eq!(uris, [format!("/subscribe?wantedCollections=app.bsky.feed.post&cursor={resumed_at}")]);
    // The rewind's posts, up to and including the last one handed on, are repeats.
    let repeated = expected_posts(&events[44..=last]).len() as u64;
    assert!(repeated > 0);
    assert_eq!(jetstream.stats.duplicates.load(Ordering::Relaxed), repeated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_does_not_keep_up_costs_counted_drops_not_memory() {
    let events: Vec<(i64, String)> = fixture(2000)
        .into_iter()
        .filter(|(_, f)| pulse_core::readers::decode_jetstream_event(f.as_bytes()).is_ok_and(|e| e.post.is_some()))
        .collect();
    assert!(events.len() > 600);
    let total = events.len() as u64;
    let (url, _) = serve(events, None).await;
    let mut config = JetstreamConfig::new(url);
    config.queue = 8;
    let jetstream = Jetstream::start(config, &tokio::runtime::Handle::current());
    let deadline = Instant::now() + Duration::from_secs(10);
    while jetstream.stats.frames.load(Ordering::Acquire) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = &jetstream.stats;
    assert_eq!(stats.frames.load(Ordering::Relaxed), total, "the socket was read to the end");
    assert_eq!(jetstream.items.len(), 8, "the queue holds what it was sized for");
    assert_eq!(stats.posts.load(Ordering::Relaxed), 8);
    assert_eq!(stats.dropped.load(Ordering::Relaxed), total - 8, "every other post is counted as dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_mode_hands_on_every_frame_once_across_a_resume() {
    let events = fixture(120);
    let (url, uris) = serve(events.clone(), Some(50)).await;
    let config = JetstreamConfig { raw: true, backoff_min: Duration::from_millis(20), ..JetstreamConfig::new(url) };
    let jetstream = Jetstream::start(config, &tokio::runtime::Handle::current());
    let frames = tokio::task::block_in_place(|| {
        let mut frames = Vec::new();
        let end = Instant::now() + Duration::from_secs(10);
        while frames.len() < events.len() && Instant::now() < end {
            if let Ok(Item::Raw(frame)) = jetstream.items.recv_timeout(Duration::from_millis(50)) {
                frames.push(frame);
            }
        }
        frames
    });
    assert_eq!(uris.lock().unwrap().len(), 2, "cut once, resumed once");
    let expected: Vec<&String> = events.iter().map(|(_, f)| f).collect();
    assert_eq!(frames.len(), expected.len());
    assert!(
        frames.iter().zip(&expected).all(|(a, b)| a == *b),
        "every frame once, in order, the malformed one included"
    );
    // Events 44 to 49 came twice (the resume's rewind); the malformed frame has no time and is
    // not among them.
    assert_eq!(jetstream.stats.duplicates.load(Ordering::Relaxed), 6);
}
