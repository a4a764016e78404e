//! Where the broker is, what the topics are called, and how librdkafka is configured.

use std::collections::BTreeMap;

use pulse_core::Span;
use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};

/// Environment variables with this prefix become librdkafka properties: `PULSE_KAFKA_SASL_PASSWORD`
/// sets `sasl.password`. That is how credentials reach Pulse from a Kubernetes Secret without
/// being written into its config file.
pub const ENV_PREFIX: &str = "PULSE_KAFKA_";

/// The Kafka side of Pulse's configuration (`[kafka]` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port…]`.
    pub brokers: String,
    /// Canonical posts (JSON, key = post id).
    pub posts_topic: String,
    /// Rollups from ingest workers to query nodes.
    pub rollups_topic: String,
    /// Malformed records from `posts_topic`, with the error in their headers.
    pub dlq_topic: String,
    /// The ingest workers' consumer group.
    pub group: String,
    /// Partitions `pulse topics create` gives the posts and rollups topics.
    pub partitions: i32,
    /// Replication factor `pulse topics create` asks for.
    pub replication_factor: i32,
    /// How often an ingest worker ships a rollup per partition: the freshness of trends on query
    /// nodes, and about the most a restarted worker re-reads.
    pub flush_interval: Span,
    /// Extra librdkafka properties, verbatim (TLS, SASL, tuning). Override Pulse's own settings.
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "localhost:9092".into(),
            posts_topic: "posts".into(),
            rollups_topic: "pulse.rollups".into(),
            dlq_topic: "posts.dlq".into(),
            group: "pulse-ingest".into(),
            partitions: 4,
            replication_factor: 1,
            flush_interval: Span::from_secs(1),
            properties: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// A client configuration: the brokers, then Pulse's settings for this role, then the
    /// user's `properties`, then `PULSE_KAFKA_*` environment variables — later ones win.
    pub fn client(&self, role: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in role {
            config.set(*key, *value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        for (key, value) in env_properties(std::env::vars()) {
            config.set(key, value);
        }
        config
    }
}

/// librdkafka properties from `PULSE_KAFKA_*` variables (lower-cased, `_` → `.`).
fn env_properties(vars: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    vars.filter_map(|(name, value)| {
        let property = name.strip_prefix(ENV_PREFIX)?;
        (!property.is_empty()).then(|| (property.to_ascii_lowercase().replace('_', "."), value))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_variables_become_librdkafka_properties() {
        let vars = [
            ("PULSE_KAFKA_SASL_PASSWORD", "s3cret"),
            ("PULSE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("PULSE_KAFKA_", "ignored"),
            ("PULSE_LISTEN", "ignored"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let found = env_properties(vars.into_iter());
        assert_eq!(
            found,
            vec![
                ("sasl.password".to_string(), "s3cret".to_string()),
                ("security.protocol".to_string(), "SASL_SSL".to_string())
            ]
        );
    }

    #[test]
    fn user_properties_override_pulse_settings() {
        let mut kafka = KafkaConfig::default();
        kafka.properties.insert("linger.ms".into(), "50".into());
        let config = kafka.client(&[("linger.ms", "5"), ("acks", "all")]);
        assert_eq!(config.get("linger.ms"), Some("50"));
        assert_eq!(config.get("acks"), Some("all"));
        assert_eq!(config.get("bootstrap.servers"), Some("localhost:9092"));
    }
}
