//! One event-time bucket of trend state: the unit of merging, checkpoints and rollups.

use pulse_sketch::codec::kind;
use pulse_sketch::{CountMin, Hll, Mergeable, Persist, SketchError, TopK};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::authors::Authors;
use crate::config::TrendConfig;
use crate::error::Result;
use crate::exemplar::{Exemplars, PostText};
use crate::post::TopicKind;
use crate::sample::PostSample;

/// Post ids kept per tracked topic per bucket.
pub const MAX_SAMPLES: usize = 3;
/// Surface forms kept per tracked topic per bucket.
pub const MAX_SURFACES: usize = 8;
/// Co-occurring topics kept per tracked topic per bucket.
pub const MAX_COOCCURRING: usize = 64;
/// Languages kept per tracked topic per bucket.
pub const MAX_LANGS: usize = 8;
/// Most-copied texts a closed bucket keeps.
pub const MAX_COPIED: usize = 256;

/// The state of one bucket. Everything in it merges (counts add, author sets union, top-k summaries
/// replay), so buckets built by different workers, processes or machines combine into the bucket
/// one engine would have built over all their posts (within the sketches' bounds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrendBucket {
    /// Posts counted (after the identical-post check).
    pub posts: u64,
    /// Posts that arrived after the bucket closed and were still counted.
    pub late: u64,
    /// Identical posts by the same author (counted once).
    pub duplicates: u64,
    /// Posts per language.
    pub langs: FxHashMap<String, u64>,
    /// Posts per topic (count-min, any topic).
    pub topic_posts: CountMin,
    /// Distinct authors per topic in this bucket (count-min fed once per topic and author by
    /// each worker): the score's unit.
    pub topic_authors: CountMin,
    /// Heaviest topics by distinct authors, by name: the candidates.
    pub top: TopK<String>,
    /// Detail for watched topics, by key hash.
    pub detail: FxHashMap<u64, TopicDetail>,
    /// Texts copied more than once in the bucket (retweets), by content hash, with their copies:
    /// whatever topics they carry, watched or not, so that a topic that trended from one burst
    /// of copies (before anything watched it) still has its posts' text.
    pub copied: FxHashMap<u64, u32>,
    /// The texts the details' [`TopicDetail::exemplars`] and `copied` name, by content hash.
    pub texts: FxHashMap<u64, PostText>,
}

/// A topic's counts in one bucket ([`TrendBucket::counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicCounts {
    /// Posts (count-min).
    pub posts: u64,
    /// Distinct authors: see [`TrendBucket::authors`].
    pub authors: u64,
    /// An upper bound on the authors of the posts counted while the topic was not watched: those
    /// posts when it was watched for part of the bucket, else its authors count-min.
    pub unwatched: u64,
}

/// What the engine keeps about one watched topic in one bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicDetail {
    /// Canonical key.
    pub key: String,
    /// Kind of the first occurrence.
    pub kind: TopicKind,
    /// Posts counted while watched.
    pub posts: u64,
    /// Of those, the first with each text (copies left out): what co-occurrence is counted over.
    pub texts: u64,
    /// Distinct authors while watched.
    pub authors: Authors,
    /// Cached `authors.count()`, refreshed after every change on the shared side.
    pub authors_est: u64,
    /// Sum of compound sentiment of scored posts.
    pub sentiment_sum: f64,
    /// Posts with a compound ≥ 0.05.
    pub positive: u64,
    /// Posts with a compound in (−0.05, 0.05).
    pub neutral: u64,
    /// Posts with a compound ≤ −0.05.
    pub negative: u64,
    /// Texts shared with other watched topics, by key hash (each text once, however many copies).
    pub cooccurring: FxHashMap<u64, u32>,
    /// The most-copied texts.
    pub exemplars: Exemplars,
    /// A bottom-k sample of the posts, with their sentiment: a story's posts and sentiment are
    /// counted over the union of its topics' samples.
    pub sample: PostSample,
    /// Earliest event time seen (Unix s).
    pub first_seen: i64,
    /// Latest event time seen (Unix s).
    pub last_seen: i64,
    /// A few post ids.
    pub samples: Vec<String>,
    /// Surface forms and how often each was written.
    pub surfaces: Vec<(String, u32)>,
    /// Posts per language.
    pub langs: Vec<(String, u32)>,
}

impl TopicDetail {
    /// An empty detail for `key`.
    pub fn new(key: &str, kind: TopicKind) -> Result<Self> {
        Ok(Self {
            key: key.to_owned(),
            kind,
            posts: 0,
            texts: 0,
            authors: Authors::default(),
            authors_est: 0,
            sentiment_sum: 0.0,
            positive: 0,
            neutral: 0,
            negative: 0,
            cooccurring: FxHashMap::default(),
            exemplars: Exemplars::default(),
            sample: PostSample::default(),
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            samples: Vec::new(),
            surfaces: Vec::new(),
            langs: Vec::new(),
        })
    }

    /// Posts that carried a sentiment.
    pub fn scored(&self) -> u64 {
        self.positive + self.neutral + self.negative
    }

    /// Adds one sentiment by VADER's ±0.05 rule.
    pub fn add_sentiment(&mut self, compound: f64) {
        self.sentiment_sum += compound;
        if compound >= 0.05 {
            self.positive += 1;
        } else if compound <= -0.05 {
            self.negative += 1;
        } else {
            self.neutral += 1;
        }
    }

    /// Recomputes [`TopicDetail::authors_est`].
    pub fn refresh(&mut self) {
        self.authors_est = self.authors.count();
    }
}

fn add_counted(list: &mut Vec<(String, u32)>, item: &str, n: u32, cap: usize) {
    if let Some(e) = list.iter_mut().find(|(s, _)| s == item) {
        e.1 += n;
    } else if list.len() < cap {
        list.push((item.to_owned(), n));
    }
}

impl TopicDetail {
    /// Counts one surface form.
    pub fn add_surface(&mut self, surface: &str) {
        add_counted(&mut self.surfaces, surface, 1, MAX_SURFACES);
    }

    /// Counts one post in `lang`.
    pub fn add_lang(&mut self, lang: &str) {
        add_counted(&mut self.langs, lang, 1, MAX_LANGS);
    }
}

/// Trims a co-occurrence map to its [`MAX_COOCCURRING`] heaviest entries (ties broken by the
/// larger hash, so the kept set does not depend on the map's iteration order). Workers count
/// every co-occurrence among a post's watched topics; an open bucket sums them exactly and is
/// trimmed when it closes, so the related topics a story is built from are the most frequent ones,
/// not the first seen, and do not depend on when the workers happened to flush (a trim at every
/// flush would drop a light topic once and count only what came after).
fn keep_heaviest_cooccurring(map: &mut FxHashMap<u64, u32>) {
    if map.len() <= MAX_COOCCURRING {
        return;
    }
    let mut by_weight: Vec<(u32, u64)> = map.iter().map(|(&h, &n)| (n, h)).collect();
    let (_, &mut lightest_kept, _) = by_weight.select_nth_unstable_by(MAX_COOCCURRING - 1, |a, b| b.cmp(a));
    map.retain(|&h, &mut n| (n, h) >= lightest_kept);
}

impl Mergeable for TopicDetail {
    fn merge(&mut self, o: &Self) -> pulse_sketch::Result<()> {
        self.authors.merge(&o.authors)?;
        self.posts += o.posts;
        self.texts += o.texts;
        self.exemplars.merge(&o.exemplars);
        self.sample.merge(&o.sample);
        self.sentiment_sum += o.sentiment_sum;
        self.positive += o.positive;
        self.neutral += o.neutral;
        self.negative += o.negative;
        for (&h, &c) in &o.cooccurring {
            *self.cooccurring.entry(h).or_default() += c;
        }
        self.first_seen = self.first_seen.min(o.first_seen);
        self.last_seen = self.last_seen.max(o.last_seen);
        for s in &o.samples {
            if self.samples.len() < MAX_SAMPLES && !self.samples.contains(s) {
                self.samples.push(s.clone());
            }
        }
        for (s, n) in &o.surfaces {
            add_counted(&mut self.surfaces, s, *n, MAX_SURFACES);
        }
        for (s, n) in &o.langs {
            add_counted(&mut self.langs, s, *n, MAX_LANGS);
        }
        self.refresh();
        Ok(())
    }
}

impl TrendBucket {
    /// An empty bucket sized by `config`.
    pub fn new(config: &TrendConfig) -> Result<Self> {
        Ok(Self {
            posts: 0,
            late: 0,
            duplicates: 0,
            langs: FxHashMap::default(),
            topic_posts: CountMin::new(config.cm_epsilon, config.cm_delta)?,
            topic_authors: CountMin::new(config.cm_epsilon, config.cm_delta)?,
            top: TopK::new(config.topk_capacity)?,
            detail: FxHashMap::default(),
            copied: FxHashMap::default(),
            texts: FxHashMap::default(),
        })
    }

    /// Empties the bucket, keeping the count-min allocations.
    pub fn reset(&mut self) -> Result<()> {
        self.posts = 0;
        self.late = 0;
        self.duplicates = 0;
        self.langs.clear();
        self.topic_posts.clear();
        self.topic_authors.clear();
        self.top = TopK::new(self.top.capacity())?;
        self.detail.clear();
        self.copied.clear();
        self.texts.clear();
        Ok(())
    }

    /// Trims what a closed bucket keeps: each topic's [`MAX_COOCCURRING`] heaviest co-occurring
    /// topics, the [`MAX_COPIED`] most-copied texts, and no text nothing names any more (called
    /// when the bucket closes, and again after a late merge into it: until it closes a merge can
    /// still add to any of them).
    pub fn prune_closed(&mut self) {
        for detail in self.detail.values_mut() {
            keep_heaviest_cooccurring(&mut detail.cooccurring);
        }
        if self.copied.len() > MAX_COPIED {
            let mut by_copies: Vec<(u32, u64)> = self.copied.iter().map(|(&c, &n)| (n, c)).collect();
            let (_, &mut least_kept, _) = by_copies.select_nth_unstable_by(MAX_COPIED - 1, |a, b| b.cmp(a));
            self.copied.retain(|&c, &mut n| (n, c) >= least_kept);
        }
        let named: rustc_hash::FxHashSet<u64> = self
            .detail
            .values()
            .flat_map(|d| d.exemplars.iter().map(|e| e.content))
            .chain(self.copied.keys().copied())
            .collect();
        self.texts.retain(|content, _| named.contains(content));
    }

    /// Distinct authors of topic `hash` in this bucket: the least of three upper bounds — the
    /// authors count-min, the posts count-min, and (for watched topics) the distinct authors plus
    /// the posts counted before the topic was watched. That last term is what stops one account
    /// whose posts were spread over several workers from counting once per worker.
    pub fn authors(&self, hash: u64) -> u64 {
        self.counts(hash).authors
    }

    /// Topic `hash`'s posts and authors in this bucket, each count-min looked up once: what
    /// scoring reads of every bucket of the window (the two count-mins are megabytes each, so
    /// every look-up is a cache miss per row).
    pub fn counts(&self, hash: u64) -> TopicCounts {
        let posts = self.topic_posts.estimate(hash);
        let counted = self.topic_authors.estimate(hash).min(posts);
        match self.detail.get(&hash) {
            Some(d) => {
                let unwatched = posts.saturating_sub(d.posts);
                TopicCounts { posts, authors: counted.min(d.authors_est + unwatched), unwatched }
            }
            None => TopicCounts { posts, authors: counted, unwatched: counted },
        }
    }

    /// Checks that `other` can merge into this bucket: count-mins of the same dimensions, top-k
    /// summaries of the same capacity, authors sketches of the engine's precision. A bucket from an
    /// engine configured differently fails here, before [`Mergeable::merge`] changes anything, so
    /// a refused merge leaves this bucket as it was.
    pub fn check_mergeable(&self, other: &Self) -> pulse_sketch::Result<()> {
        let shape = |c: &CountMin| (c.width(), c.depth());
        for (what, mine, theirs) in
            [("posts", &self.topic_posts, &other.topic_posts), ("authors", &self.topic_authors, &other.topic_authors)]
        {
            if shape(mine) != shape(theirs) {
                return Err(SketchError::Incompatible(format!(
                    "topic {what} count-min {}x{} vs {}x{}",
                    mine.width(),
                    mine.depth(),
                    theirs.width(),
                    theirs.depth()
                )));
            }
        }
        if self.top.capacity() != other.top.capacity() {
            return Err(SketchError::Incompatible(format!(
                "top-k capacity {} vs {}",
                self.top.capacity(),
                other.top.capacity()
            )));
        }
        for d in other.detail.values() {
            if let Some(p) = d.authors.sketch_precision().filter(|&p| p != Hll::DEFAULT_PRECISION) {
                return Err(SketchError::Incompatible(format!(
                    "authors HLL of topic {:?} has precision {p}, not {}",
                    d.key,
                    Hll::DEFAULT_PRECISION
                )));
            }
        }
        Ok(())
    }
}

impl TrendBucket {
    /// Merges what every bucket field but the details and texts holds.
    fn merge_counts(&mut self, o: &Self) -> pulse_sketch::Result<()> {
        self.check_mergeable(o)?;
        self.topic_posts.merge(&o.topic_posts)?;
        self.topic_authors.merge(&o.topic_authors)?;
        self.top.merge(&o.top)?;
        self.posts += o.posts;
        self.late += o.late;
        self.duplicates += o.duplicates;
        for (l, n) in &o.langs {
            *self.langs.entry(l.clone()).or_default() += n;
        }
        for (content, copies) in &o.copied {
            *self.copied.entry(*content).or_default() += copies;
        }
        Ok(())
    }

    /// Adds one topic's detail from another bucket.
    fn merge_detail(&mut self, hash: u64, detail: std::borrow::Cow<'_, TopicDetail>) -> pulse_sketch::Result<()> {
        match self.detail.get_mut(&hash) {
            Some(mine) => mine.merge(&detail)?,
            None => {
                let mut d = detail.into_owned();
                d.refresh();
                self.detail.insert(hash, d);
            }
        }
        Ok(())
    }

    /// Adds one text from another bucket (the earlier post's wins, see [`PostText::precedes`]).
    fn merge_text(&mut self, content: u64, text: std::borrow::Cow<'_, PostText>) {
        match self.texts.get_mut(&content) {
            Some(mine) if text.precedes(mine) => *mine = text.into_owned(),
            Some(_) => {}
            None => {
                self.texts.insert(content, text.into_owned());
            }
        }
    }

    /// Merges `other` and empties its details and texts, moving them instead of copying them: a
    /// worker's flush, whose local bucket is reset right after.
    pub fn absorb(&mut self, other: &mut TrendBucket) -> pulse_sketch::Result<()> {
        self.merge_counts(other)?;
        for (h, d) in other.detail.drain() {
            self.merge_detail(h, std::borrow::Cow::Owned(d))?;
        }
        for (content, text) in other.texts.drain() {
            self.merge_text(content, std::borrow::Cow::Owned(text));
        }
        Ok(())
    }
}

impl Mergeable for TrendBucket {
    fn merge(&mut self, o: &Self) -> pulse_sketch::Result<()> {
        self.merge_counts(o)?;
        for (h, d) in &o.detail {
            self.merge_detail(*h, std::borrow::Cow::Borrowed(d))?;
        }
        for (content, text) in &o.texts {
            self.merge_text(*content, std::borrow::Cow::Borrowed(text));
        }
        Ok(())
    }
}

impl Persist for TrendBucket {
    const KIND: u8 = kind::USER_START;
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_sketch::hash_key;

    fn bucket_with(authors: &[&str], topic: &str, watched: bool) -> TrendBucket {
        let config = TrendConfig::default();
        let mut b = TrendBucket::new(&config).unwrap();
        let h = hash_key(topic);
        let mut d = TopicDetail::new(topic, TopicKind::Hashtag).unwrap();
        for a in authors {
            b.posts += 1;
            b.topic_posts.update(h, 1);
            b.topic_authors.update(h, 1);
            b.top.update(h, topic, 1);
            d.posts += 1;
            d.authors.insert(hash_key(a));
            d.add_sentiment(-0.5);
        }
        d.refresh();
        if watched {
            b.detail.insert(h, d);
        }
        b
    }

    /// Workers do not count their details before merging: the shared side counts, also when the
    /// detail arrives whole into an empty bucket.
    #[test]
    fn a_detail_merged_uncounted_is_counted_by_the_shared_side() {
        let config = TrendConfig::default();
        let h = hash_key("#t");
        let mut local = TrendBucket::new(&config).unwrap();
        let mut d = TopicDetail::new("#t", TopicKind::Hashtag).unwrap();
        for a in ["a", "b", "c"] {
            d.posts += 1;
            d.authors.insert(hash_key(a));
        }
        assert_eq!(d.authors_est, 0);
        local.detail.insert(h, d);
        let mut shared = TrendBucket::new(&config).unwrap();
        shared.merge(&local).unwrap();
        assert_eq!(shared.detail[&h].authors_est, 3);
        shared.merge(&local).unwrap();
        assert_eq!((shared.detail[&h].posts, shared.detail[&h].authors_est), (6, 3));
    }

    /// An open bucket sums co-occurrences exactly, however the posts were split between flushes;
    /// closing it keeps the heaviest, whatever arrived first.
    #[test]
    fn cooccurring_topics_are_summed_while_open_and_the_heaviest_kept_at_close() {
        let config = TrendConfig::default();
        let flush = |pairs: &[(u64, u32)]| {
            let mut local = TrendBucket::new(&config).unwrap();
            let mut d = TopicDetail::new("west", TopicKind::Word).unwrap();
            d.cooccurring.extend(pairs.iter().copied());
            local.detail.insert(hash_key("west"), d);
            local
        };
        // 200 topics, counts 1..=10, split over three flushes, and the same in one.
        let all: Vec<(u64, u32)> = (0..200u64).map(|h| (h, (h % 10) as u32 + 1)).collect();
        let mut split = TrendBucket::new(&config).unwrap();
        for part in [&all[..1], &all[..150], &all[1..]] {
            split.merge(&flush(part)).unwrap();
        }
        split.merge(&flush(&[(0, 1)])).unwrap();
        // Topic 0 came in twice (first and second flush) and once more at the end; the rest twice
        // up to 149, once after.
        let whole: Vec<(u64, u32)> = all
            .iter()
            .map(|&(h, n)| {
                (
                    h,
                    if h == 0 {
                        3 * n
                    } else if h < 150 {
                        2 * n
                    } else {
                        n
                    },
                )
            })
            .collect();
        let mut at_once = TrendBucket::new(&config).unwrap();
        at_once.merge(&flush(&whole)).unwrap();
        let west = hash_key("west");
        assert_eq!(split.detail[&west].cooccurring, at_once.detail[&west].cooccurring);
        assert_eq!(split.detail[&west].cooccurring.len(), 200, "nothing trimmed while open");

        split.prune_closed();
        let kept = &split.detail[&west].cooccurring;
        assert_eq!(kept.len(), MAX_COOCCURRING);
        // Below 150 counts doubled to 2..=20; the 64 heaviest are the 15 twenties, 15 eighteens,
        // 15 sixteens, 15 fourteens and 4 of the twelves (the largest hashes among equals).
        assert!(kept.values().all(|&n| n >= 12), "only the heaviest counts stay: {kept:?}");
        let mut twelves: Vec<u64> = kept.iter().filter(|e| *e.1 == 12).map(|e| *e.0).collect();
        twelves.sort_unstable();
        assert_eq!(twelves, [115, 125, 135, 145]);
    }

    #[test]
    fn hll_caps_authors_counted_once_per_worker() {
        // The same account seen by two workers: each counted it once in its count-min.
        let mut a = bucket_with(&["@loud"], "#spam", true);
        let b = bucket_with(&["@loud"], "#spam", true);
        a.merge(&b).unwrap();
        let h = hash_key("#spam");
        assert_eq!(a.topic_authors.estimate(h), 2);
        assert_eq!(a.authors(h), 1);
        assert_eq!(a.detail[&h].negative, 2);
        // Unwatched: only the count-min bound is available.
        let mut c = bucket_with(&["x", "y"], "#t", false);
        c.merge(&bucket_with(&["z"], "#t", false)).unwrap();
        assert_eq!(c.authors(hash_key("#t")), 3);
    }

    #[test]
    fn a_refused_merge_changes_nothing() {
        let h = hash_key("#t");
        let mut shared = bucket_with(&["a", "b"], "#t", true);
        let before = (shared.posts, shared.topic_posts.estimate(h), shared.top.total(), shared.detail[&h].posts);

        // Same count-mins, smaller top-k: the count-mins must not be merged before the top-k fails.
        let config = TrendConfig { topk_capacity: 64, ..TrendConfig::default() };
        let mut small_top = TrendBucket::new(&config).unwrap();
        small_top.posts = 5;
        small_top.topic_posts.update(h, 5);
        let err = shared.merge(&small_top).unwrap_err();
        assert!(err.to_string().contains("top-k capacity 1024 vs 64"), "{err}");

        // An authors HLL of another precision in one detail.
        let mut other = bucket_with(&["c"], "#t", true);
        other.detail.get_mut(&h).unwrap().authors = Authors::Sketch(Hll::new(12).unwrap());
        let err = shared.merge(&other).unwrap_err();
        assert!(err.to_string().contains("precision 12"), "{err}");

        let after = (shared.posts, shared.topic_posts.estimate(h), shared.top.total(), shared.detail[&h].posts);
        assert_eq!(after, before);
        // The same bucket with a list of authors merges.
        other.detail.get_mut(&h).unwrap().authors = Authors::Exact(vec![hash_key("c")]);
        shared.merge(&other).unwrap();
        assert_eq!((shared.posts, shared.topic_posts.estimate(h)), (3, 3));
    }

    #[test]
    fn a_bucket_round_trips_through_a_blob() {
        let b = bucket_with(&["a", "b", "c"], "#boston", true);
        let back = TrendBucket::from_bytes(&b.to_bytes().unwrap()).unwrap();
        let h = hash_key("#boston");
        assert_eq!((back.posts, back.authors(h)), (3, 3));
        assert_eq!(back.detail[&h].key, "#boston");
        assert!(TrendBucket::from_bytes(&b.to_bytes().unwrap()[..20]).is_err());
    }
}
