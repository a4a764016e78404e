//! `pulse topics create`: the posts, rollups and dead-letter topics.

use std::time::Duration;

use futures_executor::block_on;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;
use crate::error::{KafkaError, Result};

/// Creates the three topics; ones that exist already are left as they are. Returns, per topic,
/// whether it was created.
///
/// The rollups topic gets as many partitions as the posts topic so each posts partition's
/// rollups have a partition of their own (a worker taking a partition over reads only its tail).
pub fn create_topics(kafka: &KafkaConfig) -> Result<Vec<(String, bool)>> {
    let admin: AdminClient<DefaultClientContext> = kafka.client(&[]).create()?;
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let replication = || TopicReplication::Fixed(kafka.replication_factor);
    let topics = [
        NewTopic::new(&kafka.posts_topic, kafka.partitions, replication()),
        // A busy bucket's sketches and samples can pass the broker's default 1 MB per message;
        // the worker's producer allows 32 MiB, and so does this topic.
        NewTopic::new(&kafka.rollups_topic, kafka.partitions, replication())
            .set("max.message.bytes", crate::ingest::MAX_ROLLUP_BYTES),
        NewTopic::new(&kafka.dlq_topic, 1, replication()),
    ];
    let results = block_on(admin.create_topics(&topics, &options))?;
    results
        .into_iter()
        .map(|result| match result {
            Ok(topic) => Ok((topic, true)),
            Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => Ok((topic, false)),
            Err((topic, code)) => Err(KafkaError::CreateTopic { topic, reason: code.to_string() }),
        })
        .collect()
}
