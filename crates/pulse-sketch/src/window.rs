//! Event-time windows: a ring of fixed-width buckets of mergeable summaries.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::codec::{Persist, invalid, kind};
use crate::error::{Result, SketchError};
use crate::merge::Mergeable;

/// A ring of `len` event-time buckets of width `width`, each a `T` (a sketch, or a struct of
/// sketches: a trend bucket).
///
/// Time is an `i64` in whatever unit the caller picks (seconds or milliseconds); a bucket is named
/// by its start, a multiple of `width`. The ring keeps the `len` buckets that end at the bucket
/// holding the watermark: `[start(watermark) − (len − 1)·width, start(watermark)]`, plus any
/// buckets ahead of the watermark that early events opened. [`Window::advance`] moves the
/// watermark forward and hands back the buckets that fell out of the ring, oldest first (to roll
/// into baselines, or drop). Events older than the ring are late: [`Window::bucket_mut`] refuses
/// them rather than reopen a retired bucket.
///
/// Queries merge any range of buckets into one `T` ([`Window::range`]); because every `T` is
/// [`Mergeable`], the answer equals (within `T`'s bounds) a summary built over that range alone.
/// New buckets start as clones of the `empty` prototype given at construction, which carries the
/// sketch parameters (ε, δ, capacity, precision).
///
/// A `Window` is itself [`Mergeable`] (bucket-wise, for rollups from other machines) and
/// [`Persist`] (for checkpoints).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Window<T> {
    width: i64,
    len: usize,
    empty: T,
    watermark: Option<i64>,
    buckets: BTreeMap<i64, T>,
}

impl<T: Mergeable + Clone> Window<T> {
    /// A window of `len` (≥ 1) buckets of `width` (> 0) time units; new buckets clone `empty`.
    pub fn new(width: i64, len: usize, empty: T) -> Result<Self> {
        if width <= 0 || len == 0 {
            return Err(SketchError::InvalidParameters(format!(
                "window needs width > 0 and len > 0, got width={width}, len={len}"
            )));
        }
        Ok(Self { width, len, empty, watermark: None, buckets: BTreeMap::new() })
    }

    /// Bucket width in time units.
    pub fn width(&self) -> i64 {
        self.width
    }

    /// Number of buckets the ring keeps behind (and including) the watermark's bucket.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no bucket is open.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Number of buckets currently open.
    pub fn open_buckets(&self) -> usize {
        self.buckets.len()
    }

    /// The watermark: no event older than the ring that ends at it will be accepted.
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// The start of the bucket holding time `t`.
    pub fn bucket_start(&self, t: i64) -> i64 {
        t.saturating_sub(t.rem_euclid(self.width))
    }

    /// The start of the oldest bucket the ring keeps, once a watermark is set.
    pub fn oldest_start(&self) -> Option<i64> {
        let span = self.width.saturating_mul((self.len - 1) as i64);
        self.watermark.map(|w| self.bucket_start(w).saturating_sub(span))
    }

    /// The bucket for an event at time `t`, opened if needed; `None` if the event is late (its
    /// bucket is older than the ring).
    pub fn bucket_mut(&mut self, t: i64) -> Option<&mut T> {
        let start = self.bucket_start(t);
        if self.oldest_start().is_some_and(|oldest| start < oldest) {
            return None;
        }
        Some(self.buckets.entry(start).or_insert_with(|| self.empty.clone()))
    }

    /// The prototype every new bucket starts as (a clone of).
    pub fn prototype(&self) -> &T {
        &self.empty
    }

    /// The bucket starting at `start`, if open.
    pub fn get(&self, start: i64) -> Option<&T> {
        self.buckets.get(&start)
    }

    /// The bucket starting at `start` to change, if it is open (never creates one).
    pub fn get_mut(&mut self, start: i64) -> Option<&mut T> {
        self.buckets.get_mut(&start)
    }

    /// Open buckets in time order, with their starts.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, &T)> + '_ {
        self.buckets.iter().map(|(&s, b)| (s, b))
    }

    /// Open buckets in time order, to change.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (i64, &mut T)> + '_ {
        self.buckets.iter_mut().map(|(&s, b)| (s, b))
    }

    /// Moves the watermark forward to `watermark` (never back) and returns the buckets that left
    /// the ring, oldest first.
    pub fn advance(&mut self, watermark: i64) -> Vec<(i64, T)> {
        if self.watermark.is_some_and(|w| w >= watermark) {
            return Vec::new();
        }
        self.watermark = Some(watermark);
        self.retire()
    }

    fn retire(&mut self) -> Vec<(i64, T)> {
        let Some(oldest) = self.oldest_start() else {
            return Vec::new();
        };
        let keep = self.buckets.split_off(&oldest);
        std::mem::replace(&mut self.buckets, keep).into_iter().collect()
    }

    /// Merges the buckets whose starts lie in `[from, to)` into one summary (the `empty`
    /// prototype if none are open there).
    pub fn range(&self, from: i64, to: i64) -> Result<T> {
        let mut out = self.empty.clone();
        if from < to {
            for bucket in self.buckets.range(from..to).map(|(_, b)| b) {
                out.merge(bucket)?;
            }
        }
        Ok(out)
    }

    /// Merges the newest `n` buckets of the ring (those ending at the watermark's bucket; the
    /// newest open buckets if no watermark is set yet).
    pub fn last(&self, n: usize) -> Result<T> {
        let Some(end) =
            self.watermark.map(|w| self.bucket_start(w)).or_else(|| self.buckets.keys().next_back().copied())
        else {
            return Ok(self.empty.clone());
        };
        let span = self.width.saturating_mul(n as i64);
        self.range(end.saturating_add(self.width).saturating_sub(span), end.saturating_add(self.width))
    }
}

impl<T: Mergeable + Clone> Mergeable for Window<T> {
    /// Bucket-wise merge of two windows of the same bucket width (rollups from other machines);
    /// the watermark becomes the later of the two, and buckets older than the ring are dropped.
    fn merge(&mut self, other: &Self) -> Result<()> {
        if self.width != other.width {
            return Err(SketchError::Incompatible(format!("window bucket width {} vs {}", self.width, other.width)));
        }
        for (&start, bucket) in &other.buckets {
            match self.buckets.get_mut(&start) {
                Some(mine) => mine.merge(bucket)?,
                None => {
                    self.buckets.insert(start, bucket.clone());
                }
            }
        }
        self.watermark = self.watermark.max(other.watermark);
        self.retire();
        Ok(())
    }
}

#[derive(Deserialize)]
struct WindowOwned<T> {
    width: i64,
    len: usize,
    empty: T,
    watermark: Option<i64>,
    buckets: BTreeMap<i64, T>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Window<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let o = WindowOwned::<T>::deserialize(d)?;
        if o.width <= 0 || o.len == 0 {
            return Err(invalid(format!("window width {} / len {} must be positive", o.width, o.len)));
        }
        if let Some(s) = o.buckets.keys().find(|s| s.rem_euclid(o.width) != 0) {
            return Err(invalid(format!("window bucket start {s} is not a multiple of the width {}", o.width)));
        }
        Ok(Self { width: o.width, len: o.len, empty: o.empty, watermark: o.watermark, buckets: o.buckets })
    }
}

impl<T: Serialize + for<'de> Deserialize<'de>> Persist for Window<T> {
    const KIND: u8 = kind::WINDOW;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_event_time_and_retires_by_watermark() {
        let mut w = Window::new(60, 3, 0u64).unwrap();
        *w.bucket_mut(5).unwrap() += 1;
        *w.bucket_mut(65).unwrap() += 2;
        *w.bucket_mut(-1).unwrap() += 4; // bucket -60: times before 0 floor, not truncate
        assert_eq!(w.bucket_start(-1), -60);
        assert_eq!(w.iter().map(|(s, &n)| (s, n)).collect::<Vec<_>>(), [(-60, 4), (0, 1), (60, 2)]);
        assert_eq!(w.range(0, 120).unwrap(), 3);
        assert_eq!(w.range(-60, 60).unwrap(), 5);

        // Watermark at 150: ring is buckets 0, 60, 120; bucket -60 retires.
        let retired = w.advance(150);
        assert_eq!(retired, vec![(-60, 4)]);
        assert!(w.bucket_mut(-30).is_none(), "late event refused");
        assert!(w.bucket_mut(10).is_some());
        assert!(w.advance(100).is_empty(), "watermark never moves back");
        assert_eq!(w.watermark(), Some(150));
        assert_eq!(w.last(2).unwrap(), 2, "buckets 60 and 120");
        assert_eq!(w.advance(10_000).len(), 2);
        assert!(w.is_empty());
    }

    #[test]
    fn windows_merge_bucketwise_and_round_trip() {
        let mut a = Window::new(10, 4, 0u64).unwrap();
        let mut b = Window::new(10, 4, 0u64).unwrap();
        *a.bucket_mut(3).unwrap() += 1;
        *b.bucket_mut(7).unwrap() += 2;
        *b.bucket_mut(25).unwrap() += 5;
        b.advance(30);
        a.merge(&b).unwrap();
        assert_eq!(a.get(0), Some(&3));
        assert_eq!(a.get(20), Some(&5));
        assert_eq!(a.watermark(), Some(30));
        assert!(a.merge(&Window::new(20, 4, 0).unwrap()).is_err());
        let blob = a.to_bytes().unwrap();
        assert_eq!(Window::<u64>::from_bytes(&blob).unwrap(), a);
        assert!(Window::<u64>::new(0, 1, 0).is_err());
    }
}
