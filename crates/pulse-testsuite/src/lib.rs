//! Helpers shared by Pulse's tests and benches (a dev-dependency only; nothing in the product
//! depends on it).
//!
//! The tests run on the real public datasets. On developer machines and in CI they sit in
//! `../shared/` next to the repository; `PULSE_DATA_DIR` (replay data) and `PULSE_EVAL_DIR`
//! (labelled sentiment sets) point elsewhere.
//!
//! # Layout
//!
//! - this module: where the data is ([`data_dir`], [`eval_dir`], [`dataset`]) and the posts of a
//!   file or of the `boston-west` replay, raw ([`posts`], [`replayed`]) or analysed as the
//!   pipeline analyses them ([`analyzed`], [`boston_west_analyzed`], [`index_posts`]), and fed to
//!   a trend engine with the watermark moved by hand ([`feed_closing`]).
//! - [`eval`]: the labelled sentiment sets.
//! - [`server`]: a server process for end-to-end tests.
//! - [`zipf`]: synthetic skewed streams and recall, for the sketch tests.

pub mod eval;
pub mod jetstream;
pub mod server;
pub mod zipf;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pulse_core::replay::{ManualClock, ReplayInput, ReplayOptions, replay};
use pulse_core::sink::{Sink, SinkError};
use pulse_core::{Post, PostReader, Record};
use pulse_index::IndexPost;
use pulse_text::{Analysis, Analyzer};
use pulse_trends::{AnalyzedPost, TrendEngine, Worker};

/// CrisisLexT6, Boston Marathon bombings.
pub const BOSTON: &str = "crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv";
/// CrisisLexT6, West, Texas fertilizer plant explosion.
pub const WEST_TEXAS: &str = "crisislex-t6/2013_West_Texas_Explosion-ontopic_offtopic.csv";
/// Twitter US Airline Sentiment.
pub const AIRLINE: &str = "airline-sentiment/Airline-Sentiment-2-w-AA.csv";
/// CrisisLexT26, Costa Rica earthquake (Spanish and English).
pub const COSTA_RICA: &str = "crisislex-t26/2012_Costa_Rica_earthquake-tweets_labeled.csv";

fn from_env(var: &str, default: &str) -> PathBuf {
    let dir = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").join(default));
    assert!(dir.is_dir(), "test data not found at {}: set {var}", dir.display());
    dir
}

/// The replay datasets: `$PULSE_DATA_DIR`, else `../shared/replay-data` next to the repository.
pub fn data_dir() -> PathBuf {
    from_env("PULSE_DATA_DIR", "shared/replay-data")
}

/// The labelled sentiment sets: `$PULSE_EVAL_DIR`, else `../shared/eval/sentiment`.
pub fn eval_dir() -> PathBuf {
    from_env("PULSE_EVAL_DIR", "shared/eval/sentiment")
}

/// A dataset file, relative to [`data_dir`] (e.g. [`BOSTON`]); panics if it is missing.
pub fn dataset(relative: &str) -> PathBuf {
    let path = data_dir().join(relative);
    assert!(path.is_file(), "dataset file {} is missing: set PULSE_DATA_DIR", path.display());
    path
}

/// Every post of one dataset file, in file order.
pub fn posts(relative: &str) -> Vec<Post> {
    let path = dataset(relative);
    PostReader::open(&path, None)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .filter_map(|record| match record.expect("readable dataset") {
            Record::Post(post) => Some(post),
            _ => None,
        })
        .collect()
}

/// The demo replay: Boston and West, Texas, merged by time.
pub fn boston_west() -> Vec<ReplayInput> {
    [BOSTON, WEST_TEXAS].iter().map(|f| ReplayInput { path: dataset(f), format: None }).collect()
}

/// A sink that keeps every post it is sent.
#[derive(Default)]
pub struct Collect(pub Vec<Post>);

impl Sink for Collect {
    fn send(&mut self, post: &Post) -> Result<(), SinkError> {
        self.0.push(post.clone());
        Ok(())
    }
}

/// The posts of `inputs` as a replay emits them (merged by event time), with `options`.
pub fn replayed(inputs: &[ReplayInput], options: &ReplayOptions) -> Vec<Post> {
    let mut sink = Collect::default();
    replay(inputs, options, &mut sink, &mut ManualClock::default(), &mut ()).expect("replayable inputs");
    sink.0
}

/// `posts` analysed and converted as the pipeline does ([`pulse_ingest::to_analyzed`]).
pub fn analyzed(posts: &[Post]) -> Vec<AnalyzedPost> {
    let mut analysis = Analysis::default();
    posts
        .iter()
        .map(|post| {
            Analyzer::shared().analyze_into(post, &mut analysis);
            let mut out = AnalyzedPost::default();
            pulse_ingest::to_analyzed(post, &analysis, &mut out);
            out
        })
        .collect()
}

/// Feeds `posts` (in time order) through `worker`; each time a post reaches the next multiple of
/// `step` seconds of data time, starting at `next`, flushes the worker, moves the engine's
/// watermark there and calls `closed` with it. Returns the next boundary not yet reached: what a
/// replay with a hand-moved watermark does, for engines built with `auto_watermark: false`.
pub fn feed_closing(
    engine: &TrendEngine,
    worker: &mut Worker,
    posts: &[AnalyzedPost],
    mut next: i64,
    step: i64,
    mut closed: impl FnMut(i64),
) -> i64 {
    for post in posts {
        while post.created_at >= next {
            worker.flush().expect("flush");
            engine.advance_watermark(next);
            closed(next);
            next += step;
        }
        worker.ingest(post).expect("ingest");
    }
    next
}

/// All 20,018 posts of `boston-west`, analysed once per test binary.
pub fn boston_west_analyzed() -> &'static [AnalyzedPost] {
    static POSTS: OnceLock<Vec<AnalyzedPost>> = OnceLock::new();
    POSTS.get_or_init(|| analyzed(&replayed(&boston_west(), &ReplayOptions::default())))
}

/// The posts of one dataset file as the pipeline hands them to the index
/// ([`pulse_ingest::to_index_post`]).
pub fn index_posts(relative: &str) -> Vec<IndexPost> {
    posts(relative)
        .into_iter()
        .map(|post| {
            let analysis = Analyzer::shared().analyze(&post);
            pulse_ingest::to_index_post(&post, &analysis)
        })
        .collect()
}

/// [`index_posts`] of [`BOSTON`], once per test binary.
pub fn boston_index_posts() -> &'static [IndexPost] {
    static POSTS: OnceLock<Vec<IndexPost>> = OnceLock::new();
    POSTS.get_or_init(|| index_posts(BOSTON))
}
