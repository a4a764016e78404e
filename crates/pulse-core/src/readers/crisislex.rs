//! CrisisLex T6 and T26 CSV files.
//!
//! Neither names the posting account. Each post is given its own synthetic author,
//! `crisislex:<tweet id>`, i.e. every post counts as a distinct unknown account. Collapsing them into
//! one shared author would make distinct-author counts 1 and nothing could ever trend; treating them
//! as distinct overstates the number of authors only where one account tweeted several times.
//! The time comes from the tweet id (a snowflake). Old-style retweets (`RT @user: …`) are marked as
//! reposts; the original's id is unknown.

use csv::ByteRecord;

use super::{Format, decode_text, event_name, parse_tweet_id, tweet_url};
use crate::post::is_old_style_retweet;
use crate::time::snowflake_time;
use crate::{Post, PostKind};

/// How to read one CrisisLex file: which dataset, which event, and what its label columns are.
pub(crate) struct Columns {
    source: String,
    /// Label names for the columns after the text, in file order.
    labels: &'static [&'static str],
}

impl Columns {
    pub(crate) fn new(format: Format, file_name: &str) -> Self {
        let (dataset, labels, suffixes): (&str, &'static [&'static str], &[&str]) = match format {
            Format::CrisisLexT26 => (
                "crisislex-t26",
                &["information_source", "information_type", "informativeness"],
                &[".csv", "-tweets_labeled"],
            ),
            _ => ("crisislex-t6", &["topic"], &[".csv", "-ontopic_offtopic"]),
        };
        let event = event_name(file_name, suffixes);
        let source = if event.is_empty() { dataset.to_string() } else { format!("{dataset}/{event}") };
        Self { source, labels }
    }

    pub(crate) fn decode(&self, record: &ByteRecord) -> Result<Post, String> {
        let expected = 2 + self.labels.len();
        if record.len() != expected {
            return Err(format!("expected {expected} fields, found {}", record.len()));
        }
        let id = parse_tweet_id(&decode_text(&record[0]))?;
        let created_at = snowflake_time(id).ok_or_else(|| format!("tweet id {id} carries no time"))?;
        let text = decode_text(&record[1]).into_owned();
        let mut post = Post::new(id.to_string(), created_at, format!("crisislex:{id}"), text, self.source.clone());
        if is_old_style_retweet(&post.text) {
            post.kind = PostKind::Repost;
        }
        post.url = Some(tweet_url(id));
        for (name, value) in self.labels.iter().zip(record.iter().skip(2)) {
            let value = decode_text(value);
            let value = value.trim();
            if !value.is_empty() {
                post.labels.insert((*name).to_string(), value.to_string());
            }
        }
        Ok(post)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_t6_row() {
        let columns = Columns::new(Format::CrisisLexT6, "2013_Boston_Bombings-ontopic_offtopic.csv");
        let row = ByteRecord::from(vec!["'323873597825355778'", "RT @a: Explosion at #BostonMarathon", "on-topic"]);
        let post = columns.decode(&row).unwrap();
        assert_eq!(post.source, "crisislex-t6/2013_Boston_Bombings");
        assert_eq!(post.created_at.to_rfc3339(), "2013-04-15T19:00:57+00:00");
        assert_eq!(post.author, "crisislex:323873597825355778");
        assert_eq!(post.kind, PostKind::Repost);
        assert_eq!(post.labels.get("topic").map(String::as_str), Some("on-topic"));
    }

    #[test]
    fn rejects_bad_ids_and_short_rows() {
        let columns = Columns::new(Format::CrisisLexT26, "x-tweets_labeled.csv");
        let short = ByteRecord::from(vec!["\"323873597825355778\"", "text"]);
        assert_eq!(columns.decode(&short).unwrap_err(), "expected 5 fields, found 2");
        let bad = ByteRecord::from(vec!["abc", "t", "a", "b", "c"]);
        assert!(columns.decode(&bad).unwrap_err().contains("not a number"));
    }
}
