//! The plain sentences that explain a trend, built only from its numbers.

use chrono::{DateTime, Utc};
use pulse_core::Span;

use crate::report::TrendState;

/// `HH:MM` (UTC) of a Unix time.
pub(crate) fn hhmm(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(String::new, |d| d.format("%H:%M").to_string())
}

/// "cooling since its peak at 22:40 UTC", "rising since 19:10 UTC".
fn since(state: TrendState, started_at: i64, peak_at: i64) -> String {
    match state {
        TrendState::Cooling => format!("cooling since its peak at {} UTC", hhmm(peak_at)),
        st => format!("{} since {} UTC", st.as_str(), hhmm(started_at)),
    }
}

/// A window in words: "hour", "6 hours".
fn in_words(window_secs: i64) -> String {
    Span::from_secs(u64::try_from(window_secs).unwrap_or(0)).in_words()
}

/// What a trend's numbers say: "41 posts from 41 accounts in the last hour, 1.9× the usual;
/// cooling since its peak at 22:40 UTC".
pub(crate) fn trend_sentence(
    posts: u64,
    authors: u64,
    window_secs: i64,
    ratio: f64,
    state: TrendState,
    started_at: i64,
    peak_at: i64,
) -> String {
    let (window, since) = (in_words(window_secs), since(state, started_at, peak_at));
    format!("{posts} posts from {authors} accounts in the last {window}, {ratio:.1}× the usual; {since}")
}

/// What a story's numbers say: "412 posts from 398 accounts in the last hour; Explosion 21.3× its
/// usual; rising since 01:50 UTC".
#[allow(clippy::too_many_arguments)]
pub(crate) fn story_sentence(
    posts: u64,
    authors: u64,
    window_secs: i64,
    headline_topic: &str,
    ratio: f64,
    state: TrendState,
    started_at: i64,
    peak_at: i64,
) -> String {
    let (window, since) = (in_words(window_secs), since(state, started_at, peak_at));
    format!(
        "{posts} posts from {authors} accounts in the last {window}; {headline_topic} {ratio:.1}× its usual; {since}"
    )
}
