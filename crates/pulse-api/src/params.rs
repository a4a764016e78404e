//! Query parameters: parsed strictly, so a typo is a 400 that says what is accepted, never a
//! silently different answer.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::AppError;

/// Languages Pulse can identify (those `pulse-text` detects, plus `und`).
pub const LANGUAGES: &[&str] =
    &["ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "nl", "pt", "ru", "sv", "tl", "tr", "vi", "zh", "und"];

/// Largest `limit` any list endpoint accepts.
pub const MAX_LIMIT: usize = 100;

/// `?window=…&lang=…&limit=…` of `/v1/trends`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {
    /// Window such as `1h`, `30m`.
    pub window: Option<String>,
    /// Language code.
    pub lang: Option<String>,
    /// Most trends returned (1–100).
    pub limit: Option<String>,
}

/// `?window=…&lang=…` of `/v1/stories/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryParams {
    /// Window such as `1h`.
    pub window: Option<String>,
    /// Language code.
    pub lang: Option<String>,
}

/// `?window=…` of `/v1/topics/{topic}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicParams {
    /// Span of the time series, such as `6h`.
    pub window: Option<String>,
}

/// `?q=…&since=…&until=…&lang=…&sentiment=…&sort=…&limit=…&offset=…` of `/v1/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Query in tantivy's syntax (`boston AND explosion`, `"finish line"`, `#prayforboston`).
    pub q: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`.
    pub since: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`.
    pub until: Option<String>,
    /// Language code.
    pub lang: Option<String>,
    /// `positive`, `neutral` or `negative`.
    pub sentiment: Option<String>,
    /// `relevance` (default) or `recent`.
    pub sort: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
    /// Hits to skip, for paging.
    pub offset: Option<String>,
}

/// `?q=…` of `/v1/ask`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskParams {
    /// The question, e.g. `what do people think about boston?`.
    pub q: Option<String>,
}

/// A window such as `90s`, `10m`, `1h`, `1d` in seconds: a whole number of buckets, at least one,
/// and no longer than the history kept.
pub fn window_secs(text: Option<&str>, bucket_secs: i64, history_secs: i64, default: i64) -> Result<i64, AppError> {
    let Some(text) = text else { return Ok(default) };
    let bad = || {
        AppError::bad_request(
            "bad_window",
            format!(
                "window {text:?} is not a duration like 10m, 1h or 6h that is a whole number of {}-second buckets and at most {}",
                bucket_secs,
                if history_secs > 86_400 && history_secs % 86_400 == 0 {
                    format!("{}d", history_secs / 86_400)
                } else {
                    format!("{}h", history_secs / 3600)
                }
            ),
        )
    };
    let (number, unit) = text.trim().split_at(text.trim().find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let number: i64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let secs = number.checked_mul(unit_secs).ok_or_else(bad)?;
    if secs < bucket_secs || secs % bucket_secs != 0 || secs > history_secs {
        return Err(bad());
    }
    Ok(secs)
}

/// A language code Pulse knows, lower-cased.
pub fn lang(text: Option<&str>) -> Result<Option<String>, AppError> {
    match text.map(str::to_ascii_lowercase) {
        None => Ok(None),
        Some(code) if code == "all" || code.is_empty() => Ok(None),
        Some(code) if LANGUAGES.contains(&code.as_str()) => Ok(Some(code)),
        Some(code) => Err(AppError::bad_request(
            "bad_lang",
            format!("unknown language {code:?}; expected one of {} or all", LANGUAGES.join(", ")),
        )),
    }
}

/// A limit in 1..=100.
pub fn limit(text: Option<&str>, default: usize) -> Result<usize, AppError> {
    let Some(text) = text else { return Ok(default) };
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(AppError::bad_request(
            "bad_limit",
            format!("limit {text:?} must be a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// Deepest offset: with the largest page, results stop at [`pulse_index::MAX_DEPTH`] (deeper paging
/// is a search engine's job, not a dashboard's). One bound per parameter, so the API description
/// can state it.
pub const MAX_OFFSET: usize = pulse_index::MAX_DEPTH - MAX_LIMIT;

/// An offset from 0 to [`MAX_OFFSET`].
pub fn offset(text: Option<&str>) -> Result<usize, AppError> {
    let Some(text) = text else { return Ok(0) };
    match text.parse::<usize>() {
        Ok(n) if n <= MAX_OFFSET => Ok(n),
        _ => Err(AppError::bad_request(
            "bad_offset",
            format!("offset {text:?} must be a whole number from 0 to {MAX_OFFSET}"),
        )),
    }
}

/// RFC 3339, or a bare date meaning midnight UTC.
pub fn time(name: &'static str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.to_utc()));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            AppError::bad_request(
                "bad_time",
                format!("{name} {text:?} is neither RFC 3339 (2013-04-15T18:49:00Z) nor a date"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_buckets_within_history() {
        assert_eq!(window_secs(Some("1h"), 600, 86_400, 3600).unwrap(), 3600);
        assert_eq!(window_secs(Some("30m"), 600, 86_400, 3600).unwrap(), 1800);
        assert_eq!(window_secs(None, 600, 86_400, 3600).unwrap(), 3600);
        for bad in ["5m", "1w", "h", "-1h", "25h", "1.5h", "99999999999999999999h"] {
            assert!(window_secs(Some(bad), 600, 86_400, 3600).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_limits_and_times_are_checked() {
        assert_eq!(lang(Some("EN")).unwrap().as_deref(), Some("en"));
        assert_eq!(lang(Some("all")).unwrap(), None);
        assert!(lang(Some("klingon")).is_err());
        assert_eq!(limit(Some("100"), 20).unwrap(), 100);
        assert!(limit(Some("0"), 20).is_err() && limit(Some("101"), 20).is_err() && limit(Some("x"), 20).is_err());
        assert_eq!(time("since", Some("2013-04-15")).unwrap().unwrap().to_rfc3339(), "2013-04-15T00:00:00+00:00");
        assert!(time("since", Some("yesterday")).is_err());
    }
}
