//! Dataset readers: each turns one native format into a stream of [`Post`]s in constant memory.
//!
//! A reader yields [`Record`]s. A row that cannot become a post is a [`Record::Malformed`] that
//! says where it came from (`file:line`) and why, and carries the raw row so a caller can
//! dead-letter it; the reader then goes on with the next row. Only a failure to read the input at
//! all ends a reader with an [`Error`].
//!
//! Gzip input is recognised by its magic bytes and decompressed transparently. The format is
//! detected from the first record (see [`Format::detect`]) unless it is given.

mod airline;
mod crisislex;
mod jetstream;
pub use jetstream::{JetstreamEvent, decode_event as decode_jetstream_event};
mod jsonl;
mod sentiment140;
mod source;

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::ByteRecord;
use flate2::read::MultiGzDecoder;

pub use crate::format::Format;
pub use crate::malformed::Malformed;
use crate::{Error, Post, Result};
use source::{CsvRow, CsvRows};
pub use source::{Line, Lines};

/// Longest record a reader accepts (1 MiB); longer ones are reported as malformed.
///
/// Real posts are a few hundred bytes. The cap keeps one absurd line (or a binary file without
/// newlines) from being held in memory whole.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Size of the read buffer, which is also how much of an input format detection can see.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// One row of an input, as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A row that became a post.
    Post(Post),
    /// A row that could not become a post: reported, dead-lettered, skipped.
    Malformed(Malformed),
    /// A well-formed event that is not a post (e.g. a Jetstream like or delete): counted, skipped.
    Skipped,
}

/// Streams the posts of one input, whatever its format.
pub struct PostReader {
    path: PathBuf,
    format: Format,
    rows: Rows,
    /// Line of the last record read (where a cut-off input is reported).
    last_line: u64,
    /// Set once the input turned out to be cut off: nothing more is read from it.
    cut_off: bool,
}

enum Rows {
    Jsonl(Lines),
    Jetstream(Lines),
    Csv(Box<CsvRows>, CsvFormat),
}

/// What a CSV format needs to turn a row into a post.
enum CsvFormat {
    CrisisLex(crisislex::Columns),
    Airline(airline::Columns),
    Sentiment140(sentiment140::Context),
}

impl CsvFormat {
    fn decode(&self, record: &ByteRecord, line: u64) -> std::result::Result<Post, String> {
        match self {
            Self::CrisisLex(columns) => columns.decode(record),
            Self::Airline(columns) => columns.decode(record),
            Self::Sentiment140(context) => context.decode(record, line),
        }
    }
}

impl PostReader {
    /// Opens a file, decompressing gzip, and detects its format unless `format` names it.
    pub fn open(path: &Path, format: Option<Format>) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::Io { path: path.into(), source })?;
        Self::from_reader(path, file, format)
    }

    /// Reads posts from any byte stream (standard input, a socket, a test buffer); `path` names it
    /// in reports.
    pub fn from_reader(path: &Path, input: impl Read + Send + 'static, format: Option<Format>) -> Result<Self> {
        let io_error = |source| Error::Io { path: path.into(), source };
        let mut buffered = BufReader::with_capacity(READ_BUFFER_BYTES, input);
        let is_gzip = buffered.fill_buf().map_err(io_error)?.starts_with(&[0x1f, 0x8b]);
        let mut input: Box<dyn BufRead + Send> = if is_gzip {
            Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, MultiGzDecoder::new(buffered)))
        } else {
            Box::new(buffered)
        };
        let format = match format {
            Some(format) => format,
            None => {
                let head = input.fill_buf().map_err(io_error)?;
                let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
                Format::detect(first_line).map_err(|reason| Error::UnknownFormat { path: path.into(), reason })?
            }
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let rows = match format {
            Format::Jsonl => Rows::Jsonl(Lines::new(input)),
            Format::Jetstream => Rows::Jetstream(Lines::new(input)),
            Format::CrisisLexT6 | Format::CrisisLexT26 => {
                let columns = crisislex::Columns::new(format, &name);
                Rows::Csv(Box::new(CsvRows::new(input, true)), CsvFormat::CrisisLex(columns))
            }
            Format::Airline => {
                let mut rows = CsvRows::new(input, true);
                let header = rows.header().map_err(io_error)?;
                let columns = airline::Columns::from_header(&header)
                    .map_err(|reason| Error::UnknownFormat { path: path.into(), reason })?;
                Rows::Csv(Box::new(rows), CsvFormat::Airline(columns))
            }
            Format::Sentiment140 => Rows::Csv(
                Box::new(CsvRows::new(input, false)),
                CsvFormat::Sentiment140(sentiment140::Context::new(&name)),
            ),
        };
        Ok(Self { path: path.into(), format, rows, last_line: 0, cut_off: false })
    }

    /// The format this reader decodes.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The input this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn malformed(&self, line: u64, reason: String, raw: String) -> Record {
        Record::Malformed(Malformed { path: self.path.clone(), line, reason, raw })
    }
}

impl Iterator for PostReader {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cut_off {
            return None;
        }
        let item = self.read_next();
        match &item {
            Some(Err(Error::Io { source, .. })) if is_cut_off(source) => {
                // A truncated gzip or a corrupt stream: keep what came before, report the cut,
                // and end this input instead of failing the whole replay.
                self.cut_off = true;
                let reason = format!("the input is cut off or corrupt after line {}: {source}", self.last_line);
                return Some(Ok(self.malformed(self.last_line + 1, reason, String::new())));
            }
            _ => {}
        }
        item
    }
}

/// Whether a read error means the input's data ends early or is damaged (as opposed to the file
/// system failing): a gzip stream cut short, or bytes that do not decode.
fn is_cut_off(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
    matches!(error.kind(), UnexpectedEof | InvalidData | InvalidInput)
}

impl PostReader {
    fn read_next(&mut self) -> Option<Result<Record>> {
        let io_error = |path: &Path, source| Error::Io { path: path.into(), source };
        let (line, decoded) = match &mut self.rows {
            Rows::Jsonl(lines) => match decode_line(lines, |bytes| jsonl::decode(bytes).map(Some)) {
                Ok(Some(decoded)) => decoded,
                Ok(None) => return None,
                Err(e) => return Some(Err(io_error(&self.path, e))),
            },
            Rows::Jetstream(lines) => match decode_line(lines, jetstream::decode) {
                Ok(Some(decoded)) => decoded,
                Ok(None) => return None,
                Err(e) => return Some(Err(io_error(&self.path, e))),
            },
            Rows::Csv(rows, csv_format) => {
                let is_record = |record: &ByteRecord| csv_format.decode(record, 0).is_ok();
                match rows.next_row(&is_record) {
                    Ok(Some(CsvRow::Record { line, record, raw })) => match csv_format.decode(record, line) {
                        Ok(post) => (line, Ok(Some(post))),
                        Err(reason) => (line, Err((reason, raw_text(raw)))),
                    },
                    Ok(Some(CsvRow::Broken { line, reason, raw })) => (line, Err((reason, raw_text(&raw)))),
                    Ok(None) => return None,
                    Err(e) => return Some(Err(io_error(&self.path, e))),
                }
            }
        };
        self.last_line = line;
        Some(Ok(match decoded {
            Ok(Some(post)) => Record::Post(post),
            Ok(None) => Record::Skipped,
            Err((reason, raw)) => self.malformed(line, reason, raw),
        }))
    }
}

/// A decoded row: its line, and the post (or `None` for a skipped event) or why it was rejected
/// together with the raw row.
type Decoded = (u64, std::result::Result<Option<Post>, (String, String)>);

/// Reads and decodes the next line; `Ok(None)` at the end of the input.
fn decode_line(
    lines: &mut Lines,
    decode: impl Fn(&[u8]) -> std::result::Result<Option<Post>, String>,
) -> std::io::Result<Option<Decoded>> {
    let Some(row) = lines.next_line()? else {
        return Ok(None);
    };
    let decoded = if row.too_long { Err(too_long()) } else { decode(row.bytes) };
    Ok(Some((row.line, decoded.map_err(|reason| (reason, decode_text(row.bytes).into_owned())))))
}

fn too_long() -> String {
    format!("record longer than {} bytes", MAX_RECORD_BYTES)
}

/// A raw CSV record as dead-letter text: its lines as read, without the last line end.
fn raw_text(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    decode_text(raw.strip_suffix(b"\r").unwrap_or(raw)).into_owned()
}

/// Text from a dataset: UTF-8 when it is valid, else Latin-1 (each byte one character).
///
/// Older tweet dumps such as Sentiment140 mix encodings; Latin-1 keeps every byte readable
/// instead of replacing it, so no text is lost.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Strips the quotes some datasets put around ids (`'325208201740029952'`) and parses the id.
pub(crate) fn parse_tweet_id(field: &str) -> std::result::Result<u64, String> {
    let trimmed = field.trim().trim_matches(|c| c == '\'' || c == '"');
    trimmed.parse::<u64>().map_err(|_| format!("tweet id {field:?} is not a number"))
}

/// The web address of a tweet, from its id.
pub(crate) fn tweet_url(id: u64) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

/// The dataset-specific part of a file name: `2013_Boston_Bombings-ontopic_offtopic.csv` →
/// `2013_Boston_Bombings`.
pub(crate) fn event_name(file_name: &str, suffixes: &[&str]) -> String {
    let mut stem = file_name.trim_end_matches(".gz");
    for suffix in suffixes {
        stem = stem.trim_end_matches(suffix);
    }
    stem.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_first_line() {
        let cases: [(&str, Format); 7] = [
            (r#"{"id":"1","created_at":"2013-04-15T00:00:00Z"}"#, Format::Jsonl),
            (r#"{"did":"did:plc:x","time_us":1,"kind":"commit"}"#, Format::Jetstream),
            ("tweet id, tweet, label", Format::CrisisLexT6),
            ("Tweet ID, Tweet Text, Information Source, Information Type, Informativeness", Format::CrisisLexT26),
            ("_unit_id,_golden,_unit_state,airline_sentiment,text", Format::Airline),
            ("\"0\",\"1467810369\",\"Mon Apr 06 22:19:45 PDT 2009\",\"NO_QUERY\",\"u\",\"t\"", Format::Sentiment140),
            ("4,Reading my kindle2...", Format::Sentiment140),
        ];
        for (line, format) in cases {
            assert_eq!(Format::detect(line.as_bytes()), Ok(format), "{line}");
        }
        assert!(Format::detect(b"").unwrap_err().contains("empty"));
        let unknown = Format::detect(b"root:x:0:0:root:/root:/bin/bash").unwrap_err();
        assert!(unknown.contains("start of none of") && !unknown.contains("root"), "{unknown}");
    }

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
        }
        assert!(matches!("csv".parse::<Format>(), Err(crate::format::UnknownFormat(_))));
    }

    #[test]
    fn invalid_utf8_falls_back_to_latin1() {
        assert_eq!(decode_text(b"caf\xe9"), "café");
        assert_eq!(decode_text("café".as_bytes()), "café");
    }
}
