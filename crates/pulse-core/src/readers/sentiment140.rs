//! Sentiment140 CSV (Go et al. 2009): `polarity, id, date, query, user, text`, no header.
//!
//! Both the 1.6M training file and the hand-labelled test file use this layout; dates look like
//! `Mon May 11 03:17:40 UTC 2009` (the training file says `PDT`). Polarity 0/2/4 becomes the label
//! `sentiment: negative/neutral/positive`, and a query other than `NO_QUERY` the label `query`.
//! Text that is not valid UTF-8 is read as Latin-1.
//!
//! Some mirrors of the test set keep only `polarity, text`. Those rows have no date or user: they
//! are given the date the test set was published, [`TWO_COLUMN_DATE`] (all equal, so a replay
//! keeps file order), an id `<file>:<line>`, and each its own synthetic author.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use csv::ByteRecord;

use super::{decode_text, event_name};
use crate::Post;

/// Date given to rows of the two-column variant, which carry none: 2009-06-14, the test set's release.
pub const TWO_COLUMN_DATE: &str = "2009-06-14T00:00:00Z";

/// Per-file state: the file's name, used for ids of the two-column variant.
pub(crate) struct Context {
    file_stem: String,
    two_column_date: DateTime<Utc>,
}

impl Context {
    pub(crate) fn new(file_name: &str) -> Self {
        let two_column_date = DateTime::parse_from_rfc3339(TWO_COLUMN_DATE).map_or_else(|_| Utc::now(), |d| d.to_utc());
        Self { file_stem: event_name(file_name, &[".csv"]), two_column_date }
    }

    pub(crate) fn decode(&self, record: &ByteRecord, line: u64) -> Result<Post, String> {
        let field = |index: usize| decode_text(&record[index]);
        let sentiment = match field(0).trim() {
            "0" => "negative",
            "2" => "neutral",
            "4" => "positive",
            other => return Err(format!("polarity {other:?} is not 0, 2 or 4")),
        };
        let mut post = match record.len() {
            6 => {
                let id = field(1).trim().to_string();
                if id.is_empty() {
                    return Err("`id` is missing".into());
                }
                let created_at = parse_date(field(2).trim())?;
                let user = field(4).trim().to_string();
                if user.is_empty() {
                    return Err("`user` is missing".into());
                }
                let mut post = Post::new(id, created_at, user, field(5).into_owned(), "sentiment140");
                let query = field(3);
                if query.trim() != "NO_QUERY" && !query.trim().is_empty() {
                    post.labels.insert("query".into(), query.trim().to_string());
                }
                post
            }
            2 => {
                let id = format!("{}:{line}", self.file_stem);
                let author = format!("sentiment140:{id}");
                Post::new(id, self.two_column_date, author, field(1).into_owned(), "sentiment140")
            }
            n => return Err(format!("expected 6 fields (or 2), found {n}")),
        };
        post.labels.insert("sentiment".into(), sentiment.into());
        Ok(post)
    }
}

/// `Mon May 11 03:17:40 UTC 2009` → UTC. The zone is an abbreviation; those in the data are known.
fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [weekday, month, day, clock, zone, year] = parts[..] else {
        return Err(format!("date {text:?} is not like `Mon May 11 03:17:40 UTC 2009`"));
    };
    let offset_hours = match zone {
        "UTC" | "GMT" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        other => return Err(format!("date {text:?} has an unknown zone {other:?}")),
    };
    let local =
        NaiveDateTime::parse_from_str(&format!("{weekday} {month} {day} {clock} {year}"), "%a %b %d %H:%M:%S %Y")
            .map_err(|e| format!("date {text:?} is not like `Mon May 11 03:17:40 UTC 2009`: {e}"))?;
    Ok(Utc.from_utc_datetime(&(local - chrono::Duration::hours(offset_hours))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_six_and_two_column_rows() {
        let context = Context::new("testdata.manual.2009.06.14.csv");
        let six = ByteRecord::from(vec![
            "0",
            "1467810369",
            "Mon Apr 06 22:19:45 PDT 2009",
            "NO_QUERY",
            "_TheSpecialOne_",
            "@switchfoot awww",
        ]);
        let post = context.decode(&six, 1).unwrap();
        assert_eq!(post.created_at.to_rfc3339(), "2009-04-07T05:19:45+00:00");
        assert_eq!((post.author.as_str(), post.labels["sentiment"].as_str()), ("_TheSpecialOne_", "negative"));
        assert!(!post.labels.contains_key("query"));
        let two = ByteRecord::from(vec!["4", "Reading my kindle2..."]);
        let post = context.decode(&two, 2).unwrap();
        assert_eq!(post.id, "testdata.manual.2009.06.14:2");
        assert_eq!(post.labels["sentiment"], "positive");
        assert!(post.to_json().contains(r#""created_at":"2009-06-14T00:00:00Z""#));
    }

    #[test]
    fn rejects_bad_polarity_dates_and_shapes() {
        let context = Context::new("x.csv");
        let bad_polarity = ByteRecord::from(vec!["5", "text"]);
        assert!(context.decode(&bad_polarity, 1).unwrap_err().contains("polarity"));
        let bad_date = ByteRecord::from(vec!["0", "1", "yesterday", "q", "u", "t"]);
        assert!(context.decode(&bad_date, 1).unwrap_err().contains("date"));
        let three = ByteRecord::from(vec!["0", "1", "t"]);
        assert_eq!(context.decode(&three, 1).unwrap_err(), "expected 6 fields (or 2), found 3");
    }
}
