//! The engine's de-duplication sets: "has this (topic, author) or (author, content) pair been seen
//! in this bucket?", asked about a dozen times per post.
//!
//! A busy bucket holds millions of pairs, so nearly every question is a cache miss, and that miss
//! was a quarter of the engine's time with `std`'s `HashSet`. This set stores the (already
//! hashed) keys inline in one open-addressed array probed linearly, so a question touches one
//! cache line, and [`SeenSet::touch`] lets the engine start the misses of all a post's topics
//! before it needs their answers (`benches/RESULTS.md`, "trend engine", has the before and after).

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
    pub(crate) fn touch(&self, key: u64) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_sketch::hash_u64;

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
