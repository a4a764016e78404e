//! Time helpers: tweet ids that carry their own timestamp, and times as users write them.

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

/// A time given by a user: RFC 3339 (`2013-04-15T18:49:00Z`), or a bare date (`2013-04-15`)
/// meaning midnight UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.to_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{text:?} is neither RFC 3339 (2013-04-15T18:49:00Z) nor a date (2013-04-15)"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
