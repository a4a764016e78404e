//! What people are saying about a story: its posts split into groups of reaction (sympathy,
//! warnings, donations, people affected, damage, anger, news; see `pulse_text::reactions`), each
//! with its share of the authors, its sentiment and two posts that show it.
//!
//! The posts are a uniform sample of those carrying any of the story's topic keys in the window:
//! up to [`SAMPLE`] posts, chosen by a hash of their time (the same posts from one request to the
//! next while the window holds them), so shares are estimates with a sampling error of at most
//! about ±3 points at 1,000 posts, and exact below that.

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use pulse_text::reactions::{Reaction, classify_words, distinctive_terms, group, reaction_words};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term};

use crate::error::{IndexError, Result};
use crate::index::{SearchIndex, check_range};
use crate::representative::Picker;
use crate::schema::{CREATED_AT, Hit, SentimentClass};

/// Most posts grouped per request.
pub const SAMPLE: usize = 1000;
/// Most topic keys a request may name.
pub const MAX_TOPICS: usize = 64;
/// Representative posts per group.
const PER_GROUP: usize = 2;
/// Distinctive terms per group.
const TERMS: usize = 3;

/// The reaction groups of a set of topics' posts in a time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reactions {
    /// Posts carrying any of the topics in the range.
    pub posts: usize,
    /// Posts grouped (all of them, or a uniform sample of [`SAMPLE`]).
    pub sampled: usize,
    /// Distinct authors among the posts grouped.
    pub authors: usize,
    /// Sentiment shares over all the posts grouped that have sentiment.
    pub sentiment: GroupSentiment,
    /// The groups, largest first.
    pub groups: Vec<ReactionGroup>,
}

/// One group of reaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReactionGroup {
    /// The kind (`sympathy`, `caution`, `donations`, `affected`, `disruption`, `anger`, `news`).
    pub reaction: &'static str,
    /// The kind's name and the group's distinctive terms: `Sympathy and support: prayers, thoughts`.
    pub label: String,
    /// The words that set the group apart from the story's other posts.
    pub terms: Vec<String>,
    /// Posts in the group.
    pub posts: usize,
    /// Distinct authors in the group.
    pub authors: usize,
    /// The group's distinct authors over all distinct authors grouped (an author who posts in two
    /// groups counts in both, so shares can add up to a little over 1).
    pub author_share: f64,
    /// Sentiment shares over the group's posts that have sentiment.
    pub sentiment: GroupSentiment,
    /// Two posts that show the group: distinct authors, no near-duplicates across the answer.
    pub representative: Vec<Hit>,
}

/// Sentiment shares of a group; `null` shares when none of its posts has sentiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSentiment {
    /// Posts with sentiment.
    pub scored: usize,
    /// Share positive.
    pub positive: Option<f64>,
    /// Share neutral.
    pub neutral: Option<f64>,
    /// Share negative.
    pub negative: Option<f64>,
}

impl SearchIndex {
    /// The reaction groups of the posts carrying any of `topics` (topic keys as the pipeline made
    /// them) in `[since, until)`; `exclude` are words left out of the groups' terms (the story's
    /// own, which every group shares).
    pub fn reactions(
        &self,
        topics: &[String],
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        exclude: &[&str],
    ) -> Result<Reactions> {
        if topics.is_empty() || topics.len() > MAX_TOPICS || topics.iter().any(|t| t.trim().is_empty()) {
            return Err(IndexError::InvalidRequest(format!("1..={MAX_TOPICS} non-empty topics are needed")));
        }
        check_range(since, until)?;
        let searcher = self.searcher();
        let any_topic: Vec<(Occur, Box<dyn Query>)> = topics
            .iter()
            .map(|t| {
                let term = Term::from_field_text(self.fields.topics, t);
                (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(any_topic)))];
        self.time_filter(since, until, &mut clauses);
        let sample = TopDocs::with_limit(SAMPLE).tweak_score(sample_key);
        let (top, posts) = searcher.search(&BooleanQuery::new(clauses), &(sample, Count))?;
        let hits = top.into_iter().map(|(_, addr)| self.hit(&searcher, addr, None)).collect::<Result<Vec<_>>>()?;
        Ok(group_hits(hits, posts, exclude))
    }
}

/// The sampling order: a hash of the post's time (stable across segment merges, unlike doc ids).
fn sample_key(segment: &SegmentReader) -> impl Fn(DocId, Score) -> u64 + use<> {
    let created = segment.fast_fields().date(CREATED_AT).ok().map(|c| c.first_or_default_col(tantivy::DateTime::MIN));
    move |doc, _| {
        let at = created.as_ref().map_or(i64::from(doc), |c| c.get_val(doc).into_timestamp_millis());
        let mut hasher = DefaultHasher::new();
        at.hash(&mut hasher);
        hasher.finish()
    }
}

/// Groups `hits` (of `posts` matching) by reaction.
fn group_hits(hits: Vec<Hit>, posts: usize, exclude: &[&str]) -> Reactions {
    let words: Vec<Vec<String>> = hits.iter().map(|h| reaction_words(&h.text)).collect();
    let kinds: Vec<Reaction> = words.iter().map(|w| classify_words(w)).collect();
    let distinct = |members: &mut dyn Iterator<Item = usize>| -> usize {
        members.map(|i| hits[i].author.as_str()).collect::<HashSet<_>>().len()
    };
    let authors = distinct(&mut (0..hits.len()));
    let mut picker = Picker::default();
    let groups = group(&kinds)
        .into_iter()
        .map(|(kind, members)| {
            let terms = distinctive_terms(&words, &members, exclude, TERMS);
            let group_authors = distinct(&mut members.iter().copied());
            // Posts that use the group's terms show it best; then the earliest.
            let mut ranked: Vec<(usize, &Hit)> =
                members.iter().map(|&i| (terms.iter().filter(|t| words[i].contains(t)).count(), &hits[i])).collect();
            ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.created_at.cmp(&b.1.created_at)).then(a.1.id.cmp(&b.1.id)));
            let representative = picker.pick(ranked.into_iter().map(|(_, h)| h.clone()).collect(), PER_GROUP);
            let label = if terms.is_empty() {
                kind.name().to_owned()
            } else {
                format!("{}: {}", kind.name(), terms.join(", "))
            };
            ReactionGroup {
                reaction: kind.as_str(),
                label,
                terms,
                posts: members.len(),
                authors: group_authors,
                author_share: round3(group_authors as f64 / authors.max(1) as f64),
                sentiment: sentiment(members.iter().map(|&i| hits[i].sentiment_class)),
                representative,
            }
        })
        .collect();
    let sentiment = sentiment(hits.iter().map(|h| h.sentiment_class));
    Reactions { posts, sampled: hits.len(), authors, sentiment, groups }
}

fn sentiment(classes: impl Iterator<Item = Option<SentimentClass>>) -> GroupSentiment {
    let (mut pos, mut neu, mut neg) = (0usize, 0usize, 0usize);
    for class in classes.flatten() {
        match class {
            SentimentClass::Positive => pos += 1,
            SentimentClass::Neutral => neu += 1,
            SentimentClass::Negative => neg += 1,
        }
    }
    let scored = pos + neu + neg;
    // Corrected for the model's known errors, like every share Pulse reports (`pulse_text::shares`).
    let shares = pulse_text::Opinion::shared().share_correction().shares([neg, neu, pos].map(|n| n as u64));
    let share = |k: usize| shares.map(|s| round3(s[k]));
    GroupSentiment { scored, positive: share(2), neutral: share(1), negative: share(0) }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
