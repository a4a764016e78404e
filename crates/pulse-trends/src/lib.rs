//! Pulse trend engine: from analysed posts, what is trending *now* — velocity above a baseline,
//! carried by many distinct authors — grouped into stories, with what people feel about each.
//!
//! ```
//! use pulse_trends::{AnalyzedPost, TopicKind, TopicRef, TrendConfig, TrendEngine, TrendQuery};
//! use pulse_sketch::hash_key;
//!
//! let config = TrendConfig { warmup_buckets: 0, min_authors: 5, ..TrendConfig::for_bucket(600) };
//! let engine = TrendEngine::new(config)?;
//! let mut worker = engine.worker();
//! for i in 0..40 {
//!     let topic = TopicRef::new("#flood", TopicKind::Hashtag, "#Flood");
//!     let post = AnalyzedPost {
//!         id: i.to_string(),
//!         created_at: 1_000_000 + i * 10,
//!         author_hash: hash_key(&format!("user{i}")),
//!         lang: "en".into(),
//!         topics: vec![topic],
//!         sentiment: Some(-0.6),
//!         ..Default::default()
//!     };
//!     worker.ingest(&post)?;
//! }
//! worker.flush()?;
//! engine.advance_watermark(1_000_800);
//! let report = engine.report(&TrendQuery::default());
//! assert_eq!(report.trends[0].topic, "#flood");
//! assert_eq!(report.trends[0].authors, 40);
//! // Shares are estimates: the labels counted, corrected for the model's error rates.
//! assert!(report.trends[0].sentiment.is_some_and(|s| s.negative > 0.9));
//! assert_eq!(report.stories[0].id, report.trends[0].story_id);
//! # Ok::<(), pulse_trends::TrendError>(())
//! ```
//!
//! # Design
//!
//! **Window.** Event-time buckets ([`TrendConfig::bucket_secs`]: 1 min for live streams, 10 min
//! for sparse replays such as CrisisLex, where a 1-minute bucket holds one or two posts and every
//! rate is noise) in a ring ([`pulse_sketch::Window`]) of [`TrendConfig::history_buckets`]. The
//! watermark trails the newest event by the allowed lateness (or is set explicitly with
//! [`TrendEngine::advance_watermark`]); a post for a bucket that already closed is still added to
//! it while the bucket is in the ring (metric `posts_late_counted`), older ones are counted in
//! `posts_late_dropped` — never dropped silently.
//!
//! **Bucket** ([`TrendBucket`], mergeable and [`pulse_sketch::Persist`]): a count-min of posts per
//! topic and one of *distinct authors* per topic (a worker feeds it once per topic, author and
//! bucket), a Misra–Gries top-k of topics by distinct authors (the candidates), and for *watched*
//! topics (the heaviest of the two newest buckets and every trend in progress) a detail record:
//! its distinct authors ([`authors::Authors`]: an exact list up to 1,024, a HyperLogLog++ sketch
//! above), sentiment sum and ±0.05 class counts, co-occurring watched topics, first/last
//! seen, sample post ids, surface forms, languages. Counts of any topic come from the count-min,
//! so topic stats work for topics that were never candidates.
//!
//! **Baseline.** A topic's expected distinct authors per bucket is an EWMA over its own buckets
//! *before* the trend window (the spike does not raise its own baseline), smoothed toward a prior
//! for sparse topics: `rate = (Σ wᵢ·xᵢ + k·prior) / (Σ wᵢ + k)`, `wᵢ = (1 − α)^age`,
//! `α = 1 − 2^(−1/half-life)`; a never-seen topic has `rate = prior`. Expected over a window of
//! `W` buckets: `E = max(W·rate, min_expected)`.
//!
//! **Score.** `O` = distinct authors in the window: per bucket the least of the authors
//! count-min, the posts count-min and (watched) the distinct authors plus posts before the topic
//! was watched; then capped by the union of the distinct authors over the window, so one account
//! counts once per window however many buckets or workers its posts are spread over. The score
//! is Mastodon's
//!
//! ```text
//! score = (O − E)² / E   if O > E, else 0
//! ```
//!
//! which is the square of the Poisson z-score `(O − E)/√E` that Gnip's model thresholds: the two
//! rank identically, so the choice is in the gates. A topic trends when `O ≥ min_authors`,
//! `O/E ≥ min_ratio`, `z ≥ min_z` and the engine has `warmup_buckets` of history. Evergreen words
//! ("today", "lol") have `O ≈ E` and fail the ratio — once there is history; before that, and in
//! streams whose volume itself jumps with an event, a short evergreen list
//! ([`evergreen::DEFAULT_EVERGREEN`], configurable) keeps them out. One loud account has `O = 1`. Trends rank by
//! `max(score, peak · 2^(−Δt/half-life))` (Mastodon's decayed maximum), which keeps a story
//! listed — as `cooling` — while its baseline catches up.
//!
//! **States.** `cooling` when the score is below half its peak, `rising` when above the previous
//! bucket close's, `hot` otherwise; `started_at` is the first bucket of the window in which the
//! topic had at least twice its baseline, `peak_at` when the score peaked.
//!
//! **Stories.** Trending topics, best first, join the story whose *headline* they share the
//! largest share of posts with (`posts with both / posts of the rarer ≥ story_cooccurrence`),
//! else start their own. Joining only through the headline keeps a shared word (`explosion`) from
//! chaining two events into one story. The display name is the headline's most common surface.
//!
//! **Languages.** Each watched topic counts its posts per language; `lang=en` keeps topics whose
//! watched posts are at least half English. (Scoring per language would multiply the sketches by
//! the number of languages; filtering is exact enough for the dashboard.)
//!
//! **Concurrency.** Workers aggregate into local buckets and merge under a short write lock every
//! `flush_interval_ms` and at bucket boundaries; queries hold a read lock for one query. A merge
//! costs a few count-min additions (tens of µs), so queries and ingest rarely wait on each other.
//!
//! **Snapshots.** [`TrendEngine::snapshot`] / [`TrendEngine::merge_snapshot`] (whole ring) and
//! [`TrendEngine::snapshot_bucket`] / [`TrendEngine::merge_bucket`] (one bucket): baselines and
//! trend states are derived, so they are rebuilt from the merged ring.
//!
//! **Checkpoints.** [`TrendEngine::checkpoint`] / [`TrendEngine::restore`]: everything, derived
//! state and the workers' unmerged counts included, so a restored engine goes on exactly as the
//! one it was taken from ([`checkpoint`]).

pub mod authors;
mod baseline;
pub mod bucket;
pub mod checkpoint;
pub mod config;
mod copies;
pub mod engine;
pub mod error;
pub mod evergreen;
pub mod exemplar;
mod explain;
pub mod headline;
mod memo;
pub mod post;
pub mod query;
mod registry;
pub mod report;
pub mod sample;
mod score;
mod seen;
mod state;
mod story;
pub mod tier;
mod track;
mod trending;

pub use bucket::{TopicDetail, TrendBucket};
pub use checkpoint::{EngineCapture, WorkerState};
pub use config::{TrendConfig, TrendSettings};
pub use engine::{EngineMetrics, TrendEngine, Worker};
pub use error::{Result, TrendError};
pub use post::{AnalyzedPost, TopicKind, TopicRef};
pub use query::TrendQuery;
pub use report::{
    RelatedStory, RelatedTopic, Report, SentimentSummary, Story, StoryDetail, StoryPost, StoryTopic, TopicPoint,
    TopicStats, Trend, TrendState,
};
