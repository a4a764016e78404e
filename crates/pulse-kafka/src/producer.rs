//! `pulse replay --to kafka`: posts into the posts topic, key = post id.
//!
//! Producer settings, chosen for a replay that should be fast and lose nothing:
//! `enable.idempotence=true` (no duplicates or reordering on retries; implies `acks=all`),
//! `linger.ms=20` and `batch.size=1 MiB` (a posts batch per partition fills in a few ms at replay
//! speed, so batches are large without adding visible latency), `compression.type=zstd` (short
//! JSON posts compress ~3×), and `message.timeout.ms=120000` (librdkafka retries a failed send
//! until then, so a broker restart is ridden out, not reported). All can be overridden with
//! `[kafka.properties]` or `PULSE_KAFKA_*` variables.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_executor::block_on;
use futures_util::FutureExt;
use pulse_core::Post;
use pulse_core::sink::{Sink, SinkError};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use crate::config::KafkaConfig;
use crate::error::{KafkaError, Result};

/// Sends in flight before [`PostProducer`] waits for the oldest acknowledgement.
const MAX_IN_FLIGHT: usize = 100_000;

/// Producer settings for the posts topic (see the module docs).
pub const POSTS_PRODUCER: &[(&str, &str)] = &[
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("linger.ms", "20"),
    ("batch.size", "1048576"),
    ("compression.type", "zstd"),
    ("message.timeout.ms", "120000"),
    ("queue.buffering.max.messages", "200000"),
];

/// A [`Sink`] that produces each post to the posts topic and counts acknowledgements.
pub struct PostProducer {
    producer: FutureProducer,
    topic: String,
    payload: Vec<u8>,
    in_flight: VecDeque<DeliveryFuture>,
    acked: Arc<AtomicU64>,
    failed: u64,
    first_error: Option<String>,
}

impl PostProducer {
    /// A producer for `kafka.posts_topic`.
    pub fn new(kafka: &KafkaConfig) -> Result<Self> {
        let producer: FutureProducer = kafka.client(POSTS_PRODUCER).create()?;
        Ok(Self {
            producer,
            topic: kafka.posts_topic.clone(),
            payload: Vec::with_capacity(1024),
            in_flight: VecDeque::new(),
            acked: Arc::new(AtomicU64::new(0)),
            failed: 0,
            first_error: None,
        })
    }

    /// Posts the broker has acknowledged so far (shared, for a progress bar).
    pub fn acked(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.acked)
    }

    fn settle(&mut self, delivery: DeliveryFuture) {
        self.record(block_on(delivery));
    }

    fn record(&mut self, outcome: <DeliveryFuture as std::future::Future>::Output) {
        match outcome {
            Ok(Ok(_)) => {
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err((error, _))) => self.fail(error.to_string()),
            Err(_) => self.fail(KafkaError::Cancelled.to_string()),
        }
    }

    fn fail(&mut self, error: String) {
        self.failed += 1;
        if self.first_error.is_none() {
            tracing::error!(%error, "post not delivered");
            self.first_error = Some(error);
        }
    }

    /// Settles acknowledgements that already arrived, without waiting.
    fn settle_ready(&mut self) {
        while let Some(front) = self.in_flight.front_mut() {
            let Some(outcome) = front.now_or_never() else { break };
            self.in_flight.pop_front();
            self.record(outcome);
        }
    }
}

impl Sink for PostProducer {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        if let Some(error) = &self.first_error {
            return Err(SinkError::other(KafkaError::Undelivered { failed: self.failed, first: error.clone() }));
        }
        // The canonical JSON (`schemas/post.schema.json`, read back by `rollup::decode_post`), written
        // into a reused buffer: librdkafka copies the payload when the record is enqueued.
        self.payload.clear();
        serde_json::to_writer(&mut self.payload, post)?;
        loop {
            let record = FutureRecord::to(&self.topic).key(post.id.as_str()).payload(&self.payload);
            match self.producer.send_result(record) {
                Ok(delivery) => {
                    self.in_flight.push_back(delivery);
                    break;
                }
                // The local queue is full: wait for the oldest send, then try again.
                Err((rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    match self.in_flight.pop_front() {
                        Some(oldest) => self.settle(oldest),
                        None => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                Err((error, _)) => return Err(SinkError::other(KafkaError::from(error))),
            }
        }
        if self.in_flight.len() >= MAX_IN_FLIGHT
            && let Some(oldest) = self.in_flight.pop_front()
        {
            self.settle(oldest);
        }
        if self.in_flight.len().is_multiple_of(1024) {
            self.settle_ready();
        }
        Ok(())
    }

    /// Waits for every send to be acknowledged or to fail; an error if any failed.
    fn finish(&mut self) -> Result<(), SinkError> {
        while let Some(delivery) = self.in_flight.pop_front() {
            self.settle(delivery);
        }
        self.producer.flush(Duration::from_secs(30)).map_err(|e| SinkError::other(KafkaError::from(e)))?;
        match &self.first_error {
            None => Ok(()),
            Some(error) => Err(SinkError::other(KafkaError::Undelivered { failed: self.failed, first: error.clone() })),
        }
    }
}
