//! What a long replay shows while it runs (`pulse replay`, `pulse trends`): a progress line on a
//! terminal, malformed records reported and dead-lettered.
//!
//! The line is a bar when the number of posts is known (catalogue datasets, a `--limit`) and a
//! counter otherwise; it shows the rate in whole posts per second and the replay's event-time
//! clock, refreshed four times a second whatever the pace (a slow replay's clock must not look
//! frozen).

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use pulse_core::dead_letters::DeadLetters;
use pulse_core::replay::{ReplayObserver, ReplaySummary};
use pulse_core::{Malformed, Post};

/// How many malformed records are printed in full; the rest are counted and dead-lettered.
pub const MALFORMED_SHOWN: usize = 5;
/// How often the line's message (event time, malformed count) is rewritten.
const REFRESH: Duration = Duration::from_millis(250);

/// Progress line, malformed-record reports and the dead-letter file of one replay.
pub struct Progress {
    pub bar: ProgressBar,
    /// Posts the Kafka broker acknowledged, when replaying into Kafka.
    pub acked: Option<Arc<AtomicU64>>,
    pub dead_letters: DeadLetters,
    malformed_seen: usize,
    /// When the message was last rewritten.
    shown_at: Instant,
}

impl Progress {
    /// A progress line on standard error when it is a terminal, towards `total` posts when known.
    pub fn new(dead_letter_path: PathBuf, total: Option<u64>) -> Self {
        let bar = if io::stderr().is_terminal() { visible_bar(total) } else { ProgressBar::hidden() };
        Self {
            bar,
            acked: None,
            dead_letters: DeadLetters::new(dead_letter_path),
            malformed_seen: 0,
            shown_at: Instant::now() - REFRESH,
        }
    }
}

fn visible_bar(total: Option<u64>) -> ProgressBar {
    let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{:.0} posts/s", state.per_sec());
    };
    let (bar, template) = match total {
        Some(total) => (ProgressBar::new(total), "[{bar:30}] {human_pos}/{human_len} posts  {rate}  eta {eta}  {msg}"),
        None => (ProgressBar::new_spinner(), "{spinner} {human_pos} posts  {rate}  {msg}"),
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", rate)
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    bar
}

impl ReplayObserver for Progress {
    fn on_post(&mut self, post: &Post, summary: &ReplaySummary) {
        match &self.acked {
            Some(acked) => self.bar.set_position(acked.load(Ordering::Relaxed)),
            None => self.bar.inc(1),
        }
        if self.bar.is_hidden() || self.shown_at.elapsed() < REFRESH {
            return;
        }
        self.shown_at = Instant::now();
        let errors = summary.malformed();
        let clock = post.created_at.format("%Y-%m-%d %H:%M:%S");
        self.bar.set_message(if errors > 0 {
            format!("event time {clock}  malformed {errors}")
        } else {
            format!("event time {clock}")
        });
    }

    fn on_malformed(&mut self, malformed: &Malformed) -> pulse_core::Result<()> {
        self.malformed_seen += 1;
        if self.malformed_seen <= MALFORMED_SHOWN {
            let raw: String = malformed.raw.chars().take(200).collect();
            self.bar.suspend(|| eprintln!("malformed: {malformed}\n  record: {raw}"));
        }
        self.dead_letters.keep(malformed)
    }
}
