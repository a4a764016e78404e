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
