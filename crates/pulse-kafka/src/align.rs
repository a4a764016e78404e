//! Watermark alignment: a query node stops reading the rollups of sources that run far ahead of
//! the slowest one in event time.
//!
//! The trend watermark follows the slowest source partition, so every bucket between the slowest
//! and the fastest source's newest event stays open in the engine's ring. On a live stream the
//! sources are seconds apart; on a replay of history at full speed, or a catch-up after downtime,
//! ingest workers move through event time at their own pace, and a query node held weeks of open
//! buckets (1.4–1.8 GB with 388 posts left in its index: `benches/RESULTS.md`, Kafka). Pausing the
//! rollups partitions whose every source is more than [`Alignment::max_ahead`] ahead leaves their
//! rollups in Kafka instead of in memory; they resume once the slowest has come within a quarter of
//! it (each pause then lets a source gain three quarters of it: few pauses on a long replay).
//! A partition that carries the slowest source is never paused, so the slowest always advances.

use std::collections::{BTreeSet, HashMap};

/// A source partition: (posts topic, partition).
pub type Source = (String, i32);

/// Which rollups partitions to read, from how far each one's sources are ahead.
#[derive(Debug)]
pub struct Alignment {
    /// How far (s of event time) a source may run ahead of the slowest before its rollups
    /// partition is paused.
    max_ahead: i64,
    /// The rollups partition each source's rollups arrive on.
    partition_of: HashMap<Source, i32>,
    paused: BTreeSet<i32>,
}

impl Alignment {
    /// Sources may run `max_ahead` seconds of event time ahead of the slowest.
    pub fn new(max_ahead: i64) -> Self {
        Self { max_ahead, partition_of: HashMap::new(), paused: BTreeSet::new() }
    }

    /// Records that `source`'s rollups arrive on rollups partition `partition`.
    pub fn observe(&mut self, source: Source, partition: i32) {
        self.partition_of.insert(source, partition);
    }

    /// The partitions to pause and to resume, given each source's newest event (`newest`) and
    /// the slowest active source's (`slowest`, `None` before any rollup). Marks them so.
    pub fn plan(&mut self, newest: &HashMap<Source, i64>, slowest: Option<i64>) -> (Vec<i32>, Vec<i32>) {
        // Per partition: its slowest source's newest event.
        let mut behind: HashMap<i32, i64> = HashMap::new();
        for (source, &partition) in &self.partition_of {
            if let Some(&at) = newest.get(source) {
                let least = behind.entry(partition).or_insert(at);
                *least = (*least).min(at);
            }
        }
        let Some(slowest) = slowest else {
            let resume: Vec<i32> = std::mem::take(&mut self.paused).into_iter().collect();
            return (Vec::new(), resume);
        };
        let mut pause = Vec::new();
        let mut resume = Vec::new();
        for (&partition, &least) in &behind {
            let ahead = least.saturating_sub(slowest);
            if self.paused.contains(&partition) {
                if ahead <= self.max_ahead / 4 {
                    resume.push(partition);
                }
            } else if ahead > self.max_ahead {
                pause.push(partition);
            }
        }
        pause.sort_unstable();
        resume.sort_unstable();
        self.paused.extend(&pause);
        for p in &resume {
            self.paused.remove(p);
        }
        (pause, resume)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(p: i32) -> Source {
        ("posts".to_string(), p)
    }

    #[test]
    fn a_partition_far_ahead_pauses_until_the_slowest_comes_within_a_quarter() {
        let mut a = Alignment::new(1000);
        for p in 0..3 {
            a.observe(source(p), p);
        }
        let at = |times: [i64; 3]| -> HashMap<Source, i64> { (0..3).map(|p| (source(p), times[p as usize])).collect() };
        assert_eq!(a.plan(&at([0, 500, 1001]), Some(0)), (vec![2], vec![]), "1,001 s ahead: paused");
        assert_eq!(a.plan(&at([700, 800, 1001]), Some(700)), (vec![], vec![]), "301 s ahead: still paused");
        assert_eq!(a.plan(&at([800, 900, 1001]), Some(800)), (vec![], vec![2]), "201 s ahead: resumed");
        assert_eq!(a.plan(&at([800, 900, 1001]), None), (vec![], vec![]));
    }

    #[test]
    fn a_partition_carrying_the_slowest_source_is_never_paused() {
        let mut a = Alignment::new(1000);
        // Sources 0 and 2 share rollups partition 0; source 1 has partition 1.
        a.observe(source(0), 0);
        a.observe(source(2), 0);
        a.observe(source(1), 1);
        let newest: HashMap<Source, i64> = [(source(0), 0), (source(2), 5000), (source(1), 5000)].into();
        assert_eq!(a.plan(&newest, Some(0)), (vec![1], vec![]), "partition 0 also carries the slowest");
        // Without a slowest (no rollup read yet) nothing is held back.
        assert_eq!(a.plan(&newest, None), (vec![], vec![1]));
    }
}
