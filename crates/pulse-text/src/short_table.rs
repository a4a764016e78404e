//! [`ShortTable`]: a branch-free look-up table for words of at most 8 bytes.
//!
//! Most tokens of social text are short, and whether a token is in a lexicon or a stopword list
//! is data: a hash map that probes in a loop ends that loop with a branch the predictor cannot
//! learn. Both VADER's lexicon and the stopword table answer short words from this table instead
//! (measured in `benches/RESULTS.md`, text analysis).

/// Values of words of 1–8 bytes, keyed by the word's bytes as one little-endian `u64`
/// ([`ShortTable::key`]; zero-padded, and a word has no zero byte, so the padding cannot be
/// confused with the word). Values are non-zero `u32`s: 0 answers "not in the table".
///
/// A cuckoo table: every word sits in one of two places, one per half, each chosen by a
/// multiplicative hash. A look-up reads both places (a cache line each), compares both keys and
/// keeps the value that matches with selects, never a branch.
#[derive(Debug, Clone)]
pub(crate) struct ShortTable {
    /// Both halves, one after the other: `(key, value)`, key 0 for a free slot.
    slots: Vec<(u64, u32)>,
    multipliers: [u64; 2],
    /// Slots per half, as a power of two.
    log2_half: u32,
}

impl ShortTable {
    /// The table of `words` (`(key, value)`, keys from [`ShortTable::key`], values non-zero; a
    /// later value of a key replaces an earlier one).
    ///
    /// Each half has at least 1.5 slots per word, so the table is at most a third full, where
    /// cuckoo insertion practically never fails; and no larger, because every look-up reads two
    /// places anywhere in it: a small table stays in cache (a 256 KiB table for the 2,172 short
    /// stopwords made its reads a quarter of the tokenizer's time; sized so, it is 128 KiB).
    pub(crate) fn new(words: &[(u64, u32)]) -> ShortTable {
        // Multiplier pairs from a fixed sequence until every word finds a place (the first pair
        // does, in practice): the table is the same on every run.
        // After 16 failed pairs the table doubles, so building always ends.
        let mut log2_half = (words.len() + words.len() / 2).max(16).next_power_of_two().trailing_zeros();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut failed = 0;
        loop {
            let m0 = pulse_sketch::hash_u64(seed) | 1;
            let m1 = pulse_sketch::hash_u64(m0) | 1;
            let mut table = ShortTable { slots: vec![(0, 0); 2 << log2_half], multipliers: [m0, m1], log2_half };
            if words.iter().all(|&(key, value)| table.insert(key, value)) {
                return table;
            }
            seed = seed.wrapping_add(1);
            failed += 1;
            if failed % 16 == 0 {
                log2_half += 1;
            }
        }
    }

    /// The key of `word`: its bytes as a little-endian `u64`, when it has 1–8 bytes and none is
    /// zero.
    pub(crate) fn key(word: &[u8]) -> Option<u64> {
        if word.is_empty() || word.len() > 8 || word.contains(&0) {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes[..word.len()].copy_from_slice(word);
        Some(u64::from_le_bytes(bytes))
    }

    /// The slot of `key` in half `half` (0 or 1).
    #[inline]
    fn slot(&self, key: u64, half: usize) -> usize {
        (half << self.log2_half) | (key.wrapping_mul(self.multipliers[half]) >> (64 - self.log2_half)) as usize
    }

    /// Places `key`, moving the words in its way to their other place; `false` when that goes on
    /// too long (then the table is built again with other hashes).
    fn insert(&mut self, key: u64, value: u32) -> bool {
        debug_assert!(key != 0 && value != 0);
        for half in 0..2 {
            let at = self.slot(key, half);
            if self.slots[at].0 == key {
                self.slots[at].1 = value;
                return true;
            }
        }
        let mut item = (key, value);
        let mut half = 0;
        for _ in 0..512 {
            let at = self.slot(item.0, half);
            item = std::mem::replace(&mut self.slots[at], item);
            if item.0 == 0 {
                return true;
            }
            half ^= 1;
        }
        false
    }

    /// The value of `key` (from [`ShortTable::key`], or any word of 1–8 non-zero bytes and zeros
    /// above, e.g. from `swar::ascii_lower`), or 0 when it is not in the table.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> u32 {
        let (k0, v0) = self.slots[self.slot(key, 0)];
        let (k1, v1) = self.slots[self.slot(key, 1)];
        // Selects, not branches: where the word is, if anywhere, is data.
        std::hint::select_unpredictable(k0 == key, v0, 0) | std::hint::select_unpredictable(k1 == key, v1, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_a_map() {
        let mut words = std::collections::HashMap::new();
        let mut pairs = Vec::new();
        // 6,000 words of 1–8 hex digits, values 1..; the short ones repeat, and a later value
        // replaces an earlier one, as in the map.
        for i in 0..6_000u64 {
            let word: Vec<u8> = format!("{:x}", pulse_sketch::hash_u64(i)).bytes().take(1 + (i % 8) as usize).collect();
            let key = ShortTable::key(&word).unwrap();
            let value = i as u32 + 1;
            words.insert(key, value);
            pairs.push((key, value));
        }
        let table = ShortTable::new(&pairs);
        for (&key, &value) in &words {
            assert_eq!(table.get(key), value);
        }
        for miss in [&b"zz"[..], b"ghijklmn", b"q"] {
            assert_eq!(table.get(ShortTable::key(miss).unwrap()), 0, "{miss:?}");
        }
        assert_eq!(ShortTable::key(b""), None);
        assert_eq!(ShortTable::key(b"ninechars"), None);
        assert_eq!(ShortTable::key(b"a\0"), None);
    }
}
