//! Stable 64-bit key hashing.
//!
//! Every key is hashed once, at the edge, with XXH3-64 and a fixed seed. The result is identical on
//! every process, machine and architecture (XXH3 is defined on little-endian byte sequences), which
//! is what makes sketches built on different machines mergeable: a count-min cell or an HLL register
//! means the same thing everywhere only if the same key lands in it everywhere. Never change
//! [`HASH_SEED`]: stored checkpoints and rollups would silently stop merging with new ones.

use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The fixed XXH3 seed of all Pulse key hashes ("pulse" in ASCII, then a format number).
pub const HASH_SEED: u64 = 0x7075_6c73_6500_0001;

/// Hashes a string key (a topic, a word, an author id) to the stable 64-bit key all sketches take.
///
/// ```
/// use pulse_sketch::hash_key;
/// assert_eq!(hash_key("boston"), hash_key("boston"));
/// assert_ne!(hash_key("boston"), hash_key("Boston"));
/// ```
#[inline]
pub fn hash_key(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// Hashes raw bytes with the same function as [`hash_key`].
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    xxh3_64_with_seed(bytes, HASH_SEED)
}

/// Hashes an integer key (a numeric author or post id) through its 8 little-endian bytes.
///
/// Integer ids are not well mixed (they are sequential or snowflakes); every sketch here needs
/// uniformly distributed bits, so ids go through this instead of being used as keys directly.
#[inline]
pub fn hash_u64(key: u64) -> u64 {
    hash_bytes(&key.to_le_bytes())
}

/// Passes an already-hashed `u64` through unchanged: the HLL then sees the stable [`hash_key`] value
/// (identical on every machine), and hash sets of key hashes skip a second hash.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PassThrough;

/// The [`Hasher`] of [`PassThrough`]: remembers the last `u64` written.
#[derive(Clone, Copy, Debug, Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are ever inserted; fold anything else rather than ignore it.
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;

    #[inline]
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_pinned_across_versions_and_machines() {
        // Golden value, cross-checked against the C reference xxHash (Python `xxhash` 3.x:
        // `xxh3_64_intdigest(b"boston", seed=0x7075_6c73_6500_0001)`). If it changes, stored
        // sketches no longer merge with new ones.
        assert_eq!(hash_key("boston"), 0xe6ff_afba_50d2_9f05);
        assert_eq!(hash_key("boston"), xxh3_64_with_seed(b"boston", HASH_SEED));
    }

    #[test]
    fn integer_keys_are_mixed() {
        // Sequential ids must not land in sequential low bits.
        let low: std::collections::HashSet<u64> = (0..64u64).map(|i| hash_u64(i) & 63).collect();
        assert!(low.len() > 30, "only {} distinct low-6-bit values", low.len());
        assert_eq!(hash_u64(7), hash_bytes(&7u64.to_le_bytes()));
    }
}
