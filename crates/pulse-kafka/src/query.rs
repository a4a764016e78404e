//! `pulse query`'s two consumers: rollups into the trend engine, posts into the search index.
//!
//! Neither is a consumer-group member: every query node reads *all* partitions of both topics
//! from the beginning (its state is in memory and rebuilt on start), so query nodes scale by
//! replication, behind a load balancer, not by partitioning. Search is therefore bounded by what
//! one node can index (see `benches/RESULTS.md`); past that, a sharded search engine that reads
//! Kafka itself (Quickwit, for one) takes the posts topic instead.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pulse_index::IndexSender;
use pulse_ingest::{Pipeline, PipelineStats};
use pulse_trends::TrendEngine;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as ClientError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::align::{Alignment, Source};
use crate::config::KafkaConfig;
use crate::error::Result;
use crate::rollup::{Rollup, decode_post};

/// How long one `poll` waits.
const POLL: Duration = Duration::from_millis(100);
/// A source partition without a rollup for this long stops holding the watermark back.
const IDLE_PARTITION: Duration = Duration::from_secs(30);

/// Read-only consumer settings: no group commits, reached-the-end events on.
const READER: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.partition.eof", "true"),
    ("auto.offset.reset", "earliest"),
    ("fetch.message.max.bytes", crate::ingest::MAX_ROLLUP_BYTES),
];

/// How many ring spans of event time a source may run ahead of the slowest.
const AHEAD_RINGS: i64 = 7;

/// The rollups consumer's own settings (see [`consume_rollups`]).
const ROLLUPS_READER: [(&str, &str); 1] = [("fetch.wait.max.ms", "20")];

/// What happened to one rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Merged into the engine.
    Merged,
    /// Already applied (its whole range is at or before the last applied offset): dropped.
    Duplicate,
    /// Starts inside what was applied but reaches past it; merging it would count some posts
    /// twice and dropping it loses some, so it is dropped and counted. Only a zombie worker (see
    /// [`crate::ingest`]) can cause this.
    Overlap,
}

/// Merges rollups into a trend engine, each partition's offsets exactly once.
pub struct RollupApplier {
    engine: Arc<TrendEngine>,
    /// Last posts offset applied, per source (topic, partition).
    applied: HashMap<Source, i64>,
    /// Newest event time per source and when its last rollup arrived.
    progress: HashMap<Source, (i64, Instant)>,
    stats: Arc<PipelineStats>,
}

impl RollupApplier {
    /// An applier into `engine`, counting into `stats`.
    pub fn new(engine: Arc<TrendEngine>, stats: Arc<PipelineStats>) -> Self {
        Self { engine, applied: HashMap::new(), progress: HashMap::new(), stats }
    }

    /// Applies `rollup` unless its offsets were applied already.
    pub fn apply(&mut self, rollup: &Rollup) -> Result<Outcome> {
        let source = (rollup.topic.clone(), rollup.partition);
        let outcome = match self.applied.get(&source) {
            Some(&last) if rollup.last_offset <= last => Outcome::Duplicate,
            Some(&last) if rollup.first_offset <= last => Outcome::Overlap,
            _ => Outcome::Merged,
        };
        let counter = match outcome {
            Outcome::Merged => &self.stats.rollups_merged,
            Outcome::Duplicate => &self.stats.rollups_duplicate,
            Outcome::Overlap => &self.stats.rollups_overlap,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if outcome != Outcome::Merged {
            tracing::warn!(
                ?outcome,
                topic = rollup.topic,
                partition = rollup.partition,
                first = rollup.first_offset,
                last = rollup.last_offset,
                "rollup dropped"
            );
            return Ok(outcome);
        }
        self.applied.insert(source.clone(), rollup.last_offset);
        let newest = self.progress.get(&source).map_or(i64::MIN, |p| p.0).max(rollup.max_event);
        self.progress.insert(source, (newest, Instant::now()));
        self.stats.malformed.fetch_add(rollup.malformed, Ordering::Relaxed);
        self.engine.merge_buckets(rollup.buckets.iter().map(|(start, b)| (*start, b)), self.watermark())?;
        Ok(outcome)
    }

    /// The slowest active partition's newest event, less the allowed lateness: a bucket closes
    /// only when every partition has moved past it.
    fn watermark(&self) -> Option<i64> {
        self.slowest().map(|slowest| slowest - self.engine.config().allowed_lateness_secs)
    }

    /// The newest event of the slowest source that sent a rollup in the last [`IDLE_PARTITION`]
    /// (of the fastest, if none did).
    fn slowest(&self) -> Option<i64> {
        let active = self.progress.values().filter(|(_, at)| at.elapsed() < IDLE_PARTITION).map(|(newest, _)| *newest);
        let slowest = active.min().or_else(|| self.progress.values().map(|(newest, _)| *newest).max())?;
        (slowest != i64::MIN).then_some(slowest)
    }

    /// Each source's newest event.
    fn newest(&self) -> HashMap<Source, i64> {
        self.progress.iter().map(|(source, (newest, _))| (source.clone(), *newest)).collect()
    }
}

/// Pauses and resumes rollups partitions of `topic` as `alignment` plans from `applier`'s progress.
fn align(consumer: &BaseConsumer, topic: &str, alignment: &mut Alignment, applier: &RollupApplier) -> Result<()> {
    let (pause, resume) = alignment.plan(&applier.newest(), applier.slowest());
    for (partitions, paused) in [(pause, true), (resume, false)] {
        if partitions.is_empty() {
            continue;
        }
        let mut list = TopicPartitionList::new();
        for &p in &partitions {
            list.add_partition(topic, p);
        }
        if paused {
            tracing::info!(?partitions, "rollups partitions paused: their sources run ahead of the slowest");
            consumer.pause(&list)?;
        } else {
            tracing::info!(?partitions, "rollups partitions resumed");
            consumer.resume(&list)?;
        }
    }
    Ok(())
}

/// A consumer of every partition of `topic` from the beginning, without a group.
fn reader(
    kafka: &KafkaConfig,
    topic: &str,
    extra: &[(&str, &str)],
    stop: &AtomicBool,
) -> Result<Option<(BaseConsumer, usize)>> {
    let group = format!("pulse-query-{}", std::process::id());
    let mut role = READER.to_vec();
    role.extend_from_slice(extra);
    role.push(("group.id", &group));
    let consumer: BaseConsumer = kafka.client(&role).create()?;
    // The topic may not exist yet (query nodes can start before anything is produced): wait.
    let mut waited = false;
    loop {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if !partitions.is_empty() {
            let mut list = TopicPartitionList::new();
            for &p in &partitions {
                list.add_partition_offset(topic, p, Offset::Beginning)?;
            }
            consumer.assign(&list)?;
            return Ok(Some((consumer, partitions.len())));
        }
        if stop.load(Ordering::Acquire) {
            return Ok(None);
        }
        if !waited {
            tracing::warn!(topic, "waiting for the topic to exist (`pulse topics create` makes it)");
            waited = true;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Applies every rollup on `kafka.rollups_topic` until `stop`; calls `on_caught_up` once every
/// partition has been read to the end it had when the node started (the node is then ready).
pub fn consume_rollups(
    kafka: &KafkaConfig,
    applier: &mut RollupApplier,
    on_caught_up: impl FnOnce(),
    stop: &AtomicBool,
) -> Result<()> {
    // A resumed partition is fetched with the next fetch request, which the broker holds up to
    // `fetch.wait.max.ms` (500 ms by default) while the other partitions are at their end: short,
    // so alignment's pauses cost little.
    let Some((consumer, partitions)) = reader(kafka, &kafka.rollups_topic, &ROLLUPS_READER, stop)? else {
        return Ok(());
    };
    let mut at_end = std::collections::HashSet::new();
    let mut on_caught_up = Some(on_caught_up);
    // A week of the ring's spans (a week at the default 24 h): catching up after a day's downtime
    // never pauses, a replay of months pauses a few times per source, and the buckets open
    // ahead of the watermark stay bounded.
    let config = applier.engine.config();
    let mut alignment = Alignment::new(AHEAD_RINGS * config.history_buckets as i64 * config.bucket_secs);
    while !stop.load(Ordering::Acquire) {
        align(&consumer, &kafka.rollups_topic, &mut alignment, applier)?;
        match consumer.poll(POLL) {
            Some(Ok(message)) => match message.payload().map(Rollup::decode) {
                Some(Ok(rollup)) => {
                    alignment.observe((rollup.topic.clone(), rollup.partition), message.partition());
                    applier.apply(&rollup)?;
                }
                Some(Err(error)) => {
                    tracing::error!(%error, partition = message.partition(), offset = message.offset(), "unreadable rollup skipped");
                    applier.stats.malformed.fetch_add(1, Ordering::Relaxed);
                }
                None => {}
            },
            Some(Err(ClientError::PartitionEOF(p))) => {
                at_end.insert(p);
                if at_end.len() >= partitions
                    && let Some(ready) = on_caught_up.take()
                {
                    ready();
                }
            }
            Some(Err(error)) => tracing::warn!(%error, "rollups consumer error"),
            None => {}
        }
    }
    Ok(())
}

/// Indexes every post on the posts topic (a query node's search) through an index-only
/// [`Pipeline`], counting what it reads.
pub struct PostIndexer {
    pipeline: Pipeline,
    stats: Arc<PipelineStats>,
}

impl PostIndexer {
    /// An indexer feeding `index`.
    pub fn new(index: IndexSender, stats: Arc<PipelineStats>) -> Self {
        Self { pipeline: Pipeline::new().with_index(index), stats }
    }

    /// Consumes `kafka.posts_topic` until `stop`. Malformed records are skipped here: the ingest
    /// workers count and dead-letter them.
    pub fn run(&mut self, kafka: &KafkaConfig, stop: &AtomicBool) -> Result<()> {
        let Some((consumer, _)) = reader(kafka, &kafka.posts_topic, &[], stop)? else { return Ok(()) };
        while !stop.load(Ordering::Acquire) {
            match consumer.poll(POLL) {
                Some(Ok(message)) => {
                    self.stats.records_read.fetch_add(1, Ordering::Relaxed);
                    if let Ok(post) = decode_post(message.payload()) {
                        self.stats.newest_event_ms.fetch_max(post.created_at.timestamp_millis(), Ordering::Relaxed);
                        self.pipeline.ingest(&post)?;
                        self.stats.posts_analyzed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Err(ClientError::PartitionEOF(_))) => {}
                Some(Err(error)) => tracing::warn!(%error, "posts consumer error"),
                None => {}
            }
        }
        Ok(())
    }
}
