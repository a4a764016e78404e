//! Scoring: a topic's distinct authors in the window against its baseline, the trend gates, and
//! what a bucket close updates (baselines and trend episodes).

use pulse_sketch::{Mergeable, TopK};
use rustc_hash::FxHashSet;

use crate::baseline::Baseline;
use crate::config::TrendConfig;
use crate::memo;
use crate::state::State;
use crate::track::Track;

/// One topic evaluated at one time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Eval {
    /// The topic.
    pub(crate) hash: u64,
    /// Posts in the window.
    pub(crate) posts: u64,
    /// Distinct authors in the window.
    pub(crate) authors: u64,
    /// Expected distinct authors in the window.
    pub(crate) expected: f64,
    /// `(O − E)² / E` when `O > E`, else 0.
    pub(crate) score: f64,
    /// Whether the topic passes every gate.
    pub(crate) passes: bool,
}

/// The window of buckets ending at `as_of`: `[from, to)` and its length in buckets (the newest
/// bucket counted by the fraction of it that has elapsed).
pub(crate) fn window(config: &TrendConfig, as_of: i64, buckets: usize) -> (i64, i64, f64) {
    let width = config.bucket_secs;
    let last = (as_of - 1).div_euclid(width) * width;
    let from = last - (buckets as i64 - 1) * width;
    let frac = (as_of - last) as f64 / width as f64;
    (from, last + width, (buckets - 1) as f64 + frac)
}

/// Whether the engine has the history the gates need.
fn warmed_up(config: &TrendConfig, state: &State, from: i64) -> bool {
    state
        .first_start
        .is_some_and(|f| (from - f) / config.bucket_secs >= config.warmup_buckets as i64 - config.window_buckets as i64)
}

/// Evaluates one topic; `rate` is the topic's baseline rate per bucket.
pub(crate) fn evaluate(config: &TrendConfig, state: &State, hash: u64, as_of: i64, buckets: usize, rate: f64) -> Eval {
    evaluate_as(config, state, hash, as_of, buckets, rate, true)
}

/// [`evaluate`] for a candidate, which only matters if it trends: a topic in no trend whose
/// per-bucket author counts (an upper bound on its distinct authors) already fail the gates keeps
/// that bound as its count, without the union of its authors over the window (sketch merges: the
/// costly part of scoring).
pub(crate) fn screen(config: &TrendConfig, state: &State, hash: u64, as_of: i64, buckets: usize, rate: f64) -> Eval {
    evaluate_as(config, state, hash, as_of, buckets, rate, state.tracks.contains_key(&hash))
}

/// [`evaluate`]; with `exact` false the union is skipped when the upper bound cannot pass.
fn evaluate_as(
    config: &TrendConfig,
    state: &State,
    hash: u64,
    as_of: i64,
    buckets: usize,
    rate: f64,
    exact: bool,
) -> Eval {
    let (from, to, eff) = window(config, as_of, buckets);
    let (mut posts, mut authors, mut unwatched) = (0, 0, 0u64);
    for (_, b) in state.buckets_in(from, to) {
        let counts = b.counts(hash);
        posts += counts.posts;
        authors += counts.authors;
        unwatched += counts.unwatched;
    }
    let expected = (rate * eff).max(config.min_expected);
    let warm = warmed_up(config, state, from);
    let passes = |authors: u64| {
        let o = authors as f64;
        authors >= config.min_authors
            && o >= config.min_ratio * expected
            && (o - expected) / expected.sqrt() >= config.min_z
            && warm
    };
    if authors >= config.min_authors && (exact || passes(authors)) {
        authors = authors.min(distinct_bound(state, hash, from, to, unwatched));
    }
    let o = authors as f64;
    let score = if o > expected { (o - expected).powi(2) / expected } else { 0.0 };
    Eval { hash, posts, authors, expected, score, passes: passes(authors) }
}

/// Distinct authors over `[from, to)`: the union of the watched buckets' authors plus `unwatched`,
/// the bound on the authors of unwatched stretches ([`crate::bucket::TopicCounts::unwatched`] summed
/// over the window) — so one account counts once per window, however many buckets it spans.
fn distinct_bound(state: &State, hash: u64, from: i64, to: i64, unwatched: u64) -> u64 {
    memo::watched_authors(state, &[hash], from, to).map_or(u64::MAX, |watched| unwatched.saturating_add(watched))
}

/// The heaviest topics by authors over `[from, to)` plus every trend in progress.
pub(crate) fn candidates(config: &TrendConfig, state: &State, from: i64, to: i64) -> Vec<u64> {
    let mut top: Option<TopK<String>> = None;
    for (_, b) in state.buckets_in(from, to) {
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

/// Closes the bucket ending at `end`: feeds baselines up to the window start and updates trend
/// states. Called under the write lock, in bucket order. Returns the candidates' evaluations at
/// `end` (the stories found at the close start from them).
pub(crate) fn close_bucket(config: &TrendConfig, state: &mut State, end: i64) -> Vec<Eval> {
    let (from, to, _) = window(config, end, config.window_buckets);
    let hashes = candidates(config, state, from, to);
    // Every topic of the bucket that just left the window feeds its baseline.
    let left: Vec<u64> =
        state.window.get(from - config.bucket_secs).map(|b| b.top.iter().map(|h| h.hash).collect()).unwrap_or_default();
    for h in left {
        let b = Baseline::fed(config, &state.window, state.first_start, h, from, state.baselines.get(&h).copied());
        state.baselines.insert(h, b);
    }
    let min_score = config.min_z * config.min_z;
    let mut evals = Vec::with_capacity(hashes.len());
    for h in hashes {
        let b = Baseline::fed(config, &state.window, state.first_start, h, from, state.baselines.get(&h).copied());
        state.baselines.insert(h, b);
        let e = screen(config, state, h, end, config.window_buckets, b.rate(config));
        evals.push(e);
        let evergreen =
            e.passes && !state.tracks.contains_key(&h) && state.key_of(h).is_some_and(|k| state.is_evergreen(&k));
        match state.tracks.get_mut(&h) {
            Some(t) => {
                t.record(e.score, end);
                if !e.passes && (t.decayed(config, end) < min_score || e.authors as f64 <= e.expected) {
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
                state.tracks.insert(h, Track::new(started_at, e.score, end));
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
    evals
}

/// Topic `hash`'s baseline rate (authors per bucket) from the buckets before `until`, from its
/// cached baseline when it has one; the cache is not updated (only bucket closes feed it).
pub(crate) fn baseline_rate(config: &TrendConfig, state: &State, hash: u64, until: i64) -> f64 {
    Baseline::fed(config, &state.window, state.first_start, hash, until, state.baselines.get(&hash).copied())
        .rate(config)
}
