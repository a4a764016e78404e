//! Checkpoints: an engine's and its workers' whole state as one blob
//! ([`crate::TrendEngine::checkpoint`]), and an engine restored from it
//! ([`crate::TrendEngine::restore`]).
//!
//! The ring of buckets alone ([`crate::TrendEngine::snapshot`]) is not enough to go on as if
//! nothing happened: baselines reach back past the ring, story ids and trend episodes are history,
//! the watched topics were chosen at earlier closes, and the workers hold counts they have not
//! merged yet and remember which (topic, author) pairs, which author's texts and which texts'
//! copies they have seen. A checkpoint holds all of it, so an engine restored from it and fed the
//! posts that followed ends exactly where the uninterrupted engine ends.
//!
//! Taking one changes nothing: each worker hands over a copy of its state
//! ([`crate::Worker::state`]) while no post is being ingested, without flushing — a flush at a
//! checkpoint would move the moments at which topics become watched, and with them what is
//! counted for them, so a run with checkpoints would differ from one without.

use std::collections::BTreeMap;

use pulse_sketch::{Persist, Window, codec::kind};
use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::bucket::TrendBucket;
use crate::registry::Registry;
use crate::tier::Tiers;
use crate::track::Track;

/// One worker's state ([`crate::Worker::state`]), to be restored into a worker of the restored
/// engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerState {
    /// Its buckets: counts not merged yet and de-duplication keys, by bucket start.
    pub(crate) buckets: BTreeMap<i64, LocalState>,
    /// The watched topics it works with.
    pub(crate) watch: Vec<(u64, bool)>,
    pub(crate) since_flush: u64,
    pub(crate) max_event: i64,
    pub(crate) newest_start: i64,
    pub(crate) next_watch: i64,
}

/// One of a worker's buckets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LocalState {
    /// Counts since its last flush.
    pub(crate) bucket: TrendBucket,
    pub(crate) dirty: bool,
    /// Authors seen in the bucket.
    pub(crate) authors: Vec<u64>,
    /// `(topic, author)` pair keys.
    pub(crate) pairs: Vec<u64>,
    /// `(author, content)` keys.
    pub(crate) contents: Vec<u64>,
    /// Content hashes put in the bucket's text store.
    pub(crate) stored: Vec<u64>,
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
    /// What the ring retired, hourly and daily.
    pub(crate) tiers: Tiers,
    /// Ingested, duplicates, late counted, late dropped, flushes.
    pub(crate) counters: [u64; 5],
    /// Copies per text in each open bucket.
    pub(crate) copies: Vec<(i64, Vec<(u64, u32)>)>,
    /// The watched topics as last published (each `true` if trending): chosen at earlier closes,
    /// so not derivable from the state now.
    pub(crate) watch: Vec<(u64, bool)>,
    pub(crate) workers: Vec<WorkerState>,
}

impl Persist for EngineCheckpoint {
    const KIND: u8 = kind::USER_START + 1;
}

/// A copy of an engine's state taken for a checkpoint ([`crate::TrendEngine::capture`]), not yet
/// encoded.
pub struct EngineCapture(pub(crate) EngineCheckpoint);

impl EngineCapture {
    /// The blob [`crate::TrendEngine::restore`] reads.
    pub fn to_bytes(&self) -> crate::Result<Vec<u8>> {
        Ok(self.0.to_bytes()?)
    }
}
