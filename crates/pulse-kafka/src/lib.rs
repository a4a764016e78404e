//! Pulse on Kafka: the pipeline of `pulse serve` as separate processes around a broker.
//!
//! ```text
//! pulse replay --to kafka ──▶ posts (key = post id, N partitions)
//!                               │            └──────────────▶ pulse query: search index
//!                               ▼ consumer group pulse-ingest
//!                         pulse ingest ×k ──▶ pulse.rollups ──▶ pulse query ×m: trend state, HTTP API
//!                               └──▶ posts.dlq (malformed records, error in headers)
//! ```
//!
//! - [`producer`]: the replay's sink, idempotent and batched.
//! - [`ingest`]: consumer-group workers that analyse posts into per-partition trend deltas and
//!   ship them as [`rollup::Rollup`]s tagged with the offsets they cover; offsets are committed
//!   after the rollup is acknowledged.
//! - [`query`]: a query node's two consumers — rollups (merged into its trend engine exactly once,
//!   by partition and offset range) and posts (its search index).
//! - [`align`]: which rollups partitions a query node pauses so that no source runs far ahead of
//!   the slowest in event time (the open buckets between them are its memory).
//! - [`topics`]: creating the topics.

pub mod align;
pub mod config;
pub mod error;
pub mod ingest;
pub mod producer;
pub mod query;
pub mod rollup;
pub mod stats;
pub mod topics;

pub use config::KafkaConfig;
pub use error::{KafkaError, Result};
pub use ingest::IngestWorker;
pub use producer::PostProducer;
pub use query::{PostIndexer, RollupApplier};
pub use rollup::Rollup;
pub use stats::IngestStats;
