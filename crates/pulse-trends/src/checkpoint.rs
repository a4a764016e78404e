//! Checkpoints: an engine's whole state as one blob ([`crate::TrendEngine::checkpoint`]) and an
//! engine restored from it ([`crate::TrendEngine::restore`]).
//!
//! The ring of buckets alone ([`crate::TrendEngine::snapshot`]) is not enough to go on as if
//! nothing happened: baselines reach back past the ring, story ids and trend episodes are history,
//! and the buckets still open are half counted. So a checkpoint holds the ring *and* what was
//! derived from it (baselines, episodes, stories, the watermark, the counters) *and* what the
//! workers remember of the open buckets: which (topic, author) pairs, which author's texts and
//! which texts' copies they have seen. An engine restored from it and fed the posts that followed
//! counts them as the uninterrupted engine does — an author seen before the checkpoint is not a
//! new author after it, a repeated text is still a duplicate, a retweet still a copy.
//!
//! A checkpoint is taken at a barrier, when every worker has flushed and holds no counts of its
//! own, only those sets ([`crate::Worker::seen`]). The workers' sets are united, and every worker
//! of the restored engine starts with the union: an author then counts once across workers in
//! those buckets, never less exactly than before.

use std::collections::BTreeMap;

use pulse_sketch::{Persist, Window, codec::kind};
use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::bucket::TrendBucket;
use crate::registry::Registry;
use crate::track::Track;

/// What workers remember of the buckets still open: the keys of their de-duplication sets, by
/// bucket start. One worker's from [`crate::Worker::seen`]; several united with
/// [`WorkerSeen::absorb`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerSeen {
    pub(crate) buckets: BTreeMap<i64, SeenKeys>,
}

/// One bucket's de-duplication keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SeenKeys {
    /// Authors seen in the bucket.
    pub(crate) authors: Vec<u64>,
    /// `(topic, author)` pair keys.
    pub(crate) pairs: Vec<u64>,
    /// `(author, content)` keys.
    pub(crate) contents: Vec<u64>,
    /// Content hashes put in the bucket's text store.
    pub(crate) stored: Vec<u64>,
}

impl WorkerSeen {
    /// Adds another worker's keys.
    pub fn absorb(&mut self, other: WorkerSeen) {
        for (start, keys) in other.buckets {
            let mine = self.buckets.entry(start).or_default();
            for (into, from) in [
                (&mut mine.authors, keys.authors),
                (&mut mine.pairs, keys.pairs),
                (&mut mine.contents, keys.contents),
                (&mut mine.stored, keys.stored),
            ] {
                into.extend(from);
                into.sort_unstable();
                into.dedup();
            }
        }
    }

    /// Whether no bucket is remembered.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// The blob: everything [`crate::TrendEngine::restore`] needs.
#[derive(Serialize, Deserialize)]
pub(crate) struct EngineCheckpoint {
    pub(crate) window: Window<TrendBucket>,
    pub(crate) closed_through: Option<i64>,
    pub(crate) first_start: Option<i64>,
    pub(crate) watermark: Option<i64>,
    pub(crate) baselines: Vec<(u64, Baseline)>,
    pub(crate) tracks: Vec<(u64, Track)>,
    pub(crate) stories: Registry,
    /// Ingested, duplicates, late counted, late dropped, flushes.
    pub(crate) counters: [u64; 5],
    /// Copies per text in each open bucket.
    pub(crate) copies: Vec<(i64, Vec<(u64, u32)>)>,
    pub(crate) seen: WorkerSeen,
}

impl Persist for EngineCheckpoint {
    const KIND: u8 = kind::USER_START + 1;
}
