//! Time helpers: tweet ids that carry their own timestamp.

use chrono::{DateTime, TimeZone, Utc};

/// Twitter's snowflake epoch (2010-11-04T01:42:54.657Z) in Unix milliseconds.
const TWITTER_EPOCH_MS: i64 = 1_288_834_974_657;

/// The creation time encoded in a Twitter snowflake id: Unix ms = `(id >> 22) + 1288834974657`.
///
/// Truncated to whole seconds, the resolution of Twitter's own `created_at`, so that times read from
/// ids and times read from dataset columns compare alike. `None` for ids older than snowflakes
/// (before November 2010), which carry no time.
pub fn snowflake_time(id: u64) -> Option<DateTime<Utc>> {
    let ms = i64::try_from(id >> 22).ok()? + TWITTER_EPOCH_MS;
    // Sequential ids below 2^22 << 22 predate snowflakes and decode to the epoch itself.
    if id >> 22 == 0 {
        return None;
    }
    Utc.timestamp_opt(ms.div_euclid(1000), 0).single()
}

/// A duration written as `250ms`, `90s`, `10m`, `1h`, `2d`, or plain seconds: the form every
/// duration takes on Pulse's command line and in its config file.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("{text:?} is not a duration like 90s, 10m, 1h"))?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        other => return Err(format!("unknown duration unit {other:?} in {text:?} (ms, s, m, h, d)")),
    }
    .ok_or_else(|| format!("{text:?} is too long"))?;
    if ms == 0 {
        return Err("duration must be positive".into());
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// Serde helpers for durations kept as `"10m"`-style strings in config files.
pub mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes whole seconds as `"Ns"`, anything finer as `"Nms"`.
    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        let ms = duration.as_millis();
        if ms.is_multiple_of(1000) {
            serializer.serialize_str(&format!("{}s", ms / 1000))
        } else {
            serializer.serialize_str(&format!("{ms}ms"))
        }
    }

    /// Reads a duration through [`super::parse_duration`].
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_with_units() {
        use std::time::Duration;
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("0s").unwrap_err().contains("positive"));
        assert!(parse_duration("5y").unwrap_err().contains("unit"));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn decodes_a_boston_marathon_tweet_id() {
        // 323873597825355778 is a tweet from 2013-04-15, a few minutes after the explosions.
        let at = snowflake_time(323_873_597_825_355_778).unwrap();
        assert_eq!(at.to_rfc3339(), "2013-04-15T19:00:57+00:00");
    }

    #[test]
    fn pre_snowflake_ids_have_no_time() {
        assert_eq!(snowflake_time(12_345), None);
    }
}
