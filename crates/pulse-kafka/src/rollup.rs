//! Rollups: what an ingest worker ships to query nodes — the trend-bucket deltas of one posts
//! partition over one offset range.
//!
//! The offset range is what makes delivery exactly-once end to end: a query node applies a rollup
//! only if it starts after the last offset it applied for that partition, and a worker that takes
//! over a partition resumes right after the last rollup written for it (see [`crate::ingest`]).

use pulse_core::Post;
use pulse_trends::TrendBucket;
use serde::{Deserialize, Serialize};

use crate::error::{KafkaError, Result};

/// Bumped when the encoding changes (its trend buckets' included); a query node refuses rollups of
/// another version.
pub const ROLLUP_VERSION: u8 = 3;

/// One partition's trend deltas over `first_offset..=last_offset` of the posts topic.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rollup {
    /// [`ROLLUP_VERSION`] of the writer.
    pub version: u8,
    /// The posts topic.
    pub topic: String,
    /// The posts partition.
    pub partition: i32,
    /// First posts offset covered.
    pub first_offset: i64,
    /// Last posts offset covered (inclusive).
    pub last_offset: i64,
    /// Records in the range that were posts.
    pub posts: u64,
    /// Records in the range that were malformed (dead-lettered by the worker).
    pub malformed: u64,
    /// Newest event time the worker has seen on this partition (Unix s): the query node's
    /// watermark follows the slowest partition.
    pub max_event: i64,
    /// Bucket deltas: `(bucket start, bucket)`.
    pub buckets: Vec<(i64, TrendBucket)>,
}

impl Rollup {
    /// The message key: `topic/partition`, so a partition's rollups stay in order.
    pub fn key(topic: &str, partition: i32) -> String {
        format!("{topic}/{partition}")
    }

    /// The wire form: a version byte, then postcard.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = vec![ROLLUP_VERSION];
        out.extend(postcard::to_allocvec(self).map_err(|e| KafkaError::Rollup(e.to_string()))?);
        Ok(out)
    }

    /// Reads [`Rollup::encode`]'s output.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        match bytes.split_first() {
            Some((&ROLLUP_VERSION, body)) => postcard::from_bytes(body).map_err(|e| KafkaError::Rollup(e.to_string())),
            Some((version, _)) => {
                Err(KafkaError::Rollup(format!("rollup version {version}, this build reads {ROLLUP_VERSION}")))
            }
            None => Err(KafkaError::Rollup("empty rollup".into())),
        }
    }
}

/// Reads a posts-topic payload (a post's canonical JSON, `schemas/post.schema.json`); the error
/// says what is wrong with it.
pub fn decode_post(payload: Option<&[u8]>) -> std::result::Result<Post, String> {
    let bytes = payload.filter(|b| !b.is_empty()).ok_or("empty message (no payload)")?;
    serde_json::from_slice(bytes).map_err(|e| format!("not a canonical post: {e}"))
}

#[cfg(test)]
mod tests {
    use pulse_trends::TrendConfig;

    use super::*;

    #[test]
    fn rollups_round_trip_and_refuse_other_versions() {
        let bucket = TrendBucket::new(&TrendConfig::for_bucket(600)).unwrap();
        let rollup = Rollup {
            version: ROLLUP_VERSION,
            topic: "posts".into(),
            partition: 3,
            first_offset: 10,
            last_offset: 19,
            posts: 9,
            malformed: 1,
            max_event: 1_366_052_400,
            buckets: vec![(1_366_052_400, bucket)],
        };
        let bytes = rollup.encode().unwrap();
        let back = Rollup::decode(&bytes).unwrap();
        assert_eq!((back.partition, back.first_offset, back.last_offset, back.posts), (3, 10, 19, 9));
        assert_eq!(back.buckets.len(), 1);
        let mut other = bytes.clone();
        other[0] = 99;
        assert!(Rollup::decode(&other).unwrap_err().to_string().contains("version 99"));
        assert!(Rollup::decode(&[]).is_err());
    }

    #[test]
    fn malformed_posts_say_what_is_wrong() {
        assert!(decode_post(None).unwrap_err().contains("no payload"));
        assert!(decode_post(Some(b"")).unwrap_err().contains("no payload"));
        assert!(decode_post(Some(b"{\"id\": 1")).unwrap_err().contains("not a canonical post"));
    }
}
