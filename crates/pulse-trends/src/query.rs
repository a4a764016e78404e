//! Queries of the engine: the trend list (scored topics grouped into stories) and topic
//! statistics, read from the ring under the read lock.

use chrono::{DateTime, SecondsFormat, Utc};
use pulse_sketch::hash_key;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::engine::TrendEngine;
use crate::explain;
use crate::post::TopicKind;
use crate::report::{RelatedTopic, SentimentSummary, TopicPoint, TopicStats, Trend, TrendList, TrendState};
use crate::score::{self, Eval};
use crate::state::State;
use crate::story;

/// What to ask [`TrendEngine::trends`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendQuery {
    /// Window length in seconds (default: the configured trend window).
    pub window_secs: Option<i64>,
    /// Most stories returned (default 10).
    pub limit: Option<usize>,
    /// Only topics whose watched posts are mostly in this language (`en`).
    pub lang: Option<String>,
    /// Evaluate as of this time (Unix s; default: the watermark).
    pub as_of: Option<i64>,
    /// Let mentions trend (default: the configuration's `include_mentions`).
    pub include_mentions: Option<bool>,
}

#[derive(Default)]
struct Agg {
    posts: u64,
    sum: f64,
    pos: u64,
    neu: u64,
    neg: u64,
    surfaces: FxHashMap<String, u64>,
    langs: FxHashMap<String, u64>,
    cooc: FxHashMap<u64, u64>,
    samples: Vec<String>,
    kind: Option<TopicKind>,
    key: Option<String>,
}

impl Agg {
    fn over(state: &State, hash: u64, from: i64, to: i64) -> Agg {
        let mut a = Agg::default();
        for (_, b) in state.buckets_in(from, to) {
            if let Some(d) = b.detail.get(&hash) {
                a.posts += d.posts;
                a.sum += d.sentiment_sum;
                a.pos += d.positive;
                a.neu += d.neutral;
                a.neg += d.negative;
                for (s, n) in &d.surfaces {
                    *a.surfaces.entry(s.clone()).or_default() += u64::from(*n);
                }
                for (s, n) in &d.langs {
                    *a.langs.entry(s.clone()).or_default() += u64::from(*n);
                }
                for (h, n) in &d.cooccurring {
                    *a.cooc.entry(*h).or_default() += u64::from(*n);
                }
                for s in &d.samples {
                    if a.samples.len() < 5 {
                        a.samples.push(s.clone());
                    }
                }
                a.kind = a.kind.or(Some(d.kind));
                a.key.get_or_insert_with(|| d.key.clone());
            }
        }
        a
    }

    fn scored(&self) -> u64 {
        self.pos + self.neu + self.neg
    }

    fn mean(&self) -> Option<f64> {
        (self.scored() > 0).then(|| self.sum / self.scored() as f64)
    }

    fn summary(&self, before: &Agg) -> SentimentSummary {
        let n = self.scored().max(1) as f64;
        let compound = self.mean().unwrap_or(0.0);
        SentimentSummary {
            positive: round3(self.pos as f64 / n),
            neutral: round3(self.neu as f64 / n),
            negative: round3(self.neg as f64 / n),
            compound: round3(compound),
            shift: match (self.mean(), before.mean()) {
                (Some(now), Some(then)) if before.scored() >= 3 => Some(round3(now - then)),
                _ => None,
            },
        }
    }

    fn display_name(&self, key: &str) -> String {
        self.surfaces
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or_else(|| key.to_owned(), |(s, _)| s.clone())
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(String::new, |d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

struct Scored {
    eval: Eval,
    rank: f64,
    key: String,
    now: Agg,
}

impl TrendEngine {
    fn default_as_of(&self, state: &State) -> Option<i64> {
        self.watermark().or_else(|| state.window.iter().next_back().map(|(s, _)| s + self.inner.config.bucket_secs))
    }

    /// The trending stories now (or at `query.as_of`), best first.
    ///
    /// Candidates are the heaviest topics by distinct authors in the window plus every trend in
    /// progress; each is scored against its baseline; trending topics that co-occur are grouped
    /// under the best of them.
    pub fn trends(&self, query: &TrendQuery) -> TrendList {
        let config = &self.inner.config;
        let state = self.read();
        let Some(as_of) = query.as_of.or_else(|| self.default_as_of(&state)) else {
            return TrendList { at: String::new(), trends: Vec::new() };
        };
        let buckets = query
            .window_secs
            .map_or(config.window_buckets, |w| ((w + config.bucket_secs - 1) / config.bucket_secs).max(1) as usize);
        let (from, to, _) = score::window(config, as_of, buckets);
        let mentions = query.include_mentions.unwrap_or(config.include_mentions);
        let min_score = config.min_z * config.min_z;
        let mut scored = Vec::new();
        for h in score::candidates(config, &state, from, to) {
            let rate = score::baseline_rate(config, &state, h, from);
            let e = score::evaluate(config, &state, h, as_of, buckets, rate);
            let track = state.tracks.get(&h);
            let rank = track.map_or(e.score, |t| e.score.max(t.decayed(config, as_of)));
            let include = e.passes
                || (track.is_some()
                    && rank >= min_score
                    && e.authors as f64 > e.expected
                    && e.authors >= config.min_authors / 2);
            if !include {
                continue;
            }
            let Some(key) = state.key_of(h) else { continue };
            if state.is_evergreen(&key) {
                continue;
            }
            let now = Agg::over(&state, h, from, to);
            let kind = now.kind.unwrap_or(if key.starts_with('@') { TopicKind::Mention } else { TopicKind::Word });
            if kind == TopicKind::Mention && !mentions {
                continue;
            }
            if let Some(lang) = &query.lang {
                let in_lang = now.langs.get(lang.as_str()).copied().unwrap_or(0);
                if in_lang * 2 < now.posts.max(1) {
                    continue;
                }
            }
            scored.push(Scored { eval: e, rank, key, now });
        }
        scored.sort_by(|a, b| b.rank.total_cmp(&a.rank).then(a.key.cmp(&b.key)));
        let members: Vec<story::Member<'_>> = scored
            .iter()
            .map(|t| story::Member { hash: t.eval.hash, posts: t.now.posts, cooccurring: &t.now.cooc })
            .collect();
        let stories = story::group(&members, config.story_cooccurrence);
        let limit = query.limit.unwrap_or(10);
        let trends = stories
            .into_iter()
            .take(limit)
            .map(|members| {
                let s = &scored[members[0]];
                let before = Agg::over(&state, s.eval.hash, i64::MIN, from);
                let track = state.tracks.get(&s.eval.hash);
                let state_now = match track {
                    Some(t) if s.eval.score < 0.5 * t.peak_score => TrendState::Cooling,
                    Some(t) => {
                        let reference = if t.last_at >= as_of { t.prev_score } else { t.last_score };
                        if s.eval.score > reference { TrendState::Rising } else { TrendState::Hot }
                    }
                    None => TrendState::Rising,
                };
                let started = track.map_or(from, |t| t.started_at);
                let explanation = explain::trend_sentence(
                    s.eval.posts,
                    s.eval.authors,
                    buckets as i64 * config.bucket_secs,
                    s.eval.authors as f64 / s.eval.expected,
                    state_now,
                    started,
                    track.map_or(as_of, |t| t.peak_at),
                );
                Trend {
                    topic: s.key.clone(),
                    display_name: s.now.display_name(&s.key),
                    terms: members.iter().take(config.story_terms).map(|&m| scored[m].key.clone()).collect(),
                    state: state_now,
                    score: (s.rank * 10.0).round() / 10.0,
                    posts: s.eval.posts,
                    authors: s.eval.authors,
                    expected: (s.eval.expected * 10.0).round() / 10.0,
                    started_at: Some(rfc3339(started)),
                    peak_at: track.map(|t| rfc3339(t.peak_at)),
                    sentiment: s.now.summary(&before),
                    explanation,
                }
            })
            .collect();
        TrendList { at: rfc3339(as_of), trends }
    }

    /// Statistics of any topic over the last `span_secs` (default: the whole ring), or `None` if
    /// it was never seen. Counts come from the count-min, so topics that were never candidates
    /// have them too; sentiment, surface forms and related topics need the topic to have been
    /// watched.
    pub fn topic(&self, key: &str, span_secs: Option<i64>) -> Option<TopicStats> {
        let config = &self.inner.config;
        let state = self.read();
        let as_of = self.default_as_of(&state)?;
        let hash = hash_key(key);
        let (from, to, _) = score::window(config, as_of, config.window_buckets);
        let span_from = span_secs.map_or(i64::MIN, |s| to - s);
        let mut series = Vec::new();
        for (start, b) in state.window.iter().filter(|(s, _)| *s >= span_from && *s < to) {
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
        let e = score::evaluate(config, &state, hash, as_of, config.window_buckets, rate);
        let now = Agg::over(&state, hash, from, to);
        let before = Agg::over(&state, hash, span_from, from);
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
            sentiment_now: now.summary(&before),
            sentiment_baseline: before.summary(&Agg::default()),
            related,
            samples: now.samples.clone(),
        })
    }

    /// Maps free text (`Boston Marathon`, `#BostonMarathon`, `@AP`) to the topic key the engine
    /// knows best: the normal forms of the text (lower-cased, words joined by one space; a
    /// hashtag as itself and as its CamelCase words), whichever has the most posts in the ring.
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
            forms.push(w.replace(' ', ""));
            forms.insert(0, w);
            forms[1] = format!("#{}", forms[1]);
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
