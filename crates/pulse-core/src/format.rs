//! The native formats Pulse reads, named and recognised.

use std::fmt;
use std::str::FromStr;

/// The native formats Pulse reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Canonical JSON lines, one [`Post`] per line (`schemas/post.schema.json`).
    Jsonl,
    /// CrisisLexT6 CSV: `tweet id, tweet, label`, ids quoted with `'`.
    CrisisLexT6,
    /// CrisisLexT26 CSV: `Tweet ID, Tweet Text, Information Source, Information Type, Informativeness`.
    CrisisLexT26,
    /// Twitter US Airline Sentiment CSV (the CrowdFlower release, with a header row).
    Airline,
    /// Sentiment140 CSV: `polarity, id, date, query, user, text` (or `polarity, text`), no header.
    Sentiment140,
    /// Bluesky Jetstream events, one JSON object per line.
    Jetstream,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Format; 6] = [
        Format::Jsonl,
        Format::CrisisLexT6,
        Format::CrisisLexT26,
        Format::Airline,
        Format::Sentiment140,
        Format::Jetstream,
    ];

    /// The names accepted by `--format`, in the order of [`Format::ALL`].
    pub const NAMES: [&'static str; 6] =
        ["jsonl", "crisislex-t6", "crisislex-t26", "airline-sentiment", "sentiment140", "jetstream"];

    /// The name of this format as `--format` accepts it.
    pub fn name(self) -> &'static str {
        let index = Self::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Self::NAMES[index]
    }

    /// Recognises a format from the first line of an input (header or first record).
    pub fn detect(first_line: &[u8]) -> std::result::Result<Format, String> {
        let line = String::from_utf8_lossy(first_line);
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            return Err("the input is empty".into());
        }
        if line.starts_with('{') {
            // Jetstream events name an account (`did`) and an event `kind`; canonical posts do not.
            let is_jetstream = line.contains("\"did\"") && line.contains("\"kind\"");
            return Ok(if is_jetstream { Format::Jetstream } else { Format::Jsonl });
        }
        let header = line.to_ascii_lowercase().replace(' ', "");
        if header.starts_with("tweetid,tweet,label") {
            return Ok(Format::CrisisLexT6);
        }
        if header.starts_with("tweetid,tweettext") {
            return Ok(Format::CrisisLexT26);
        }
        if header.contains("_unit_id") && header.contains("airline_sentiment") {
            return Ok(Format::Airline);
        }
        let polarity = line.split(',').next().unwrap_or("").trim_matches('"');
        if matches!(polarity, "0" | "2" | "4") && line.contains(',') {
            return Ok(Format::Sentiment140);
        }
        // The content is not shown: a file that is not posts may hold anything (`/etc/passwd`).
        Err(format!("its first line ({} bytes) is the start of none of: {}", first_line.len(), Self::NAMES.join(", ")))
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, UnknownFormat> {
        Self::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| Self::ALL[i])
            .ok_or_else(|| UnknownFormat(name.to_string()))
    }
}

/// A format name that Pulse does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; expected one of: {formats}", formats = Format::NAMES.join(", "))]
pub struct UnknownFormat(pub String);

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
