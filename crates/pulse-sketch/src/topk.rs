//! Heavy hitters: Misra–Gries with batched ("reverse") purges, keyed by pre-hashed keys.

use std::borrow::Borrow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::{Persist, invalid, kind};
use crate::error::{Result, SketchError};
use crate::merge::Mergeable;

/// Largest capacity supported.
pub const MAX_CAPACITY: usize = 1 << 24;

/// The counters of one table slot. Kept apart from the items so that probing, counting and
/// purging walk a compact array (24 bytes a slot) and touch an item only to insert or report it.
#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u64,
    /// The Misra–Gries counter. 0 marks an empty slot; live slots always hold ≥ 1.
    count: u64,
    /// Occurrences counted since the key was (last) inserted, never decremented: a lower bound.
    /// Always `count ≤ lower ≤ count + offset`.
    lower: u64,
}

impl Slot {
    const EMPTY: Self = Self { hash: 0, count: 0, lower: 0 };
}

/// One heavy hitter reported by [`TopK::top`]: the item and bounds on its true count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeavyHitter<'a, T> {
    /// The item as first seen by the sketch.
    pub item: &'a T,
    /// The item's key hash.
    pub hash: u64,
    /// A count the true count is never below: occurrences counted since the key was last
    /// inserted. Exact for keys tracked since the start.
    pub lower_bound: u64,
    /// A count the true count is never above: the Misra–Gries counter plus
    /// [`TopK::maximum_error`]. `upper_bound − lower_bound ≤ maximum_error`.
    pub upper_bound: u64,
}

/// Bounds on the true count of one key, from [`TopK::bounds`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The true count is ≥ this.
    pub lower: u64,
    /// The true count is ≤ this.
    pub upper: u64,
}

/// Frequent items with deterministic error bounds: the Misra–Gries summary with the batched purge
/// of Apache DataSketches' "frequent items" sketch, specialised to pre-hashed `u64` keys.
///
/// It tracks at most `capacity` keys, each with its item (e.g. the topic string, so heavy hitters
/// can be reported by name) and a counter. When a new key arrives at a full table, the median
/// counter `m` is subtracted from every counter, keys at or below it are dropped (at least half
/// of them), and `m` is added to the [`TopK::maximum_error`] offset. For every key, at all times:
///
/// `counter(x) ≤ true(x) ≤ counter(x) + offset`, and `offset ≤ 2·N / (capacity + 1)`
///
/// where `N` is the total weight (each purge removes `m` from at least `(capacity + 1) / 2`
/// counters, and counters never hold more than `N` in all). The bound is deterministic: every key
/// with a true count above `2·N / (capacity + 1)` is guaranteed to be tracked. The exact median
/// (an O(capacity) selection per purge, amortised over ≥ capacity/2 insertions) is what keeps the
/// bound deterministic; DataSketches samples the median and states `3.5·N / table_size`.
///
/// Besides the counter, each key keeps the occurrences seen since it was inserted (never
/// decremented), a per-key lower bound that is exact for keys tracked from the start — the
/// Space-Saving-style per-item error. Heavy hitters are ranked by it: ranking by the decremented
/// counter alone lets a key that appeared late (and so was decremented less) overtake an older,
/// truly heavier one, which on the CrisisLexT6 words cost top-50 recall.
///
/// **Merge** replays the other summary's counters as weighted updates and adds its offset; the
/// bound above holds for the merged summary with `N = N_A + N_B`. Both summaries must have the
/// same capacity.
///
/// Keys are the 64-bit hashes: two distinct items with equal hashes count as one (at 2⁻⁶⁴ per
/// pair, a few thousand pairs would collide in a vocabulary of 10¹¹ words). Items evicted by a
/// purge are recycled (via [`ToOwned::clone_into`]) so a steady state allocates nothing.
#[derive(Clone, Debug)]
pub struct TopK<T> {
    capacity: usize,
    mask: usize,
    len: usize,
    offset: u64,
    total: u64,
    slots: Vec<Slot>,
    /// The item of each slot (`None` for empty slots).
    items: Vec<Option<T>>,
    /// Evicted items kept for reuse; not part of the state.
    spare: Vec<T>,
    /// Scratch for purges; not part of the state.
    scratch: Vec<u64>,
}

impl<T> TopK<T> {
    /// A summary tracking at most `capacity` keys (≥ 2), with error ≤ 2·N/(capacity + 1).
    ///
    /// Memory is a table of the next power of two ≥ 4/3 · (capacity + 1) slots of
    /// `24 + size_of::<Option<T>>()` bytes plus the items' heap.
    pub fn new(capacity: usize) -> Result<Self> {
        if !(2..=MAX_CAPACITY).contains(&capacity) {
            return Err(SketchError::InvalidParameters(format!(
                "top-k capacity {capacity} outside 2..={MAX_CAPACITY}"
            )));
        }
        let table = ((capacity + 1) * 4).div_ceil(3).next_power_of_two();
        Ok(Self {
            capacity,
            mask: table - 1,
            len: 0,
            offset: 0,
            total: 0,
            slots: vec![Slot::EMPTY; table],
            items: std::iter::repeat_with(|| None).take(table).collect(),
            spare: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// The capacity for a wanted a-priori error `epsilon` (error ≤ ε·N): ⌈2/ε⌉ − 1.
    pub fn capacity_for_epsilon(epsilon: f64) -> Result<usize> {
        if !(epsilon > 0.0 && epsilon < 1.0) {
            return Err(SketchError::InvalidParameters(format!("top-k needs 0 < epsilon < 1, got {epsilon}")));
        }
        Ok(((2.0 / epsilon).ceil() as usize).saturating_sub(1).max(2))
    }

    /// Maximum number of tracked keys.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of keys tracked now.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Total weight `N` of all updates and merged summaries.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The offset: how far any counter can be below its key's true count (deterministic).
    pub fn maximum_error(&self) -> u64 {
        self.offset
    }

    /// The a-priori relative error 2/(capacity + 1): [`TopK::maximum_error`] ≤ this · N.
    pub fn epsilon(&self) -> f64 {
        2.0 / (self.capacity as f64 + 1.0)
    }

    /// Adds `count` occurrences of `item`, whose key hash is `hash`.
    ///
    /// `item` is only cloned when the key is not yet tracked (into a recycled `T` when possible).
    #[inline]
    pub fn update<Q>(&mut self, hash: u64, item: &Q, count: u64)
    where
        T: Borrow<Q>,
        Q: ToOwned<Owned = T> + ?Sized,
    {
        if count == 0 {
            return;
        }
        self.total = self.total.saturating_add(count);
        let mut i = hash as usize & self.mask;
        loop {
            let slot = &mut self.slots[i];
            if slot.count == 0 {
                let owned = match self.spare.pop() {
                    Some(mut t) => {
                        item.clone_into(&mut t);
                        t
                    }
                    None => item.to_owned(),
                };
                *slot = Slot { hash, count, lower: count };
                self.items[i] = Some(owned);
                self.len += 1;
                if self.len > self.capacity {
                    self.purge();
                }
                return;
            }
            if slot.hash == hash {
                slot.count = slot.count.saturating_add(count);
                slot.lower = slot.lower.saturating_add(count);
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Bounds on the true count of the key with hash `hash` (tracked or not).
    pub fn bounds(&self, hash: u64) -> Bounds {
        let (count, lower) = self.find(hash).map_or((0, 0), |i| (self.slots[i].count, self.slots[i].lower));
        Bounds { lower, upper: count.saturating_add(self.offset) }
    }

    /// The item stored for `hash`, if tracked.
    pub fn item(&self, hash: u64) -> Option<&T> {
        self.find(hash).and_then(|i| self.items[i].as_ref())
    }

    /// The `n` tracked keys with the largest lower bounds, largest first (ties by upper bound,
    /// then hash).
    ///
    /// A key whose true count exceeds the n-th reported lower bound plus
    /// [`TopK::maximum_error`] is always among them.
    pub fn top(&self, n: usize) -> Vec<HeavyHitter<'_, T>> {
        let mut all: Vec<HeavyHitter<'_, T>> = self.iter().collect();
        all.sort_unstable_by(|a, b| {
            (b.lower_bound, b.upper_bound).cmp(&(a.lower_bound, a.upper_bound)).then(a.hash.cmp(&b.hash))
        });
        all.truncate(n);
        all
    }

    /// Every tracked key, in table order.
    pub fn iter(&self) -> impl Iterator<Item = HeavyHitter<'_, T>> + '_ {
        self.slots.iter().zip(&self.items).filter(|(s, _)| s.count > 0).filter_map(|(s, item)| {
            Some(HeavyHitter {
                item: item.as_ref()?,
                hash: s.hash,
                lower_bound: s.lower,
                upper_bound: s.count.saturating_add(self.offset),
            })
        })
    }

    /// Approximate heap and inline bytes held (table, items' inline size; not the items' heap).
    pub fn memory_bytes(&self) -> usize {
        size_of::<Self>() + self.slots.len() * (size_of::<Slot>() + size_of::<Option<T>>())
    }

    fn find(&self, hash: u64) -> Option<usize> {
        let mut i = hash as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.count == 0 {
                return None;
            }
            if slot.hash == hash {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Subtracts the median counter from all counters, drops those that reach zero and re-packs
    /// the probe table in place (no allocation: a busy stream purges thousands of times a second).
    #[cold]
    fn purge(&mut self) {
        self.scratch.clear();
        self.scratch.extend(self.slots.iter().filter(|s| s.count > 0).map(|s| s.count));
        let mid = self.scratch.len() / 2;
        let (_, &mut median, _) = self.scratch.select_nth_unstable(mid);
        self.offset = self.offset.saturating_add(median);
        let mut empty = None;
        for (i, (slot, item)) in self.slots.iter_mut().zip(&mut self.items).enumerate() {
            if slot.count > median {
                slot.count -= median;
                continue;
            }
            if let Some(item) = item.take() {
                self.spare.push(item);
            }
            *slot = Slot::EMPTY;
            empty = Some(i);
        }
        // Re-seat every survivor, walking the table once from just after an empty slot: each key
        // then moves to the first free slot of its probe sequence, which is never past where it
        // was, so every key stays reachable from its home slot.
        let start = empty.expect("the table has more slots than the capacity, so one is free");
        self.len = 0;
        for k in 1..=self.slots.len() {
            let i = (start + k) & self.mask;
            if self.slots[i].count > 0 {
                let slot = std::mem::replace(&mut self.slots[i], Slot::EMPTY);
                let item = self.items[i].take();
                self.insert_fresh(slot.hash, slot.count, slot.lower, item);
            }
        }
        // Keep at most one table's worth of recycled items.
        self.spare.truncate(self.capacity);
    }

    /// Inserts a key known to be absent, without purging.
    fn insert_fresh(&mut self, hash: u64, count: u64, lower: u64, item: Option<T>) {
        let mut i = hash as usize & self.mask;
        while self.slots[i].count != 0 {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = Slot { hash, count, lower };
        self.items[i] = item;
        self.len += 1;
    }

    fn sorted_entries(&self) -> Vec<(u64, u64, u64, &T)> {
        let mut v: Vec<(u64, u64, u64, &T)> = self
            .slots
            .iter()
            .zip(&self.items)
            .filter(|(s, _)| s.count > 0)
            .filter_map(|(s, item)| Some((s.hash, s.count, s.lower, item.as_ref()?)))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }
}

impl<T: PartialEq> PartialEq for TopK<T> {
    /// Equal state: capacity, totals, offset and the same (hash, counter, item) entries, whatever
    /// the table layout.
    fn eq(&self, other: &Self) -> bool {
        self.capacity == other.capacity
            && self.offset == other.offset
            && self.total == other.total
            && self.sorted_entries() == other.sorted_entries()
    }
}

impl<T: Clone> Mergeable for TopK<T> {
    /// Replays `other`'s counters as weighted updates (adding its per-key lower bounds) and adds
    /// its offset.
    fn merge(&mut self, other: &Self) -> Result<()> {
        if self.capacity != other.capacity {
            return Err(SketchError::Incompatible(format!("top-k capacity {} vs {}", self.capacity, other.capacity)));
        }
        let total = self.total.saturating_add(other.total);
        for (s, item) in other.slots.iter().zip(&other.items).filter(|(s, _)| s.count > 0) {
            if let Some(item) = item {
                self.update(s.hash, item, s.count);
                // `update` credited `count` to the lower bound; credit the rest of other's.
                if let Some(i) = self.find(s.hash) {
                    let slot = &mut self.slots[i];
                    slot.lower = slot.lower.saturating_add(s.lower - s.count);
                }
            }
        }
        self.offset = self.offset.saturating_add(other.offset);
        self.total = total;
        Ok(())
    }
}

#[derive(Serialize)]
struct TopKRef<'a, T> {
    capacity: u64,
    offset: u64,
    total: u64,
    /// (hash, counter, lower bound, item), sorted by hash.
    entries: Vec<(u64, u64, u64, &'a T)>,
}

#[derive(Deserialize)]
struct TopKOwned<T> {
    capacity: u64,
    offset: u64,
    total: u64,
    entries: Vec<(u64, u64, u64, T)>,
}

impl<T: Serialize> Serialize for TopK<T> {
    /// Entries sorted by hash, so equal states encode to equal bytes.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TopKRef {
            capacity: self.capacity as u64,
            offset: self.offset,
            total: self.total,
            entries: self.sorted_entries(),
        }
        .serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TopK<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let o = TopKOwned::<T>::deserialize(d)?;
        let capacity = usize::try_from(o.capacity).unwrap_or(usize::MAX);
        let mut topk = TopK::new(capacity).map_err(|e| invalid(e.to_string()))?;
        if o.entries.len() > capacity {
            return Err(invalid(format!("top-k holds {} entries, more than its capacity {capacity}", o.entries.len())));
        }
        let mut sum = 0u64;
        let mut prev = None;
        for (hash, count, lower, item) in o.entries {
            if count == 0 || prev.is_some_and(|p| p >= hash) {
                return Err(invalid(
                    "top-k entries must have positive counts and strictly increasing hashes".to_owned(),
                ));
            }
            if lower < count || lower > count.saturating_add(o.offset) {
                return Err(invalid(format!(
                    "top-k lower bound {lower} outside [{count}, {count} + offset {}]",
                    o.offset
                )));
            }
            prev = Some(hash);
            sum = sum.saturating_add(count);
            topk.insert_fresh(hash, count, lower, Some(item));
        }
        if sum > o.total || o.offset > o.total {
            return Err(invalid(format!(
                "top-k counters ({sum}) or offset ({}) exceed the total weight {}",
                o.offset, o.total
            )));
        }
        topk.offset = o.offset;
        topk.total = o.total;
        Ok(topk)
    }
}

impl<T: Serialize + for<'de> Deserialize<'de>> Persist for TopK<T> {
    const KIND: u8 = kind::TOP_K;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_key;

    fn feed(topk: &mut TopK<String>, word: &str, n: u64) {
        topk.update(hash_key(word), word, n);
    }

    #[test]
    fn exact_below_capacity() {
        let mut t = TopK::<String>::new(8).unwrap();
        for (w, n) in [("a", 5), ("b", 3), ("c", 9)] {
            for _ in 0..n {
                feed(&mut t, w, 1);
            }
        }
        let top = t.top(2);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].item.as_str(), top[0].lower_bound), ("c", 9));
        assert_eq!((top[1].item.as_str(), top[1].upper_bound), ("a", 5));
        assert_eq!(t.maximum_error(), 0);
        assert_eq!(t.bounds(hash_key("zzz")), Bounds { lower: 0, upper: 0 });
    }

    #[test]
    fn purges_keep_deterministic_bounds() {
        let mut t = TopK::<String>::new(16).unwrap();
        let mut truth = std::collections::HashMap::new();
        // One heavy key among many singletons.
        for i in 0..2000u64 {
            let w = if i % 4 == 0 { "heavy".to_owned() } else { format!("w{i}") };
            feed(&mut t, &w, 1);
            *truth.entry(w).or_insert(0u64) += 1;
        }
        assert!(t.len() <= 16);
        assert!(t.maximum_error() > 0, "the stream overflowed the table");
        assert!(t.maximum_error() as f64 <= t.epsilon() * t.total() as f64);
        for (w, &n) in &truth {
            let b = t.bounds(hash_key(w));
            assert!(b.lower <= n && n <= b.upper, "{w}: {n} not in {b:?}");
        }
        assert_eq!(t.top(1)[0].item, "heavy");
        // Purges re-pack the table in place: every tracked key must still be found by probing.
        let reachable = t.iter().filter(|h| t.bounds(h.hash).lower == h.lower_bound).count();
        assert_eq!((reachable, t.iter().count()), (t.len(), t.len()));
        // Tracked from the first update on, its lower bound is its exact count.
        assert_eq!(t.bounds(hash_key("heavy")).lower, 500);
    }

    #[test]
    fn capacity_from_epsilon() {
        assert_eq!(TopK::<u64>::capacity_for_epsilon(0.002).unwrap(), 999);
        assert!(TopK::<u64>::new(1).is_err());
    }
}
