//! Rollup tiers: what the ring forgets, kept coarser, so a topic can be asked about over a week or
//! a month.
//!
//! The ring holds 24 hours of fine buckets with every sketch a trend needs. When a bucket leaves
//! it, its topics are folded into an hourly tier (7 days) and a daily tier (90 days): per topic its
//! posts and distinct authors, and for a watched topic also its sentiment classes and sum, its
//! surface forms, a few post ids and the topics it shared posts with. A bucket is folded when it retires, not when it
//! closes, because workers may still flush late posts into a closed bucket; a retired one is
//! final, and the ring and the tiers never hold the same bucket.
//!
//! Authors are exact within a tier bucket: while an hour or a day is still being folded its topics
//! keep the union of their authors (a list, or a HyperLogLog++ sketch above 1,024), and when the
//! next one begins the union is reduced to its count. Over several tier buckets the counts are
//! summed — an account that posts in three hours of a week counts three times — which bounds
//! memory to a few numbers per topic and tier bucket; a response over such a window says so.
//! The topics folded are the bucket's heavy hitters (its top-k summary, which in a quiet bucket is
//! every topic) and its watched topics; a tier bucket keeps its [`TIER_TOPICS`] busiest.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::authors::Authors;
use crate::bucket::{TopicDetail, TrendBucket};

/// Topics kept per tier bucket (the busiest by posts); an open bucket may hold twice as many
/// before it is cut back.
pub const TIER_TOPICS: usize = 1024;
/// Surface forms, post ids and co-occurring topics kept per topic and tier bucket: enough for a
/// display name, samples and the related topics a response lists, in ≈ 500 bytes a sealed topic
/// (a 160-byte record, its key and the three short lists) — ≈ 130 MiB if every one of the 258
/// tier buckets held its 1,024 topics, as a firehose's would.
const SURFACES: usize = 2;
const SAMPLES: usize = 2;
const RELATED: usize = 8;

/// Width and length of the hourly tier: 7 days.
pub const HOURLY: (i64, usize) = (3600, 7 * 24);
/// Width and length of the daily tier: 90 days.
pub const DAILY: (i64, usize) = (86_400, 90);

/// The two tiers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tiers {
    pub(crate) hourly: Tier,
    pub(crate) daily: Tier,
}

impl Default for Tiers {
    fn default() -> Self {
        Self { hourly: Tier::new(HOURLY), daily: Tier::new(DAILY) }
    }
}

impl Tiers {
    /// Folds a bucket that left the ring (buckets retire oldest first).
    pub(crate) fn fold(&mut self, start: i64, bucket: &TrendBucket) {
        self.hourly.fold(start, bucket);
        self.daily.fold(start, bucket);
    }

    /// The tier whose buckets a window of `span` seconds is told in: hours up to 7 days, days
    /// beyond.
    pub(crate) fn for_span(&self, span: i64) -> &Tier {
        if span <= self.hourly.span() { &self.hourly } else { &self.daily }
    }

    /// The key of topic `hash`, if a tier holds it.
    pub(crate) fn key_of(&self, hash: u64) -> Option<&str> {
        [&self.hourly, &self.daily]
            .into_iter()
            .flat_map(|t| t.buckets.values().rev())
            .find_map(|b| b.topics.get(&hash).map(|t| t.key.as_str()))
    }
}

/// Buckets of one width, the newest `len` kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tier {
    width: i64,
    len: usize,
    buckets: BTreeMap<i64, TierBucket>,
}

impl Tier {
    fn new((width, len): (i64, usize)) -> Self {
        Self { width, len, buckets: BTreeMap::new() }
    }

    /// Bucket width in seconds.
    pub(crate) fn width(&self) -> i64 {
        self.width
    }

    /// The time the tier covers, in seconds.
    pub(crate) fn span(&self) -> i64 {
        self.width * self.len as i64
    }

    fn fold(&mut self, start: i64, bucket: &TrendBucket) {
        let at = start.div_euclid(self.width) * self.width;
        // Buckets retire oldest first: only the newest earlier bucket can still be open.
        if let Some((_, earlier)) = self.buckets.range_mut(..at).next_back() {
            earlier.seal();
        }
        let target = self.buckets.entry(at).or_default();
        for (&hash, detail) in &bucket.detail {
            target.add(hash, detail, bucket.topic_posts.estimate(hash));
        }
        for heavy in bucket.top.iter().filter(|h| !bucket.detail.contains_key(&h.hash)) {
            let posts = bucket.topic_posts.estimate(heavy.hash);
            target.add_counts(heavy.hash, heavy.item, posts, bucket.topic_authors.estimate(heavy.hash).min(posts));
        }
        if target.topics.len() > 2 * TIER_TOPICS {
            target.keep_busiest(TIER_TOPICS);
        }
        let oldest = at - (self.len as i64 - 1) * self.width;
        self.buckets.retain(|&s, _| s >= oldest);
    }

    /// Topic `hash` in the tier buckets starting in `[from, to)`, oldest first.
    pub(crate) fn topic_in(&self, hash: u64, from: i64, to: i64) -> impl Iterator<Item = (i64, &TierTopic)> + '_ {
        self.buckets.range(from..to.max(from)).filter_map(move |(&s, b)| b.topics.get(&hash).map(|t| (s, t)))
    }
}

/// One hour or day of topics.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TierBucket {
    topics: FxHashMap<u64, TierTopic>,
    /// Complete: its authors are counts, its lists cut to length.
    sealed: bool,
}

impl TierBucket {
    fn add(&mut self, hash: u64, detail: &TopicDetail, posts: u64) {
        let topic = self.topics.entry(hash).or_insert_with(|| TierTopic::new(&detail.key));
        topic.posts += posts;
        topic.untracked += posts.saturating_sub(detail.posts);
        if let TierAuthors::Open(authors) = &mut topic.authors {
            // Sketches of one engine share a precision, so the merge cannot fail.
            let _ = pulse_sketch::Mergeable::merge(authors.as_mut(), &detail.authors);
        }
        topic.sentiment_sum += detail.sentiment_sum;
        for (k, n) in [detail.negative, detail.neutral, detail.positive].into_iter().enumerate() {
            topic.classes[k] += n;
        }
        for (surface, n) in &detail.surfaces {
            add_counted(&mut topic.surfaces, surface.clone(), *n);
        }
        for id in &detail.samples {
            if topic.samples.len() < SAMPLES && !topic.samples.contains(id) {
                topic.samples.push(id.clone());
            }
        }
        for (&other, &n) in &detail.cooccurring {
            add_counted(&mut topic.related, other, n);
        }
        keep_heaviest(&mut topic.surfaces, SURFACES * 4);
        keep_heaviest(&mut topic.related, RELATED * 4);
    }

    /// Adds a topic that was not watched in the bucket: only its counts are known.
    fn add_counts(&mut self, hash: u64, key: &str, posts: u64, authors: u64) {
        let topic = self.topics.entry(hash).or_insert_with(|| TierTopic::new(key));
        topic.posts += posts;
        topic.untracked += authors;
    }

    /// Reduces every topic's authors to their count and keeps the busiest topics: the bucket
    /// will get nothing more.
    fn seal(&mut self) {
        if std::mem::replace(&mut self.sealed, true) {
            return;
        }
        for topic in self.topics.values_mut() {
            if let TierAuthors::Open(authors) = &mut topic.authors {
                topic.authors = TierAuthors::Counted(authors.count());
            }
            keep_heaviest(&mut topic.surfaces, SURFACES);
            keep_heaviest(&mut topic.related, RELATED);
            topic.surfaces.shrink_to_fit();
            topic.related.shrink_to_fit();
            topic.samples.shrink_to_fit();
        }
        if self.topics.len() > TIER_TOPICS {
            self.keep_busiest(TIER_TOPICS);
        }
    }

    fn keep_busiest(&mut self, n: usize) {
        let mut posts: Vec<(u64, u64)> = self.topics.iter().map(|(&h, t)| (t.posts, h)).collect();
        posts.sort_unstable_by(|a, b| b.cmp(a));
        let keep: rustc_hash::FxHashSet<u64> = posts.into_iter().take(n).map(|(_, h)| h).collect();
        self.topics.retain(|h, _| keep.contains(h));
    }
}

/// Adds `n` to `item`'s count in a counted list.
fn add_counted<T: PartialEq>(list: &mut Vec<(T, u32)>, item: T, n: u32) {
    match list.iter_mut().find(|(x, _)| *x == item) {
        Some((_, count)) => *count += n,
        None => list.push((item, n)),
    }
}

/// Sorts a counted list heaviest first (ties by item, so the order never depends on a hash map's)
/// and keeps its first `n`.
fn keep_heaviest<T: Ord>(list: &mut Vec<(T, u32)>, n: usize) {
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.truncate(n);
}

/// One topic in one tier bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TierTopic {
    pub(crate) key: String,
    /// Posts (the count-min estimates of the folded buckets).
    pub(crate) posts: u64,
    authors: TierAuthors,
    /// Posts counted while the topic was not watched: each may be another author.
    untracked: u64,
    pub(crate) sentiment_sum: f64,
    /// Scored posts by class: negative, neutral, positive.
    pub(crate) classes: [u64; 3],
    /// Surface forms, most written first.
    pub(crate) surfaces: Vec<(String, u32)>,
    /// A few post ids.
    pub(crate) samples: Vec<String>,
    /// Topics it shared texts with (by hash), most first.
    pub(crate) related: Vec<(u64, u32)>,
}

impl TierTopic {
    fn new(key: &str) -> Self {
        Self {
            key: key.to_owned(),
            posts: 0,
            authors: TierAuthors::Open(Box::default()),
            untracked: 0,
            sentiment_sum: 0.0,
            classes: [0; 3],
            surfaces: Vec::new(),
            samples: Vec::new(),
            related: Vec::new(),
        }
    }

    /// Distinct authors in its tier bucket (at most its posts).
    pub(crate) fn authors(&self) -> u64 {
        let watched = match &self.authors {
            TierAuthors::Open(authors) => authors.as_ref().clone().count(),
            TierAuthors::Counted(n) => *n,
        };
        (watched + self.untracked).min(self.posts)
    }
}

/// A tier topic's authors: their union while its bucket is being folded (boxed: a sealed topic
/// keeps only the count), their count after.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum TierAuthors {
    Open(Box<Authors>),
    Counted(u64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrendConfig;
    use crate::post::TopicKind;

    fn bucket(config: &TrendConfig, topic: &str, authors: &[u64], negative: u64) -> TrendBucket {
        let mut b = TrendBucket::new(config).unwrap();
        let hash = pulse_sketch::hash_key(topic);
        let mut detail = TopicDetail::new(topic, TopicKind::Word).unwrap();
        for &a in authors {
            detail.authors.insert(a);
            b.topic_posts.update(hash, 1);
        }
        detail.posts = authors.len() as u64;
        detail.negative = negative;
        detail.neutral = authors.len() as u64 - negative;
        b.detail.insert(hash, detail);
        b
    }

    #[test]
    fn buckets_fold_into_hours_and_days_with_authors_exact_within_each() {
        let config = TrendConfig::default();
        let mut tiers = Tiers::default();
        let day = 86_400 * 20_000;
        // Hour 0: two buckets sharing author 1; hour 1: one bucket.
        tiers.fold(day, &bucket(&config, "united", &[1, 2], 1));
        tiers.fold(day + 600, &bucket(&config, "united", &[1, 3], 2));
        tiers.fold(day + 3600, &bucket(&config, "united", &[1], 0));
        let hash = pulse_sketch::hash_key("united");
        let hours: Vec<(i64, u64, u64)> =
            tiers.hourly.topic_in(hash, day, day + 7200).map(|(s, t)| (s - day, t.posts, t.authors())).collect();
        assert_eq!(hours, [(0, 4, 3), (3600, 1, 1)]);
        let days: Vec<(u64, u64, [u64; 3])> =
            tiers.daily.topic_in(hash, day, day + 86_400).map(|(_, t)| (t.posts, t.authors(), t.classes)).collect();
        assert_eq!(days, [(5, 3, [3, 2, 0])], "one day: author 1 once");
        assert_eq!(tiers.key_of(hash), Some("united"));
        assert_eq!(tiers.for_span(7 * 86_400).width(), 3600);
        assert_eq!(tiers.for_span(30 * 86_400).width(), 86_400);
    }

    #[test]
    fn a_sealed_topic_is_small() {
        // What the memory estimate at the top of the module rests on.
        assert!(std::mem::size_of::<TierTopic>() <= 160, "{}", std::mem::size_of::<TierTopic>());
    }

    #[test]
    fn a_tier_keeps_its_length_and_its_busiest_topics() {
        let config = TrendConfig::default();
        let mut tiers = Tiers::default();
        let start = 86_400 * 20_000;
        for h in 0..(HOURLY.1 as i64 + 5) {
            tiers.fold(start + h * 3600, &bucket(&config, "united", &[1], 0));
        }
        assert_eq!(tiers.hourly.buckets.len(), HOURLY.1);
        assert_eq!(*tiers.hourly.buckets.keys().next().unwrap(), start + 5 * 3600);
        let mut b = TierBucket::default();
        for i in 0..(TIER_TOPICS as u64 + 10) {
            let mut detail = TopicDetail::new(&format!("t{i}"), TopicKind::Word).unwrap();
            detail.posts = i;
            b.add(i, &detail, i + 1);
        }
        b.seal();
        assert_eq!(b.topics.len(), TIER_TOPICS);
        assert!(!b.topics.contains_key(&0) && b.topics.contains_key(&(TIER_TOPICS as u64 + 9)));
    }
}
