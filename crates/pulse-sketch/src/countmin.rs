//! Count-min sketch with conservative update over pre-hashed keys.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::{Persist, invalid, kind};
use crate::error::{Result, SketchError};
use crate::merge::Mergeable;

/// Deepest sketch supported (δ ≥ e⁻¹⁶ ≈ 1.1·10⁻⁷).
pub const MAX_DEPTH: usize = 16;
/// Widest row supported, as a power of two (2²⁶ cells per row).
pub const MAX_LOG2_WIDTH: u8 = 26;

/// How [`CountMin::update`] changes the cells of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateRule {
    /// Conservative update (Estan & Varghese): raise each of the key's cells only up to the new
    /// estimate `min + count`. Same upper-bound guarantee, far smaller error on skewed streams.
    /// The sketch is no longer linear: `merge(A, B)` is an upper bound but usually larger than the
    /// conservative sketch of `A ∪ B`.
    Conservative,
    /// Classic count-min: add the count to every cell. Linear, so `merge(A, B)` equals the sketch
    /// of `A ∪ B` cell for cell.
    Standard,
}

/// A count-min sketch of `u64` counts keyed by pre-hashed `u64` keys (see [`crate::hash_key`]).
///
/// Sized from (ε, δ): width `w = 2^⌈log₂(e/ε)⌉` cells per row, depth `d = ⌈ln(1/δ)⌉` rows. For a
/// stream of total weight `N`, [`CountMin::estimate`] never underestimates, and overestimates by
/// more than `ε·N` with probability at most `δ` per key (Cormode & Muthukrishnan 2005);
/// [`CountMin::epsilon`] is the ε actually achieved by the power-of-two width (≤ the one asked).
///
/// Rows are indexed by double hashing of the one 64-bit key hash (`h₁ + i·h₂ mod w`, Kirsch &
/// Mitzenmacher 2006), so no key is hashed more than once.
///
/// **Merge** adds cells. For [`UpdateRule::Standard`] the result is exactly the sketch of the
/// union. For [`UpdateRule::Conservative`] every cell of the sum is still ≥ the summed true count
/// of every key mapped to it (so estimates stay upper bounds) and ≤ the cell a standard sketch of
/// the union would hold (so the ε·(N_A + N_B) bound with probability 1 − δ still holds), but part
/// of the conservative-update advantage is lost: the merged sketch can overestimate more than a
/// conservative sketch fed the union directly. Later conservative updates on a merged sketch stay
/// correct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountMin {
    log2_width: u8,
    depth: u8,
    rule: UpdateRule,
    total: u64,
    /// `depth` rows of `2^log2_width` cells, row-major.
    cells: Vec<u64>,
}

impl CountMin {
    /// A conservative-update sketch with error ≤ `epsilon`·N with probability ≥ 1 − `delta`.
    ///
    /// Both must be in (0, 1). Example: ε = 0.001, δ = 0.01 gives 5 rows of 4096 cells (160 KiB).
    pub fn new(epsilon: f64, delta: f64) -> Result<Self> {
        Self::with_rule(epsilon, delta, UpdateRule::Conservative)
    }

    /// Like [`CountMin::new`] with an explicit [`UpdateRule`].
    pub fn with_rule(epsilon: f64, delta: f64, rule: UpdateRule) -> Result<Self> {
        if !(epsilon > 0.0 && epsilon < 1.0 && delta > 0.0 && delta < 1.0) {
            return Err(SketchError::InvalidParameters(format!(
                "count-min needs 0 < epsilon < 1 and 0 < delta < 1, got epsilon={epsilon}, delta={delta}"
            )));
        }
        let width = (std::f64::consts::E / epsilon).ceil();
        let log2_width = width.log2().ceil().max(1.0);
        let depth = (1.0 / delta).ln().ceil().max(1.0);
        if log2_width > f64::from(MAX_LOG2_WIDTH) || depth > MAX_DEPTH as f64 {
            return Err(SketchError::InvalidParameters(format!(
                "count-min for epsilon={epsilon}, delta={delta} needs 2^{log2_width} x {depth} cells; \
                 the limit is 2^{MAX_LOG2_WIDTH} x {MAX_DEPTH}"
            )));
        }
        Self::with_dimensions(log2_width as u8, depth as u8, rule)
    }

    /// A sketch of `depth` rows of `2^log2_width` cells.
    pub fn with_dimensions(log2_width: u8, depth: u8, rule: UpdateRule) -> Result<Self> {
        if !(1..=MAX_LOG2_WIDTH).contains(&log2_width) || !(1..=MAX_DEPTH as u8).contains(&depth) {
            return Err(SketchError::InvalidParameters(format!(
                "count-min dimensions 2^{log2_width} x {depth} outside 2^1..=2^{MAX_LOG2_WIDTH} x 1..={MAX_DEPTH}"
            )));
        }
        Ok(Self { log2_width, depth, rule, total: 0, cells: vec![0; usize::from(depth) << log2_width] })
    }

    /// Cells per row.
    pub fn width(&self) -> usize {
        1 << self.log2_width
    }

    /// Number of rows.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// The update rule.
    pub fn rule(&self) -> UpdateRule {
        self.rule
    }

    /// The relative error ε = e / width achieved by this sketch's width.
    pub fn epsilon(&self) -> f64 {
        std::f64::consts::E / self.width() as f64
    }

    /// The per-key failure probability δ = e^(−depth).
    pub fn delta(&self) -> f64 {
        (-f64::from(self.depth)).exp()
    }

    /// Total weight `N` of all updates (and merged sketches).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The additive error bound ⌈ε·N⌉: with probability ≥ 1 − δ a key's estimate exceeds its true
    /// count by at most this.
    pub fn error_bound(&self) -> u64 {
        (self.epsilon() * self.total as f64).ceil() as u64
    }

    /// Heap bytes held by the cells.
    pub fn memory_bytes(&self) -> usize {
        self.cells.len() * size_of::<u64>()
    }

    /// Adds `count` occurrences of the key with hash `hash`; returns the key's new estimate.
    #[inline]
    pub fn update(&mut self, hash: u64, count: u64) -> u64 {
        // The usual depths get a copy of the loop with the depth a constant (unrolled, no loop
        // branches, no zeroing of unused slots): the update is the trend engine's most frequent
        // operation (`benches/RESULTS.md`, trend engine).
        match self.depth {
            5 => self.update_rows(5, hash, count),
            7 => self.update_rows(7, hash, count),
            depth => self.update_rows(usize::from(depth), hash, count),
        }
    }

    #[inline(always)]
    fn update_rows(&mut self, depth: usize, hash: u64, count: u64) -> u64 {
        self.total = self.total.saturating_add(count);
        let (h1, h2) = split(hash);
        let mask = (1u64 << self.log2_width) - 1;
        let mut idx = [0usize; MAX_DEPTH];
        let mut min = u64::MAX;
        for (row, slot) in idx.iter_mut().enumerate().take(depth) {
            let i = (row << self.log2_width) | (h1.wrapping_add(row as u64 * h2) & mask) as usize;
            *slot = i;
            min = min.min(self.cells[i]);
        }
        let target = min.saturating_add(count);
        match self.rule {
            UpdateRule::Conservative => {
                for &i in &idx[..depth] {
                    let c = &mut self.cells[i];
                    *c = (*c).max(target);
                }
            }
            UpdateRule::Standard => {
                for &i in &idx[..depth] {
                    self.cells[i] = self.cells[i].saturating_add(count);
                }
            }
        }
        target
    }

    /// Estimated count of the key with hash `hash`: never below the true count, above it by more
    /// than [`CountMin::error_bound`] with probability at most δ.
    #[inline]
    pub fn estimate(&self, hash: u64) -> u64 {
        let (h1, h2) = split(hash);
        let mask = (1u64 << self.log2_width) - 1;
        (0..self.depth())
            .map(|row| self.cells[(row << self.log2_width) | (h1.wrapping_add(row as u64 * h2) & mask) as usize])
            .min()
            .unwrap_or(0)
    }

    /// Resets every cell to zero, keeping the allocation.
    pub fn clear(&mut self) {
        self.cells.fill(0);
        self.total = 0;
    }
}

/// The two halves of a key hash used for double hashing; `h₂` odd so that it is invertible modulo
/// the power-of-two width and rows never coincide.
#[inline]
fn split(hash: u64) -> (u64, u64) {
    (hash & 0xffff_ffff, (hash >> 32) | 1)
}

impl Mergeable for CountMin {
    /// Adds cells (see the type docs for what this does to the conservative-update bound).
    fn merge(&mut self, other: &Self) -> Result<()> {
        if self.log2_width != other.log2_width || self.depth != other.depth {
            return Err(SketchError::Incompatible(format!(
                "count-min {}x{} vs {}x{}",
                self.width(),
                self.depth(),
                other.width(),
                other.depth()
            )));
        }
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            *a = a.saturating_add(*b);
        }
        self.total = self.total.saturating_add(other.total);
        Ok(())
    }
}

#[derive(Serialize)]
struct CountMinRef<'a> {
    log2_width: u8,
    depth: u8,
    rule: UpdateRule,
    total: u64,
    cells: &'a [u64],
}

#[derive(Deserialize)]
struct CountMinOwned {
    log2_width: u8,
    depth: u8,
    rule: UpdateRule,
    total: u64,
    cells: Vec<u64>,
}

impl Serialize for CountMin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        CountMinRef {
            log2_width: self.log2_width,
            depth: self.depth,
            rule: self.rule,
            total: self.total,
            cells: &self.cells,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for CountMin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let o = CountMinOwned::deserialize(d)?;
        if !(1..=MAX_LOG2_WIDTH).contains(&o.log2_width) || !(1..=MAX_DEPTH as u8).contains(&o.depth) {
            return Err(invalid(format!("count-min dimensions 2^{} x {} out of range", o.log2_width, o.depth)));
        }
        let expected = usize::from(o.depth) << o.log2_width;
        if o.cells.len() != expected {
            return Err(invalid(format!("count-min has {} cells, its dimensions need {expected}", o.cells.len())));
        }
        if let Some(max) = o.cells.iter().max().filter(|&&m| m > o.total) {
            return Err(invalid(format!("count-min cell {max} exceeds the total weight {}", o.total)));
        }
        Ok(Self { log2_width: o.log2_width, depth: o.depth, rule: o.rule, total: o.total, cells: o.cells })
    }
}

impl Persist for CountMin {
    const KIND: u8 = kind::COUNT_MIN;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_key;

    /// Every depth — the two with a loop of their own (5, 7) and the general loop — updates the
    /// cells a plain per-row conservative update would, and returns the same estimate.
    #[test]
    fn specialised_depths_update_like_the_plain_rule() {
        for depth in [1u8, 3, 5, 6, 7, 16] {
            let mut cm = CountMin::with_dimensions(6, depth, UpdateRule::Conservative).unwrap();
            let mut cells = vec![0u64; usize::from(depth) << 6];
            for i in 0..5_000u64 {
                let hash = hash_key(&(i % 97 * i % 13).to_string());
                let count = 1 + i % 3;
                let (h1, h2) = split(hash);
                let at: Vec<usize> = (0..usize::from(depth))
                    .map(|row| (row << 6) | (h1.wrapping_add(row as u64 * h2) & 63) as usize)
                    .collect();
                let target = at.iter().map(|&c| cells[c]).min().unwrap_or(0) + count;
                for &c in &at {
                    cells[c] = cells[c].max(target);
                }
                assert_eq!(cm.update(hash, count), target, "depth {depth}, update {i}");
            }
            assert_eq!(cm.cells, cells, "depth {depth}");
        }
    }

    #[test]
    fn sizes_from_epsilon_and_delta() {
        let cm = CountMin::new(0.001, 0.01).unwrap();
        assert_eq!(cm.width(), 4096, "e/0.001 = 2719 rounds up to 4096");
        assert_eq!(cm.depth(), 5, "ln(100) = 4.6 rounds up to 5");
        assert!(cm.epsilon() <= 0.001 && cm.delta() <= 0.01);
        assert!(CountMin::new(0.0, 0.1).is_err());
        assert!(CountMin::new(0.1, 1.0).is_err());
        assert!(CountMin::new(1e-9, 0.1).is_err(), "2^29 cells per row is over the limit");
    }

    #[test]
    fn conservative_update_never_underestimates_and_beats_standard() {
        let mut cu = CountMin::new(0.05, 0.05).unwrap();
        let mut st = CountMin::with_rule(0.05, 0.05, UpdateRule::Standard).unwrap();
        let keys: Vec<u64> = (0..500).map(|i| hash_key(&format!("k{i}"))).collect();
        for (i, &k) in keys.iter().enumerate() {
            let n = (i % 7 + 1) as u64;
            cu.update(k, n);
            st.update(k, n);
        }
        let (mut cu_err, mut st_err) = (0, 0);
        for (i, &k) in keys.iter().enumerate() {
            let truth = (i % 7 + 1) as u64;
            assert!(cu.estimate(k) >= truth && st.estimate(k) >= truth);
            assert!(cu.estimate(k) <= st.estimate(k));
            cu_err += cu.estimate(k) - truth;
            st_err += st.estimate(k) - truth;
        }
        assert!(cu_err < st_err, "conservative {cu_err} vs standard {st_err}");
        assert_eq!(cu.total(), st.total());
    }

    #[test]
    fn merge_rejects_other_shapes_and_round_trips() {
        let mut a = CountMin::new(0.01, 0.01).unwrap();
        let b = CountMin::new(0.001, 0.01).unwrap();
        assert!(matches!(a.merge(&b), Err(SketchError::Incompatible(_))));
        a.update(hash_key("x"), 3);
        let blob = a.to_bytes().unwrap();
        let cells = a.width() * a.depth();
        assert!(blob.len() <= cells + 32, "a zero cell costs one byte: {} bytes", blob.len());
        assert_eq!(CountMin::from_bytes(&blob).unwrap(), a);
    }
}
