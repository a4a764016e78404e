//! The distinct authors of one watched topic in one bucket: an exact set while there are few,
//! a HyperLogLog++ sketch once there are many.
//!
//! Every watched topic keeps its authors per bucket, so that one account counts once however many
//! workers, buckets or machines its posts are spread over. A `hyperloglogplus` sketch from the
//! first author costs about 30 % of the engine's time (`benches/RESULTS.md`, trend engine): each
//! insert into its sparse mode hashes the code into a buffer set, which is later sorted and merged
//! into a varint list that is re-encoded whole. Most watched topics have at most 1,024 posts in a
//! bucket, and a worker already knows which of its (topic, author) pairs are new, so a plain list
//! is exact and almost free. The sketch takes
//! over above [`EXACT_AUTHORS`], which bounds a topic's memory: 1,024 hashes are 8 KiB, less than
//! a dense sketch (13 KiB), though about three times the sketch's sparse form for as many.

use pulse_sketch::{Hll, Mergeable};
use serde::{Deserialize, Serialize};

/// Authors kept as an exact list up to this many (8 KiB); above, in the sketch.
pub const EXACT_AUTHORS: usize = 1024;

/// Distinct authors (64-bit author hashes) of one topic in one bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Authors {
    /// The author hashes, each once after [`Authors::count`] or a merge (a worker appends only
    /// authors new to the topic, so its list has no repeats either).
    Exact(Vec<u64>),
    /// More than [`EXACT_AUTHORS`] authors.
    Sketch(Hll),
}

impl Default for Authors {
    fn default() -> Self {
        Authors::Exact(Vec::new())
    }
}

impl Authors {
    /// Adds the author with hash `hash`.
    #[inline]
    pub fn insert(&mut self, hash: u64) {
        match self {
            Authors::Exact(list) => {
                list.push(hash);
                if list.len() > EXACT_AUTHORS {
                    self.settle();
                }
            }
            Authors::Sketch(hll) => hll.insert(hash),
        }
    }

    /// The number of distinct authors: exact for a list, the sketch's estimate (rounded) above.
    pub fn count(&mut self) -> u64 {
        self.settle();
        match self {
            Authors::Exact(list) => list.len() as u64,
            Authors::Sketch(hll) => hll.count().round() as u64,
        }
    }

    /// The number of distinct authors in the union of `sets`, without building the union as an
    /// [`Authors`]: the lists are pooled and counted exactly (however many there are in all), and
    /// only if a set is a sketch is a sketch built. `None` if sketches of different precisions
    /// meet.
    pub fn union_count<'a>(sets: impl IntoIterator<Item = &'a Authors>) -> Option<u64> {
        Self::union(sets).map(|mut union| union.count())
    }

    /// The union of `sets`: a list while they are all lists (however long: a union of many
    /// buckets is counted exactly), else a sketch. `None` if sketches of different precisions
    /// meet.
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a Authors>) -> Option<Authors> {
        let mut pooled: Vec<u64> = Vec::new();
        let mut sketch: Option<Hll> = None;
        for set in sets {
            match set {
                Authors::Exact(list) => pooled.extend_from_slice(list),
                Authors::Sketch(hll) => match &mut sketch {
                    Some(union) => union.merge(hll).ok()?,
                    None => sketch = Some(hll.clone()),
                },
            }
        }
        match sketch {
            Some(mut union) => {
                for h in pooled {
                    union.insert(h);
                }
                Some(Authors::Sketch(union))
            }
            None => {
                pooled.sort_unstable();
                pooled.dedup();
                Some(Authors::Exact(pooled))
            }
        }
    }

    /// The sketch's precision, if this is a sketch.
    pub fn sketch_precision(&self) -> Option<u8> {
        match self {
            Authors::Exact(_) => None,
            Authors::Sketch(hll) => Some(hll.precision()),
        }
    }

    /// Removes repeats from a list, and turns a list of more than [`EXACT_AUTHORS`] into a sketch.
    fn settle(&mut self) {
        if let Authors::Exact(list) = self {
            list.sort_unstable();
            list.dedup();
            if list.len() > EXACT_AUTHORS {
                let mut hll = new_sketch();
                for &h in list.iter() {
                    hll.insert(h);
                }
                *self = Authors::Sketch(hll);
            }
        }
    }
}

fn new_sketch() -> Hll {
    Hll::new(Hll::DEFAULT_PRECISION).expect("the default precision is valid")
}

impl Mergeable for Authors {
    /// The union. Fails, changing nothing, only for sketches of different precisions.
    fn merge(&mut self, other: &Self) -> pulse_sketch::Result<()> {
        match (&mut *self, other) {
            (Authors::Exact(mine), Authors::Exact(theirs)) => {
                mine.extend_from_slice(theirs);
                self.settle();
            }
            (Authors::Sketch(mine), Authors::Exact(theirs)) => {
                for &h in theirs {
                    mine.insert(h);
                }
            }
            (Authors::Sketch(mine), Authors::Sketch(theirs)) => mine.merge(theirs)?,
            (Authors::Exact(mine), Authors::Sketch(theirs)) => {
                if theirs.precision() != Hll::DEFAULT_PRECISION {
                    return Err(pulse_sketch::SketchError::Incompatible(format!(
                        "HLL precision {} vs {}",
                        Hll::DEFAULT_PRECISION,
                        theirs.precision()
                    )));
                }
                let mut hll = theirs.clone();
                for &h in mine.iter() {
                    hll.insert(h);
                }
                *self = Authors::Sketch(hll);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_sketch::hash_key;

    fn authors(range: std::ops::Range<u32>) -> Authors {
        let mut a = Authors::default();
        for i in range {
            a.insert(hash_key(&format!("author{i}")));
        }
        a
    }

    #[test]
    fn exact_while_few_then_a_sketch_and_unions_count_each_author_once() {
        let mut a = authors(0..600);
        let b = authors(400..1000);
        a.merge(&b).unwrap();
        assert!(matches!(a, Authors::Exact(_)));
        assert_eq!(a.count(), 1000, "exact union: the 200 shared authors count once");

        a.merge(&authors(900..1100)).unwrap();
        assert!(matches!(a, Authors::Sketch(_)), "1,100 authors outgrow the list");
        let n = a.count();
        assert!(n.abs_diff(1100) <= 11, "{n} not within 1 % of 1,100");

        // Sketch ∪ list, list ∪ sketch and sketch ∪ sketch, with overlaps.
        let mut s = authors(0..2000);
        assert!(matches!(s, Authors::Sketch(_)));
        s.merge(&authors(1500..2100)).unwrap();
        let mut l = authors(2000..2300);
        l.merge(&s).unwrap();
        assert!(matches!(l, Authors::Sketch(_)));
        let n = l.count();
        assert!(n.abs_diff(2300) <= 23, "{n} not within 1 % of 2,300");

        // Repeats (a list can hold them only after a merge of unsettled lists) count once.
        let mut r = Authors::Exact(vec![1, 2, 2, 3, 3, 3]);
        assert_eq!(r.count(), 3);
    }

    #[test]
    fn union_counts_lists_exactly_and_sketches_within_their_error() {
        let lists = [authors(0..800), authors(500..1300), authors(1200..1250)];
        assert_eq!(Authors::union_count(&lists), Some(1300), "lists pooled past the cap stay exact");
        assert_eq!(Authors::union_count([]), Some(0));
        let with_sketch = [authors(0..800), authors(0..3000), authors(2900..3100)];
        let n = Authors::union_count(&with_sketch).unwrap();
        assert!(n.abs_diff(3100) <= 31, "{n} not within 1 % of 3,100");
        let mixed = [authors(0..3000), Authors::Sketch(Hll::new(12).unwrap())];
        assert_eq!(Authors::union_count(&mixed), None);
    }

    #[test]
    fn sketches_of_another_precision_do_not_merge() {
        let mut a = authors(0..2000);
        let other = Authors::Sketch(Hll::new(12).unwrap());
        assert!(a.merge(&other).is_err());
        let mut list = authors(0..10);
        assert!(list.merge(&other).is_err());
        assert_eq!(list.count(), 10, "a refused merge changes nothing");
        assert_eq!(a.sketch_precision(), Some(Hll::DEFAULT_PRECISION));
        assert_eq!(other.sketch_precision(), Some(12));
        assert_eq!(Authors::default().sketch_precision(), None);
    }
}
