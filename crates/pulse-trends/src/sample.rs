//! [`PostSample`]: a bottom-k sample of a topic's posts in a bucket, each with its sentiment class.
//!
//! A story is several topics, and most of its posts carry more than one of them, so its posts and
//! its sentiment cannot be summed from its topics' counts without counting those posts twice.
//! Keeping, per topic and bucket, the [`SAMPLE_SIZE`] posts whose id hashes are smallest solves
//! both: the smallest hashes of a union are the smallest among the members' samples, so the union
//! of a story's samples is a uniform sample of the story's distinct posts. Its size gives their
//! number (exactly while no member's sample is full, else the KMV estimate
//! `(k − 1) / h₍ₖ₎` with a relative standard error of about `1/√(k − 2)`), and its sentiment gives
//! the shares and the mean over the same posts. Samples merge by the same rule, so workers and
//! rollups combine.

use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// Posts kept per topic and bucket: exact below it; above, counts within about 9 % and shares
/// within about 4.4 points (one standard error).
pub const SAMPLE_SIZE: usize = 128;

/// A post's sentiment class, in the low two bits of its sample key (the next eight hold its
/// compound score, quantized to 1/127: the class is kept exact at the ±0.05 boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentimentClass {
    /// Not scored (not English, or no text).
    Unscored = 0,
    /// Compound ≤ −0.05.
    Negative = 1,
    /// In between.
    Neutral = 2,
    /// Compound ≥ 0.05.
    Positive = 3,
}

impl SentimentClass {
    /// VADER's ±0.05 classes.
    pub fn of(compound: Option<f32>) -> Self {
        match compound {
            None => Self::Unscored,
            Some(c) if c >= 0.05 => Self::Positive,
            Some(c) if c <= -0.05 => Self::Negative,
            Some(_) => Self::Neutral,
        }
    }

    fn from_key(bits: u64) -> Self {
        match bits & 3 {
            1 => Self::Negative,
            2 => Self::Neutral,
            3 => Self::Positive,
            _ => Self::Unscored,
        }
    }
}

/// The posts of one topic in one bucket with the smallest id hashes, at most [`SAMPLE_SIZE`].
/// Each key is the post's hash with its ten low bits replaced by its sentiment.
///
/// The keys are kept as a max-heap, so that offering a post to a full sample costs a comparison
/// with the largest, and keeping it a logarithmic sift.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PostSample {
    keys: BinaryHeap<u64>,
}

/// The low bits of a key that hold the post's sentiment rather than its hash.
const SENTIMENT_BITS: u64 = 0x3FF;

fn key(post_hash: u64, compound: Option<f32>) -> u64 {
    let quantized = compound.map_or(0, |c| ((c.clamp(-1.0, 1.0) * 127.0).round() as i64 + 128) as u64);
    (post_hash & !SENTIMENT_BITS) | (quantized << 2) | SentimentClass::of(compound) as u64
}

/// The compound score a key holds, if the post was scored.
fn compound(key: u64) -> Option<f64> {
    let quantized = (key & SENTIMENT_BITS) >> 2;
    (quantized != 0).then(|| (quantized as f64 - 128.0) / 127.0)
}

impl PostSample {
    /// Offers one post with its compound sentiment (`None`: not scored).
    #[inline]
    pub fn insert(&mut self, post_hash: u64, compound: Option<f32>) {
        self.offer(key(post_hash, compound));
    }

    #[inline]
    fn offer(&mut self, key: u64) {
        if self.keys.len() < SAMPLE_SIZE {
            self.keys.push(key);
        } else if let Some(mut largest) = self.keys.peek_mut()
            && key < *largest
        {
            // Full: the new post stays only if it is below the largest kept (rare once the
            // sample holds many: the chance is SAMPLE_SIZE / posts seen).
            *largest = key;
        }
    }

    /// Whether posts were left out (the sample is full).
    pub fn is_full(&self) -> bool {
        self.keys.len() >= SAMPLE_SIZE
    }

    /// Merges `other`: each of its posts is offered (a full sample compares it with its largest
    /// key only, so merging a worker's small sample into a full one costs a comparison per post).
    /// A post is counted by one worker, once per topic and bucket, so two samples of a topic's
    /// bucket never hold the same post; [`PostSample::union`] counts each post once anyway.
    pub fn merge(&mut self, other: &PostSample) {
        for &key in other.keys.iter() {
            self.offer(key);
        }
    }

    /// The distinct posts of the union of `samples` and their sentiment classes.
    pub fn union<'a>(samples: impl IntoIterator<Item = &'a PostSample>) -> UnionSample {
        let mut keys = Vec::new();
        let mut saturated = false;
        for s in samples {
            keys.extend(s.keys.iter().copied());
            saturated |= s.is_full();
        }
        keys.sort_unstable();
        keys.dedup_by_key(|k| *k & !SENTIMENT_BITS);
        let posts = if saturated && keys.len() >= SAMPLE_SIZE {
            keys.truncate(SAMPLE_SIZE);
            let kth = (keys[SAMPLE_SIZE - 1] | SENTIMENT_BITS) as f64 / u64::MAX as f64;
            ((SAMPLE_SIZE - 1) as f64 / kth.max(f64::MIN_POSITIVE)).round() as u64
        } else {
            keys.len() as u64
        };
        let mut classes = [0u64; 4];
        let mut sum = 0.0;
        for k in &keys {
            classes[SentimentClass::from_key(*k) as usize] += 1;
            sum += compound(*k).unwrap_or(0.0);
        }
        UnionSample { posts, exact: !saturated, sampled: keys.len() as u64, classes, compound_sum: sum }
    }
}

/// What [`PostSample::union`] tells about a set of topics' posts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnionSample {
    /// Distinct posts (exact when `exact`, else the KMV estimate).
    pub posts: u64,
    /// Whether `posts` is exact.
    pub exact: bool,
    /// Posts in the sample.
    pub sampled: u64,
    /// Sampled posts per [`SentimentClass`] (indexed by its value).
    pub classes: [u64; 4],
    /// Sum of the scored sampled posts' compound scores.
    pub compound_sum: f64,
}

impl UnionSample {
    /// Sampled posts of `class`.
    pub fn count(&self, class: SentimentClass) -> u64 {
        self.classes[class as usize]
    }

    /// Sampled posts that were scored.
    pub fn scored(&self) -> u64 {
        self.sampled - self.count(SentimentClass::Unscored)
    }
}

#[cfg(test)]
mod tests {
    use pulse_sketch::hash_u64;

    use super::*;

    fn sample(posts: impl Iterator<Item = u64>, compound: f32) -> PostSample {
        let mut s = PostSample::default();
        for p in posts {
            s.insert(hash_u64(p), Some(compound));
        }
        s
    }

    #[test]
    fn small_unions_are_exact_and_count_shared_posts_once() {
        let a = sample(0..50, -0.5);
        let b = sample(30..90, -0.5);
        let u = PostSample::union([&a, &b]);
        assert_eq!((u.posts, u.exact, u.sampled), (90, true, 90));
        assert_eq!((u.count(SentimentClass::Negative), u.scored()), (90, 90));
        assert!((u.compound_sum / 90.0 + 0.5).abs() < 0.005, "{}", u.compound_sum);
    }

    #[test]
    fn large_unions_are_estimated_within_the_stated_error_with_shares_from_the_same_posts() {
        // Two topics of 20,000 posts sharing 10,000: 30,000 distinct; a third of them positive.
        let mut a = PostSample::default();
        let mut b = PostSample::default();
        for p in 0..30_000u64 {
            let compound = if p % 3 == 0 { 0.6 } else { -0.4 };
            if p < 20_000 {
                a.insert(hash_u64(p), Some(compound));
            }
            if p >= 10_000 {
                b.insert(hash_u64(p), Some(compound));
            }
        }
        let u = PostSample::union([&a, &b]);
        assert!(!u.exact && u.sampled == SAMPLE_SIZE as u64);
        let error = (u.posts as f64 - 30_000.0).abs() / 30_000.0;
        assert!(error < 3.0 / (SAMPLE_SIZE as f64 - 2.0).sqrt(), "{} posts", u.posts);
        let positive = u.count(SentimentClass::Positive) as f64 / u.sampled as f64;
        assert!((positive - 1.0 / 3.0).abs() < 0.15, "{positive}");
    }

    #[test]
    fn merging_keeps_the_smallest_hashes_whatever_the_order() {
        // Two workers' samples of one topic's bucket: disjoint posts.
        let a = sample(0..200, 0.0);
        let b = sample(200..400, 0.0);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.sorted(), ba.sorted());
        assert_eq!(ab.sorted(), sample(0..400, 0.0).sorted());
        // Below the size, a merge keeps everything.
        let mut small = sample(0..10, 0.0);
        small.merge(&sample(10..20, 0.0));
        assert_eq!(small.sorted(), sample(0..20, 0.0).sorted());
    }

    #[test]
    fn the_class_is_exact_at_the_boundaries_and_the_score_within_a_quantum() {
        for (score, class) in
            [(0.05, SentimentClass::Positive), (0.049, SentimentClass::Neutral), (-0.05, SentimentClass::Negative)]
        {
            let k = key(12345 << 10, Some(score));
            assert_eq!(SentimentClass::from_key(k), class, "{score}");
            assert!((compound(k).unwrap() - f64::from(score)).abs() <= 0.5 / 127.0 + 1e-6);
        }
        assert_eq!(
            (SentimentClass::from_key(key(7 << 10, None)), compound(key(7 << 10, None))),
            (SentimentClass::Unscored, None)
        );
    }

    impl PostSample {
        fn sorted(&self) -> Vec<u64> {
            self.keys.clone().into_sorted_vec()
        }
    }
}
