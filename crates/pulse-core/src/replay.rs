//! Replay: read inputs, merge them by event time, pace them, and hand each post to a [`Sink`].
//!
//! Inputs need not be sorted (CrisisLex files are not). Each input passes through a reorder buffer
//! of at most `sort_buffer` posts: a file smaller than that is sorted completely, a larger one may
//! be out of order by up to that many posts. A post that arrives later than the buffer can absorb
//! is a clear error ([`Error::SortBufferExceeded`]), never a silently misordered stream. A file is
//! read once ahead to size its buffer by its actual disorder ([`crate::disorder`]): a sorted file
//! holds one post at a time, a shuffled one as many as it needs, and the output is the same as
//! with the full buffer (the read ahead costs a second parse; holding a million posts costs a
//! gigabyte). The sorted
//! inputs are then merged (k-way) into one stream in non-decreasing `created_at` order; ties keep
//! input order, then file order.
//!
//! Standard input, unless it is a redirected file, may be live (a stream piped in): it is read on a
//! thread of its own and sorted in batches, each what arrives within [`LIVE_IDLE`] of its first post
//! (at most `sort_buffer`), so a post never waits for the buffer to fill; when the input has nothing
//! more, the sink is told to hand on what it holds ([`Sink::idle`]). A post of a live input older than one already emitted
//! is passed on as it comes (it cannot be put before what is gone; the trend engine counts late
//! posts).
//!
//! Pacing runs against a [`Clock`] so tests control time instead of sleeping.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::readers::{Format, Malformed, PostReader, Record};
use crate::sink::Sink;
use crate::{Error, Post, Result};

/// How fast to emit posts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Pacing {
    /// As fast as the sink takes them.
    #[default]
    Max,
    /// Event time runs this many times faster than wall time (3600: an hour of posts per second).
    Speed(f64),
    /// A fixed number of posts per second, whatever their timestamps.
    Rate(f64),
}

/// Wall-clock time as the pacer sees it; tests substitute a [`ManualClock`].
pub trait Clock {
    /// Time since the replay started.
    fn elapsed(&self) -> Duration;
    /// Blocks for `duration`.
    fn sleep(&mut self, duration: Duration);
}

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self { start: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that only moves when slept on, recording every sleep: deterministic pacing tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    /// Current time since start.
    pub now: Duration,
    /// Every sleep requested, in order.
    pub sleeps: Vec<Duration>,
}

impl Clock for ManualClock {
    fn elapsed(&self) -> Duration {
        self.now
    }

    fn sleep(&mut self, duration: Duration) {
        self.now += duration;
        self.sleeps.push(duration);
    }
}

/// One input to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayInput {
    /// A file, or `-` for standard input (which can be read only once, so not looped).
    pub path: PathBuf,
    /// The format, or `None` to detect it.
    pub format: Option<Format>,
}

impl ReplayInput {
    fn is_stdin(&self) -> bool {
        self.path == Path::new("-")
    }

    fn open(&self) -> Result<Source> {
        if self.is_stdin() {
            let reader = PostReader::from_reader(&self.path, std::io::stdin(), self.format)?;
            // A file redirected into standard input is read like any file (sorted whole); a pipe,
            // a socket or a terminal may be live.
            let redirected_file = std::fs::metadata("/dev/stdin").is_ok_and(|m| m.is_file());
            if redirected_file { Ok(Source::File(reader)) } else { Source::live(reader) }
        } else {
            Ok(Source::File(PostReader::open(&self.path, self.format)?))
        }
    }
}

/// How long a post of a live input waits for later-read posts that may precede it.
pub const LIVE_IDLE: Duration = Duration::from_millis(20);

/// Where an input's records come from.
enum Source {
    /// A file, read as needed.
    File(PostReader),
    /// Standard input, read on its own thread (so a silent pipe can be told from a slow one).
    Live { path: PathBuf, records: Receiver<Result<Record>> },
}

impl Source {
    fn live(reader: PostReader) -> Result<Self> {
        let path = reader.path().to_path_buf();
        // Short: under full load every queue on the way to the index is full, and each queued post
        // is time a new post waits before it is searchable (benches/freshness.py).
        let (sender, records) = std::sync::mpsc::sync_channel(1024);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                for record in reader {
                    if sender.send(record).is_err() {
                        break;
                    }
                }
            })
            .map_err(|source| Error::Io { path: path.clone(), source })?;
        Ok(Source::Live { path, records })
    }

    fn path(&self) -> &Path {
        match self {
            Source::File(reader) => reader.path(),
            Source::Live { path, .. } => path,
        }
    }
}

/// What asking an input for its next record found. (Unboxed: a record is moved once, and boxing
/// would cost an allocation per post.)
#[allow(clippy::large_enum_variant)]
enum Read {
    Record(Record),
    /// A live input's batch is complete ([`LIVE_IDLE`] since it began): emit before reading more.
    BatchComplete,
    End,
}

/// What to replay and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// How fast to emit.
    pub pacing: Pacing,
    /// Largest number of posts held per input to put it in time order.
    pub sort_buffer: usize,
    /// Stop after this many posts.
    pub limit: Option<u64>,
    /// Skip posts created before this time.
    pub since: Option<DateTime<Utc>>,
    /// Skip posts created at or after this time.
    pub until: Option<DateTime<Utc>>,
    /// How many times to replay the inputs; each pass is shifted in time past the previous one and
    /// its ids are made unique (`<id>~<pass>`).
    pub loops: u32,
    /// Fail on the first malformed record instead of skipping it.
    pub strict: bool,
    /// Where an earlier run of the same replay stopped: what it had handed on is read again but
    /// not handed on, paced or reported.
    pub resume: ReplayPosition,
}

/// How far a replay has got: posts handed to the sink and malformed records reported, over all
/// inputs and passes. A replay is deterministic (same inputs and options, same order), so this
/// is enough to resume it ([`ReplayOptions::resume`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplayPosition {
    /// Posts handed to the sink.
    pub posts: u64,
    /// Malformed records reported.
    pub malformed: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            pacing: Pacing::Max,
            sort_buffer: DEFAULT_SORT_BUFFER,
            limit: None,
            since: None,
            until: None,
            loops: 1,
            strict: false,
            resume: ReplayPosition::default(),
        }
    }
}

/// Default sort buffer: one million posts per input, a few hundred MB at most.
pub const DEFAULT_SORT_BUFFER: usize = 1_000_000;

/// Counts for one input, summed over all passes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSummary {
    /// The input.
    pub path: PathBuf,
    /// Records read: posts, malformed and skipped.
    pub read: u64,
    /// Posts handed to the sink.
    pub emitted: u64,
    /// Malformed records (reported and skipped).
    pub malformed: u64,
    /// Well-formed events that are not posts (e.g. Jetstream likes).
    pub skipped: u64,
    /// Posts outside `--since`/`--until`.
    pub filtered: u64,
}

/// Counts for the whole replay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplaySummary {
    /// Per input, in the order given.
    pub inputs: Vec<InputSummary>,
    /// Event time of the first and last post emitted.
    pub first_at: Option<DateTime<Utc>>,
    /// Event time of the last post emitted.
    pub last_at: Option<DateTime<Utc>>,
}

impl ReplaySummary {
    /// Posts emitted over all inputs.
    pub fn emitted(&self) -> u64 {
        self.inputs.iter().map(|i| i.emitted).sum()
    }

    /// Malformed records over all inputs.
    pub fn malformed(&self) -> u64 {
        self.inputs.iter().map(|i| i.malformed).sum()
    }
}

/// Hooks for progress display and dead letters; every method has a do-nothing default.
pub trait ReplayObserver {
    /// A post was delivered to the sink.
    fn on_post(&mut self, _post: &Post, _summary: &ReplaySummary) {}
    /// A malformed record was skipped. An error (the record could not be dead-lettered) ends the
    /// replay with it: a record is never dropped silently.
    fn on_malformed(&mut self, _malformed: &Malformed) -> Result<()> {
        Ok(())
    }
}

/// An observer that watches nothing.
impl ReplayObserver for () {}

/// Replays `inputs` into `sink`, paced against `clock`.
pub fn replay(
    inputs: &[ReplayInput],
    options: &ReplayOptions,
    sink: &mut dyn Sink,
    clock: &mut dyn Clock,
    observer: &mut dyn ReplayObserver,
) -> Result<ReplaySummary> {
    if options.loops > 1 && inputs.iter().any(ReplayInput::is_stdin) {
        return Err(Error::StdinLooped);
    }
    let mut summary = ReplaySummary {
        inputs: inputs.iter().map(|i| InputSummary { path: i.path.clone(), ..Default::default() }).collect(),
        ..Default::default()
    };
    let mut pacer = Pacer::new(options.pacing);
    let mut span_of_first_pass = None;
    // Malformed records met so far, over all inputs and passes (for `resume`).
    let mut malformed = 0;
    // Per input, the reorder buffer its disorder needs (`None`: standard input, read once).
    let mut depths: Vec<Option<usize>> = Vec::new();
    'passes: for pass in 0..options.loops.max(1) {
        let shift = match (pass, span_of_first_pass) {
            (0, _) => chrono::Duration::zero(),
            (_, Some(span)) => (span + chrono::Duration::seconds(1)) * i32::try_from(pass).unwrap_or(i32::MAX),
            (_, None) => break, // the first pass emitted nothing: nothing to loop
        };
        if pass == 0 {
            depths = inputs.iter().map(|input| reorder_depth(input, options)).collect::<Result<_>>()?;
        }
        let mut sorted = Vec::with_capacity(inputs.len());
        for (input, depth) in inputs.iter().zip(&depths) {
            sorted.push(SortedInput::new(
                input.open()?,
                depth.map_or(options.sort_buffer, |d| d.min(options.sort_buffer)),
            ));
        }
        let mut heads = BinaryHeap::new();
        for (index, input) in sorted.iter_mut().enumerate() {
            if let Some(post) = input.next(&mut summary.inputs[index], &mut malformed, options, observer)? {
                heads.push(Reverse(Head { at: post.created_at, index, post }));
            }
        }
        // A post is sent before its input is asked for the next one: a live input may make
        // that wait.
        while let Some(Reverse(Head { index, mut post, .. })) = heads.pop() {
            if options.limit.is_some_and(|limit| summary.emitted() >= limit) {
                break 'passes;
            }
            if pass > 0 {
                post.created_at += shift;
                post.id = format!("{}~{pass}", post.id);
            }
            let resumed = summary.emitted() >= options.resume.posts;
            if resumed {
                pacer.wait(post.created_at, clock);
                sink.send(&post)?;
            }
            summary.inputs[index].emitted += 1;
            summary.first_at = summary.first_at.or(Some(post.created_at));
            summary.last_at = Some(post.created_at);
            if resumed {
                observer.on_post(&post, &summary);
            }
            if sorted[index].would_wait() {
                sink.idle()?;
            }
            if let Some(next) = sorted[index].next(&mut summary.inputs[index], &mut malformed, options, observer)? {
                heads.push(Reverse(Head { at: next.created_at, index, post: next }));
            }
        }
        if pass == 0 {
            span_of_first_pass = summary.first_at.zip(summary.last_at).map(|(first, last)| last - first);
        }
    }
    sink.finish()?;
    Ok(summary)
}

/// The reorder buffer `input` needs to come out in time order (see [`crate::disorder`]), from a
/// read of its posts' times ahead of the replay; `None` for standard input, which can be read
/// only once. Records that are not posts, malformed ones (reported by the replay itself) and
/// posts outside `since`/`until` never enter the buffer and are not counted.
fn reorder_depth(input: &ReplayInput, options: &ReplayOptions) -> Result<Option<usize>> {
    if input.is_stdin() {
        return Ok(None);
    }
    let mut times = Vec::new();
    for record in PostReader::open(&input.path, input.format)? {
        if let Record::Post(post) = record? {
            let at = post.created_at;
            if options.since.is_none_or(|since| at >= since) && options.until.is_none_or(|until| at < until) {
                times.push(at);
            }
        }
    }
    Ok(Some(crate::disorder::reorder_depth(&times)))
}

/// The next post of one input, ordered for the k-way merge by time, then input order.
struct Head {
    at: DateTime<Utc>,
    index: usize,
    post: Post,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.index) == (other.at, other.index)
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.index).cmp(&(other.at, other.index))
    }
}

/// A post waiting in a reorder buffer, ordered by time, then by position in its file.
struct Pending {
    at: DateTime<Utc>,
    seq: u64,
    post: Post,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// One input behind a bounded reorder buffer.
struct SortedInput {
    source: Source,
    buffer: BinaryHeap<Reverse<Pending>>,
    capacity: usize,
    seq: u64,
    last_emitted: Option<DateTime<Utc>>,
    exhausted: bool,
    /// A live input's batch is complete: its buffer is being emitted without reading more.
    draining: bool,
    /// When a live input's current batch began.
    batch_started: Instant,
}

impl SortedInput {
    fn new(source: Source, capacity: usize) -> Self {
        Self {
            source,
            buffer: BinaryHeap::new(),
            capacity: capacity.max(1),
            seq: 0,
            last_emitted: None,
            exhausted: false,
            draining: false,
            batch_started: Instant::now(),
        }
    }

    /// Whether asking for the next post would wait on a live input that has nothing buffered.
    fn would_wait(&self) -> bool {
        matches!(self.source, Source::Live { .. }) && self.buffer.is_empty() && !self.exhausted
    }

    fn read(&mut self) -> Result<Read> {
        let record = match &mut self.source {
            Source::File(reader) => reader.next().transpose()?,
            // A batch starts with the first post after the buffer ran empty and gathers what
            // arrives within LIVE_IDLE of it; the batch is then emitted in time order, and what
            // arrives meanwhile waits in the channel for the next batch.
            Source::Live { records, .. } => {
                let received = if self.buffer.is_empty() {
                    self.draining = false;
                    let record = records.recv().ok();
                    self.batch_started = Instant::now();
                    record
                } else if self.draining {
                    return Ok(Read::BatchComplete);
                } else {
                    match records.recv_timeout(LIVE_IDLE.saturating_sub(self.batch_started.elapsed())) {
                        Ok(record) => Some(record),
                        Err(RecvTimeoutError::Timeout) => {
                            self.draining = true;
                            return Ok(Read::BatchComplete);
                        }
                        Err(RecvTimeoutError::Disconnected) => None,
                    }
                };
                received.transpose()?
            }
        };
        Ok(record.map_or(Read::End, Read::Record))
    }

    /// The input's next post in time order, once the buffer is full, the input is exhausted or a
    /// live input's batch is complete.
    fn next(
        &mut self,
        counts: &mut InputSummary,
        reported: &mut u64,
        options: &ReplayOptions,
        observer: &mut dyn ReplayObserver,
    ) -> Result<Option<Post>> {
        while !self.exhausted && self.buffer.len() < self.capacity {
            let record = match self.read()? {
                Read::Record(record) => record,
                Read::BatchComplete => break,
                Read::End => {
                    self.exhausted = true;
                    break;
                }
            };
            counts.read += 1;
            let post = match record {
                Record::Post(post) => post,
                Record::Skipped => {
                    counts.skipped += 1;
                    continue;
                }
                Record::Malformed(malformed) => {
                    counts.malformed += 1;
                    if *reported >= options.resume.malformed {
                        observer.on_malformed(&malformed)?;
                    }
                    *reported += 1;
                    if options.strict {
                        return Err(Error::Strict(malformed));
                    }
                    continue;
                }
            };
            let at = post.created_at;
            if options.since.is_some_and(|since| at < since) || options.until.is_some_and(|until| at >= until) {
                counts.filtered += 1;
                continue;
            }
            let live = matches!(self.source, Source::Live { .. });
            if let Some(previous) = self.last_emitted.filter(|previous| at < *previous && !live) {
                return Err(Error::SortBufferExceeded {
                    path: self.source.path().to_path_buf(),
                    at: at.to_rfc3339(),
                    previous: previous.to_rfc3339(),
                    capacity: self.capacity,
                });
            }
            self.seq += 1;
            self.buffer.push(Reverse(Pending { at, seq: self.seq, post }));
        }
        let next = self.buffer.pop().map(|Reverse(pending)| pending.post);
        if let Some(post) = &next {
            self.last_emitted = Some(post.created_at);
        }
        Ok(next)
    }
}

/// Decides how long to wait before each post.
struct Pacer {
    pacing: Pacing,
    first_event: Option<DateTime<Utc>>,
    sent: u64,
}

impl Pacer {
    fn new(pacing: Pacing) -> Self {
        Self { pacing, first_event: None, sent: 0 }
    }

    fn wait(&mut self, event_at: DateTime<Utc>, clock: &mut dyn Clock) {
        let due = match self.pacing {
            Pacing::Max => None,
            Pacing::Speed(speed) => {
                let first = *self.first_event.get_or_insert(event_at);
                let event_offset = (event_at - first).to_std().unwrap_or_default();
                Some(Duration::try_from_secs_f64(event_offset.as_secs_f64() / speed).unwrap_or(Duration::MAX))
            }
            Pacing::Rate(rate) => Some(Duration::try_from_secs_f64(self.sent as f64 / rate).unwrap_or(Duration::MAX)),
        };
        self.sent += 1;
        if let Some(due) = due {
            let now = clock.elapsed();
            if due > now {
                clock.sleep(due - now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::SinkError;
    use std::io::Write;

    /// A sink that keeps what it is sent.
    #[derive(Default)]
    struct Collect(Vec<Post>);

    impl Sink for Collect {
        fn send(&mut self, post: &Post) -> std::result::Result<(), SinkError> {
            self.0.push(post.clone());
            Ok(())
        }
    }

    fn jsonl_file(dir: &tempfile::TempDir, name: &str, times: &[&str]) -> ReplayInput {
        let path = dir.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        for (i, t) in times.iter().enumerate() {
            let post = format!(
                r#"{{"id":"{name}-{i}","created_at":"{t}","author":"a{i}","text":"post {i}","source":"test","kind":"post"}}"#
            );
            writeln!(file, "{post}").unwrap();
        }
        ReplayInput { path, format: None }
    }

    fn times(posts: &[Post]) -> Vec<String> {
        posts.iter().map(|p| p.created_at.format("%H:%M:%S").to_string()).collect()
    }

    #[test]
    fn merges_unsorted_inputs_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let a = jsonl_file(&dir, "a", &["2013-04-15T10:00:03Z", "2013-04-15T10:00:01Z", "2013-04-15T10:00:05Z"]);
        let b = jsonl_file(&dir, "b", &["2013-04-15T10:00:02Z", "2013-04-15T10:00:04Z"]);
        let mut sink = Collect::default();
        let summary =
            replay(&[a, b], &ReplayOptions::default(), &mut sink, &mut ManualClock::default(), &mut ()).unwrap();
        assert_eq!(times(&sink.0), ["10:00:01", "10:00:02", "10:00:03", "10:00:04", "10:00:05"]);
        assert_eq!(summary.emitted(), 5);
        assert_eq!((summary.inputs[0].emitted, summary.inputs[1].emitted), (3, 2));
    }

    #[test]
    fn a_resumed_replay_hands_on_exactly_what_the_first_run_had_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.jsonl");
        let post = |i: u32| {
            format!(
                r#"{{"id":"{i}","created_at":"2013-04-15T10:00:0{i}Z","author":"a","text":"t","source":"s","kind":"post"}}"#
            )
        };
        std::fs::write(&path, [post(1), "broken".into(), post(2), post(3), "broken".into(), post(4)].join("\n"))
            .unwrap();
        #[derive(Default)]
        struct Seen(u64);
        impl ReplayObserver for Seen {
            fn on_malformed(&mut self, _: &Malformed) -> Result<()> {
                self.0 += 1;
                Ok(())
            }
        }
        let inputs = [ReplayInput { path, format: Some(Format::Jsonl) }];
        let run = |options: &ReplayOptions| {
            let (mut sink, mut seen) = (Collect::default(), Seen::default());
            let summary = replay(&inputs, options, &mut sink, &mut ManualClock::default(), &mut seen).unwrap();
            let ids: Vec<String> = sink.0.iter().map(|p| p.id.clone()).collect();
            (ids, seen.0, summary.emitted())
        };
        let looped = ReplayOptions { loops: 2, ..Default::default() };
        let (all, malformed, emitted) = run(&looped);
        assert_eq!((all.len(), malformed, emitted), (8, 4, 8));
        // Stopped after 5 posts, 3 malformed records reported (the reader is one record ahead).
        let resume = ReplayPosition { posts: 5, malformed: 3 };
        let (rest, malformed, emitted) = run(&ReplayOptions { resume, ..looped });
        assert_eq!(rest, all[5..], "the posts of the second pass after the first one");
        assert_eq!((malformed, emitted), (1, 8), "the last broken record once; counts as a whole run's");
    }

    #[test]
    fn a_file_is_held_only_as_far_as_it_is_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let sorted: Vec<String> = (0..50).map(|i| format!("2013-04-15T10:{:02}:00Z", i)).collect();
        let sorted = jsonl_file(&dir, "sorted", &sorted.iter().map(String::as_str).collect::<Vec<_>>());
        let late = jsonl_file(
            &dir,
            "late",
            &["2013-04-15T10:00:01Z", "2013-04-15T10:00:05Z", "2013-04-15T10:00:06Z", "2013-04-15T10:00:02Z"],
        );
        let options = ReplayOptions::default();
        assert_eq!(reorder_depth(&sorted, &options).unwrap(), Some(1));
        assert_eq!(reorder_depth(&late, &options).unwrap(), Some(3));
        let until = ReplayOptions { until: "2013-04-15T10:00:06Z".parse().ok(), ..Default::default() };
        assert_eq!(reorder_depth(&late, &until).unwrap(), Some(2), "posts filtered out are not held");
        let stdin = ReplayInput { path: "-".into(), format: None };
        assert_eq!(reorder_depth(&stdin, &options).unwrap(), None);
        let mut sink = Collect::default();
        replay(&[late], &options, &mut sink, &mut ManualClock::default(), &mut ()).unwrap();
        assert_eq!(times(&sink.0), ["10:00:01", "10:00:02", "10:00:05", "10:00:06"]);
    }

    #[test]
    fn disorder_beyond_the_sort_buffer_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let input = jsonl_file(&dir, "a", &["2013-04-15T10:00:03Z", "2013-04-15T10:00:04Z", "2013-04-15T10:00:01Z"]);
        let options = ReplayOptions { sort_buffer: 1, ..Default::default() };
        let err = replay(&[input], &options, &mut Collect::default(), &mut ManualClock::default(), &mut ());
        let message = err.unwrap_err().to_string();
        assert!(message.contains("raise --sort-buffer"), "{message}");
    }

    #[test]
    fn speed_pacing_follows_event_time() {
        let dir = tempfile::tempdir().unwrap();
        let input = jsonl_file(&dir, "a", &["2013-04-15T10:00:00Z", "2013-04-15T11:00:00Z", "2013-04-15T13:00:00Z"]);
        let options = ReplayOptions { pacing: Pacing::Speed(3600.0), ..Default::default() };
        let mut clock = ManualClock::default();
        replay(&[input], &options, &mut Collect::default(), &mut clock, &mut ()).unwrap();
        // One hour of event time per second: the posts are due at 0 s, 1 s and 3 s.
        assert_eq!(clock.sleeps, [Duration::from_secs(1), Duration::from_secs(2)]);
        assert_eq!(clock.now, Duration::from_secs(3));
    }

    #[test]
    fn rate_pacing_spaces_posts_evenly_and_max_never_sleeps() {
        let dir = tempfile::tempdir().unwrap();
        let input = jsonl_file(&dir, "a", &["2013-04-15T10:00:00Z"; 5]);
        let options = ReplayOptions { pacing: Pacing::Rate(2.0), ..Default::default() };
        let mut clock = ManualClock::default();
        replay(std::slice::from_ref(&input), &options, &mut Collect::default(), &mut clock, &mut ()).unwrap();
        assert_eq!(clock.now, Duration::from_secs(2));
        assert_eq!(clock.sleeps.len(), 4);
        let mut clock = ManualClock::default();
        replay(&[input], &ReplayOptions::default(), &mut Collect::default(), &mut clock, &mut ()).unwrap();
        assert!(clock.sleeps.is_empty());
    }

    #[test]
    fn loops_shift_time_and_make_ids_unique_and_limit_stops() {
        let dir = tempfile::tempdir().unwrap();
        let input = jsonl_file(&dir, "a", &["2013-04-15T10:00:00Z", "2013-04-15T10:00:10Z"]);
        let options = ReplayOptions { loops: 3, limit: Some(5), ..Default::default() };
        let mut sink = Collect::default();
        replay(&[input], &options, &mut sink, &mut ManualClock::default(), &mut ()).unwrap();
        let ids: Vec<&str> = sink.0.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a-0", "a-1", "a-0~1", "a-1~1", "a-0~2"]);
        assert_eq!(times(&sink.0), ["10:00:00", "10:00:10", "10:00:11", "10:00:21", "10:00:22"]);
    }

    #[test]
    fn since_and_until_filter_by_event_time() {
        let dir = tempfile::tempdir().unwrap();
        let input = jsonl_file(&dir, "a", &["2013-04-15T10:00:00Z", "2013-04-15T11:00:00Z", "2013-04-15T12:00:00Z"]);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let options = ReplayOptions {
            since: Some(at("2013-04-15T10:30:00Z")),
            until: Some(at("2013-04-15T12:00:00Z")),
            ..Default::default()
        };
        let mut sink = Collect::default();
        let summary = replay(&[input], &options, &mut sink, &mut ManualClock::default(), &mut ()).unwrap();
        assert_eq!(times(&sink.0), ["11:00:00"]);
        assert_eq!(summary.inputs[0].filtered, 2);
    }

    #[test]
    fn malformed_rows_are_reported_and_skipped_or_fatal_when_strict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.jsonl");
        std::fs::write(
            &path,
            "{\"id\":\"1\",\"created_at\":\"2013-04-15T10:00:00Z\",\"author\":\"a\",\"text\":\"t\",\"source\":\"s\",\"kind\":\"post\"}\nnot json\n",
        )
        .unwrap();
        struct Seen(Vec<String>);
        impl ReplayObserver for Seen {
            fn on_malformed(&mut self, malformed: &Malformed) -> Result<()> {
                self.0.push(malformed.to_string());
                Ok(())
            }
        }
        let input = ReplayInput { path: path.clone(), format: Some(Format::Jsonl) };
        let mut seen = Seen(Vec::new());
        let summary = replay(
            std::slice::from_ref(&input),
            &ReplayOptions::default(),
            &mut Collect::default(),
            &mut ManualClock::default(),
            &mut seen,
        )
        .unwrap();
        assert_eq!((summary.emitted(), summary.malformed(), summary.inputs[0].read), (1, 1, 2));
        assert_eq!(seen.0.len(), 1);
        assert!(seen.0[0].starts_with(&format!("{}:2: not a canonical post", path.display())), "{}", seen.0[0]);
        let strict = ReplayOptions { strict: true, ..Default::default() };
        let err = replay(&[input], &strict, &mut Collect::default(), &mut ManualClock::default(), &mut ());
        assert!(matches!(err, Err(Error::Strict(m)) if m.line == 2));
    }
}
