//! Bluesky Jetstream events (one JSON object per line).
//!
//! Only `commit` events that create an `app.bsky.feed.post` become posts; every other event
//! (identity, account, deletes, likes, follows, reposts without text) is well-formed but skipped.
//! The author is the account's DID, the id the post's `at://` URI.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::{Post, PostKind};

#[derive(Deserialize)]
struct Event {
    did: String,
    /// Jetstream's cursor: microseconds since the epoch when Jetstream saw the event.
    #[serde(default)]
    time_us: i64,
    kind: String,
    commit: Option<Commit>,
}

/// One Jetstream event as a live source needs it: its cursor and the post it creates, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct JetstreamEvent {
    /// The event's `time_us` (what a reconnect resumes from).
    pub time_us: i64,
    /// The new post, or `None` for any other event (identity, account, update, delete, like …).
    pub post: Option<Post>,
    /// The id of the post a `delete` commit removes (the id its create was given).
    pub deleted: Option<String>,
}

#[derive(Deserialize)]
struct Commit {
    operation: String,
    collection: String,
    rkey: String,
    /// Parsed as a post only once the collection says it is one.
    record: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedPost {
    text: String,
    created_at: String,
    #[serde(default)]
    langs: Vec<String>,
    reply: Option<Reply>,
    embed: Option<Embed>,
}

#[derive(Deserialize)]
struct Reply {
    parent: StrongRef,
}

#[derive(Deserialize)]
struct StrongRef {
    uri: String,
}

#[derive(Deserialize)]
struct Embed {
    #[serde(rename = "$type")]
    kind: String,
    record: Option<EmbeddedRecord>,
}

/// `app.bsky.embed.record` embeds a strong ref directly; `recordWithMedia` nests it one deeper.
#[derive(Deserialize)]
#[serde(untagged)]
enum EmbeddedRecord {
    Ref(StrongRef),
    Nested { record: StrongRef },
}

/// Decodes one event: `Ok(None)` for events that are not new posts.
pub(crate) fn decode(line: &[u8]) -> Result<Option<Post>, String> {
    decode_event(line).map(|event| event.post)
}

/// Decodes one event (a line of a recording, or a WebSocket text frame) with its cursor.
pub fn decode_event(line: &[u8]) -> Result<JetstreamEvent, String> {
    let event: Event = serde_json::from_slice(line).map_err(|e| format!("not a Jetstream event: {e}"))?;
    let time_us = event.time_us;
    let deleted = event
        .commit
        .as_ref()
        .filter(|c| event.kind == "commit" && c.collection == "app.bsky.feed.post" && c.operation == "delete")
        .map(|c| post_id(&event.did, &c.rkey));
    let post = post_of(event)?;
    Ok(JetstreamEvent { time_us, post, deleted })
}

/// The id of the post `rkey` of `did`: its AT URI.
fn post_id(did: &str, rkey: &str) -> String {
    format!("at://{did}/app.bsky.feed.post/{rkey}")
}

fn post_of(event: Event) -> Result<Option<Post>, String> {
    let Some(commit) = event.commit.filter(|_| event.kind == "commit") else {
        return Ok(None);
    };
    if commit.collection != "app.bsky.feed.post" || commit.operation != "create" {
        return Ok(None);
    }
    let record = commit.record.ok_or("post create without a record")?;
    let record: FeedPost = serde_json::from_value(record).map_err(|e| format!("not a Bluesky post record: {e}"))?;
    let created_at = DateTime::parse_from_rfc3339(&record.created_at)
        .map_err(|e| format!("createdAt {:?} is not RFC 3339: {e}", record.created_at))?
        .with_timezone(&Utc);
    let id = post_id(&event.did, &commit.rkey);
    let url = format!("https://bsky.app/profile/{}/post/{}", event.did, commit.rkey);
    let mut post = Post::new(id, created_at, event.did, record.text, "bluesky");
    post.lang = record.langs.into_iter().next();
    post.url = Some(url);
    let quoted = record.embed.filter(|e| e.kind.starts_with("app.bsky.embed.record")).and_then(|e| e.record);
    if let Some(reply) = record.reply {
        post.kind = PostKind::Reply;
        post.reply_to = Some(reply.parent.uri);
    } else if let Some(quoted) = quoted {
        post.kind = PostKind::Quote;
        post.repost_of = Some(match quoted {
            EmbeddedRecord::Ref(r) | EmbeddedRecord::Nested { record: r } => r.uri,
        });
    }
    Ok(Some(post))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_reply_and_skips_a_like() {
        let reply = br#"{"did":"did:plc:abc","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{"$type":"app.bsky.feed.post","createdAt":"2024-11-05T20:00:00.123Z","langs":["en"],"text":"yes","reply":{"parent":{"uri":"at://did:plc:x/app.bsky.feed.post/1","cid":"c"},"root":{"uri":"at://did:plc:x/app.bsky.feed.post/1","cid":"c"}}},"cid":"c"}}"#;
        let post = decode(reply).unwrap().unwrap();
        assert_eq!(post.id, "at://did:plc:abc/app.bsky.feed.post/3k");
        assert_eq!((post.kind, post.lang.as_deref()), (PostKind::Reply, Some("en")));
        assert_eq!(post.reply_to.as_deref(), Some("at://did:plc:x/app.bsky.feed.post/1"));
        let like = br#"{"did":"did:plc:abc","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.like","rkey":"3k"}}"#;
        assert_eq!(decode(like).unwrap(), None);
        assert!(decode(br#"{"did":1}"#).unwrap_err().starts_with("not a Jetstream event"));
        let delete = br#"{"did":"did:plc:abc","time_us":2,"kind":"commit","commit":{"rev":"r","operation":"delete","collection":"app.bsky.feed.post","rkey":"3k"}}"#;
        let event = decode_event(delete).unwrap();
        assert_eq!((event.post, event.deleted.as_deref()), (None, Some("at://did:plc:abc/app.bsky.feed.post/3k")));
        assert_eq!(decode_event(like).unwrap().deleted, None);
    }
}
