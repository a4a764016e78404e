//! Pulse ingest: the one path every post takes into the state the API reads — analysis
//! (`pulse-text`), then the trend engine (a local `pulse-trends` worker) and the search index
//! (`pulse-index`).
//!
//! # Layout
//!
//! - [`convert`]: the analyzer's output as the engine's and the index's input, written once.
//! - [`pipeline`]: [`Pipeline`], one thread's path: analyse → trend worker → index. `pulse serve`,
//!   `pulse trends`, the Kafka ingest worker (per partition) and the query node's indexer all run it.
//! - [`node`]: [`IngestNode`], the threads of `pulse serve` (queue, workers, idle flush,
//!   backpressure, shutdown), and the [`node::NodeSink`] a source feeds it through.
//! - [`checkpoint`]: [`checkpoint::Checkpoint`], what `pulse serve` writes to resume after a
//!   restart, and its file (atomic write, set aside when unusable).
//! - [`stats`]: [`PipelineStats`], the counters `/metrics` reads.

pub mod checkpoint;
pub mod convert;
pub mod error;
pub mod node;
pub mod pipeline;
pub mod stats;

pub use convert::{to_analyzed, to_index_post, topic_kind};
pub use error::IngestError;
pub use node::{Checkpoints, IngestNode, NodeConfig, NodeSink, Settled, SourceObserver};
pub use pipeline::Pipeline;
pub use stats::PipelineStats;
