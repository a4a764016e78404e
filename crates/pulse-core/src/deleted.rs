//! [`Deleted`]: the posts their authors deleted lately, by a hash of their id, for the consumers
//! that may still receive one of them after the deletion.
//!
//! A live source hands on a post and, later, its deletion, but the two travel different paths:
//! the post through the ingest queue, the deletion straight to the index and the trend engine. A
//! deletion can thus overtake its post (a post deleted within seconds, a queue under load), and a
//! consumer that only deleted what it held would keep the post that came after. So each consumer
//! also remembers the deletions and turns such a post away. The memory is bounded: the newest
//! [`Deleted::CAPACITY`] deletions (at Bluesky's rate of deletions, well over the minutes a post
//! can spend in a queue).

use std::collections::{HashSet, VecDeque};

/// The most recent deletions, by id hash.
#[derive(Debug, Default)]
pub struct Deleted {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Deleted {
    /// Deletions remembered at most; the oldest is forgotten first.
    pub const CAPACITY: usize = 100_000;

    /// Remembers the deletion of the post whose id hashes to `hash`.
    pub fn insert(&mut self, hash: u64) {
        if self.set.insert(hash) {
            self.order.push_back(hash);
            if self.order.len() > Self::CAPACITY
                && let Some(oldest) = self.order.pop_front()
            {
                self.set.remove(&oldest);
            }
        }
    }

    /// Whether the post whose id hashes to `hash` was deleted.
    pub fn contains(&self, hash: u64) -> bool {
        self.set.contains(&hash)
    }

    /// Whether no deletion is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_newest_deletions_only() {
        let mut deleted = Deleted::default();
        assert!(deleted.is_empty());
        for hash in 0..Deleted::CAPACITY as u64 + 10 {
            deleted.insert(hash);
        }
        deleted.insert(20);
        assert!(!deleted.contains(9) && deleted.contains(10) && deleted.contains(Deleted::CAPACITY as u64 + 9));
    }
}
