//! The bar for `benches/kafka.sh`: how fast a bare rdkafka consumer, doing nothing with the
//! records, drains every partition of a topic. Pulse's ingest rate is reported as a ratio of it.
//!
//! `cargo run --release -p pulse-kafka --example drain -- BROKERS TOPIC`

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// How long the drain waits for a record before it gives up. Tansu's in-memory storage took
/// more than 5 s to answer a fetch of a topic holding 1.2M one-record batches.
const IDLE: Duration = Duration::from_secs(60);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(brokers), Some(topic)) = (args.next(), args.next()) else {
        return Err("usage: drain BROKERS TOPIC".into());
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("drain-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    let mut list = TopicPartitionList::new();
    for &p in &partitions {
        list.add_partition_offset(&topic, p, Offset::Beginning)?;
    }
    consumer.assign(&list)?;
    let started = Instant::now();
    let (mut records, mut bytes) = (0u64, 0u64);
    let mut done = HashSet::new();
    while done.len() < partitions.len() {
        match consumer.poll(IDLE) {
            Some(Ok(message)) => {
                records += 1;
                bytes += message.payload().map_or(0, |p| p.len() as u64);
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                done.insert(p);
            }
            Some(Err(error)) => return Err(error.into()),
            None => return Err(format!("no record for {} s", IDLE.as_secs()).into()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"records\": {records}, \"bytes\": {bytes}, \"seconds\": {seconds:.3}, \"records_per_second\": {:.0}}}",
        records as f64 / seconds
    );
    Ok(())
}
