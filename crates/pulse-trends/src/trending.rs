//! The trending topics of a window and the stories they form: what a trend list, a story list and
//! a bucket close all start from.

use rustc_hash::FxHashMap;

use crate::config::TrendConfig;
use crate::exemplar::PostText;
use crate::post::TopicKind;
use crate::registry::Group;
use crate::report::SentimentSummary;
use crate::sample::PostSample;
use crate::score::{self, Eval};
use crate::state::State;
use crate::story;
use crate::track::Track;

/// Most-copied texts per topic compared for the shared-copies signal.
const COPIED: usize = 10;
/// Candidate texts per member topic for a story's headline and summary.
const CANDIDATES: usize = 8;
/// Trending topics grouped into stories, the best-ranked first.
const MAX_GROUPED: usize = 160;

/// One topic's watched detail summed over a span of buckets.
#[derive(Default)]
pub(crate) struct Agg<'s> {
    /// Posts while watched.
    pub(crate) posts: u64,
    /// Distinct texts among them.
    pub(crate) texts: u64,
    /// Sum of the scored posts' compound sentiment.
    pub(crate) sum: f64,
    /// Scored posts per class.
    pub(crate) pos: u64,
    /// Neutral posts.
    pub(crate) neu: u64,
    /// Negative posts.
    pub(crate) neg: u64,
    /// Surface forms and their counts.
    pub(crate) surfaces: FxHashMap<String, u64>,
    /// Posts per language.
    pub(crate) langs: FxHashMap<String, u64>,
    /// Texts shared with other watched topics.
    pub(crate) cooc: FxHashMap<u64, u64>,
    /// Copies of the most-copied texts, by content hash.
    pub(crate) copies: FxHashMap<u64, u64>,
    /// A few post ids.
    pub(crate) samples: Vec<String>,
    /// The bucket's post samples, one per bucket.
    pub(crate) sampled: Vec<&'s PostSample>,
    /// The texts of the buckets (where `copies` are told).
    pub(crate) texts_by_content: FxHashMap<u64, &'s PostText>,
    /// How the topic was found.
    pub(crate) kind: Option<TopicKind>,
}

/// Shares (negative, neutral, positive) of posts whose model labels were counted as `counts`,
/// corrected for the model's known errors (`pulse_text::shares`: counting labels under-calls
/// negatives by a fifth on complaints), rounded to 3 decimals; zeros when nothing was scored.
pub(crate) fn class_shares(counts: [u64; 3]) -> [f64; 3] {
    pulse_text::Opinion::shared().share_correction().shares(counts).map_or([0.0; 3], |s| s.map(round3))
}

impl<'s> Agg<'s> {
    /// Topic `hash`'s posts and sentiment over the buckets starting in `[from, to)`, without the
    /// rest of [`Agg::over`]: what a sentiment shift is measured against (the day before the
    /// window), where copying surface forms, languages and texts would be most of a report's work.
    pub(crate) fn sentiment_over(state: &State, hash: u64, from: i64, to: i64) -> Self {
        let mut a = Agg::default();
        for d in state.buckets_in(from, to).filter_map(|(_, b)| b.detail.get(&hash)) {
            a.posts += d.posts;
            a.sum += d.sentiment_sum;
            (a.pos, a.neu, a.neg) = (a.pos + d.positive, a.neu + d.neutral, a.neg + d.negative);
        }
        a
    }

    /// Topic `hash`'s detail over the buckets starting in `[from, to)`.
    pub(crate) fn over(state: &'s State, hash: u64, from: i64, to: i64) -> Self {
        let mut a = Agg::default();
        for (_, b) in state.buckets_in(from, to) {
            if let Some(d) = b.detail.get(&hash) {
                a.posts += d.posts;
                a.texts += d.texts;
                a.sum += d.sentiment_sum;
                a.pos += d.positive;
                a.neu += d.neutral;
                a.neg += d.negative;
                for (s, n) in &d.surfaces {
                    add_named(&mut a.surfaces, s, *n);
                }
                for (s, n) in &d.langs {
                    add_named(&mut a.langs, s, *n);
                }
                for (h, n) in &d.cooccurring {
                    *a.cooc.entry(*h).or_default() += u64::from(*n);
                }
                for e in d.exemplars.iter() {
                    *a.copies.entry(e.content).or_default() += u64::from(e.copies);
                    if let Some(text) = b.texts.get(&e.content) {
                        a.texts_by_content.entry(e.content).or_insert(text);
                    }
                }
                for s in &d.samples {
                    if a.samples.len() < 5 {
                        a.samples.push(s.clone());
                    }
                }
                a.sampled.push(&d.sample);
                a.kind = a.kind.or(Some(d.kind));
            }
        }
        a
    }

    /// Adds a topic's rollup in one tier bucket ([`crate::tier`]): its sentiment, surface forms,
    /// co-occurring topics and post ids.
    pub(crate) fn add_tier(&mut self, t: &crate::tier::TierTopic) {
        self.sum += t.sentiment_sum;
        let [neg, neu, pos] = t.classes;
        (self.neg, self.neu, self.pos) = (self.neg + neg, self.neu + neu, self.pos + pos);
        for (s, n) in &t.surfaces {
            add_named(&mut self.surfaces, s, *n);
        }
        for (h, n) in &t.related {
            *self.cooc.entry(*h).or_default() += u64::from(*n);
        }
        for id in &t.samples {
            if self.samples.len() < 5 {
                self.samples.push(id.clone());
            }
        }
    }

    /// Scored posts.
    pub(crate) fn scored(&self) -> u64 {
        self.pos + self.neu + self.neg
    }

    fn mean(&self) -> Option<f64> {
        (self.scored() > 0).then(|| self.sum / self.scored() as f64)
    }

    /// Sentiment shares (corrected, see [`class_shares`]), mean, and the shift against `before`.
    pub(crate) fn summary(&self, before: &Agg<'_>) -> SentimentSummary {
        let [negative, neutral, positive] = class_shares([self.neg, self.neu, self.pos]);
        SentimentSummary {
            positive,
            neutral,
            negative,
            compound: round3(self.mean().unwrap_or(0.0)),
            shift: match (self.mean(), before.mean()) {
                (Some(now), Some(then)) if before.scored() >= 3 => Some(round3(now - then)),
                _ => None,
            },
        }
    }

    /// The most common surface form, or `key`.
    pub(crate) fn display_name(&self, key: &str) -> String {
        self.surfaces
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or_else(|| key.to_owned(), |(s, _)| s.clone())
    }

    /// The `n` most-copied texts with at least `min` copies, most copied first.
    pub(crate) fn most_copied(&self, n: usize, min: u64) -> Vec<(u64, u64)> {
        let mut top: Vec<(u64, u64)> = self.copies.iter().filter(|(_, c)| **c >= min).map(|(h, c)| (*h, *c)).collect();
        let order = |a: &(u64, u64), b: &(u64, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        if top.len() > n && n > 0 {
            top.select_nth_unstable_by(n - 1, order);
        }
        top.truncate(n);
        top.sort_unstable_by(order);
        top
    }
}

/// Adds `n` to `name`'s count, copying the name only when it is new: a report sums a few names per
/// topic per bucket for hundreds of topics, and most are already there.
fn add_named(counts: &mut FxHashMap<String, u64>, name: &str, n: u32) {
    match counts.get_mut(name) {
        Some(count) => *count += u64::from(n),
        None => {
            counts.insert(name.to_owned(), u64::from(n));
        }
    }
}

/// `x` rounded to three decimals.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One trending topic.
pub(crate) struct Topic<'s> {
    /// Its evaluation.
    pub(crate) eval: Eval,
    /// Its rank: the score, or the decayed peak of its episode when higher.
    pub(crate) rank: f64,
    /// Its key.
    pub(crate) key: String,
    /// Its detail over the window.
    pub(crate) now: Agg<'s>,
    /// Its most-copied texts with at least two copies.
    pub(crate) copied: Vec<(u64, u64)>,
    /// Its trend episode, if one is in progress.
    pub(crate) track: Option<&'s Track>,
}

/// What to include.
pub(crate) struct Filter<'q> {
    /// Only topics mostly in this language.
    pub(crate) lang: Option<&'q str>,
    /// Let mentions trend.
    pub(crate) mentions: bool,
}

/// The trending topics of the window of `buckets` ending at `as_of`, best first, and their stories.
pub(crate) struct Trending<'s> {
    /// Evaluation time.
    pub(crate) as_of: i64,
    /// Start of the window.
    pub(crate) from: i64,
    /// End of the window.
    pub(crate) to: i64,
    /// The window, in buckets.
    pub(crate) buckets: usize,
    /// The trending topics, best first.
    pub(crate) topics: Vec<Topic<'s>>,
    /// Stories: member indices into `topics`, best member first, in the order of their best members.
    pub(crate) stories: Vec<Vec<usize>>,
    /// Pairwise similarities of the topics (n × n).
    pub(crate) similarity: Vec<f64>,
}

impl<'s> Trending<'s> {
    /// Finds the trending topics and groups them.
    pub(crate) fn find(
        config: &TrendConfig,
        state: &'s State,
        as_of: i64,
        buckets: usize,
        filter: &Filter<'_>,
    ) -> Self {
        let (from, to, _) = score::window(config, as_of, buckets);
        let evals = score::candidates(config, state, from, to).into_iter().map(|h| {
            let rate = score::baseline_rate(config, state, h, from);
            score::screen(config, state, h, as_of, buckets, rate)
        });
        Self::of(config, state, as_of, buckets, filter, evals)
    }

    /// The trending topics among the candidates evaluated in `evals`, grouped.
    fn of(
        config: &TrendConfig,
        state: &'s State,
        as_of: i64,
        buckets: usize,
        filter: &Filter<'_>,
        evals: impl IntoIterator<Item = Eval>,
    ) -> Self {
        let (from, to, _) = score::window(config, as_of, buckets);
        let min_score = config.min_z * config.min_z;
        let mut topics = Vec::new();
        for e in evals {
            let h = e.hash;
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
            let now = Agg::over(state, h, from, to);
            let kind = now.kind.unwrap_or(if key.starts_with('@') { TopicKind::Mention } else { TopicKind::Word });
            if kind == TopicKind::Mention && !filter.mentions {
                continue;
            }
            if let Some(lang) = filter.lang {
                let in_lang = now.langs.get(lang).copied().unwrap_or(0);
                if in_lang * 2 < now.posts.max(1) {
                    continue;
                }
            }
            topics.push(Topic { eval: e, rank, key, now, copied: Vec::new(), track });
        }
        topics.sort_by(|a, b| b.rank.total_cmp(&a.rank).then(a.key.cmp(&b.key)));
        add_copied_texts(state, from, to, &mut topics);
        for t in &mut topics {
            t.copied = t.now.most_copied(COPIED, 2);
        }
        let keys = watched_keys(state, from, to);
        let members: Vec<story::Member<'_>> = topics
            .iter()
            .map(|t| story::Member {
                hash: t.eval.hash,
                key: &t.key,
                posts: t.now.posts,
                texts: t.now.texts,
                cooccurring: &t.now.cooc,
                copied: &t.copied,
            })
            .collect();
        // The best-ranked are clustered (quadratic in them); each of the rest, far down the ranking,
        // joins the story of the clustered topic it is most like, or stands alone.
        let grouped = members.len().min(MAX_GROUPED);
        let (similarity, nearest) = story::similarities(&members, &keys, grouped, config.story_similarity);
        let mut stories = story::cluster(grouped, similarity.clone(), config.story_similarity);
        let mut story_of = vec![0; grouped];
        for (s, members) in stories.iter().enumerate() {
            for &m in members {
                story_of[m] = s;
            }
        }
        for (i, near) in (grouped..topics.len()).zip(nearest) {
            match near {
                Some(g) => stories[story_of[g]].push(i),
                None => stories.push(vec![i]),
            }
        }
        story::attach_sub_stories(&mut stories, &members);
        Trending { as_of, from, to, buckets, topics, stories, similarity }
    }

    /// Story `s` as matched against the known stories.
    pub(crate) fn group(&self, s: usize) -> Group {
        let members = &self.stories[s];
        let head = &self.topics[members[0]];
        Group {
            headline: head.key.clone(),
            members: members.iter().map(|&m| (self.topics[m].eval.hash, self.topics[m].eval.authors as f64)).collect(),
            score: head.rank,
            started_at: members
                .iter()
                .filter_map(|&m| self.topics[m].track.map(|t| t.started_at))
                .min()
                .unwrap_or(self.from),
        }
    }

    /// Average similarity between the members of stories `a` and `b` (0 for the ungrouped).
    pub(crate) fn between(&self, a: usize, b: usize) -> f64 {
        let n = self.topics.len().min(MAX_GROUPED);
        let (x, y) = (&self.stories[a], &self.stories[b]);
        let sum: f64 = x
            .iter()
            .flat_map(|&i| y.iter().map(move |&j| if i < n && j < n { self.similarity[i * n + j] } else { 0.0 }))
            .sum();
        sum / (x.len() * y.len()).max(1) as f64
    }

    /// The candidate texts of story `s`: its members' most-copied texts, with the most copies any
    /// member counted for each.
    pub(crate) fn candidates(&self, s: usize) -> Vec<(u64, u64, &'s PostText)> {
        let mut best: FxHashMap<u64, (u64, &'s PostText)> = FxHashMap::default();
        for &m in &self.stories[s] {
            let topic = &self.topics[m];
            for (content, copies) in topic.now.most_copied(CANDIDATES, 1) {
                if let Some(text) = topic.now.texts_by_content.get(&content) {
                    let entry = best.entry(content).or_insert((copies, text));
                    entry.0 = entry.0.max(copies);
                }
            }
        }
        let mut out: Vec<(u64, u64, &PostText)> = best.into_iter().map(|(c, (n, t))| (c, n, t)).collect();
        out.sort_unstable_by_key(|(c, _, _)| *c);
        out
    }
}

/// Adds to each topic the texts copied in `[from, to)` that carry it (a bucket keeps its most-copied
/// texts whatever topics they carry): a topic that trended from one burst of retweets, before it
/// was watched, is told with that retweeted text and grouped with the other topics it carries.
/// A text's copies for a topic are the larger of what its watched exemplars and the buckets'
/// copied texts counted.
fn add_copied_texts<'s>(state: &'s State, from: i64, to: i64, topics: &mut [Topic<'s>]) {
    let index: FxHashMap<u64, usize> = topics.iter().enumerate().map(|(i, t)| (t.eval.hash, i)).collect();
    let mut copied: FxHashMap<(usize, u64), (u64, &'s PostText)> = FxHashMap::default();
    for (_, b) in state.buckets_in(from, to) {
        for (content, &copies) in &b.copied {
            let Some(text) = b.texts.get(content) else { continue };
            for key in &text.keys {
                if let Some(&i) = index.get(key) {
                    copied.entry((i, *content)).or_insert((0, text)).0 += u64::from(copies);
                }
            }
        }
    }
    for ((i, content), (copies, text)) in copied {
        let now = &mut topics[i].now;
        let entry = now.copies.entry(content).or_default();
        *entry = (*entry).max(copies);
        now.texts_by_content.entry(content).or_insert(text);
    }
}

/// The keys of the topics watched in `[from, to)`, by hash.
fn watched_keys(state: &State, from: i64, to: i64) -> FxHashMap<u64, &str> {
    let mut keys = FxHashMap::default();
    for (_, b) in state.buckets_in(from, to) {
        for (h, d) in &b.detail {
            keys.entry(*h).or_insert(d.key.as_str());
        }
    }
    keys
}

/// At the close of the bucket ending at `end`: groups the trending topics of the configured
/// window (among `evals`, the close's evaluations) and records the stories (their ids carry
/// over, see [`crate::registry`]).
pub(crate) fn close_stories(config: &TrendConfig, state: &mut State, end: i64, evals: Vec<Eval>) {
    let memory = config.bucket_secs * config.window_buckets as i64;
    if state.tracks.is_empty() {
        // Nothing is in a trend episode, so nothing trends: no grouping to do.
        state.stories.update(&[], end, memory);
        return;
    }
    let filter = Filter { lang: None, mentions: config.include_mentions };
    let groups: Vec<Group> = {
        let trending = Trending::of(config, state, end, config.window_buckets, &filter, evals);
        (0..trending.stories.len()).map(|s| trending.group(s)).collect()
    };
    state.stories.update(&groups, end, memory);
}
