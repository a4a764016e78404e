//! Row sources under the format decoders: capped lines, and CSV records with their line numbers.

use std::io::{self, BufRead};

use csv::{ByteRecord, ReaderBuilder};

use super::MAX_RECORD_BYTES;

/// Reads newline-terminated lines, holding at most [`MAX_RECORD_BYTES`] of any one line: the
/// readers' line source, also used by `pulse analyze --text` for plain text lines.
pub struct Lines {
    input: Box<dyn BufRead + Send>,
    buffer: Vec<u8>,
    line: u64,
}

/// One line as [`Lines`] hands it out. Blank lines are skipped and never returned.
pub struct Line<'a> {
    /// 1-based line number.
    pub line: u64,
    /// The line without its terminator (cut at the cap when `too_long`).
    pub bytes: &'a [u8],
    /// Whether the line was longer than the cap; the rest of it was discarded unread.
    pub too_long: bool,
}

impl Lines {
    /// Lines of `input`.
    pub fn new(input: Box<dyn BufRead + Send>) -> Self {
        Self { input, buffer: Vec::new(), line: 0 }
    }

    /// The next non-blank line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            self.buffer.clear();
            let mut too_long = false;
            let mut saw_any = false;
            loop {
                let chunk = self.input.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                saw_any = true;
                let (used, done) = match memchr_newline(chunk) {
                    Some(at) => (at + 1, true),
                    None => (chunk.len(), false),
                };
                let room = MAX_RECORD_BYTES.saturating_sub(self.buffer.len());
                let keep = used.min(room);
                self.buffer.extend_from_slice(&chunk[..keep]);
                too_long |= keep < used;
                self.input.consume(used);
                if done {
                    break;
                }
            }
            if !saw_any {
                return Ok(None);
            }
            self.line += 1;
            while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
                self.buffer.pop();
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) && !too_long {
                continue;
            }
            return Ok(Some(Line { line: self.line, bytes: &self.buffer, too_long }));
        }
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

/// Reads CSV records as bytes (so non-UTF-8 text survives) with the line each starts on.
pub(crate) struct CsvRows {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    record: ByteRecord,
}

/// One CSV record as [`CsvRows`] hands it out.
pub(crate) struct CsvRow<'a> {
    /// 1-based line where the record starts.
    pub line: u64,
    /// The fields.
    pub record: &'a ByteRecord,
    /// Total bytes in the record's fields.
    pub byte_len: usize,
}

impl CsvRows {
    pub(crate) fn new(input: Box<dyn BufRead + Send>, has_header: bool) -> Self {
        let reader = ReaderBuilder::new()
            .has_headers(has_header)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(input);
        Self { reader, record: ByteRecord::new() }
    }

    /// The header row (empty for files without one).
    pub(crate) fn header(&mut self) -> io::Result<ByteRecord> {
        let mut header = self.reader.byte_headers().cloned().map_err(into_io)?;
        strip_carriage_return(&mut header);
        Ok(header)
    }

    /// The next record, or `None` at the end of the input.
    pub(crate) fn next_row(&mut self) -> io::Result<Option<CsvRow<'_>>> {
        loop {
            if !self.reader.read_byte_record(&mut self.record).map_err(into_io)? {
                return Ok(None);
            }
            // A blank line is not a record.
            if self.record.len() == 1 && self.record[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            strip_carriage_return(&mut self.record);
            let line = self.record.position().map_or(0, |p| p.line());
            let byte_len = self.record.as_slice().len();
            return Ok(Some(CsvRow { line, record: &self.record, byte_len }));
        }
    }
}

/// Records end at `\n` (so the csv crate counts lines right in CRLF files too); the `\r` of a
/// CRLF line end is then left on the last field, and removed here.
fn strip_carriage_return(record: &mut ByteRecord) {
    let Some(last) = record.iter().next_back().filter(|f| f.ends_with(b"\r")).map(<[u8]>::to_vec) else {
        return;
    };
    let position = record.position().cloned();
    record.truncate(record.len() - 1);
    record.push_field(&last[..last.len() - 1]);
    record.set_position(position);
}

/// The csv crate reports I/O failures wrapped; with byte records and flexible rows nothing else
/// can fail, but any other kind is passed on as invalid data rather than lost.
fn into_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
    }
}

/// A CSV record written back as one CSV line, for dead letters.
pub(crate) fn raw_csv(record: &ByteRecord) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let bytes = match writer.write_byte_record(record).and_then(|()| writer.flush().map_err(Into::into)) {
        Ok(()) => writer.into_inner().unwrap_or_default(),
        Err(_) => record.as_slice().to_vec(),
    };
    super::decode_text(&bytes).trim_end_matches('\n').to_string()
}
