//! How many times each text was posted in each open bucket, shared by all of an engine's workers.
//!
//! Whether a post is the first copy of its text decides whether it adds co-occurrence (a viral
//! text must tie its topics together once, not once per retweet) and how often the text counts
//! as copied, which stories group by and headlines rank by. Kept per worker, those would depend
//! on which worker each copy happened to reach: with two workers, a text posted twice is copied
//! or not by chance, and stories formed differently from run to run. One concurrent map per
//! bucket makes them the same whatever the scheduling, at one map update per post (measured in
//! `benches/RESULTS.md`, "trend engine").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use pulse_sketch::PassThrough;
use rustc_hash::FxHashMap;

/// Copies per content hash in one bucket (the keys are already hashes).
pub(crate) type CopyCounts = DashMap<u64, u32, PassThrough>;

/// The copy counts of the buckets still open, by bucket start.
#[derive(Default)]
pub(crate) struct TextCopies {
    buckets: Mutex<FxHashMap<i64, Arc<CopyCounts>>>,
    /// Texts in the largest bucket forgotten so far: a new bucket's map starts that large
    /// rather than growing (and rehashing) through a busy bucket.
    largest: AtomicUsize,
}

impl TextCopies {
    /// The counts of the bucket starting at `start`, created empty on first use.
    pub(crate) fn bucket(&self, start: i64) -> Arc<CopyCounts> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let capacity = self.largest.load(Ordering::Relaxed);
        buckets
            .entry(start)
            .or_insert_with(|| Arc::new(CopyCounts::with_capacity_and_hasher(capacity, PassThrough)))
            .clone()
    }

    /// Forgets the buckets that start before `start` (closed: a late copy of a text in one
    /// counts as a first copy, which only costs the late post's co-occurrence a double count).
    pub(crate) fn forget_before(&self, start: i64) {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets.retain(|&s, copies| {
            if s < start {
                self.largest.fetch_max(copies.len(), Ordering::Relaxed);
            }
            s >= start
        });
    }
}

impl TextCopies {
    /// Every open bucket's counts, for a checkpoint.
    pub(crate) fn export(&self) -> Vec<(i64, Vec<(u64, u32)>)> {
        let buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .iter()
            .map(|(&start, copies)| (start, copies.iter().map(|e| (*e.key(), *e.value())).collect()))
            .collect()
    }

    /// Adds the counts of a checkpoint ([`TextCopies::export`]).
    pub(crate) fn import(&self, saved: Vec<(i64, Vec<(u64, u32)>)>) {
        for (start, counts) in saved {
            let copies = self.bucket(start);
            for (content, n) in counts {
                *copies.entry(content).or_insert(0) += n;
            }
        }
    }
}

/// Counts one more copy of `content`; the copies of it seen so far, this one included.
#[inline]
pub(crate) fn count(copies: &CopyCounts, content: u64) -> u32 {
    let mut n = copies.entry(content).or_insert(0);
    *n += 1;
    *n
}
