//! [`Span`]: a length of time as people write it (`250ms`, `90s`, `10m`, `1h`, `2d`), the one form
//! every duration takes on Pulse's command line, in its config file and in its API.
//!
//! Hand-written rather than `humantime`'s: Pulse's spans print in one unit only (`1d`, never
//! `1day`; `90m`, never `1h 30m`) so that what the API answers (`"window": "1d"`) reads back as
//! the same flag or parameter, and a bare number means seconds (`--bucket 600`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Units from the largest, with their length in milliseconds.
const UNITS: [(&str, u64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

/// A positive length of time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    millis: u64,
}

impl Span {
    /// `secs` seconds (at least one millisecond is not checked here: use [`FromStr`] for input).
    pub const fn from_secs(secs: u64) -> Self {
        Self { millis: secs * 1000 }
    }

    /// `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// Whole seconds (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.millis / 1000
    }

    /// Whole seconds as the signed Unix-time arithmetic of buckets and windows wants them.
    pub fn as_secs_i64(self) -> i64 {
        i64::try_from(self.as_secs()).unwrap_or(i64::MAX)
    }

    /// Milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Whether the span is a whole number of seconds (bucket widths and windows must be).
    pub const fn is_whole_seconds(self) -> bool {
        self.millis.is_multiple_of(1000)
    }

    /// As a standard duration, for timers.
    pub const fn to_std(self) -> Duration {
        Duration::from_millis(self.millis)
    }

    /// In words for a sentence: `hour`, `2 hours`, `30 minutes`, `45 seconds`.
    pub fn in_words(self) -> String {
        let secs = self.as_secs();
        match secs {
            3600 => "hour".to_owned(),
            s if s % 3600 == 0 => format!("{} hours", s / 3600),
            s if s % 60 == 0 => format!("{} minutes", s / 60),
            s => format!("{s} seconds"),
        }
    }
}

impl From<Span> for Duration {
    fn from(span: Span) -> Self {
        span.to_std()
    }
}

/// Why a text is not a [`Span`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpanError(String);

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(text: &str) -> Result<Self, SpanError> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let n: u64 =
            number.parse().map_err(|_| SpanError(format!("{text:?} is not a duration like 90s, 10m, 1h or 2d")))?;
        let unit_ms = match unit.trim() {
            "" => 1000,
            "min" => 60_000,
            unit => UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, ms)| *ms)
                .ok_or_else(|| SpanError(format!("unknown duration unit {unit:?} in {text:?} (ms, s, m, h, d)")))?,
        };
        let millis = n.checked_mul(unit_ms).ok_or_else(|| SpanError(format!("{text:?} is too long")))?;
        if millis == 0 {
            return Err(SpanError(format!("{text:?}: a duration must be positive")));
        }
        Ok(Self { millis })
    }
}

/// The largest unit that divides the span evenly: `10m`, `1h`, `1d`, `90s`, `250ms`.
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, ms) = UNITS.iter().find(|(_, ms)| self.millis.is_multiple_of(*ms)).copied().unwrap_or(("ms", 1));
        write!(f, "{}{name}", self.millis / ms)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_plain_seconds() {
        let ms = |t: &str| t.parse::<Span>().map(Span::as_millis);
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("90"), Ok(90_000));
        assert_eq!(ms("90s"), Ok(90_000));
        assert_eq!(ms("10m"), Ok(600_000));
        assert_eq!(ms("10min"), Ok(600_000));
        assert_eq!(ms(" 1h "), Ok(3_600_000));
        assert_eq!(ms("2d"), Ok(172_800_000));
    }

    #[test]
    fn refuses_zero_unknown_units_overflow_and_words() {
        for (text, says) in [
            ("0s", "positive"),
            ("5y", "unit"),
            ("1.5h", "unit"),
            ("soon", "not a duration"),
            ("-1h", "not a duration"),
            ("99999999999999999999h", "not a duration"),
            ("999999999999999999d", "too long"),
        ] {
            let error = text.parse::<Span>().unwrap_err().to_string();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn prints_in_the_largest_unit_that_divides_it_and_reads_back() {
        for (millis, text) in [
            (600_000, "10m"),
            (3_600_000, "1h"),
            (86_400_000, "1d"),
            (5_400_000, "90m"),
            (90_000, "90s"),
            (250, "250ms"),
        ] {
            let span = Span::from_millis(millis);
            assert_eq!(span.to_string(), text);
            assert_eq!(text.parse::<Span>(), Ok(span));
        }
    }

    #[test]
    fn words_for_sentences() {
        assert_eq!(Span::from_secs(3600).in_words(), "hour");
        assert_eq!(Span::from_secs(7200).in_words(), "2 hours");
        assert_eq!(Span::from_secs(86_400).in_words(), "24 hours");
        assert_eq!(Span::from_secs(1800).in_words(), "30 minutes");
        assert_eq!(Span::from_secs(45).in_words(), "45 seconds");
    }

    #[test]
    fn serde_uses_the_text_form() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct C {
            every: Span,
        }
        let c: C = serde_json::from_str(r#"{"every": "1h"}"#).unwrap();
        assert_eq!(c.every, Span::from_secs(3600));
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"every":"1h"}"#);
        assert!(serde_json::from_str::<C>(r#"{"every": "never"}"#).is_err());
    }
}
