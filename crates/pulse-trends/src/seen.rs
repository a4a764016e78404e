//! The engine's de-duplication sets: "has this (topic, author) or (author, content) pair been seen
//! in this bucket?", asked about a dozen times per post.
//!
//! A busy bucket holds millions of pairs, so nearly every question is a cache miss, and that miss
//! was a quarter of the engine's time with `std`'s `HashSet`. [`SeenSet`] stores the (already
//! hashed) keys inline in one open-addressed array probed linearly, so a question touches one
//! cache line; [`PairSet`] asks it only about authors seen before in the bucket
//! (measured in `benches/RESULTS.md`, "trend engine").

use std::collections::HashMap;

use pulse_sketch::PassThrough;

/// An insert-only set of 64-bit hashes (values from [`pulse_sketch::hash_u64`] or
/// [`pulse_sketch::hash_key`]: uniformly distributed bits, so they index the table directly).
#[derive(Debug, Clone)]
pub(crate) struct SeenSet {
    /// Keys, 0 marking a free slot (key 0 is stored as 1).
    slots: Vec<u64>,
    mask: usize,
    len: usize,
}

impl SeenSet {
    /// An empty set that holds `capacity` keys before it grows.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let slots = (capacity.max(4) * 2).next_power_of_two();
        Self { slots: vec![0; slots], mask: slots - 1, len: 0 }
    }

    /// Reads the slot where the search for `key` starts, so that its cache line is on its way
    /// while other work runs (the value returned means nothing; fold it into
    /// [`std::hint::black_box`] so the read is not optimised away).
    #[inline]
    fn touch(&self, key: u64) -> u64 {
        self.slots[key as usize & self.mask]
    }

    /// Adds `key`; `true` if it was not in the set.
    #[inline]
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        let key = key.max(1);
        let mut i = key as usize & self.mask;
        loop {
            match self.slots[i] {
                0 => break,
                k if k == key => return false,
                _ => i = (i + 1) & self.mask,
            }
        }
        self.slots[i] = key;
        self.len += 1;
        // Keep the load at most ½: linear probing stays at ~1.5 probes per question.
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    /// Number of keys held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Forgets every key, keeping the allocation (the next bucket is usually as busy).
    pub(crate) fn clear(&mut self) {
        self.slots.fill(0);
        self.len = 0;
    }

    /// The keys held, in no particular order (a key 0 reads as 1, as it is stored).
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().copied().filter(|&k| k != 0)
    }

    /// A set holding `keys`.
    pub(crate) fn from_keys(keys: &[u64]) -> Self {
        let mut set = Self::with_capacity(keys.len());
        for &key in keys {
            set.insert(key);
        }
        set
    }

    #[cold]
    fn grow(&mut self) {
        let doubled = vec![0; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.mask = self.slots.len() - 1;
        for key in old.into_iter().filter(|&k| k != 0) {
            let mut i = key as usize & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = key;
        }
    }
}

/// The `(topic, author)` pairs a worker has seen in one bucket, asked once per post with all the
/// post's pairs.
///
/// Most authors post once in a bucket, and all the pairs of an author's first post are new.
/// So the pairs of a first post only go to a list kept in post order (sequential writes, no cache
/// misses), under an entry for the author in a small table. Only when the author posts again are
/// those pairs moved into the [`SeenSet`] of pairs, which is then asked as before. A post thus
/// costs one look-up in the author table, which stays in cache, instead of one likely cache miss
/// per topic in the pair set (the pair set holds a dozen pairs for each post).
#[derive(Debug)]
pub(crate) struct PairSet {
    /// Pairs of the authors seen more than once.
    pairs: SeenSet,
    /// Per author: where its first post's pairs are in `first_pairs`, or [`MOVED`] once they are
    /// in `pairs`.
    authors: HashMap<u64, (u32, u32), PassThrough>,
    /// The pairs of each author's first post, one post after the other.
    first_pairs: Vec<u64>,
}

/// The `authors` entry of an author whose first pairs are in the pair set.
const MOVED: (u32, u32) = (u32::MAX, 0);

/// Pairs of a first post kept in the list at most: a post's topics are checked against each
/// other for repeats there, which is quadratic, so a post with more topics (a long text can have
/// thousands) goes straight to the pair set.
const MAX_LISTED_PAIRS: usize = 32;

impl PairSet {
    /// An empty set that holds `capacity` pairs before its pair set grows.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { pairs: SeenSet::with_capacity(capacity), authors: HashMap::default(), first_pairs: Vec::new() }
    }

    /// Adds the pairs `keys` of one post by `author` (keys from the author and each topic) and
    /// sets `new[i]` to whether `keys[i]` was not in the set before.
    pub(crate) fn insert_post(&mut self, author: u64, keys: &[u64], new: &mut Vec<bool>) {
        new.clear();
        match self.authors.get_mut(&author) {
            None => match u32::try_from(self.first_pairs.len()) {
                // The author's first post: every pair is new, except a topic listed twice.
                Ok(at) if at != u32::MAX && keys.len() <= MAX_LISTED_PAIRS => {
                    for (i, &key) in keys.iter().enumerate() {
                        new.push(!keys[..i].contains(&key));
                    }
                    self.first_pairs.extend_from_slice(keys);
                    self.authors.insert(author, (at, keys.len() as u32));
                }
                // A post with many topics, or past 4 billion listed pairs in one bucket: straight
                // to the pair set.
                _ => {
                    new.extend(keys.iter().map(|&key| self.pairs.insert(key)));
                    self.authors.insert(author, MOVED);
                }
            },
            Some(entry) => {
                if *entry != MOVED {
                    let (at, len) = (entry.0 as usize, entry.1 as usize);
                    *entry = MOVED;
                    for &key in &self.first_pairs[at..at + len] {
                        self.pairs.insert(key);
                    }
                }
                // Start the cache misses of all the post's pairs before waiting on any of them.
                let touched = keys.iter().fold(0, |t, &key| t ^ self.pairs.touch(key));
                std::hint::black_box(touched);
                new.extend(keys.iter().map(|&key| self.pairs.insert(key)));
            }
        }
    }

    /// The authors seen and every pair, in no particular order.
    pub(crate) fn keys(&self) -> (Vec<u64>, Vec<u64>) {
        let authors = self.authors.keys().copied().collect();
        let mut pairs: Vec<u64> = self.pairs.keys().collect();
        pairs.extend_from_slice(&self.first_pairs);
        (authors, pairs)
    }

    /// A set that answers as one that saw `authors` post `pairs`: every author counts as seen
    /// before (its pairs asked of the pair set), which gives the same answers as the list.
    pub(crate) fn from_keys(authors: &[u64], pairs: &[u64]) -> Self {
        Self {
            pairs: SeenSet::from_keys(pairs),
            authors: authors.iter().map(|&a| (a, MOVED)).collect(),
            first_pairs: Vec::new(),
        }
    }

    /// Forgets every pair, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.pairs.clear();
        self.authors.clear();
        self.first_pairs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_sketch::hash_u64;

    #[test]
    fn pair_set_answers_like_a_hash_set_of_pairs() {
        let mut set = PairSet::with_capacity(4);
        let mut truth = std::collections::HashSet::new();
        let mut new = Vec::new();
        // 30,000 posts by 5,000 authors (a few post often), 1–6 topics from 200, some listed twice.
        let mut seed = 7u64;
        for _ in 0..2 {
            for _ in 0..30_000 {
                seed = hash_u64(seed);
                let author = hash_u64(if seed.is_multiple_of(10) { seed % 7 } else { seed % 5_000 });
                // Now and then a post with more topics than the list takes.
                let topics = if seed.is_multiple_of(97) { 2 * MAX_LISTED_PAIRS as u64 } else { 1 + seed % 6 };
                let keys: Vec<u64> = (0..topics).map(|t| hash_u64((hash_u64(seed ^ t) % 200) ^ author)).collect();
                set.insert_post(author, &keys, &mut new);
                let expected: Vec<bool> = keys.iter().map(|&k| truth.insert(k)).collect();
                assert_eq!(new, expected, "author {author:x}, keys {keys:x?}");
            }
            assert!(set.authors.values().any(|&e| e == MOVED) && set.authors.values().any(|&e| e != MOVED));
            // A cleared set forgets everything, and is used again the same way.
            set.clear();
            truth.clear();
        }
    }

    #[test]
    fn answers_like_a_hash_set_through_growth_and_clear() {
        let mut seen = SeenSet::with_capacity(4);
        let mut truth = std::collections::HashSet::new();
        // Repeats (every third key comes back) and key 0, through several doublings.
        for i in 0..20_000u64 {
            let key = if i % 3 == 0 { hash_u64(i / 3) } else { hash_u64(i) };
            let key = if i == 7 { 0 } else { key };
            assert_eq!(seen.insert(key), truth.insert(key), "key #{i}");
        }
        assert_eq!(seen.len(), truth.len());
        assert!(!seen.insert(0), "0 was stored");
        let slots = seen.slots.len();
        seen.clear();
        assert_eq!((seen.len(), seen.slots.len()), (0, slots));
        assert!(seen.insert(hash_u64(1)), "cleared sets forget");
    }
}
