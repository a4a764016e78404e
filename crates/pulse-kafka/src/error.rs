//! Errors of the Kafka side.

/// What can go wrong talking to Kafka or reading what is on it.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// librdkafka reported an error.
    #[error("kafka: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    /// A rollup could not be written or read.
    #[error("rollup: {0}")]
    Rollup(String),
    /// A topic could not be created.
    #[error("creating topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// librdkafka's reason.
        reason: String,
    },
    /// The analysis or trend pipeline failed.
    #[error(transparent)]
    Ingest(#[from] pulse_ingest::IngestError),
    /// The trend engine refused a rollup.
    #[error("trend engine: {0}")]
    Trends(#[from] pulse_trends::TrendError),
    /// Posts the broker did not acknowledge.
    #[error("{failed} posts were not delivered; first error: {first}")]
    Undelivered {
        /// How many failed so far.
        failed: u64,
        /// The first failure.
        first: String,
    },
    /// A delivery was cancelled because the producer shut down.
    #[error("delivery cancelled: the producer was dropped")]
    Cancelled,
}

/// Results of this crate.
pub type Result<T, E = KafkaError> = std::result::Result<T, E>;
