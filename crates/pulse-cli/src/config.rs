//! Pulse's configuration: one [`Config`] type, the config file's form and the effective settings
//! at once, with every default written in one place (its `Default`s; the engine's are
//! [`TrendSettings`]'s, Kafka's [`pulse_kafka::KafkaConfig`]'s).
//!
//! A command reads the file (`--config pulse.toml` or `PULSE_CONFIG`; every key optional, unknown
//! keys are errors), then applies its flags: a flag given on the command line wins over the file,
//! the file over the default. The same file serves `serve`, `ingest`, `query`, `topics`, `trends`
//! and `replay --to kafka` (each reads the sections it needs), so one ConfigMap configures a
//! whole deployment. `--print-config` prints the effective configuration as a file that
//! `--config` accepts, and `--help` shows each flag's default from the same `Default`s.
//!
//! ```toml
//! [serve]                      # pulse serve only
//! replay = ["boston-west"]     # dataset names or paths
//! speed = 3600.0               # event-time speed-up
//! max = false                  # as fast as possible instead
//! loop = 0                     # passes, 0 = forever
//! workers = 2                  # ingest threads (omit: one per core)
//! checkpoint_interval = "30s"  # state saved to the state directory this often and at shutdown
//!
//! [http]
//! listen = "127.0.0.1:8080"
//! header_timeout = "10s"       # a request head must arrive within this; idle connections close
//! max_connections = 1024       # open at once; one more gets a 503
//! max_streams = 256            # open /v1/stream clients; one more gets a 503
//! shutdown_grace = "10s"       # open requests get this long on SIGTERM; a second signal exits now
//!
//! [trends]
//! bucket = "10m"
//! window = "1h"
//! min_authors = 10
//! include_mentions = false
//!
//! [index]                      # serve and query
//! state_dir = "pulse-data"
//! retention = "24h"
//! commit_interval = "1s"       # search freshness; shorter costs CPU (more segments to merge)
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
use clap::{Args, Command};
use pulse_core::Span;
use pulse_index::IndexConfig;
use pulse_trends::{TrendConfig, TrendSettings};
use serde::{Deserialize, Serialize};

/// Slowest and fastest replay speed-up (and posts per second of `replay --rate`) accepted: beyond
/// these, pacing would wait for centuries or not at all (use `--max`).
pub const SPEED_RANGE: (f64, f64) = (1e-3, 1e9);

/// Everything a Pulse process can be configured with; the config file's form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `pulse serve`'s source.
    pub serve: ServeConfig,
    /// The HTTP listener.
    pub http: HttpConfig,
    /// The trend engine.
    pub trends: TrendSettings,
    /// Where a process keeps its state, and how long posts stay searchable.
    pub index: IndexSection,
    /// Kafka (read by the commands that talk to it).
    #[cfg(feature = "kafka")]
    pub kafka: pulse_kafka::KafkaConfig,
    /// Kafka settings are accepted, and ignored, by a build without Kafka.
    #[cfg(not(feature = "kafka"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<toml::Table>,
}

/// `[serve]`: what `pulse serve` replays and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Dataset names, files or directories to replay.
    pub replay: Vec<PathBuf>,
    /// Event-time speed-up: 3600 replays an hour of posts per second.
    pub speed: f64,
    /// Replay as fast as possible instead (a load test).
    pub max: bool,
    /// Passes over the inputs, each shifted past the previous one in time; 0 = forever.
    #[serde(rename = "loop")]
    pub loops: u32,
    /// Ingest threads; omitted, one per core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// Serve Bluesky's live firehose from this Jetstream `…/subscribe` URL instead of replaying
    /// (`replay`, `speed`, `max` and `loop` are then unused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jetstream: Option<String>,
    /// How often the trend state, the index and the source's position are saved to the state
    /// directory (and at shutdown), for a restart to resume from.
    pub checkpoint_interval: Span,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            replay: vec!["boston-west".into()],
            speed: 3600.0,
            max: false,
            loops: 0,
            workers: None,
            jetstream: None,
            checkpoint_interval: Span::from_secs(30),
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// Longest a client may take to send a request head; also how long an idle connection stays open.
    pub header_timeout: Span,
    /// Connections open at once; one more gets a 503.
    pub max_connections: usize,
    /// Event streams (`/v1/stream`) open at once; one more gets a 503.
    pub max_streams: usize,
    /// Longest shutdown waits for open requests.
    pub shutdown_grace: Span,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let limits = pulse_api::server::Limits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            header_timeout: Span::from_secs(limits.header_timeout.as_secs()),
            max_connections: limits.max_connections,
            max_streams: limits.max_streams,
            shutdown_grace: Span::from_secs(limits.shutdown_grace.as_secs()),
        }
    }
}

impl HttpConfig {
    /// The server's limits, or what makes them unusable.
    pub fn limits(&self) -> Result<pulse_api::server::Limits> {
        if self.max_connections == 0 {
            bail!("[http] max_connections must be at least 1");
        }
        if self.header_timeout.as_millis() == 0 {
            bail!("[http] header_timeout must be longer than 0");
        }
        Ok(pulse_api::server::Limits {
            header_timeout: self.header_timeout.to_std(),
            max_connections: self.max_connections,
            max_streams: self.max_streams,
            shutdown_grace: self.shutdown_grace.to_std(),
        })
    }
}

/// `[index]`: the state directory and the search index's retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSection {
    /// Where the search index and dead letters live (`data_dir` is read as its old name).
    #[serde(alias = "data_dir")]
    pub state_dir: PathBuf,
    /// Keep posts searchable for this much event time.
    pub retention: Span,
    /// A post is searchable at most this long after it is indexed, plus the commit's own time.
    /// Shorter is fresher search for more CPU (each commit writes a segment that is merged later).
    pub commit_interval: Span,
}

impl Default for IndexSection {
    fn default() -> Self {
        let defaults = IndexConfig::default();
        Self {
            state_dir: "pulse-data".into(),
            retention: Span::from_secs(defaults.retention_secs.unwrap_or(24 * 3600)),
            commit_interval: Span::from_millis(defaults.commit_interval_ms),
        }
    }
}

impl IndexSection {
    /// The index's configuration for these settings.
    pub fn index_config(&self) -> IndexConfig {
        IndexConfig {
            retention_secs: Some(self.retention.as_secs()),
            commit_interval_ms: self.commit_interval.as_millis().max(1),
            ..IndexConfig::default()
        }
    }
}

impl Config {
    /// Reads `path`, or the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
    }

    /// The configuration as a file `--config` reads back.
    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string(self)?)
    }

    /// The trend engine's configuration, checked.
    pub fn trend_config(&self) -> Result<TrendConfig> {
        self.trends.config().context("[trends]")
    }

    /// Checks `[serve]`.
    pub fn check_serve(&self) -> Result<()> {
        let (slowest, fastest) = SPEED_RANGE;
        let speed = self.serve.speed;
        if !(slowest..=fastest).contains(&speed) {
            bail!("the replay speed {speed} must be between {slowest} and {fastest:e} (or use --max)");
        }
        if self.serve.workers == Some(0) {
            bail!("serve needs at least one worker");
        }
        self.http.limits()?;
        Ok(())
    }
}

/// `--config`, shared by every command that reads the config file.
#[derive(Args, Debug)]
pub struct ConfigArg {
    /// Config file (TOML; see the README). Flags override it.
    #[arg(long, env = "PULSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// The file's configuration, or the defaults.
    pub fn load(&self) -> Result<Config> {
        Config::load(self.config.as_deref())
    }
}

/// `--listen`.
#[derive(Args, Debug)]
pub struct HttpArgs {
    /// Address to serve HTTP on.
    #[arg(long, env = "PULSE_LISTEN")]
    pub listen: Option<SocketAddr>,
}

impl HttpArgs {
    /// Sets what was given.
    pub fn apply(&self, http: &mut HttpConfig) {
        if let Some(listen) = self.listen {
            http.listen = listen;
        }
    }
}

/// The trend engine's flags.
#[derive(Args, Debug)]
pub struct TrendArgs {
    /// Trend bucket width: 10m suits sparse replays such as CrisisLex, 1m busy live streams.
    #[arg(long)]
    pub bucket: Option<Span>,
    /// Trend window, a whole number of buckets: how much recent data counts as "now".
    #[arg(long)]
    pub window: Option<Span>,
}

impl TrendArgs {
    /// Sets what was given.
    pub fn apply(&self, trends: &mut TrendSettings) {
        if let Some(bucket) = self.bucket {
            trends.bucket = bucket;
        }
        if let Some(window) = self.window {
            trends.window = window;
        }
    }
}

/// The state directory's and the index's flags.
#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Where the search index and dead letters live.
    #[arg(long, alias = "data-dir", env = "PULSE_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Keep posts searchable for this much event time.
    #[arg(long)]
    pub retention: Option<Span>,
}

impl IndexArgs {
    /// Sets what was given.
    pub fn apply(&self, index: &mut IndexSection) {
        if let Some(dir) = &self.state_dir {
            index.state_dir.clone_from(dir);
        }
        if let Some(retention) = self.retention {
            index.retention = retention;
        }
    }
}

/// Which flag sets which key of the file (`flag id`, `section.key`): `--help` shows each default
/// from [`Config::default`].
const FLAG_KEYS: &[(&str, &str)] = &[
    ("replay", "serve.replay"),
    ("speed", "serve.speed"),
    ("loops", "serve.loop"),
    ("workers", "serve.workers"),
    ("checkpoint_interval", "serve.checkpoint_interval"),
    ("listen", "http.listen"),
    ("bucket", "trends.bucket"),
    ("window", "trends.window"),
    ("min_authors", "trends.min_authors"),
    ("state_dir", "index.state_dir"),
    ("retention", "index.retention"),
    ("brokers", "kafka.brokers"),
    ("topic", "kafka.posts_topic"),
    ("rollups", "kafka.rollups_topic"),
    ("dlq", "kafka.dlq_topic"),
    ("group", "kafka.group"),
    ("flush_interval", "kafka.flush_interval"),
    ("partitions", "kafka.partitions"),
    ("replication_factor", "kafka.replication_factor"),
];

/// The default of `section.key`, as a user would write it.
fn default_of(defaults: &toml::Table, key: &str) -> Option<String> {
    let (section, name) = key.split_once('.')?;
    let value = defaults.get(section)?.as_table()?.get(name);
    Some(match value {
        None if key == "serve.workers" => "one per core".into(),
        None => return None,
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Float(f)) if f.fract() == 0.0 => format!("{f:.0}"),
        Some(toml::Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect::<Vec<_>>().join(", ")
        }
        Some(other) => other.to_string(),
    })
}

/// `command` with `[default: …]` appended to the help of every flag that sets a config key, taken
/// from [`Config::default`] (so help and behaviour cannot disagree).
pub fn with_defaults(command: Command) -> Command {
    let defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
    fn walk(command: Command, defaults: &toml::Table) -> Command {
        let mut command = command;
        let ids: Vec<String> = command.get_arguments().map(|a| a.get_id().to_string()).collect();
        for id in ids {
            let Some((_, key)) = FLAG_KEYS.iter().find(|(flag, _)| *flag == id) else { continue };
            let Some(default) = default_of(defaults, key) else { continue };
            command = command.mut_arg(id, |arg| {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                arg.help(format!("{help} [default: {default}]"))
            });
        }
        let names: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in names {
            command = command.mut_subcommand(name, |sub| walk(sub, defaults));
        }
        command
    }
    walk(command, &defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Ok(toml::from_str(text)?)
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let mut config =
            parse("[trends]\nbucket = \"1m\"\nwindow = \"30m\"\n[http]\nlisten = \"0.0.0.0:9000\"\n").unwrap();
        assert_eq!((config.trends.bucket.as_secs(), config.trends.window.as_secs()), (60, 1800));
        TrendArgs { bucket: Some(Span::from_secs(300)), window: None }.apply(&mut config.trends);
        HttpArgs { listen: None }.apply(&mut config.http);
        assert_eq!((config.trends.bucket.as_secs(), config.trends.window.as_secs()), (300, 1800));
        assert_eq!(config.http.listen.port(), 9000);
        let defaults = Config::default();
        assert_eq!(
            (defaults.trends.bucket.to_string(), defaults.trends.window.to_string(), defaults.http.listen.to_string()),
            ("10m".into(), "1h".into(), "127.0.0.1:8080".into())
        );
        // The library's defaults are the command line's.
        assert_eq!(defaults.trend_config().unwrap(), TrendConfig::default());
        assert_eq!(defaults.index.index_config(), IndexConfig::default());
        let fresher = parse("[index]\ncommit_interval = \"250ms\"\nretention = \"6h\"\n").unwrap().index.index_config();
        assert_eq!((fresher.commit_interval_ms, fresher.retention_secs), (250, Some(6 * 3600)));
    }

    #[test]
    fn unknown_keys_bad_durations_and_bad_windows_are_errors_that_name_them() {
        let unknown = parse("[trends]\nbuckets = \"1m\"\n").unwrap_err().to_string();
        assert!(unknown.contains("buckets"), "{unknown}");
        let duration = parse("[trends]\nbucket = \"soon\"\n").unwrap_err().to_string();
        assert!(duration.contains("not a duration"), "{duration}");
        let window = parse("[trends]\nbucket = \"1h\"\nwindow = \"10m\"\n").unwrap();
        let error = format!("{:#}", window.trend_config().unwrap_err());
        assert!(error.contains("[trends]") && error.contains("whole number of buckets"), "{error}");
    }

    #[test]
    fn the_printed_configuration_reads_back_as_itself() {
        let mut config =
            parse("[serve]\nreplay = [\"airline-sentiment\"]\nworkers = 3\n[index]\ndata_dir = \"/var/lib/pulse\"\n")
                .unwrap();
        assert_eq!(config.index.state_dir, Path::new("/var/lib/pulse"));
        config.trends.window = Span::from_secs(7200);
        let printed = config.to_toml().unwrap();
        let back = parse(&printed).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.to_toml().unwrap(), printed);
        assert!(printed.contains("state_dir = \"/var/lib/pulse\"") && printed.contains("window = \"2h\""), "{printed}");
    }

    #[test]
    fn serve_refuses_speeds_that_cannot_be_paced() {
        for speed in [0.0, -1.0, 1e-300, f64::NAN, f64::INFINITY, 1e12] {
            let config = Config { serve: ServeConfig { speed, ..ServeConfig::default() }, ..Config::default() };
            assert!(config.check_serve().unwrap_err().to_string().contains("between"), "{speed}");
        }
        Config::default().check_serve().unwrap();
        let no_connections =
            Config { http: HttpConfig { max_connections: 0, ..HttpConfig::default() }, ..Config::default() };
        assert!(no_connections.check_serve().unwrap_err().to_string().contains("max_connections"));
    }

    #[test]
    fn help_shows_defaults_from_the_config_type() {
        let command = Command::new("t")
            .subcommand(Command::new("serve").arg(clap::Arg::new("bucket").long("bucket").help("Bucket width.")))
            .subcommand(Command::new("x").arg(clap::Arg::new("workers").long("workers").help("Threads.")));
        let command = with_defaults(command);
        let help = |sub: &str, arg: &str| {
            let sub = command.find_subcommand(sub).unwrap();
            sub.get_arguments().find(|a| a.get_id() == arg).unwrap().get_help().unwrap().to_string()
        };
        assert_eq!(help("serve", "bucket"), "Bucket width. [default: 10m]");
        assert_eq!(help("x", "workers"), "Threads. [default: one per core]");
    }

    #[cfg(feature = "kafka")]
    #[test]
    fn kafka_section_reads_durations_and_properties() {
        let config = parse(
            "[kafka]\nbrokers = \"k1:9092,k2:9092\"\nflush_interval = \"250ms\"\n[kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n",
        )
        .unwrap();
        assert_eq!(config.kafka.brokers, "k1:9092,k2:9092");
        assert_eq!(config.kafka.flush_interval, Span::from_millis(250));
        assert_eq!(config.kafka.properties["security.protocol"], "SASL_SSL");
        assert_eq!(config.kafka.posts_topic, "posts");
    }
}
