//! The tantivy schema of the post index, and the conversions between [`IndexPost`], tantivy
//! documents and [`Hit`]s.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::{TantivyDocument, Term};

use crate::post::IndexPost;
use crate::tokenizer::SOCIAL_TOKENIZER;

/// Compound score at or above which a post is positive (VADER's rule).
pub const POSITIVE_THRESHOLD: f64 = 0.05;
/// Compound score at or below which a post is negative (VADER's rule).
pub const NEGATIVE_THRESHOLD: f64 = -0.05;

/// Which side a post's sentiment is on, by VADER's ±0.05 rule on the compound score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentClass {
    /// Compound ≥ 0.05.
    Positive,
    /// Compound ≤ −0.05.
    Negative,
    /// Compound strictly between −0.05 and 0.05.
    Neutral,
}

impl SentimentClass {
    /// Every class, in the order answers list them.
    pub const ALL: [SentimentClass; 3] = [SentimentClass::Positive, SentimentClass::Negative, SentimentClass::Neutral];

    /// The class of a compound score; `None` (no sentiment, e.g. a non-English post) stays `None`.
    pub fn of(compound: Option<f64>) -> Option<SentimentClass> {
        let c = compound.filter(|c| c.is_finite())?;
        Some(if c >= POSITIVE_THRESHOLD {
            SentimentClass::Positive
        } else if c <= NEGATIVE_THRESHOLD {
            SentimentClass::Negative
        } else {
            SentimentClass::Neutral
        })
    }

    /// The lowercase name (`positive`, `negative`, `neutral`), also the indexed term.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentClass::Positive => "positive",
            SentimentClass::Negative => "negative",
            SentimentClass::Neutral => "neutral",
        }
    }
}

impl fmt::Display for SentimentClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SentimentClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown sentiment class {s:?}: expected positive, negative or neutral"))
    }
}

/// Term indexed in the `sentiment_class` field of posts without sentiment.
pub(crate) const NO_SENTIMENT: &str = "none";

/// Handles of the schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub created_at: Field,
    pub author: Field,
    pub text: Field,
    pub lang: Field,
    pub sentiment: Field,
    pub sentiment_class: Field,
    pub topics: Field,
    pub source: Field,
    pub url: Field,
    pub is_repost: Field,
    pub seq: Field,
    pub id_hash: Field,
}

pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const SENTIMENT: &str = "sentiment";

/// Builds the schema; field by field:
///
/// * `id`: stored only. No query looks a post up by id, and a unique term per post would make the
///   term dictionary the largest cost of a segment flush (measured in `benches/RESULTS.md`).
/// * `author`, `lang`, `source`: raw strings, indexed as one term (`author:alice` in a query) and stored.
/// * `created_at`: date, fast (range filters, recency sort, retention), stored, millisecond precision.
/// * `text`: the `social` tokenizer with positions (phrase queries), stored.
/// * `sentiment`: the compound score, fast (representative posts) and stored; absent when the
///   post has no sentiment.
/// * `sentiment_class`: `positive` / `negative` / `neutral` / `none`, indexed, not stored.
/// * `topics`: the topic keys, one raw term each, indexed with frequencies for BM25, not stored.
/// * `url`: stored only. `is_repost`: stored only.
/// * `seq`: the post's place in its source ([`IndexPost::seq`]), fast, not stored: what a restart
///   from a checkpoint deletes past ([`crate::SearchIndex::forget_after`]); absent when 0.
/// * `id_hash`: a hash of the id ([`id_hash`]), fast, not stored: what a deletion by the post's
///   author finds it by ([`crate::SearchIndex::delete_post`]). A fast column costs the flush next
///   to nothing, where an indexed id would be a unique term per post.
pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STORED);
    let created_at = builder.add_date_field(
        CREATED_AT,
        DateOptions::default().set_fast().set_stored().set_precision(DateTimePrecision::Milliseconds),
    );
    let author = builder.add_text_field("author", STRING | STORED);
    let text_indexing = TextFieldIndexing::default()
        .set_tokenizer(SOCIAL_TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(text_indexing).set_stored());
    let lang = builder.add_text_field("lang", STRING | STORED);
    let sentiment = builder.add_f64_field(SENTIMENT, NumericOptions::default().set_fast().set_stored());
    let sentiment_class = builder.add_text_field("sentiment_class", STRING);
    let topics_indexing =
        TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::WithFreqs);
    let topics = builder.add_text_field("topics", TextOptions::default().set_indexing_options(topics_indexing));
    let source = builder.add_text_field("source", STRING | STORED);
    let url = builder.add_text_field("url", STORED);
    let is_repost = builder.add_bool_field("is_repost", STORED);
    let seq = builder.add_u64_field("seq", NumericOptions::default().set_fast());
    let id_hash = builder.add_u64_field("id_hash", NumericOptions::default().set_fast());
    let fields = Fields {
        id,
        created_at,
        author,
        text,
        lang,
        sentiment,
        sentiment_class,
        topics,
        source,
        url,
        is_repost,
        seq,
        id_hash,
    };
    (builder.build(), fields)
}

/// The `id_hash` of a post id: stable across processes (the index outlives them).
pub(crate) fn id_hash(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// `at` as tantivy's time, which counts nanoseconds in an `i64` (years 1677 to 2262): a time outside
/// that span (a search `since` the year 166, a post dated 3000) is clamped to its end, which filters
/// and sorts the same.
pub(crate) fn to_tantivy_time(at: DateTime<Utc>) -> tantivy::DateTime {
    const LIMIT_MS: i64 = i64::MAX / 1_000_000;
    tantivy::DateTime::from_timestamp_millis(at.timestamp_millis().clamp(-LIMIT_MS, LIMIT_MS))
}

pub(crate) fn from_tantivy_time(at: tantivy::DateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(at.into_timestamp_millis()).unwrap_or_default()
}

/// Term of the `sentiment_class` field for a class (or for "no sentiment").
pub(crate) fn class_term(fields: &Fields, class: Option<SentimentClass>) -> Term {
    Term::from_field_text(fields.sentiment_class, class.map_or(NO_SENTIMENT, SentimentClass::as_str))
}

impl Fields {
    /// The tantivy document of a post.
    pub(crate) fn document(&self, item: &IndexPost) -> TantivyDocument {
        let post = &item.post;
        let mut doc = TantivyDocument::with_capacity(post.text.len() + 256);
        doc.add_text(self.id, &post.id);
        doc.add_date(self.created_at, to_tantivy_time(post.created_at));
        doc.add_text(self.author, &post.author);
        doc.add_text(self.text, &post.text);
        doc.add_text(self.lang, &item.lang);
        let compound = item.sentiment.filter(|c| c.is_finite());
        if let Some(compound) = compound {
            doc.add_f64(self.sentiment, compound);
        }
        doc.add_text(self.sentiment_class, SentimentClass::of(compound).map_or(NO_SENTIMENT, SentimentClass::as_str));
        for topic in &item.topics {
            doc.add_text(self.topics, topic);
        }
        doc.add_text(self.source, &post.source);
        if let Some(url) = &post.url {
            doc.add_text(self.url, url);
        }
        doc.add_bool(self.is_repost, item.is_repost);
        if item.seq > 0 {
            doc.add_u64(self.seq, item.seq);
        }
        doc.add_u64(self.id_hash, id_hash(&post.id));
        doc
    }

    /// A search hit from a stored document.
    pub(crate) fn hit(&self, doc: &TantivyDocument, score: Option<f32>) -> Hit {
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let sentiment = doc.get_first(self.sentiment).and_then(|v| v.as_f64());
        Hit {
            id: text(self.id),
            created_at: doc
                .get_first(self.created_at)
                .and_then(|v| v.as_datetime())
                .map(from_tantivy_time)
                .unwrap_or_default(),
            author: text(self.author),
            text: text(self.text),
            lang: text(self.lang),
            sentiment,
            sentiment_class: SentimentClass::of(sentiment),
            url: doc.get_first(self.url).and_then(|v| v.as_str()).map(str::to_string),
            source: text(self.source),
            is_repost: doc.get_first(self.is_repost).and_then(|v| v.as_bool()).unwrap_or(false),
            score,
        }
    }
}

/// One post as search returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The post id.
    pub id: String,
    /// When the post was written (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// The posting account.
    pub author: String,
    /// The post text, untrusted: escape it wherever it is shown.
    pub text: String,
    /// Language code the pipeline detected (e.g. `en`, `und`).
    pub lang: String,
    /// Compound sentiment in [−1, 1]; `None` when the post has no sentiment.
    pub sentiment: Option<f64>,
    /// Side of the compound score by the ±0.05 rule; `None` when the post has no sentiment.
    pub sentiment_class: Option<SentimentClass>,
    /// Public web address of the post.
    pub url: Option<String>,
    /// Dataset or stream the post came from.
    pub source: String,
    /// Whether the post is a repost of another.
    pub is_repost: bool,
    /// BM25 relevance (relevance sort and representative posts); `None` when sorted by recency.
    pub score: Option<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_vader_rule() {
        assert_eq!(SentimentClass::of(Some(0.05)), Some(SentimentClass::Positive));
        assert_eq!(SentimentClass::of(Some(0.0499)), Some(SentimentClass::Neutral));
        assert_eq!(SentimentClass::of(Some(-0.0499)), Some(SentimentClass::Neutral));
        assert_eq!(SentimentClass::of(Some(-0.05)), Some(SentimentClass::Negative));
        assert_eq!(SentimentClass::of(None), None);
        assert_eq!(SentimentClass::of(Some(f64::NAN)), None);
        assert_eq!("Negative".parse::<SentimentClass>(), Ok(SentimentClass::Negative));
        assert!("bad".parse::<SentimentClass>().unwrap_err().contains("positive, negative or neutral"));
    }

    #[test]
    fn times_round_trip_at_millisecond_precision() {
        let at = DateTime::<Utc>::from_timestamp_millis(1_366_052_457_123).unwrap();
        assert_eq!(from_tantivy_time(to_tantivy_time(at)), at);
    }
}
