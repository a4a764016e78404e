//! Bit operations on eight bytes at once ("SIMD within a register"), shared by VADER's token
//! scan, the tokenizer's one-word path and the stopword keys: a short word is found, classified
//! and lower-cased from one 64-bit word instead of a loop over its bytes, whose exit depends on
//! the word's length and so is a branch the predictor cannot learn (`benches/RESULTS.md`).
//!
//! A word holds bytes little-endian (byte `i` of the text in bits `8i..8i+8`); a *mask* has bit 7
//! of each selected byte set.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// Bit 7 of every byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The mask of the bytes of `w7` that are ≥ `c` (`c` ≤ 0x80). `w7` must have bit 7 clear in every
/// byte: adding 0x80 − c to a 7-bit byte sets its bit 7 exactly when it is ≥ c, and never carries
/// into the next byte.
#[inline(always)]
pub(crate) fn at_least(w7: u64, c: u8) -> u64 {
    debug_assert!(c <= 0x80 && w7 & HIGH == 0);
    (w7 + ONES * u64::from(0x80 - c)) & HIGH
}

/// The mask of the bytes of `w7` in `lo..=hi` (`hi` < 0x80; `w7` as for [`at_least`]).
#[inline(always)]
pub(crate) fn between(w7: u64, lo: u8, hi: u8) -> u64 {
    at_least(w7, lo) & !at_least(w7, hi + 1)
}

/// The first `len` (1–8) bytes of a word, as a bit mask of whole bytes.
#[inline(always)]
pub(crate) fn first_bytes(len: usize) -> u64 {
    debug_assert!((1..=8).contains(&len));
    u64::MAX >> (64 - 8 * len)
}

/// Bit 7 of each of the first `len` (1–8) bytes of a word.
#[inline(always)]
pub(crate) fn first_high_bits(len: usize) -> u64 {
    debug_assert!((1..=8).contains(&len));
    HIGH >> (64 - 8 * len)
}

/// The eight bytes of `bytes` from `start` as one word, the bytes past the end read as `pad`.
#[inline]
pub(crate) fn window(bytes: &[u8], start: usize, pad: u8) -> u64 {
    let rest = &bytes[start..];
    match rest.first_chunk::<8>() {
        Some(window) => u64::from_le_bytes(*window),
        None => {
            let mut window = [pad; 8];
            window[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(window)
        }
    }
}

/// The ASCII bytes `bytes[start..start + len]` (1–8 of them) lower-cased, zeros above: read as one
/// word from the text around them, without copying them or looking at them one by one.
#[inline]
pub(crate) fn ascii_lower(bytes: &[u8], start: usize, len: usize) -> u64 {
    debug_assert!(bytes[start..start + len].is_ascii());
    let w = window(bytes, start, 0) & first_bytes(len);
    // `A`–`Z` gain the case bit 0x20: bit 7 of their mask shifted down by two.
    w | between(w, b'A', b'Z') >> 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_windows() {
        let w = u64::from_le_bytes(*b"aZ09 ~\x7f!");
        assert_eq!(between(w, b'A', b'Z'), 0x80 << 8);
        assert_eq!(between(w, b'0', b'9'), 0x8080 << 16);
        assert_eq!(at_least(w, 0x7f), 0x80 << 48);
        assert_eq!(at_least(w, 0x80), 0);
        assert_eq!(first_bytes(3), 0xff_ffff);
        assert_eq!(first_bytes(8), u64::MAX);
        assert_eq!(first_high_bits(2), 0x8080);
        assert_eq!(window(b"ab", 0, b' '), u64::from_le_bytes(*b"ab      "));
        assert_eq!(window(b"xyzabcdefgh", 3, 0), u64::from_le_bytes(*b"abcdefgh"));
        // Lower-cased in place: inside a text, at its end, in a text shorter than a word.
        let text = b"Hello WORLD of ZeBrAs";
        for (start, len) in [(0, 5), (6, 5), (12, 2), (15, 6), (20, 1)] {
            let mut lower = [0u8; 8];
            lower[..len].copy_from_slice(&text[start..start + len].to_ascii_lowercase());
            assert_eq!(ascii_lower(text, start, len), u64::from_le_bytes(lower), "{start} {len}");
        }
        assert_eq!(ascii_lower(b"a@Z[`z{", 0, 7), u64::from_le_bytes(*b"a@z[`z{\0"));
    }
}
