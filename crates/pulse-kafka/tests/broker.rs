//! The ingest worker on a real Kafka-protocol broker (`PULSE_TEST_BROKERS`, started by
//! `./scripts/test.sh`): malformed records are dead-lettered with their error and origin and do not
//! block their partition; rollups cover every offset once and carry the posts.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pulse_kafka::topics::create_topics;
use pulse_kafka::{IngestStats, IngestWorker, KafkaConfig, Rollup};
use pulse_trends::TrendConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

fn kafka(tag: &str) -> KafkaConfig {
    let brokers = std::env::var("PULSE_TEST_BROKERS").expect(
        "PULSE_TEST_BROKERS is not set: these tests need a Kafka-protocol broker (./scripts/test.sh starts Tansu)",
    );
    let unique = format!("{tag}-{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
    let unique =
        format!("{unique}-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
    KafkaConfig {
        brokers,
        posts_topic: format!("posts-{unique}"),
        rollups_topic: format!("rollups-{unique}"),
        dlq_topic: format!("dlq-{unique}"),
        group: format!("group-{unique}"),
        partitions: 1,
        flush_interval: pulse_core::Span::from_millis(200),
        ..KafkaConfig::default()
    }
}

fn produce(kafka: &KafkaConfig, payloads: &[&str]) {
    let producer: ThreadedProducer<DefaultProducerContext> =
        ClientConfig::new().set("bootstrap.servers", &kafka.brokers).create().unwrap();
    for (i, payload) in payloads.iter().enumerate() {
        let key = format!("k{i}");
        producer.send(BaseRecord::to(&kafka.posts_topic).key(&key).payload(*payload).partition(0)).unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// Every record of partition 0 of `topic`: read until nothing new arrives for 2 s. (Not "to the
/// high watermark": Tansu 0.6's in-memory engine reports a high watermark of 1 for every partition.)
fn read_all(kafka: &KafkaConfig, topic: &str) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("group.id", format!("reader-{topic}"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&list).unwrap();
    let mut out = Vec::new();
    let mut last_seen = Instant::now();
    while last_seen.elapsed() < Duration::from_secs(2) {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            out.push(message.detach());
            last_seen = Instant::now();
        }
    }
    out
}

fn post(id: &str, author: &str, text: &str) -> String {
    serde_json::json!({"id": id, "created_at": "2013-04-15T19:00:00Z", "author": author, "text": text, "source": "test", "kind": "post"})
        .to_string()
}

#[test]
fn malformed_records_are_dead_lettered_with_their_origin_and_the_partition_keeps_flowing() {
    let kafka = kafka("dlq");
    create_topics(&kafka).unwrap();
    let good1 = post("1", "alice", "explosions at the #BostonMarathon finish line");
    let good2 = post("2", "bob", "praying for everyone in boston");
    produce(&kafka, &[&good1, "{\"id\": \"broken", &good2, ""]);

    let stats = Arc::new(IngestStats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (kafka, stats, stop) = (kafka.clone(), stats.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut worker = IngestWorker::new(kafka, TrendConfig::for_bucket(600), stats).unwrap();
            worker.run(&stop)
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats.records.get() < 4 {
        assert!(Instant::now() < deadline, "the worker read {} of 4 records", stats.records.get());
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, std::sync::atomic::Ordering::Release);
    worker.join().unwrap().unwrap();

    assert_eq!(stats.posts.get(), 2, "both good posts counted");
    assert_eq!(stats.malformed.get(), 2, "the broken and the empty record");
    let letters = read_all(&kafka, &kafka.dlq_topic);
    assert_eq!(letters.len(), 2);
    let header = |m: &rdkafka::message::OwnedMessage, key: &str| -> String {
        let headers = m.headers().unwrap();
        let h = headers.iter().find(|h| h.key == key).unwrap_or_else(|| panic!("no header {key}"));
        String::from_utf8(h.value.unwrap().to_vec()).unwrap()
    };
    assert_eq!(header(&letters[0], "pulse.source.topic"), kafka.posts_topic);
    assert_eq!(header(&letters[0], "pulse.source.partition"), "0");
    assert_eq!(header(&letters[0], "pulse.source.offset"), "1");
    assert!(
        header(&letters[0], "pulse.error").contains("not a canonical post"),
        "{}",
        header(&letters[0], "pulse.error")
    );
    assert_eq!(letters[0].payload(), Some(&b"{\"id\": \"broken"[..]), "the record is kept as it was");
    assert_eq!(header(&letters[1], "pulse.source.offset"), "3");
    assert!(header(&letters[1], "pulse.error").contains("no payload"));

    // One partition, all four offsets, in rollups that do not overlap.
    let mut covered = Vec::new();
    let (mut posts, mut malformed) = (0, 0);
    for message in read_all(&kafka, &kafka.rollups_topic) {
        let rollup = Rollup::decode(message.payload().unwrap()).unwrap();
        assert_eq!((rollup.topic.as_str(), rollup.partition), (kafka.posts_topic.as_str(), 0));
        covered.extend(rollup.first_offset..=rollup.last_offset);
        posts += rollup.posts;
        malformed += rollup.malformed;
    }
    assert_eq!(covered, vec![0, 1, 2, 3]);
    assert_eq!((posts, malformed), (2, 2));
}
