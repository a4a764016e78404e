//! Queries of the engine, read from the ring under the read lock: the report (stories and the
//! trending topics they are made of), one story over time, and any topic's statistics.

use chrono::{DateTime, SecondsFormat, Utc};
use pulse_sketch::hash_key;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::authors::Authors;
use crate::bucket::TrendBucket;
use crate::engine::TrendEngine;
use crate::explain;
use crate::headline;
use crate::memo;
use crate::post::TopicKind;
use crate::registry::{Group, StoryRecord};
use crate::report::{
    RelatedStory, RelatedTopic, Report, Story, StoryDetail, StoryPost, StoryTopic, TopicPoint, TopicStats, Trend,
    TrendState,
};
use crate::sample::{PostSample, SentimentClass, UnionSample};
use crate::score;
use crate::state::State;
use crate::trending::{Agg, Filter, Trending, round3};

/// What to ask [`TrendEngine::report`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendQuery {
    /// Window length in seconds (default: the configured trend window).
    pub window_secs: Option<i64>,
    /// Most stories, and most trending topics, returned (default 10).
    pub limit: Option<usize>,
    /// Only topics whose watched posts are mostly in this language (`en`).
    pub lang: Option<String>,
    /// Evaluate as of this time (Unix s; default: the watermark).
    pub as_of: Option<i64>,
    /// Let mentions trend (default: the configuration's `include_mentions`).
    pub include_mentions: Option<bool>,
}

/// Most entities listed per story.
const ENTITIES: usize = 6;
/// Summary lines per story besides the headline.
const SUMMARY: usize = 3;
/// Related stories listed per story.
const RELATED: usize = 5;

fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(String::new, |d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Sentiment shares and mean of a union sample, with the shift against `before`'s mean.
fn sample_sentiment(union: &UnionSample, before: Option<f64>) -> crate::report::SentimentSummary {
    let scored = union.scored();
    let mean = (scored > 0).then(|| union.compound_sum / scored as f64);
    let [negative, neutral, positive] = crate::trending::class_shares(
        [SentimentClass::Negative, SentimentClass::Neutral, SentimentClass::Positive].map(|c| union.count(c)),
    );
    crate::report::SentimentSummary {
        positive,
        neutral,
        negative,
        compound: round3(mean.unwrap_or(0.0)),
        shift: mean.zip(before).map(|(now, then)| round3(now - then)),
    }
}

/// Posts and distinct authors of topic `hash` over some ring buckets: watched authors by union,
/// plus the posts counted while the topic was not watched (each may be another author).
fn ring_distinct(hash: u64, buckets: &[(i64, &TrendBucket)]) -> (u64, u64) {
    let (mut posts, mut untracked, mut watched) = (0, 0, Vec::new());
    for (_, b) in buckets {
        let p = b.topic_posts.estimate(hash);
        posts += p;
        match b.detail.get(&hash) {
            Some(d) => {
                untracked += p.saturating_sub(d.posts);
                watched.push(&d.authors);
            }
            None => untracked += b.topic_authors.estimate(hash).min(p),
        }
    }
    let distinct = Authors::union_count(watched).unwrap_or(0) + untracked;
    (posts, distinct.min(posts))
}

impl TrendEngine {
    fn default_as_of(&self, state: &State) -> Option<i64> {
        self.watermark().or_else(|| state.window.iter().next_back().map(|(s, _)| s + self.inner.config.bucket_secs))
    }

    fn window_buckets(&self, query: &TrendQuery) -> usize {
        let config = &self.inner.config;
        query
            .window_secs
            .map_or(config.window_buckets, |w| ((w + config.bucket_secs - 1) / config.bucket_secs).max(1) as usize)
    }

    /// The stories and the trending topics now (or at `query.as_of`), best first.
    ///
    /// Candidates are the heaviest topics by distinct authors in the window plus every trend in
    /// progress; each is scored against its baseline; the trending ones are grouped into stories
    /// (see `story.rs`), each told with its most central posts and counted over the union of its
    /// topics.
    pub fn report(&self, query: &TrendQuery) -> Report {
        let config = &self.inner.config;
        let state = self.read();
        let Some(as_of) = query.as_of.or_else(|| self.default_as_of(&state)) else {
            return Report { as_of: String::new(), stories: Vec::new(), trends: Vec::new() };
        };
        let filter =
            Filter { lang: query.lang.as_deref(), mentions: query.include_mentions.unwrap_or(config.include_mentions) };
        let trending = Trending::find(config, &state, as_of, self.window_buckets(query), &filter);
        let limit = query.limit.unwrap_or(10);
        let ids = self.story_ids(&state, &trending);
        let stories = (0..trending.stories.len().min(limit)).map(|s| self.tell(&state, &trending, s, &ids)).collect();
        let mut story_of = vec![0; trending.topics.len()];
        for (s, members) in trending.stories.iter().enumerate() {
            for &m in members {
                story_of[m] = s;
            }
        }
        let trends = trending
            .topics
            .iter()
            .enumerate()
            .take(limit)
            .map(|(i, t)| self.trend(&state, &trending, t, ids[story_of[i]].0.clone()))
            .collect();
        Report { as_of: rfc3339(as_of), stories, trends }
    }

    /// Story `id` as the report for `query` tells it, with its timeline over the last `span_secs`
    /// (default: the trend window) and its related stories; `None` if no current story has it.
    pub fn story(&self, id: &str, query: &TrendQuery, span_secs: Option<i64>) -> Option<StoryDetail> {
        let config = &self.inner.config;
        let state = self.read();
        let as_of = query.as_of.or_else(|| self.default_as_of(&state))?;
        let filter =
            Filter { lang: query.lang.as_deref(), mentions: query.include_mentions.unwrap_or(config.include_mentions) };
        let trending = Trending::find(config, &state, as_of, self.window_buckets(query), &filter);
        let ids = self.story_ids(&state, &trending);
        let s = ids.iter().position(|(known, _)| known == id)?;
        let story = self.tell(&state, &trending, s, &ids);
        let hashes: Vec<u64> = trending.stories[s].iter().map(|&m| trending.topics[m].eval.hash).collect();
        let span_from = trending.to - span_secs.unwrap_or(trending.to - trending.from);
        let timeline = state
            .window
            .iter()
            .filter(|(start, _)| *start >= span_from && *start < trending.to)
            .map(|(start, b)| union_point(&state, start, b, &hashes))
            .collect();
        let mut related: Vec<(f64, usize)> = (0..trending.stories.len())
            .filter(|&o| o != s)
            .map(|o| (trending.between(s, o), o))
            .filter(|(similarity, _)| *similarity >= 0.05)
            .collect();
        related.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let related = related
            .into_iter()
            .take(RELATED)
            .map(|(similarity, o)| RelatedStory {
                id: ids[o].0.clone(),
                headline: self.tell(&state, &trending, o, &ids).headline,
                similarity: round3(similarity),
            })
            .collect();
        Some(StoryDetail { as_of: rfc3339(as_of), story, timeline, related })
    }

    /// Each story's id, with its record when the engine knows it.
    fn story_ids<'r>(&self, state: &'r State, trending: &Trending<'_>) -> Vec<(String, Option<&'r StoryRecord>)> {
        let groups: Vec<Group> = (0..trending.stories.len()).map(|s| trending.group(s)).collect();
        state.stories.ids(&groups, trending.as_of, self.inner.config.bucket_secs)
    }

    /// Trending topic `t` as the report lists it.
    fn trend(&self, state: &State, trending: &Trending<'_>, t: &crate::trending::Topic<'_>, story_id: String) -> Trend {
        let config = &self.inner.config;
        let before = Agg::sentiment_over(state, t.eval.hash, i64::MIN, trending.from);
        let state_now = t.track.map_or(TrendState::Rising, |track| track.state(t.eval.score, trending.as_of));
        let started = t.track.map_or(trending.from, |track| track.started_at);
        let window_secs = trending.buckets as i64 * config.bucket_secs;
        Trend {
            topic: t.key.clone(),
            display_name: t.now.display_name(&t.key),
            story_id,
            state: state_now,
            score: (t.rank * 10.0).round() / 10.0,
            posts: t.eval.posts,
            authors: t.eval.authors,
            expected: (t.eval.expected * 10.0).round() / 10.0,
            started_at: Some(rfc3339(started)),
            peak_at: t.track.map(|track| rfc3339(track.peak_at)),
            sentiment: (t.now.scored() > 0).then(|| t.now.summary(&before)),
            explanation: explain::trend_sentence(
                t.eval.posts,
                t.eval.authors,
                window_secs,
                t.eval.authors as f64 / t.eval.expected,
                state_now,
                started,
                t.track.map_or(trending.as_of, |track| track.peak_at),
            ),
        }
    }

    /// Story `s` of `trending`, told: counts over the union of its topics, headline, summary.
    fn tell(&self, state: &State, trending: &Trending<'_>, s: usize, ids: &[(String, Option<&StoryRecord>)]) -> Story {
        let config = &self.inner.config;
        let members = &trending.stories[s];
        let topics: Vec<&crate::trending::Topic<'_>> = members.iter().map(|&m| &trending.topics[m]).collect();
        let head = topics[0];
        let (id, record) = (&ids[s].0, ids[s].1);
        let group = trending.group(s);
        let union = PostSample::union(topics.iter().flat_map(|t| t.now.sampled.iter().copied()));
        // Over the union of its topics; a story of one topic has that topic's count (which also
        // counts the posts of buckets where the topic was not watched).
        let hashes: Vec<u64> = topics.iter().map(|t| t.eval.hash).collect();
        let authors = if topics.len() == 1 {
            head.eval.authors
        } else {
            memo::watched_authors(state, &hashes, trending.from, trending.to).unwrap_or(0).max(head.eval.authors)
        };
        let posts = union.posts.max(head.eval.posts);
        let before = Agg::sentiment_over(state, head.eval.hash, i64::MIN, trending.from);
        let before_mean = (before.scored() >= 3).then(|| before.sum / before.scored() as f64);
        let state_now = record.map_or(TrendState::Rising, |r| r.track.state(head.rank, trending.as_of));
        let started = record.map_or(group.started_at, |r| r.track.started_at.min(group.started_at));
        let peak_at = record.map_or(trending.as_of, |r| r.track.peak_at);
        let terms: Vec<String> = topics.iter().take(config.story_terms).map(|t| t.key.clone()).collect();
        let (headline_post, summary) = self.central_posts(trending, s, &topics);
        let display_name = head.now.display_name(&head.key);
        let headline = headline_post.as_ref().map_or_else(
            || topics.iter().take(3).map(|t| t.now.display_name(&t.key)).collect::<Vec<_>>().join(" · "),
            |p| p.text.clone(),
        );
        let entities = topics
            .iter()
            .filter(|t| matches!(t.now.kind, Some(TopicKind::Entity | TopicKind::Hashtag)))
            .map(|t| t.now.display_name(&t.key))
            .take(ENTITIES)
            .collect();
        let window_secs = trending.buckets as i64 * config.bucket_secs;
        let explanation = explain::story_sentence(
            posts,
            authors,
            window_secs,
            &display_name,
            head.eval.authors as f64 / head.eval.expected,
            state_now,
            started,
            peak_at,
        );
        Story {
            id: id.clone(),
            headline,
            headline_post,
            summary,
            topic: head.key.clone(),
            display_name,
            terms,
            entities,
            topics: topics
                .iter()
                .map(|t| StoryTopic {
                    topic: t.key.clone(),
                    display_name: t.now.display_name(&t.key),
                    posts: t.eval.posts,
                    authors: t.eval.authors,
                    score: (t.rank * 10.0).round() / 10.0,
                })
                .collect(),
            state: state_now,
            score: (head.rank * 10.0).round() / 10.0,
            posts,
            posts_exact: union.exact,
            authors,
            expected: (head.eval.expected * 10.0).round() / 10.0,
            started_at: rfc3339(started),
            peak_at: rfc3339(peak_at),
            sentiment: (union.scored() > 0).then(|| sample_sentiment(&union, before_mean)),
            series: state
                .buckets_in(trending.from, trending.to)
                .map(|(start, b)| union_point(state, start, b, &hashes))
                .collect(),
            explanation,
        }
    }

    /// The headline's post and the summary of story `s` (see [`crate::headline`]).
    fn central_posts(
        &self,
        trending: &Trending<'_>,
        s: usize,
        topics: &[&crate::trending::Topic<'_>],
    ) -> (Option<StoryPost>, Vec<StoryPost>) {
        let texts = trending.candidates(s);
        let candidates: Vec<headline::Candidate<'_>> = texts
            .iter()
            .map(|(content, copies, text)| headline::Candidate {
                content: *content,
                copies: *copies,
                text: &text.text,
                keys: &text.keys,
            })
            .collect();
        // The story's profile: each member by its share of the texts, the topics each appears with
        // by how often (see `crate::headline`).
        let largest = topics.iter().map(|t| t.now.texts).max().unwrap_or(1).max(1) as f64;
        let mut profile: FxHashMap<u64, f64> = FxHashMap::default();
        for t in topics {
            let weight = t.now.texts.max(1) as f64 / largest;
            *profile.entry(t.eval.hash).or_default() += weight;
            let texts = t.now.texts.max(1) as f64;
            for (k, n) in &t.now.cooc {
                *profile.entry(*k).or_default() += 0.5 * weight * (*n as f64 / texts).min(1.0);
            }
        }
        let members: Vec<u64> = topics.iter().map(|t| t.eval.hash).collect();
        let top_terms: Vec<&str> = topics.iter().take(3).map(|t| t.key.as_str()).collect();
        let all_terms: Vec<&str> = topics.iter().map(|t| t.key.as_str()).collect();
        let mut chosen: Vec<u64> = Vec::new();
        let mut headline_post = None;
        let mut summary = Vec::new();
        for (i, _) in headline::rank(&candidates, &members, &profile) {
            let cleaned = headline::clean(candidates[i].text);
            let terms = if headline_post.is_none() { &top_terms } else { &all_terms };
            if !headline::names_a_term(&cleaned, terms) {
                continue;
            }
            let fingerprint = headline::simhash(&cleaned);
            if chosen.iter().any(|&c| headline::near_duplicates(c, fingerprint)) {
                continue;
            }
            chosen.push(fingerprint);
            let (_, copies, text) = texts[i];
            let post = StoryPost {
                id: text.id.clone(),
                author: text.author.clone(),
                created_at: rfc3339(text.created_at),
                text: cleaned,
                copies,
            };
            if headline_post.is_none() {
                headline_post = Some(post);
            } else {
                summary.push(post);
                if summary.len() == SUMMARY {
                    break;
                }
            }
        }
        (headline_post, summary)
    }

    /// Statistics of any topic over the window of the last `span_secs` (whole buckets; default:
    /// the whole history the ring keeps), or `None` if it has no post there. Posts, authors, the score against
    /// the baseline and the sentiment are all over that window, the baseline sentiment over the
    /// ring before it. Counts come from the count-min, so topics that were never candidates have
    /// them too; sentiment, surface forms and related topics need the topic to have been watched.
    ///
    /// A span longer than the ring is told from the rollup tiers ([`crate::tier`]): one point per
    /// hour up to 7 days, per day beyond (at most 90), the window widened to whole points; authors
    /// are distinct within each point and summed over the points.
    pub fn topic(&self, key: &str, span_secs: Option<i64>) -> Option<TopicStats> {
        let config = &self.inner.config;
        if span_secs.is_some_and(|s| s > config.bucket_secs * config.history_buckets as i64) {
            return self.long_topic(key, span_secs.unwrap_or_default());
        }
        let state = self.read();
        let as_of = self.default_as_of(&state)?;
        let hash = hash_key(key);
        let buckets = span_secs.map_or(config.history_buckets, |s| {
            ((s + config.bucket_secs - 1) / config.bucket_secs).clamp(1, config.history_buckets as i64) as usize
        });
        let (from, to, _) = score::window(config, as_of, buckets);
        let mut series = Vec::new();
        for (start, b) in state.window.iter().filter(|(s, _)| *s >= from && *s < to) {
            let posts = b.topic_posts.estimate(hash);
            let d = b.detail.get(&hash);
            series.push(TopicPoint {
                at: rfc3339(start),
                posts,
                authors: b.authors(hash),
                sentiment: d.filter(|d| d.scored() > 0).map(|d| round3(d.sentiment_sum / d.scored() as f64)),
            });
        }
        if series.iter().all(|p| p.posts == 0) {
            return None;
        }
        let rate = score::baseline_rate(config, &state, hash, from);
        let e = score::evaluate(config, &state, hash, as_of, buckets, rate);
        let now = Agg::over(&state, hash, from, to);
        let before = Agg::sentiment_over(&state, hash, i64::MIN, from);
        let mut related: Vec<(u64, u64)> = now.cooc.iter().map(|(h, n)| (*h, *n)).collect();
        related.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let related = related
            .into_iter()
            .filter_map(|(h, n)| Some(RelatedTopic { topic: state.key_of(h)?, posts: n }))
            .take(10)
            .collect();
        Some(TopicStats {
            topic: key.to_owned(),
            display_name: now.display_name(key),
            at: rfc3339(as_of),
            series,
            posts: e.posts,
            authors: e.authors,
            expected: (e.expected * 10.0).round() / 10.0,
            score: (e.score * 10.0).round() / 10.0,
            sentiment_now: (now.scored() > 0).then(|| now.summary(&before)),
            sentiment_baseline: (before.scored() > 0).then(|| before.summary(&Agg::default())),
            related,
            samples: now.samples.clone(),
        })
    }

    /// [`TrendEngine::topic`] over `span` seconds, longer than the ring.
    fn long_topic(&self, key: &str, span: i64) -> Option<TopicStats> {
        let config = &self.inner.config;
        let state = self.read();
        let as_of = self.default_as_of(&state)?;
        let hash = hash_key(key);
        let tier = state.tiers.for_span(span);
        let width = tier.width();
        let (now_from, to, _) = score::window(config, as_of, config.window_buckets);
        let from = (to - span).div_euclid(width) * width;
        let ring_from = state.window.iter().next().map_or(to, |(s, _)| s).max(from);
        // Per point: posts, authors, sentiment sum and scored posts.
        let mut points: std::collections::BTreeMap<i64, (u64, u64, f64, u64)> = Default::default();
        let mut now = Agg::default();
        for (start, t) in tier.topic_in(hash, from, ring_from) {
            let p = points.entry(start).or_default();
            *p = (p.0 + t.posts, p.1 + t.authors(), p.2 + t.sentiment_sum, p.3 + t.classes.iter().sum::<u64>());
            now.add_tier(t);
        }
        let ring = Agg::over(&state, hash, ring_from, to);
        let mut groups: std::collections::BTreeMap<i64, Vec<(i64, &TrendBucket)>> = Default::default();
        for (start, b) in state.buckets_in(ring_from, to) {
            groups.entry(start.div_euclid(width) * width).or_default().push((start, b));
        }
        for (at, buckets) in groups {
            let (posts, authors) = ring_distinct(hash, &buckets);
            let details = buckets.iter().filter_map(|(_, b)| b.detail.get(&hash));
            let (sum, scored) = details.fold((0.0, 0), |(s, n), d| (s + d.sentiment_sum, n + d.scored()));
            let p = points.entry(at).or_default();
            *p = (p.0 + posts, p.1 + authors, p.2 + sum, p.3 + scored);
        }
        if points.values().all(|p| p.0 == 0) {
            return None;
        }
        let mut before = Agg::default();
        for (_, t) in tier.topic_in(hash, i64::MIN, from) {
            before.add_tier(t);
        }
        let (posts, authors) = points.values().fold((0, 0), |(p, a), x| (p + x.0, a + x.1));
        let series = points
            .into_iter()
            .map(|(at, (posts, authors, sum, scored))| TopicPoint {
                at: rfc3339(at),
                posts,
                authors,
                sentiment: (scored > 0).then(|| round3(sum / scored as f64)),
            })
            .collect();
        now.sum += ring.sum;
        (now.neg, now.neu, now.pos) = (now.neg + ring.neg, now.neu + ring.neu, now.pos + ring.pos);
        for (s, n) in ring.surfaces {
            *now.surfaces.entry(s).or_default() += n;
        }
        for (h, n) in ring.cooc {
            *now.cooc.entry(h).or_default() += n;
        }
        let mut samples = ring.samples;
        samples.extend(now.samples.iter().cloned());
        samples.truncate(5);
        let mut related: Vec<(u64, u64)> = now.cooc.iter().map(|(h, n)| (*h, *n)).collect();
        related.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let related = related
            .into_iter()
            .filter(|(h, _)| *h != hash)
            .filter_map(|(h, n)| Some(RelatedTopic { topic: state.key_of(h)?, posts: n }))
            .take(10)
            .collect();
        let rate = score::baseline_rate(config, &state, hash, now_from);
        let expected = (rate * (to - from) as f64 / config.bucket_secs as f64).max(config.min_expected);
        let o = authors as f64;
        Some(TopicStats {
            topic: key.to_owned(),
            display_name: now.display_name(key),
            at: rfc3339(as_of),
            series,
            posts,
            authors,
            expected: (expected * 10.0).round() / 10.0,
            score: if o > expected { ((o - expected).powi(2) / expected * 10.0).round() / 10.0 } else { 0.0 },
            sentiment_now: (now.scored() > 0).then(|| now.summary(&before)),
            sentiment_baseline: (before.scored() > 0).then(|| before.summary(&Agg::default())),
            related,
            samples,
        })
    }

    /// The watched topics of the ring that share a word with `text` (case-folded, sigils ignored),
    /// those sharing the most words first, then the busiest: what an unknown subject is closest to.
    pub fn closest_topics(&self, text: &str, n: usize) -> Vec<String> {
        let words: Vec<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_'))
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() || n == 0 {
            return Vec::new();
        }
        let state = self.read();
        let mut posts: FxHashMap<&str, u64> = FxHashMap::default();
        for (_, b) in state.window.iter() {
            for d in b.detail.values() {
                *posts.entry(d.key.as_str()).or_default() += d.posts;
            }
        }
        let mut close: Vec<(usize, u64, &str)> = posts
            .into_iter()
            .filter_map(|(key, p)| {
                let shared = key
                    .trim_start_matches(['#', '@', '$'])
                    .split(' ')
                    .filter(|w| words.iter().any(|x| x == w || (w.len() > x.len() && w.contains(x.as_str()))))
                    .count();
                (shared > 0).then_some((shared, p, key))
            })
            .collect();
        close.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        close.into_iter().take(n).map(|(_, _, k)| k.to_owned()).collect()
    }

    /// Maps free text (`Boston Marathon`, `#BostonMarathon`, `@AP`, `American Airlines`) to the
    /// topic key the engine knows best: the normal forms of the text (lower-cased, words joined by
    /// one space; a hashtag as itself and as its CamelCase words; plain words also as a hashtag,
    /// a handle, and the handles and hashtags the ring holds that shorten them, see
    /// [`handle_aliases`]), whichever has the most posts in the ring.
    pub fn resolve_topic(&self, text: &str) -> Option<String> {
        let state = self.read();
        let mut forms = Vec::new();
        let text = text.trim();
        let words = |s: &str| {
            s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" ")
        };
        if let Some(sigil) = text.chars().next().filter(|c| matches!(c, '#' | '@' | '$')) {
            let body = &text[sigil.len_utf8()..];
            forms.push(format!("{sigil}{}", body.to_lowercase()));
            let mut camel = String::new();
            for (i, c) in body.chars().enumerate() {
                if i > 0 && c.is_uppercase() {
                    camel.push(' ');
                }
                camel.push(c);
            }
            forms.push(words(&camel));
        } else {
            let w = words(text);
            let joined = w.replace(' ', "");
            forms.push(w.clone());
            forms.push(format!("#{joined}"));
            forms.push(format!("@{joined}"));
            forms.extend(handle_aliases(&state, &w));
        }
        forms
            .into_iter()
            .filter(|f| !f.is_empty())
            .map(|f| {
                let h = hash_key(&f);
                let posts: u64 = state.window.iter().map(|(_, b)| b.topic_posts.estimate(h)).sum();
                (posts, f)
            })
            .filter(|(p, _)| *p > 0)
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, f)| f)
    }
}

/// The handles and hashtags in the ring that shorten the words `words` (lower case, one space
/// apart) the way accounts name themselves: a prefix of the words run together that keeps the
/// whole first word and part of the next (`American Airlines` → `@americanair`, `Southwest
/// Airlines` → `@southwestair`). The first word alone is not enough: `#marathon` does not stand
/// for "marathon parking fees" (and "United" finds `@united` as its own handle form). Learned from
/// the keys the engine saw, not from a list of brands.
fn handle_aliases(state: &State, words: &str) -> Vec<String> {
    let first = words.split(' ').next().unwrap_or("");
    let joined = words.replace(' ', "");
    if first.chars().count() < 3 || !words.contains(' ') {
        return Vec::new();
    }
    let shortens = |key: &str| {
        key.strip_prefix(['@', '#'])
            .is_some_and(|body| body.len() > first.len() && body.len() < joined.len() && joined.starts_with(body))
    };
    let mut aliases: Vec<String> = Vec::new();
    for (_, b) in state.window.iter() {
        let keys = b.detail.values().map(|d| d.key.as_str()).chain(b.top.iter().map(|h| h.item.as_str()));
        for key in keys {
            if shortens(key) && !aliases.iter().any(|a| a == key) {
                aliases.push(key.to_owned());
            }
        }
    }
    aliases
}

/// A story's point in the bucket starting at `start`: posts and sentiment over the union of its
/// topics' post samples there, authors over the union of their author sets.
fn union_point(state: &State, start: i64, b: &TrendBucket, hashes: &[u64]) -> TopicPoint {
    let union = PostSample::union(hashes.iter().filter_map(|h| b.detail.get(h)).map(|d| &d.sample));
    let authors = memo::watched_authors(state, hashes, start, start + state.window.width()).unwrap_or(0);
    let scored = union.scored();
    TopicPoint {
        at: rfc3339(start),
        posts: union.posts,
        authors,
        sentiment: (scored > 0).then(|| round3(union.compound_sum / scored as f64)),
    }
}
