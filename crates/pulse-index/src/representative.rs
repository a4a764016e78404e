//! Representative posts of a topic: for each side of sentiment, the few posts that best show it.
//!
//! # How posts are chosen
//!
//! 1. **Candidates.** Per side (positive, negative, neutral by VADER's ±0.05 rule), the posts of
//!    the time range whose topic keys contain the topic, best BM25 first, at most
//!    [`candidates_per_side`]. BM25 here is the topic-key term (a post with few topic keys, i.e.
//!    one *about* the topic, scores higher) plus, optionally, the topic's words in the text (as a
//!    phrase for multi-word keys), so a post that names the topic outright ranks above one that
//!    only touches it. Posts without sentiment (non-English) are on no side; they are counted.
//! 2. **Typical.** Each candidate gets `rank = 0.5 × relevance + 0.5 × typicality`, where
//!    relevance is its BM25 divided by the side's best, and typicality is
//!    `1 − |compound − median| / width`, the median being that of the side's candidates and
//!    width the side's span of compound scores (0.95 for positive and negative, 0.1 for neutral).
//!    A typical negative post is one that is about the topic and as negative as most negative
//!    posts about it — not the angriest outlier.
//! 3. **Diverse.** In rank order, a candidate is skipped when its author already appears in the
//!    answer, when its normalized text (see [`normalize_text`]: lower case, `RT @user:` prefix,
//!    URLs and mentions removed, punctuation dropped) was already taken, or when its words overlap
//!    a taken post's words with Jaccard similarity ≥ [`NEAR_DUPLICATE_JACCARD`]. Reposts
//!    collapse into their original: among candidates with the same normalized text, an original
//!    post is shown in preference to a repost of it, at the group's best rank.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::Term;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;

use crate::error::{IndexError, Result};
use crate::index::{SearchIndex, check_range, filter};
use crate::schema::{Hit, SentimentClass, class_term};
use crate::tokenizer::social_analyzer;

/// Most posts per side a caller may ask for.
pub const MAX_PER_SIDE: usize = 20;
/// Word-set Jaccard similarity at or above which two texts count as near-duplicates.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.7;

/// Candidates examined per side when `per_side` posts are wanted.
pub fn candidates_per_side(per_side: usize) -> usize {
    (per_side * 25).clamp(50, 500)
}

/// What people think about a topic: typical posts per side and how many posts each side has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Representative {
    /// The topic key asked for.
    pub topic: String,
    /// Typical positive posts, best first.
    pub positive: Vec<Hit>,
    /// Typical negative posts, best first.
    pub negative: Vec<Hit>,
    /// Typical neutral posts, best first.
    pub neutral: Vec<Hit>,
    /// Posts about the topic in the time range, per side.
    pub counts: SideCounts,
}

/// Number of posts about a topic on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SideCounts {
    /// Positive posts.
    pub positive: usize,
    /// Negative posts.
    pub negative: usize,
    /// Neutral posts.
    pub neutral: usize,
    /// Posts without sentiment (e.g. not English).
    pub no_sentiment: usize,
}

impl Representative {
    /// The posts of one side.
    pub fn side(&self, class: SentimentClass) -> &[Hit] {
        match class {
            SentimentClass::Positive => &self.positive,
            SentimentClass::Negative => &self.negative,
            SentimentClass::Neutral => &self.neutral,
        }
    }
}

impl SearchIndex {
    /// Up to `per_side` (1..=20) typical, diverse posts on each side of sentiment about the topic
    /// key `topic` (as the pipeline produced it, e.g. `#bostonmarathon` or `boston marathon`),
    /// written in `[since, until)`. See the [module docs](crate::representative) for the rule.
    pub fn representative(
        &self,
        topic: &str,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        per_side: usize,
    ) -> Result<Representative> {
        if per_side == 0 || per_side > MAX_PER_SIDE {
            return Err(IndexError::InvalidRequest(format!("per_side must be 1..={MAX_PER_SIDE}, not {per_side}")));
        }
        if topic.trim().is_empty() {
            return Err(IndexError::InvalidRequest("the topic is empty".into()));
        }
        check_range(since, until)?;
        let searcher = self.searcher();
        let fields = self.fields;
        let base = |class: Option<SentimentClass>| -> Box<dyn Query> {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(fields.topics, topic), IndexRecordOption::WithFreqs)),
            )];
            if let Some(text_query) = text_query(fields.text, topic) {
                clauses.push((Occur::Should, text_query));
            }
            self.time_filter(since, until, &mut clauses);
            clauses.push(filter(TermQuery::new(class_term(&fields, class), IndexRecordOption::Basic)));
            Box::new(BooleanQuery::new(clauses))
        };
        let mut picker = Picker::default();
        let mut answer = Representative {
            topic: topic.to_string(),
            positive: Vec::new(),
            negative: Vec::new(),
            neutral: Vec::new(),
            counts: SideCounts::default(),
        };
        for class in SentimentClass::ALL {
            let collector = (TopDocs::with_limit(candidates_per_side(per_side)).order_by_score(), Count);
            let (top, count) = searcher.search(&*base(Some(class)), &collector)?;
            let hits = top
                .into_iter()
                .map(|(score, addr)| self.hit(&searcher, addr, Some(score)))
                .collect::<Result<Vec<_>>>()?;
            let chosen = picker.pick(rank(hits, class), per_side);
            match class {
                SentimentClass::Positive => (answer.positive, answer.counts.positive) = (chosen, count),
                SentimentClass::Negative => (answer.negative, answer.counts.negative) = (chosen, count),
                SentimentClass::Neutral => (answer.neutral, answer.counts.neutral) = (chosen, count),
            }
        }
        answer.counts.no_sentiment = searcher.search(&*base(None), &Count)?;
        Ok(answer)
    }
}

/// The topic's words in the text: a term for one token, a phrase for several.
fn text_query(field: tantivy::schema::Field, topic: &str) -> Option<Box<dyn Query>> {
    let mut analyzer = social_analyzer();
    let mut stream = analyzer.token_stream(topic);
    let mut terms = Vec::new();
    while stream.advance() {
        terms.push(Term::from_field_text(field, &stream.token().text));
    }
    match terms.len() {
        0 => None,
        1 => Some(Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::WithFreqs))),
        _ => Some(Box::new(PhraseQuery::new(terms))),
    }
}

/// Width of a side's span of compound scores.
fn side_width(class: SentimentClass) -> f64 {
    match class {
        SentimentClass::Positive | SentimentClass::Negative => 0.95,
        SentimentClass::Neutral => 0.10,
    }
}

/// Orders a side's candidates by `0.5 × relevance + 0.5 × typicality`, best first.
fn rank(hits: Vec<Hit>, class: SentimentClass) -> Vec<Hit> {
    if hits.is_empty() {
        return hits;
    }
    let mut compounds: Vec<f64> = hits.iter().filter_map(|h| h.sentiment).collect();
    compounds.sort_by(f64::total_cmp);
    let median = match compounds.len() {
        0 => 0.0,
        n if n % 2 == 1 => compounds[n / 2],
        n => (compounds[n / 2 - 1] + compounds[n / 2]) / 2.0,
    };
    let best = hits.iter().filter_map(|h| h.score).fold(f32::MIN_POSITIVE, f32::max) as f64;
    let width = side_width(class);
    let mut ranked: Vec<(f64, Hit)> = hits
        .into_iter()
        .map(|hit| {
            let relevance = hit.score.unwrap_or(0.0) as f64 / best;
            let typicality = 1.0 - ((hit.sentiment.unwrap_or(median) - median).abs() / width).min(1.0);
            (0.5 * relevance + 0.5 * typicality, hit)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().map(|(_, hit)| hit).collect()
}

/// Picks diverse posts across the sides of one answer.
#[derive(Default)]
pub(crate) struct Picker {
    authors: HashSet<String>,
    texts: HashSet<u64>,
    words: Vec<HashSet<String>>,
}

impl Picker {
    /// Takes up to `n` posts from `ranked` (best first), collapsing reposts into originals and
    /// skipping repeated authors and (near-)duplicate texts.
    pub(crate) fn pick(&mut self, ranked: Vec<Hit>, n: usize) -> Vec<Hit> {
        // Group by normalized text; the group sits at its best rank and shows an original if it has one.
        let mut groups: Vec<(u64, String, Hit)> = Vec::new();
        let mut group_of: HashMap<u64, usize> = HashMap::new();
        for hit in ranked {
            let normalized = normalize_text(&hit.text);
            let key = text_key(&normalized);
            match group_of.get(&key) {
                Some(&i) => {
                    if groups[i].2.is_repost && !hit.is_repost {
                        groups[i].2 = hit;
                    }
                }
                None => {
                    group_of.insert(key, groups.len());
                    groups.push((key, normalized, hit));
                }
            }
        }
        let mut chosen = Vec::new();
        for (key, normalized, hit) in groups {
            if chosen.len() == n {
                break;
            }
            if self.authors.contains(&hit.author) || self.texts.contains(&key) {
                continue;
            }
            let words: HashSet<String> = normalized.split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect();
            if self.words.iter().any(|taken| jaccard(taken, &words) >= NEAR_DUPLICATE_JACCARD) {
                continue;
            }
            self.authors.insert(hit.author.clone());
            self.texts.insert(key);
            self.words.push(words);
            chosen.push(hit);
        }
        chosen
    }
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(b).count();
    common as f64 / (a.len() + b.len() - common) as f64
}

fn text_key(normalized: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    normalized.hash(&mut hasher);
    hasher.finish()
}

/// The text as duplicate detection sees it: `RT @user:` prefixes, URLs and @mentions removed,
/// `#` dropped from hashtags, lower case, only letters and digits, words joined by one space.
///
/// ```
/// use pulse_index::representative::normalize_text;
/// assert_eq!(
///     normalize_text("RT @AP: Explosions at the #BostonMarathon!! http://t.co/x @cnn"),
///     normalize_text("Explosions at the BostonMarathon… https://t.co/y"),
/// );
/// ```
pub fn normalize_text(text: &str) -> String {
    let mut rest = text.trim_start();
    // `RT @user: RT @other: text`
    while let Some(after) = rest.strip_prefix("RT @").or_else(|| rest.strip_prefix("rt @")) {
        let end = after.find([':', ' ']).unwrap_or(after.len());
        rest = after[end..].trim_start_matches(':').trim_start();
    }
    let mut out = String::with_capacity(rest.len());
    for word in rest.split_whitespace() {
        let lower = word.to_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || lower.starts_with('@')
        {
            continue;
        }
        for c in lower.chars() {
            if c.is_alphanumeric() {
                out.push(c);
            } else if c != '\'' && c != '\u{2019}' {
                // Other punctuation splits words (`finish-line` → `finish line`); apostrophes join.
                out.push(' ');
            }
        }
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, author: &str, text: &str, sentiment: f64, score: f32, is_repost: bool) -> Hit {
        Hit {
            id: id.into(),
            created_at: DateTime::<Utc>::from_timestamp(1_366_000_000, 0).unwrap(),
            author: author.into(),
            text: text.into(),
            lang: "en".into(),
            sentiment: Some(sentiment),
            sentiment_class: SentimentClass::of(Some(sentiment)),
            url: None,
            source: "test".into(),
            is_repost,
            score: Some(score),
        }
    }

    #[test]
    fn normalizes_away_retweet_prefixes_urls_mentions_and_punctuation() {
        assert_eq!(normalize_text("RT @a_b: RT @c: Hello,   World!! http://x.co @d #Tag"), "hello world tag");
        assert_eq!(normalize_text("finish-line don't"), "finish line dont");
        assert_eq!(normalize_text("  "), "");
    }

    #[test]
    fn ranks_typical_posts_above_outliers() {
        // Same relevance; the median of the side is 0.5, so 0.5 beats 0.95.
        let ranked = rank(
            vec![
                hit("1", "a", "x", 0.95, 1.0, false),
                hit("2", "b", "y", 0.5, 1.0, false),
                hit("3", "c", "z", 0.45, 1.0, false),
            ],
            SentimentClass::Positive,
        );
        let ids: Vec<&str> = ranked.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["2", "3", "1"]);
        // Relevance counts too: a much better match wins over a slightly more typical one.
        let ranked = rank(
            vec![
                hit("1", "a", "x", 0.5, 0.2, false),
                hit("2", "b", "y", 0.6, 2.0, false),
                hit("3", "c", "z", 0.4, 0.2, false),
            ],
            SentimentClass::Positive,
        );
        assert_eq!(ranked[0].id, "2");
    }

    #[test]
    fn picks_one_post_per_author_and_text_and_prefers_originals() {
        let mut picker = Picker::default();
        let chosen = picker.pick(
            vec![
                hit("1", "x", "RT @ap: Explosions at the marathon http://t.co/1", -0.6, 3.0, true),
                hit("2", "x", "Totally different words here", -0.6, 2.9, false),
                hit("3", "ap", "Explosions at the marathon http://t.co/2", -0.6, 1.0, false),
                hit("4", "y", "explosions at the MARATHON!!", -0.6, 1.0, false),
                hit("5", "z", "Two explosions at the marathon finish", -0.5, 1.0, false),
                hit("6", "w", "Praying for everyone hurt today", -0.5, 1.0, false),
            ],
            3,
        );
        let ids: Vec<&str> = chosen.iter().map(|h| h.id.as_str()).collect();
        // The original 3 replaces its repost 1 at 1's rank, so author x is still free for 2; 4 has
        // 3's text; 5 overlaps 3 with Jaccard 4/6 < 0.7, so it is kept; the page is then full.
        assert_eq!(ids, ["3", "2", "5"]);
        // Authors and texts stay taken for the next side.
        let next = picker.pick(
            vec![
                hit("7", "ap", "Something else entirely", 0.5, 1.0, false),
                hit("8", "v", "Explosions at the marathon!", 0.5, 1.0, false),
            ],
            3,
        );
        assert!(next.is_empty(), "{next:?}");
    }

    #[test]
    fn near_duplicates_are_skipped() {
        let mut picker = Picker::default();
        let chosen = picker.pick(
            vec![
                hit("1", "a", "Huge explosion at the fertilizer plant in West Texas", -0.6, 2.0, false),
                hit("2", "b", "Huge explosion at fertilizer plant in West Texas!!!", -0.6, 1.9, false),
                hit("3", "c", "Thoughts with the people of West", 0.1, 1.0, false),
            ],
            3,
        );
        let ids: Vec<&str> = chosen.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        assert!(jaccard(&["a".to_string()].into(), &["a".to_string()].into()) >= NEAR_DUPLICATE_JACCARD);
    }
}
