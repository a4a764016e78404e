//! The canonical [`Post`]: the one record that crosses every boundary in Pulse.
//!
//! Its JSON form is `schemas/post.schema.json`; a test validates serialized posts against that
//! file so the Rust type and the schema cannot drift apart.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A public social post, as every source delivers it to the rest of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Post {
    /// Identifier, unique within its `source` (e.g. a tweet id or an `at://` URI).
    pub id: String,
    /// When the post was written, in UTC; serialized as RFC 3339 with a `Z` suffix.
    #[serde(serialize_with = "write_rfc3339", deserialize_with = "read_rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The posting account. Datasets without authors derive one per post (see the readers).
    pub author: String,
    /// The post text, untrusted: escape it wherever it is shown.
    pub text: String,
    /// BCP-47 language tag when the source states one (e.g. Bluesky `langs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Dataset or stream the post came from, e.g. `crisislex-t6/2013_Boston_Bombings`.
    pub source: String,
    /// Whether this is an original post, a repost, a reply or a quote.
    pub kind: PostKind,
    /// Id of the post this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Id of the post this one reposts or quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<String>,
    /// Public web address of the post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Labels the dataset provides, e.g. `topic: on-topic` or `sentiment: negative`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What kind of post a [`Post`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// An original post.
    #[default]
    Post,
    /// A repost (retweet) of another post.
    Repost,
    /// A reply to another post.
    Reply,
    /// A post quoting another post.
    Quote,
}

impl Post {
    /// A post with the required fields set and everything optional left empty.
    pub fn new(
        id: impl Into<String>,
        created_at: DateTime<Utc>,
        author: impl Into<String>,
        text: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            created_at,
            author: author.into(),
            text: text.into(),
            lang: None,
            source: source.into(),
            kind: PostKind::Post,
            reply_to: None,
            repost_of: None,
            url: None,
            labels: BTreeMap::new(),
        }
    }

    /// Serializes the post as one line of canonical JSONL (no trailing newline).
    pub fn to_json(&self) -> String {
        // A Post holds only strings, a timestamp and a string map: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The old-style retweet prefix (`RT @user:`), which marks a repost in tweet datasets.
pub fn is_old_style_retweet(text: &str) -> bool {
    text.trim_start().starts_with("RT @")
}

fn write_rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn read_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("created_at {text:?} is not RFC 3339: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn serializes_to_the_canonical_shape() {
        let mut post = Post::new(
            "1",
            Utc.with_ymd_and_hms(2013, 4, 15, 18, 49, 0).unwrap(),
            "alice",
            "Explosions at the #BostonMarathon",
            "test",
        );
        post.labels.insert("topic".into(), "on-topic".into());
        assert_eq!(
            post.to_json(),
            r##"{"id":"1","created_at":"2013-04-15T18:49:00Z","author":"alice","text":"Explosions at the #BostonMarathon","source":"test","kind":"post","labels":{"topic":"on-topic"}}"##
        );
        let back: Post = serde_json::from_str(&post.to_json()).unwrap();
        assert_eq!(back, post);
    }

    #[test]
    fn rejects_non_rfc3339_times_and_unknown_fields() {
        let bad_time = r#"{"id":"1","created_at":"15/04/2013","author":"a","text":"t","source":"s","kind":"post"}"#;
        let err = serde_json::from_str::<Post>(bad_time).unwrap_err().to_string();
        assert!(err.contains("not RFC 3339"), "{err}");
        let extra = r#"{"id":"1","created_at":"2013-04-15T00:00:00Z","author":"a","text":"t","source":"s","kind":"post","x":1}"#;
        assert!(serde_json::from_str::<Post>(extra).is_err());
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let json = r#"{"id":"1","created_at":"2013-04-15T20:49:00+02:00","author":"a","text":"t","source":"s","kind":"reply"}"#;
        let post: Post = serde_json::from_str(json).unwrap();
        assert!(post.to_json().contains(r#""created_at":"2013-04-15T18:49:00Z""#));
        assert_eq!(post.kind, PostKind::Reply);
    }
}
