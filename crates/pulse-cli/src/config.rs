//! Pulse's config file (`--config pulse.toml` or `PULSE_CONFIG`) and the flags that override it.
//!
//! Every key is optional; a flag given on the command line wins over the file, the file over the
//! built-in default. The same file serves `serve`, `ingest`, `query`, `topics` and
//! `replay --to kafka` (each reads the sections it needs), so one ConfigMap configures a whole
//! deployment. `--print-config` shows the effective result.
//!
//! ```toml
//! [serve]                      # pulse serve only
//! replay = ["boston-west"]     # dataset names or paths
//! speed = 3600.0               # event-time speed-up
//! max = false                  # as fast as possible instead
//! loop = 0                     # passes, 0 = forever
//! workers = 2                  # analysis threads (omit: one per core)
//!
//! [http]
//! listen = "127.0.0.1:8080"
//!
//! [trends]
//! bucket = "10m"
//! window = "1h"
//!
//! [index]                      # serve and query
//! data_dir = "pulse-data"
//! retention = "24h"
//!
//! [kafka]                      # ingest, query, topics, replay --to kafka
//! brokers = "localhost:9092"
//! posts_topic = "posts"
//! rollups_topic = "pulse.rollups"
//! dlq_topic = "posts.dlq"
//! group = "pulse-ingest"
//! partitions = 4
//! replication_factor = 1
//! flush_interval = "1s"
//!
//! [kafka.properties]           # extra librdkafka properties, verbatim
//! "security.protocol" = "SASL_SSL"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use pulse_index::IndexConfig;
use pulse_trends::TrendConfig;
use serde::{Deserialize, Serialize};

use crate::trends::parse_duration;

/// The config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// `pulse serve`'s replay.
    pub serve: ServeFile,
    /// The HTTP listener.
    pub http: HttpFile,
    /// The trend engine.
    pub trends: TrendsFile,
    /// The search index.
    pub index: IndexFile,
    /// Kafka (read by the commands that talk to it).
    #[cfg(feature = "kafka")]
    pub kafka: pulse_kafka::KafkaConfig,
    /// Kafka settings are accepted, and ignored, by a build without Kafka.
    #[cfg(not(feature = "kafka"))]
    pub kafka: Option<toml::Table>,
}

/// `[serve]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeFile {
    /// Inputs to replay.
    pub replay: Option<Vec<PathBuf>>,
    /// Event-time speed-up.
    pub speed: Option<f64>,
    /// As fast as possible.
    pub max: Option<bool>,
    /// Passes; 0 = forever.
    #[serde(rename = "loop")]
    pub loops: Option<u32>,
    /// Analysis threads.
    pub workers: Option<usize>,
}

/// `[http]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpFile {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
}

/// `[trends]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendsFile {
    /// Bucket width (`10m`).
    pub bucket: Option<String>,
    /// Trend window (`1h`).
    pub window: Option<String>,
}

/// `[index]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexFile {
    /// Where the index lives.
    pub data_dir: Option<PathBuf>,
    /// Event time kept searchable (`24h`).
    pub retention: Option<String>,
}

impl FileConfig {
    /// Reads `path`, or the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
    }
}

/// `--config`, shared by every long-running command.
#[derive(Args, Debug)]
pub struct ConfigArg {
    /// Config file (TOML; see the README). Flags override it.
    #[arg(long, env = "PULSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Trend and HTTP flags shared by `serve` and `query` (and `ingest`'s trends and probes).
#[derive(Args, Debug)]
pub struct EngineArgs {
    /// Address to serve HTTP on [default: 127.0.0.1:8080].
    #[arg(long, env = "PULSE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Trend bucket width: 10m suits sparse replays such as CrisisLex, 1m live firehoses [default: 10m].
    #[arg(long, value_parser = parse_duration)]
    pub bucket: Option<i64>,
    /// Trend window: how much recent data counts as "now" [default: 1h].
    #[arg(long, value_parser = parse_duration)]
    pub window: Option<i64>,
}

/// Search index flags shared by `serve` and `query`.
#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Where the search index and dead letters live [default: pulse-data].
    #[arg(long, env = "PULSE_HOME")]
    pub data_dir: Option<PathBuf>,
    /// Keep posts searchable for this much event time [default: 24h].
    #[arg(long, value_parser = parse_duration)]
    pub retention: Option<i64>,
}

/// The effective engine and HTTP settings.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSettings {
    /// HTTP address.
    pub listen: SocketAddr,
    /// Bucket width (s).
    pub bucket: i64,
    /// Window (s).
    pub window: i64,
}

/// The effective index settings.
#[derive(Debug, Clone, Serialize)]
pub struct IndexSettings {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Retention (s).
    pub retention: i64,
}

fn file_secs(value: Option<&String>, key: &str) -> Result<Option<i64>> {
    value.map(|text| parse_duration(text).map_err(|e| anyhow::anyhow!("config {key}: {e}"))).transpose()
}

impl EngineSettings {
    /// Flags over file over defaults.
    pub fn resolve(args: &EngineArgs, file: &FileConfig) -> Result<Self> {
        let settings = Self {
            listen: args.listen.or(file.http.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            bucket: args.bucket.or(file_secs(file.trends.bucket.as_ref(), "trends.bucket")?).unwrap_or(600),
            window: args.window.or(file_secs(file.trends.window.as_ref(), "trends.window")?).unwrap_or(3600),
        };
        if settings.window < settings.bucket {
            bail!("the trend window ({} s) must be at least one bucket ({} s)", settings.window, settings.bucket);
        }
        Ok(settings)
    }

    /// The trend engine's configuration for these settings.
    pub fn trend_config(&self) -> TrendConfig {
        let mut config = TrendConfig::for_bucket(self.bucket);
        config.window_buckets = usize::try_from((self.window / self.bucket).max(1)).unwrap_or(6);
        config.history_buckets = config.history_buckets.max(config.window_buckets * 4);
        config
    }
}

impl IndexSettings {
    /// Flags over file over defaults.
    pub fn resolve(args: &IndexArgs, file: &FileConfig) -> Result<Self> {
        Ok(Self {
            data_dir: args.data_dir.clone().or(file.index.data_dir.clone()).unwrap_or_else(|| "pulse-data".into()),
            retention: args
                .retention
                .or(file_secs(file.index.retention.as_ref(), "index.retention")?)
                .unwrap_or(86_400),
        })
    }

    /// The index's configuration for these settings.
    pub fn index_config(&self) -> IndexConfig {
        IndexConfig { retention_secs: Some(u64::try_from(self.retention).unwrap_or(86_400)), ..IndexConfig::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileConfig> {
        Ok(toml::from_str(text)?)
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let file = parse("[trends]\nbucket = \"1m\"\nwindow = \"30m\"\n[http]\nlisten = \"0.0.0.0:9000\"\n").unwrap();
        let none = EngineArgs { listen: None, bucket: None, window: None };
        let settings = EngineSettings::resolve(&none, &file).unwrap();
        assert_eq!((settings.bucket, settings.window, settings.listen.port()), (60, 1800, 9000));
        let flags = EngineArgs { listen: None, bucket: Some(300), window: None };
        assert_eq!(EngineSettings::resolve(&flags, &file).unwrap().bucket, 300);
        let defaults = EngineSettings::resolve(&none, &FileConfig::default()).unwrap();
        assert_eq!(
            (defaults.bucket, defaults.window, defaults.listen.to_string().as_str()),
            (600, 3600, "127.0.0.1:8080")
        );
    }

    #[test]
    fn unknown_keys_and_bad_durations_are_errors_that_name_them() {
        let unknown = parse("[trends]\nbuckets = \"1m\"\n").unwrap_err().to_string();
        assert!(unknown.contains("buckets"), "{unknown}");
        let file = parse("[trends]\nbucket = \"soon\"\n").unwrap();
        let none = EngineArgs { listen: None, bucket: None, window: None };
        let error = EngineSettings::resolve(&none, &file).unwrap_err().to_string();
        assert!(error.contains("trends.bucket"), "{error}");
        let window = parse("[trends]\nbucket = \"1h\"\nwindow = \"10m\"\n").unwrap();
        assert!(EngineSettings::resolve(&none, &window).is_err());
    }

    #[cfg(feature = "kafka")]
    #[test]
    fn kafka_section_reads_durations_and_properties() {
        let file = parse(
            "[kafka]\nbrokers = \"k1:9092,k2:9092\"\nflush_interval = \"250ms\"\n[kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n",
        )
        .unwrap();
        assert_eq!(file.kafka.brokers, "k1:9092,k2:9092");
        assert_eq!(file.kafka.flush_interval, std::time::Duration::from_millis(250));
        assert_eq!(file.kafka.properties["security.protocol"], "SASL_SSL");
        assert_eq!(file.kafka.posts_topic, "posts");
    }
}
