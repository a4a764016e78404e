//! `pulse ingest`: a consumer-group member that turns its partitions' posts into rollups.
//!
//! For each assigned partition the worker keeps a [`Pipeline`] over a manually flushed engine
//! worker, so everything counted since the last rollup is exactly one partition's delta over one
//! offset range. Every flush interval it produces one [`Rollup`] per partition with new records,
//! waits for the broker to acknowledge them (and any dead letters they cover), and only then
//! commits the consumed offsets.
//!
//! **Exactly once, end to end.** The rollups topic, not the committed offset, is the source of
//! truth: when a partition is assigned the worker reads the last rollup written for it and skips
//! every record that rollup already covers. So a worker killed between a rollup's
//! acknowledgement and its commit re-reads a little and counts nothing twice, and one killed
//! before a rollup was acknowledged loses nothing (the records are re-read from the older
//! commit). The query node drops any rollup that starts at or before what it already applied,
//! which covers a rollup delivered twice.
//!
//! **Rebalances.** The rebalance callback only records what changed (librdkafka calls it inside
//! `poll`; blocking there — committing, producing and waiting — is what deadlocked other
//! projects). The poll loop then acts on it: a revoked partition's unflushed delta is dropped,
//! not shipped, because by then its next owner may already have read the last rollup; the new
//! owner re-reads those records (at most about one flush interval of them).
//!
//! Known limit: a worker that stalls for longer than the session timeout *while* its rollup is in
//! flight can race its successor (a "zombie"); Kafka transactions would fence it. The query node
//! counts such overlaps (`rollups{outcome="overlap"}`) instead of double counting.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_executor::block_on;
use pulse_ingest::Pipeline;
use pulse_trends::{TrendConfig, TrendEngine};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError as ClientError;
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::config::KafkaConfig;
use crate::error::{KafkaError, Result};
use crate::rollup::{ROLLUP_VERSION, Rollup, decode_post};
use crate::stats::IngestStats;

/// Buckets one partition's rollup may touch before it is shipped early. A bucket's sketches
/// encode to ~21 KB (469 buckets made a 9.8 MB rollup), and a sparse stretch of a replay (or a partition catching up from far
/// behind) can cover hundreds of buckets in one flush interval; 24 keeps every rollup near 500 KB, under Kafka's
/// default 1 MB message limit while shipping as few rollups as possible (each waits for its
/// acknowledgement; measured in `benches/RESULTS.md`).
const MAX_BUCKETS_PER_ROLLUP: usize = 24;

/// Largest rollup message: the producer's `message.max.bytes` and the rollups topic's
/// `max.message.bytes`.
pub(crate) const MAX_ROLLUP_BYTES: &str = "33554432";

/// How long one `poll` waits for a record.
const POLL: Duration = Duration::from_millis(100);
/// How long reading a partition's last rollup may take before the worker gives up (and exits,
/// rather than guess where to resume).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Consumer settings: offsets are committed by hand after rollups are acknowledged; a new group
/// starts from the beginning of the topic.
const CONSUMER: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("auto.offset.reset", "earliest"),
    ("session.timeout.ms", "10000"),
    ("heartbeat.interval.ms", "1000"),
];

/// Producer settings for rollups and dead letters: idempotent, acknowledged by all replicas, and
/// sent at once (`linger.ms=0`): a flush sends one rollup per partition and then waits for them, so
/// lingering would only add its delay to every flush.
const PRODUCER: &[(&str, &str)] = &[
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("linger.ms", "0"),
    ("compression.type", "zstd"),
    ("message.max.bytes", MAX_ROLLUP_BYTES),
];

/// A reader of the rollups topic's newest records, to find where a partition resumes.
const LOOKUP: &[(&str, &str)] = &[("enable.auto.commit", "false"), ("enable.partition.eof", "true")];

/// Partition changes recorded by the rebalance callback for the poll loop to act on.
#[derive(Debug)]
enum Change {
    Assigned(Vec<i32>),
    Revoked(Vec<i32>),
}

/// The consumer context: records rebalances, never blocks.
#[derive(Default)]
struct RebalanceLog {
    topic: String,
    changes: Mutex<Vec<Change>>,
}

impl ClientContext for RebalanceLog {
    /// librdkafka's own log lines, through `tracing` (`PULSE_LOG=librdkafka=debug` with
    /// `PULSE_KAFKA_DEBUG=cgrp` shows the group protocol).
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        use rdkafka::config::RDKafkaLogLevel as Level;
        match level {
            Level::Emerg | Level::Alert | Level::Critical | Level::Error => {
                tracing::error!(target: "librdkafka", facility, message)
            }
            Level::Warning => tracing::warn!(target: "librdkafka", facility, message),
            Level::Notice | Level::Info => tracing::info!(target: "librdkafka", facility, message),
            Level::Debug => tracing::debug!(target: "librdkafka", facility, message),
        }
    }
}

impl ConsumerContext for RebalanceLog {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            self.push(Change::Revoked(self.partitions(list)));
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => self.push(Change::Assigned(self.partitions(list))),
            Rebalance::Revoke(_) => {}
            Rebalance::Error(error) => tracing::error!(%error, "rebalance failed"),
        }
    }
}

impl RebalanceLog {
    fn partitions(&self, list: &TopicPartitionList) -> Vec<i32> {
        list.elements_for_topic(&self.topic).iter().map(|e| e.partition()).collect()
    }

    fn push(&self, change: Change) {
        self.changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(change);
    }

    fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// What the worker holds for one assigned partition.
struct PartitionState {
    pipeline: Pipeline,
    /// Records below this offset are covered by a rollup already: skipped.
    resume: i64,
    /// Offsets of the records since the last rollup.
    range: Option<(i64, i64)>,
    posts: u64,
    malformed: u64,
    max_event: i64,
    /// Buckets touched since the last rollup.
    buckets: BTreeSet<i64>,
}

/// One ingest worker process's Kafka side.
pub struct IngestWorker {
    consumer: BaseConsumer<RebalanceLog>,
    core: Core,
}

/// Everything but the consumer, so a polled record (which borrows the consumer) can be counted
/// while the worker's state changes.
struct Core {
    kafka: KafkaConfig,
    producer: FutureProducer,
    lookup: BaseConsumer,
    engine: TrendEngine,
    rollup_partitions: i32,
    partitions: BTreeMap<i32, PartitionState>,
    dead_letters: Vec<DeliveryFuture>,
    stats: Arc<IngestStats>,
    /// A partition's rollup reached [`MAX_BUCKETS_PER_ROLLUP`]: ship now.
    flush_now: bool,
}

impl IngestWorker {
    /// Connects, and joins the group on `kafka.posts_topic` (the rollups topic must exist).
    pub fn new(kafka: KafkaConfig, trends: TrendConfig, stats: Arc<IngestStats>) -> Result<Self> {
        let mut role = CONSUMER.to_vec();
        role.push(("group.id", &kafka.group));
        let context = RebalanceLog { topic: kafka.posts_topic.clone(), ..RebalanceLog::default() };
        let consumer: BaseConsumer<RebalanceLog> = kafka.client(&role).create_with_context(context)?;
        let producer: FutureProducer = kafka.client(PRODUCER).create()?;
        let lookup_group = format!("{}-lookup", kafka.group);
        let mut lookup_role = LOOKUP.to_vec();
        lookup_role.push(("group.id", &lookup_group));
        let lookup: BaseConsumer = kafka.client(&lookup_role).create()?;
        let metadata = lookup.fetch_metadata(Some(&kafka.rollups_topic), LOOKUP_TIMEOUT)?;
        let rollup_partitions = metadata
            .topics()
            .first()
            .filter(|t| t.error().is_none())
            .map_or(0, |t| i32::try_from(t.partitions().len()).unwrap_or(i32::MAX));
        if rollup_partitions == 0 {
            return Err(KafkaError::Rollup(format!(
                "topic {} does not exist: create the topics first (`pulse topics create`)",
                kafka.rollups_topic
            )));
        }
        consumer.subscribe(&[&kafka.posts_topic])?;
        let core = Core {
            engine: TrendEngine::new(trends)?,
            kafka,
            producer,
            lookup,
            rollup_partitions,
            partitions: BTreeMap::new(),
            dead_letters: Vec::new(),
            stats,
            flush_now: false,
        };
        Ok(Self { consumer, core })
    }

    /// Consumes until `stop` is set, shipping a rollup per partition every flush interval; ships
    /// a last one before returning.
    pub fn run(&mut self, stop: &AtomicBool) -> Result<()> {
        let interval = self.core.kafka.flush_interval.to_std();
        let mut last_flush = Instant::now();
        while !stop.load(Ordering::Acquire) {
            let polled = self.consumer.poll(POLL);
            // Rebalances happened inside that poll: act on them before its record.
            for change in self.consumer.context().take() {
                self.core.apply(change)?;
            }
            match polled {
                Some(Ok(message)) => self.core.count(&message)?,
                Some(Err(error)) => tracing::warn!(%error, "consumer error"),
                None => {}
            }
            if self.core.flush_now || last_flush.elapsed() >= interval {
                self.core.flush(&self.consumer)?;
                last_flush = Instant::now();
            }
        }
        self.core.flush(&self.consumer)
    }
}

impl Core {
    fn apply(&mut self, change: Change) -> Result<()> {
        self.stats.rebalances.inc();
        match change {
            Change::Revoked(partitions) => {
                for p in partitions {
                    // Dropped, not shipped: the next owner resumes after the last rollup.
                    self.partitions.remove(&p);
                }
            }
            Change::Assigned(partitions) => {
                for p in partitions {
                    if self.partitions.contains_key(&p) {
                        continue;
                    }
                    let resume = self.last_rollup_end(p)?.map_or(0, |end| end + 1);
                    tracing::info!(partition = p, resume, "partition assigned");
                    self.partitions.insert(
                        p,
                        PartitionState {
                            pipeline: Pipeline::new().with_trends(self.engine.worker().manual_flush()),
                            resume,
                            range: None,
                            posts: 0,
                            malformed: 0,
                            max_event: i64::MIN,
                            buckets: BTreeSet::new(),
                        },
                    );
                }
                self.stats.set_ready(true);
            }
        }
        self.stats.partitions.set(i64::try_from(self.partitions.len()).unwrap_or(i64::MAX));
        Ok(())
    }

    /// Counts one record of the posts topic, or dead-letters it.
    fn count(&mut self, message: &BorrowedMessage<'_>) -> Result<()> {
        let stats = &self.stats;
        let (p, offset) = (message.partition(), message.offset());
        let Some(state) = self.partitions.get_mut(&p) else { return Ok(()) };
        if offset < state.resume {
            stats.reread_skipped.inc();
            return Ok(());
        }
        stats.records.inc();
        match decode_post(message.payload()) {
            Ok(post) => {
                state.pipeline.ingest(&post)?;
                state.posts += 1;
                state.max_event = state.max_event.max(post.created_at.timestamp());
                stats.posts.inc();
                let width = self.engine.config().bucket_secs;
                state.buckets.insert(post.created_at.timestamp().div_euclid(width));
                self.flush_now |= state.buckets.len() >= MAX_BUCKETS_PER_ROLLUP;
            }
            Err(reason) => {
                tracing::warn!(partition = p, offset, %reason, "malformed record dead-lettered");
                self.dead_letters.push(dead_letter(&self.producer, &self.kafka, message, &reason)?);
                state.malformed += 1;
                stats.malformed.inc();
            }
        }
        state.range = Some(state.range.map_or((offset, offset), |(first, _)| (first, offset)));
        Ok(())
    }

    /// Ships a rollup for every partition with new records, waits for the acknowledgements, then
    /// commits their offsets.
    fn flush(&mut self, consumer: &BaseConsumer<RebalanceLog>) -> Result<()> {
        self.flush_now = false;
        let mut shipped = Vec::new();
        for (&p, state) in &mut self.partitions {
            let Some((first, last)) = state.range.take() else { continue };
            state.buckets.clear();
            let mut buckets = Vec::new();
            state.pipeline.flush_with(|start, bucket| {
                buckets.push((start, bucket.clone()));
                Ok(())
            })?;
            let rollup = Rollup {
                version: ROLLUP_VERSION,
                topic: self.kafka.posts_topic.clone(),
                partition: p,
                first_offset: first,
                last_offset: last,
                posts: std::mem::take(&mut state.posts),
                malformed: std::mem::take(&mut state.malformed),
                max_event: state.max_event,
                buckets,
            };
            let key = Rollup::key(&rollup.topic, p);
            let payload = rollup.encode()?;
            let record = FutureRecord::to(&self.kafka.rollups_topic)
                .key(&key)
                .payload(&payload)
                .partition(p % self.rollup_partitions);
            let delivery = self.producer.send_result(record).map_err(|(error, _)| error)?;
            shipped.push((p, last, delivery));
        }
        for delivery in self.dead_letters.drain(..) {
            settle(delivery)?;
        }
        if shipped.is_empty() {
            return Ok(());
        }
        let mut commit = TopicPartitionList::new();
        for (p, last, delivery) in shipped {
            settle(delivery)?;
            self.stats.rollups.inc();
            // Only partitions still assigned are committed; a revoked one is its new owner's.
            if self.partitions.contains_key(&p) {
                commit.add_partition_offset(&self.kafka.posts_topic, p, Offset::Offset(last + 1))?;
            }
        }
        if commit.count() > 0 {
            match consumer.commit(&commit, CommitMode::Async) {
                Ok(()) => {
                    self.stats.commits.inc();
                }
                // A commit lost to a rebalance is harmless: the rollups are the source of truth.
                Err(error) => tracing::warn!(%error, "offset commit failed"),
            };
        }
        Ok(())
    }

    /// The last posts offset the newest rollup for partition `p` covers, if there is one.
    ///
    /// Reads the tail of the rollups partition forward to its end (the fetch's end-of-partition
    /// signal, not the listed high watermark, which some Kafka-protocol brokers only estimate),
    /// going further back while the tail holds no rollup of `p`.
    fn last_rollup_end(&self, p: i32) -> Result<Option<i64>> {
        let topic = &self.kafka.rollups_topic;
        let rp = p % self.rollup_partitions;
        let (low, high) = self.lookup.fetch_watermarks(topic, rp, LOOKUP_TIMEOUT)?;
        let mut start = high;
        let mut step = 16;
        while start > low {
            start = (start - step).max(low);
            step *= 4;
            let mut list = TopicPartitionList::new();
            list.add_partition_offset(topic, rp, Offset::Offset(start))?;
            self.lookup.assign(&list)?;
            let mut found: Option<i64> = None;
            let deadline = Instant::now() + LOOKUP_TIMEOUT;
            loop {
                match self.lookup.poll(POLL) {
                    Some(Ok(message)) => {
                        if let Some(rollup) = message.payload().and_then(|bytes| Rollup::decode(bytes).ok())
                            && rollup.topic == self.kafka.posts_topic
                            && rollup.partition == p
                        {
                            found = found.max(Some(rollup.last_offset));
                        }
                    }
                    Some(Err(ClientError::PartitionEOF(_))) => break,
                    Some(Err(error)) => return Err(error.into()),
                    None if Instant::now() > deadline => {
                        return Err(KafkaError::Rollup(format!("timed out reading {topic} partition {rp}")));
                    }
                    None => {}
                }
            }
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// Produces a malformed record to the dead-letter topic, with where it came from and what is
/// wrong with it in its headers.
fn dead_letter(
    producer: &FutureProducer,
    kafka: &KafkaConfig,
    message: &BorrowedMessage<'_>,
    reason: &str,
) -> Result<DeliveryFuture> {
    let (partition, offset) = (message.partition().to_string(), message.offset().to_string());
    let headers = OwnedHeaders::new()
        .insert(Header { key: "pulse.error", value: Some(reason) })
        .insert(Header { key: "pulse.source.topic", value: Some(message.topic()) })
        .insert(Header { key: "pulse.source.partition", value: Some(&partition) })
        .insert(Header { key: "pulse.source.offset", value: Some(&offset) });
    let mut record = FutureRecord::to(&kafka.dlq_topic).headers(headers);
    if let Some(key) = message.key() {
        record = record.key(key);
    }
    let payload = message.payload().unwrap_or_default();
    record = record.payload(payload);
    Ok(producer.send_result(record).map_err(|(error, _)| error)?)
}

/// Waits for one acknowledgement.
fn settle(delivery: DeliveryFuture) -> Result<()> {
    match block_on(delivery) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((error, _))) => Err(error.into()),
        Err(_) => Err(KafkaError::Cancelled),
    }
}
