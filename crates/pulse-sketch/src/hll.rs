//! HyperLogLog++ distinct counting over pre-hashed keys, wrapping the `hyperloglogplus` crate.

use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::{Persist, invalid, kind};
use crate::error::{Result, SketchError};
use crate::hash::PassThrough;
use crate::merge::Mergeable;

/// Lowest precision `hyperloglogplus` supports.
pub const MIN_PRECISION: u8 = 4;
/// Highest precision `hyperloglogplus` supports.
pub const MAX_PRECISION: u8 = 18;
/// Precision of the sparse representation (fixed by the crate).
const SPARSE_PRECISION: u8 = 25;

type Inner = HyperLogLogPlus<u64, PassThrough>;

/// A HyperLogLog++ distinct counter (Heule, Nunkesser & Hall 2013) of pre-hashed keys.
///
/// With `m = 2^precision` registers the relative standard error is `1.04/√m` (0.81 % at the
/// default precision 14, 12 KiB dense). Small sets stay in the sparse representation (sorted,
/// difference- and varint-encoded 25-bit register codes, counted by linear counting at precision
/// 25, i.e. near-exact), which keeps the thousands of per-topic author counters small; a sketch
/// turns dense once its sparse list would outgrow the registers.
///
/// **Merge** takes the register-wise maximum (or unions the sparse lists), which is exactly the
/// sketch of the union: merging loses nothing.
///
/// The wrapped `hyperloglogplus` estimator needs `&mut self` to count (it flushes a buffer of
/// recent sparse inserts first), hence [`Hll::count`] takes `&mut self`.
#[derive(Clone, Debug)]
pub struct Hll {
    precision: u8,
    inner: Inner,
    /// Inserts since the last flush (count); a dirty sketch is flushed on a copy before encoding
    /// so equal sets always encode to equal bytes.
    dirty: bool,
}

impl Hll {
    /// The precision used by the trend engine: 2¹⁴ registers, 0.81 % standard error.
    pub const DEFAULT_PRECISION: u8 = 14;

    /// An empty counter with `2^precision` registers (precision in 4..=18).
    pub fn new(precision: u8) -> Result<Self> {
        let inner = Inner::new(precision, PassThrough).map_err(|e| {
            SketchError::InvalidParameters(format!(
                "HLL precision {precision} outside {MIN_PRECISION}..={MAX_PRECISION} ({e:?})"
            ))
        })?;
        Ok(Self { precision, inner, dirty: false })
    }

    /// The precision `p` (`2^p` registers).
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// The theoretical relative standard error `1.04 / √(2^p)` in the dense representation.
    pub fn relative_standard_error(&self) -> f64 {
        1.04 / f64::from(1u32 << self.precision).sqrt()
    }

    /// Adds the key with hash `hash` (from [`crate::hash_key`] or [`crate::hash_u64`]; the bits
    /// must be uniformly distributed, so never pass raw ids).
    #[inline]
    pub fn insert(&mut self, hash: u64) {
        self.inner.insert(&hash);
        self.dirty = true;
    }

    /// Estimated number of distinct keys inserted (and merged in).
    pub fn count(&mut self) -> f64 {
        self.dirty = false;
        self.inner.count()
    }

    fn encode_inner(&self) -> std::result::Result<Vec<u8>, postcard::Error> {
        if self.dirty {
            let mut flushed = self.inner.clone();
            flushed.count();
            postcard::to_allocvec(&flushed)
        } else {
            postcard::to_allocvec(&self.inner)
        }
    }
}

impl Mergeable for Hll {
    /// Union: register-wise maximum, or union of the sparse lists.
    fn merge(&mut self, other: &Self) -> Result<()> {
        if self.precision != other.precision {
            return Err(SketchError::Incompatible(format!("HLL precision {} vs {}", self.precision, other.precision)));
        }
        self.inner.merge(&other.inner).map_err(|e| SketchError::Incompatible(format!("{e:?}")))?;
        self.dirty = true;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct HllRepr {
    precision: u8,
    /// The `hyperloglogplus` state encoded with postcard (its own serde layout), checked against
    /// [`Mirror`] before it is trusted.
    inner: Vec<u8>,
}

impl Serialize for Hll {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let inner = self.encode_inner().map_err(serde::ser::Error::custom)?;
        HllRepr { precision: self.precision, inner }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Hll {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = HllRepr::deserialize(d)?;
        validate(&repr).map_err(invalid)?;
        let inner: Inner =
            postcard::from_bytes(&repr.inner).map_err(|e| invalid(format!("HLL state does not decode: {e}")))?;
        Ok(Self { precision: repr.precision, inner, dirty: false })
    }
}

impl Persist for Hll {
    const KIND: u8 = kind::HLL;
}

/// The serde layout of `hyperloglogplus` 0.4's `HyperLogLogPlus` (field for field, same order).
/// The crate trusts its fields (a short register buffer or a malformed varint would panic later),
/// so a decoded state is checked here first. A layout change in a new version of the crate makes
/// the round-trip tests fail rather than pass silently.
#[derive(Deserialize)]
struct Mirror {
    _builder: (),
    precision: u8,
    counts: (usize, usize, usize),
    tmpset: Vec<u32>,
    sparse: MirrorSparse,
    registers: Option<MirrorRegisters>,
    _phantom: (),
}

#[derive(Deserialize)]
struct MirrorSparse {
    count: usize,
    last: u32,
    buf: Vec<u8>,
}

#[derive(Deserialize)]
struct MirrorRegisters {
    buf: Vec<u32>,
    count: usize,
    zeros: usize,
}

fn validate(repr: &HllRepr) -> std::result::Result<(), String> {
    let p = repr.precision;
    if !(MIN_PRECISION..=MAX_PRECISION).contains(&p) {
        return Err(format!("HLL precision {p} out of range"));
    }
    let (m, rest) =
        postcard::take_from_bytes::<Mirror>(&repr.inner).map_err(|e| format!("HLL state does not decode: {e}"))?;
    if !rest.is_empty() {
        return Err("HLL state has trailing bytes".to_owned());
    }
    let registers = 1usize << p;
    let expected = (registers, 1usize << (SPARSE_PRECISION - 1), 4 * registers / 5);
    if m.precision != p || m.counts != expected {
        return Err(format!("HLL state precision {} / sizes {:?} do not match precision {p}", m.precision, m.counts));
    }
    let valid_code = |code: u32| {
        if code & 1 == 1 {
            // index (25 bits) << 7 | zeros (6 bits) << 1 | 1; zeros counts past bit 25 of a
            // 64-bit hash, so at most 40: larger values would spill into a neighbouring register.
            (code >> 1) & 0x3f <= 64 - u32::from(SPARSE_PRECISION) + 1
        } else {
            code >> 1 < 1 << SPARSE_PRECISION
        }
    };
    if let Some(bad) = m.tmpset.iter().find(|&&c| !valid_code(c)) {
        return Err(format!("HLL sparse code {bad:#x} out of range"));
    }
    // Walk the difference-encoded varints exactly as the crate will.
    let (mut i, mut n, mut last) = (0usize, 0usize, 0u32);
    while i < m.sparse.buf.len() {
        let mut val = 0u32;
        let mut shift = 0;
        loop {
            let Some(&b) = m.sparse.buf.get(i) else {
                return Err("HLL sparse list ends inside a varint".to_owned());
            };
            i += 1;
            if shift > 28 || (shift == 28 && b & 0x70 != 0) {
                return Err("HLL sparse varint overflows 32 bits".to_owned());
            }
            val |= u32::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        last = last.checked_add(val).ok_or("HLL sparse list overflows 32 bits")?;
        if !valid_code(last) {
            return Err(format!("HLL sparse code {last:#x} out of range"));
        }
        n += 1;
    }
    if n != m.sparse.count || last != m.sparse.last || n > expected.1 {
        return Err(format!(
            "HLL sparse list holds {n} codes ending at {last}, header says {} ending at {}",
            m.sparse.count, m.sparse.last
        ));
    }
    if let Some(r) = &m.registers {
        if !m.tmpset.is_empty() || n != 0 {
            return Err("HLL state is both sparse and dense".to_owned());
        }
        if r.count != registers || r.buf.len() != registers.div_ceil(5) {
            return Err(format!(
                "HLL has {} registers in {} words, precision {p} needs {registers}",
                r.count,
                r.buf.len()
            ));
        }
        let max = u32::from(64 - p + 1);
        let mut zeros = 0;
        for k in 0..registers {
            let v = (r.buf[k / 5] >> (6 * (k % 5))) & 0x3f;
            if v > max {
                return Err(format!("HLL register {k} holds {v} > {max}"));
            }
            zeros += usize::from(v == 0);
        }
        if zeros != r.zeros {
            return Err(format!("HLL says {} zero registers, found {zeros}", r.zeros));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_u64;

    #[test]
    fn small_sets_are_near_exact_and_small_on_the_wire() {
        let mut h = Hll::new(14).unwrap();
        for i in 0..50 {
            h.insert(hash_u64(i));
            h.insert(hash_u64(i)); // duplicates do not count
        }
        assert!((h.count() - 50.0).abs() < 0.5, "sparse estimate {}", h.count());
        let blob = h.to_bytes().unwrap();
        assert!(blob.len() < 300, "50 keys encode in {} bytes", blob.len());
        let mut back = Hll::from_bytes(&blob).unwrap();
        assert_eq!(back.count(), h.count());
        assert_eq!(back.to_bytes().unwrap(), blob);
    }

    #[test]
    fn dense_sketches_validate_and_round_trip() {
        let mut h = Hll::new(10).unwrap();
        for i in 0..100_000 {
            h.insert(hash_u64(i));
        }
        let c = h.count();
        assert!((c - 100_000.0).abs() / 100_000.0 < 4.0 * h.relative_standard_error());
        let blob = h.to_bytes().unwrap();
        let mut back = Hll::from_bytes(&blob).unwrap();
        assert_eq!(back.count(), c);
    }

    #[test]
    fn wrong_precision_does_not_merge() {
        let mut a = Hll::new(12).unwrap();
        assert!(a.merge(&Hll::new(14).unwrap()).is_err());
        assert!(Hll::new(3).is_err() && Hll::new(19).is_err());
    }
}
