//! Baselines, scoring, trend states, stories, topic stats and the query API.

use chrono::{DateTime, SecondsFormat, Utc};
use pulse_sketch::{Mergeable, TopK, hash_key};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::authors::Authors;
use crate::config::TrendConfig;
use crate::engine::{State, TrendEngine};
use crate::post::TopicKind;

/// Cached baseline of one topic: decayed sums fed with every bucket before `next`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Baseline {
    next: i64,
    /// Σ wᵢ·xᵢ (EWMA-weighted distinct authors per bucket).
    num: f64,
    /// Σ wᵢ.
    den: f64,
}

impl Baseline {
    fn rate(&self, config: &TrendConfig) -> f64 {
        let k = config.prior_weight_buckets;
        (self.num + k * config.prior_rate) / (self.den + k)
    }
}

/// A trend episode in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Track {
    started_at: i64,
    peak_score: f64,
    peak_at: i64,
    last_score: f64,
    prev_score: f64,
    last_at: i64,
}

/// One topic evaluated at one time.
#[derive(Debug, Clone, Copy)]
struct Eval {
    hash: u64,
    posts: u64,
    authors: u64,
    expected: f64,
    score: f64,
    passes: bool,
}

/// The window of buckets ending at `as_of`: `[from, to)` and its length in buckets (the newest
/// bucket counted by the fraction of it that has elapsed).
fn window(config: &TrendConfig, as_of: i64, buckets: usize) -> (i64, i64, f64) {
    let width = config.bucket_secs;
    let last = (as_of - 1).div_euclid(width) * width;
    let from = last - (buckets as i64 - 1) * width;
    let frac = (as_of - last) as f64 / width as f64;
    (from, last + width, (buckets - 1) as f64 + frac)
}

/// The open buckets with starts in `[from, to)`, oldest first.
pub(crate) fn in_range(
    state: &State,
    from: i64,
    to: i64,
) -> impl Iterator<Item = (i64, &crate::bucket::TrendBucket)> + '_ {
    let width = state.window.width();
    let oldest = state.window.iter().next().map_or(to, |(s, _)| s);
    let newest = state.window.iter().next_back().map_or(from, |(s, _)| s + width);
    let from = from.max(oldest);
    let to = to.min(newest);
    let first = from.div_euclid(width) * width + if from.rem_euclid(width) == 0 { 0 } else { width };
    (0..)
        .map(move |i| first + i * width)
        .take_while(move |s| *s < to)
        .filter_map(move |s| state.window.get(s).map(|b| (s, b)))
}

fn feed(config: &TrendConfig, state: &State, hash: u64, until: i64, cached: Option<Baseline>) -> Baseline {
    let width = config.bucket_secs;
    let decay = 1.0 - config.alpha();
    let oldest = state.window.iter().next().map_or(until, |(s, _)| s);
    let start = state.first_start.unwrap_or(until).max(oldest).min(until);
    let mut b = match cached {
        Some(c) if c.next <= until => c,
        _ => {
            // No history cached: the topic was never among a closed bucket's candidates, so its
            // earlier buckets count as empty (only the newest is read). This keeps a new topic's
            // first evaluation O(1) instead of a pass over the whole ring.
            let next = (until - width).max(start);
            let n = ((next - start) / width) as i32;
            Baseline { next, num: 0.0, den: (1.0 - decay.powi(n)) / (1.0 - decay) }
        }
    };
    if b.next < oldest {
        // Buckets retired while the topic was not fed: empty for it as far as we know.
        let missed = ((oldest - b.next) / width) as i32;
        b.num *= decay.powi(missed);
        b.den = b.den * decay.powi(missed) + (1.0 - decay.powi(missed)) / (1.0 - decay);
        b.next = oldest;
    }
    while b.next < until {
        let x = state.window.get(b.next).map_or(0, |bk| bk.authors(hash)) as f64;
        b.num = b.num * decay + x;
        b.den = b.den * decay + 1.0;
        b.next += width;
    }
    b
}

fn warmed_up(config: &TrendConfig, state: &State, from: i64) -> bool {
    state
        .first_start
        .is_some_and(|f| (from - f) / config.bucket_secs >= config.warmup_buckets as i64 - config.window_buckets as i64)
}

/// Evaluates one topic; `baseline` is the topic's baseline rate per bucket.
fn evaluate(config: &TrendConfig, state: &State, hash: u64, as_of: i64, buckets: usize, rate: f64) -> Eval {
    let (from, to, eff) = window(config, as_of, buckets);
    let mut posts = 0;
    let mut authors = 0;
    for (_, b) in in_range(state, from, to) {
        posts += b.topic_posts.estimate(hash);
        authors += b.authors(hash);
    }
    let expected = (rate * eff).max(config.min_expected);
    if authors >= config.min_authors {
        authors = authors.min(distinct_bound(state, hash, from, to));
    }
    let o = authors as f64;
    let score = if o > expected { (o - expected).powi(2) / expected } else { 0.0 };
    let passes = authors >= config.min_authors
        && o >= config.min_ratio * expected
        && (o - expected) / expected.sqrt() >= config.min_z
        && warmed_up(config, state, from);
    Eval { hash, posts, authors, expected, score, passes }
}

/// Distinct authors over `[from, to)`: the union of the watched buckets' authors plus the posts of
/// unwatched stretches — so one account counts once per window, however many buckets it spans.
fn distinct_bound(state: &State, hash: u64, from: i64, to: i64) -> u64 {
    let mut watched: Vec<&Authors> = Vec::new();
    let mut untracked = 0;
    for (_, b) in in_range(state, from, to) {
        let posts = b.topic_posts.estimate(hash);
        match b.detail.get(&hash) {
            Some(d) => {
                untracked += posts.saturating_sub(d.posts);
                watched.push(&d.authors);
            }
            None => untracked += b.topic_authors.estimate(hash).min(posts),
        }
    }
    untracked + Authors::union_count(watched).unwrap_or(u64::MAX)
}

/// The heaviest topics by authors over `[from, to)` plus every trend in progress.
fn candidates(config: &TrendConfig, state: &State, from: i64, to: i64) -> Vec<u64> {
    let mut top: Option<TopK<String>> = None;
    for (_, b) in in_range(state, from, to) {
        match &mut top {
            Some(t) => {
                let _ = t.merge(&b.top);
            }
            None => top = Some(b.top.clone()),
        }
    }
    let mut out: Vec<u64> = top.map(|t| t.top(config.candidates).iter().map(|h| h.hash).collect()).unwrap_or_default();
    let seen: FxHashSet<u64> = out.iter().copied().collect();
    out.extend(state.tracks.keys().filter(|h| !seen.contains(h)));
    out
}

fn decayed(config: &TrendConfig, track: &Track, as_of: i64) -> f64 {
    track.peak_score * 0.5f64.powf((as_of - track.peak_at) as f64 / config.score_half_life_secs.max(1) as f64)
}

/// Closes the bucket ending at `end`: feeds baselines up to the window start and updates trend
/// states. Called under the write lock, in bucket order.
pub(crate) fn close_bucket(config: &TrendConfig, state: &mut State, end: i64) {
    let (from, to, _) = window(config, end, config.window_buckets);
    let hashes = candidates(config, state, from, to);
    // Every topic of the bucket that just left the window feeds its baseline.
    let left: Vec<u64> =
        state.window.get(from - config.bucket_secs).map(|b| b.top.iter().map(|h| h.hash).collect()).unwrap_or_default();
    for h in left {
        let b = feed(config, state, h, from, state.baselines.get(&h).copied());
        state.baselines.insert(h, b);
    }
    let min_score = config.min_z * config.min_z;
    for h in hashes {
        let b = feed(config, state, h, from, state.baselines.get(&h).copied());
        state.baselines.insert(h, b);
        let e = evaluate(config, state, h, end, config.window_buckets, b.rate(config));
        let evergreen =
            e.passes && !state.tracks.contains_key(&h) && key_of(state, h).is_some_and(|k| state.is_evergreen(&k));
        match state.tracks.get_mut(&h) {
            Some(t) => {
                t.prev_score = t.last_score;
                t.last_score = e.score;
                t.last_at = end;
                if e.score > t.peak_score {
                    t.peak_score = e.score;
                    t.peak_at = end;
                }
                if !e.passes && (decayed(config, t, end) < min_score || e.authors as f64 <= e.expected) {
                    state.tracks.remove(&h);
                }
            }
            None if e.passes && !evergreen => {
                let rate = b.rate(config);
                let started_at = state
                    .window
                    .iter()
                    .filter(|(s, _)| (from..to).contains(s))
                    .find(|(_, bk)| bk.authors(h) as f64 >= (2.0 * rate).max(1.0))
                    .map_or(from, |(s, _)| s);
                state.tracks.insert(
                    h,
                    Track {
                        started_at,
                        peak_score: e.score,
                        peak_at: end,
                        last_score: e.score,
                        prev_score: 0.0,
                        last_at: end,
                    },
                );
            }
            None => {}
        }
    }
    // Bound the cache: forget topics not fed for a baseline half-life (their rate has halved
    // toward zero; a returning topic starts again from the prior).
    if state.baselines.len() > config.topk_capacity * 16 {
        let stale = from - (config.baseline_half_life_buckets.ceil() as i64) * config.bucket_secs;
        let tracks = &state.tracks;
        state.baselines.retain(|h, b| b.next >= stale || tracks.contains_key(h));
    }
}

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

/// The answer of [`TrendEngine::trends`]: the `pulse trends` line and the HTTP body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendList {
    /// Evaluation time, RFC 3339.
    pub at: String,
    /// Stories, best first.
    pub trends: Vec<Trend>,
}

/// Where a trend is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendState {
    /// Score above the last bucket close's.
    Rising,
    /// Trending, at least half its peak, not rising.
    Hot,
    /// Below half its peak score.
    Cooling,
}

impl TrendState {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrendState::Rising => "rising",
            TrendState::Hot => "hot",
            TrendState::Cooling => "cooling",
        }
    }
}

/// Sentiment of a topic's posts in the window (topic-masked VADER compound; ±0.05 classes).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SentimentSummary {
    /// Share of scored posts with compound ≥ 0.05.
    pub positive: f64,
    /// Share of scored posts in between.
    pub neutral: f64,
    /// Share of scored posts with compound ≤ −0.05.
    pub negative: f64,
    /// Mean compound.
    pub compound: f64,
    /// Mean compound now minus mean compound before the window (`null` with fewer than 3 scored
    /// posts before).
    pub shift: Option<f64>,
}

/// One story: trending topics that co-occur, under a headline topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Headline topic key.
    pub topic: String,
    /// Most common surface form of the headline.
    pub display_name: String,
    /// The story's topic keys, headline first.
    pub terms: Vec<String>,
    /// Rising, hot or cooling.
    pub state: TrendState,
    /// Ranking score: max(current, decayed peak) of (O − E)²/E on distinct authors.
    pub score: f64,
    /// Posts with the headline in the window.
    pub posts: u64,
    /// Distinct authors of the headline in the window.
    pub authors: u64,
    /// Expected authors in the window from the baseline.
    pub expected: f64,
    /// When the episode started, RFC 3339.
    pub started_at: Option<String>,
    /// When the score peaked, RFC 3339.
    pub peak_at: Option<String>,
    /// What people feel about it.
    pub sentiment: SentimentSummary,
    /// One plain sentence built from the numbers.
    pub explanation: String,
}

/// One bucket of a topic's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicPoint {
    /// Bucket start, RFC 3339.
    pub at: String,
    /// Posts (count-min estimate).
    pub posts: u64,
    /// Distinct authors.
    pub authors: u64,
    /// Mean compound, when the topic was watched and posts were scored.
    pub sentiment: Option<f64>,
}

/// A topic seen together with another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedTopic {
    /// Key.
    pub topic: String,
    /// Posts with both, in the trend window.
    pub posts: u64,
}

/// Everything about one topic ([`TrendEngine::topic`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicStats {
    /// Key.
    pub topic: String,
    /// Most common surface form.
    pub display_name: String,
    /// Evaluation time, RFC 3339.
    pub at: String,
    /// Per bucket over the asked span, oldest first.
    pub series: Vec<TopicPoint>,
    /// Posts in the trend window.
    pub posts: u64,
    /// Distinct authors in the trend window.
    pub authors: u64,
    /// Expected authors in the trend window.
    pub expected: f64,
    /// Current score (0 when below baseline).
    pub score: f64,
    /// Sentiment in the trend window.
    pub sentiment_now: SentimentSummary,
    /// Sentiment over the span before the trend window.
    pub sentiment_baseline: SentimentSummary,
    /// Co-occurring topics, most shared first.
    pub related: Vec<RelatedTopic>,
    /// A few post ids.
    pub samples: Vec<String>,
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
        for (_, b) in in_range(state, from, to) {
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

fn hhmm(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(String::new, |d| d.format("%H:%M").to_string())
}

fn span_words(secs: i64) -> String {
    match secs {
        3600 => "the last hour".to_owned(),
        s if s % 3600 == 0 => format!("the last {} hours", s / 3600),
        s if s % 60 == 0 => format!("the last {} minutes", s / 60),
        s => format!("the last {s} seconds"),
    }
}

/// The key a topic hash goes by: a watched detail's key, else a top-k item.
fn key_of(state: &State, hash: u64) -> Option<String> {
    for (_, b) in state.window.iter().rev() {
        if let Some(d) = b.detail.get(&hash) {
            return Some(d.key.clone());
        }
        if let Some(k) = b.top.item(hash) {
            return Some(k.clone());
        }
    }
    None
}

struct Scored {
    eval: Eval,
    rank: f64,
    key: String,
    now: Agg,
}

impl TrendEngine {
    fn rate_of(&self, state: &State, hash: u64, until: i64) -> f64 {
        let config = &self.inner.config;
        feed(config, state, hash, until, state.baselines.get(&hash).copied()).rate(config)
    }

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
        let (from, to, _) = window(config, as_of, buckets);
        let mentions = query.include_mentions.unwrap_or(config.include_mentions);
        let min_score = config.min_z * config.min_z;
        let mut scored = Vec::new();
        for h in candidates(config, &state, from, to) {
            let rate = self.rate_of(&state, h, from);
            let e = evaluate(config, &state, h, as_of, buckets, rate);
            let track = state.tracks.get(&h);
            let rank = track.map_or(e.score, |t| e.score.max(decayed(config, t, as_of)));
            let include = e.passes
                || (track.is_some()
                    && rank >= min_score
                    && e.authors as f64 > e.expected
                    && e.authors >= config.min_authors / 2);
            if !include {
                continue;
            }
            let Some(key) = key_of(&state, h) else { continue };
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
        // Stories: each topic joins the story whose headline it shares the most posts with.
        let mut stories: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in 0..scored.len() {
            let t = &scored[i];
            let mut best: Option<(f64, usize)> = None;
            for (s, (head, _)) in stories.iter().enumerate() {
                let h = &scored[*head];
                let both = h
                    .now
                    .cooc
                    .get(&t.eval.hash)
                    .copied()
                    .unwrap_or(0)
                    .max(t.now.cooc.get(&h.eval.hash).copied().unwrap_or(0));
                let share = both as f64 / h.now.posts.min(t.now.posts).max(1) as f64;
                if share >= config.story_cooccurrence && best.is_none_or(|(b, _)| share > b) {
                    best = Some((share, s));
                }
            }
            match best {
                Some((_, s)) => stories[s].1.push(i),
                None => stories.push((i, vec![i])),
            }
        }
        let limit = query.limit.unwrap_or(10);
        let trends = stories
            .into_iter()
            .take(limit)
            .map(|(head, members)| {
                let s = &scored[head];
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
                let ratio = s.eval.authors as f64 / s.eval.expected;
                let since = match state_now {
                    TrendState::Cooling => {
                        format!("cooling since its peak at {} UTC", hhmm(track.map_or(as_of, |t| t.peak_at)))
                    }
                    st => format!("{} since {} UTC", st.as_str(), hhmm(started)),
                };
                let explanation = format!(
                    "{} posts from {} accounts in {}, {:.1}× the usual; {since}",
                    s.eval.posts,
                    s.eval.authors,
                    span_words(buckets as i64 * config.bucket_secs),
                    ratio
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
        let (from, to, _) = window(config, as_of, config.window_buckets);
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
        let rate = self.rate_of(&state, hash, from);
        let e = evaluate(config, &state, hash, as_of, config.window_buckets, rate);
        let now = Agg::over(&state, hash, from, to);
        let before = Agg::over(&state, hash, span_from, from);
        let mut related: Vec<(u64, u64)> = now.cooc.iter().map(|(h, n)| (*h, *n)).collect();
        related.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let related = related
            .into_iter()
            .filter_map(|(h, n)| Some(RelatedTopic { topic: key_of(&state, h)?, posts: n }))
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
