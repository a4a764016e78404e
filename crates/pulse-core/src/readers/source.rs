//! Row sources under the format decoders: capped lines, and CSV records with their line numbers.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use csv::ByteRecord;

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
            let Some(too_long) = read_capped_line(&mut self.input, &mut self.buffer)? else {
                return Ok(None);
            };
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

/// Reads one line, terminator included, into `buffer` (cleared first), keeping at most
/// [`MAX_RECORD_BYTES`] of it and discarding the rest unread. `None` at the end of the input,
/// else whether the line was cut.
fn read_capped_line(input: &mut Box<dyn BufRead + Send>, buffer: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buffer.clear();
    let mut too_long = false;
    let mut saw_any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        saw_any = true;
        let (used, done) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_RECORD_BYTES.saturating_sub(buffer.len());
        let keep = used.min(room);
        buffer.extend_from_slice(&chunk[..keep]);
        too_long |= keep < used;
        input.consume(used);
        if done {
            break;
        }
    }
    Ok(saw_any.then_some(too_long))
}

/// Reads CSV records as bytes (so non-UTF-8 text survives) with the line each starts on.
///
/// Records are parsed a physical line at a time, so that a quote that is never closed cannot
/// silently fold the rows after it into one post's text: when a record runs on past its line and
/// the next line is, on its own, a record of the format (`is_record`), the open record is
/// reported as broken and reading resumes at that line. A quote still open at the end of the
/// input breaks only its own line; the lines after it are read again as records.
pub(crate) struct CsvRows {
    input: Box<dyn BufRead + Send>,
    builder: csv_core::ReaderBuilder,
    /// The record being parsed.
    parser: csv_core::Reader,
    /// Lines already read and to be parsed before the input's next ones.
    pending: VecDeque<RawLine>,
    line: u64,
    /// The header row, read on first use when the file has one.
    header: Option<ByteRecord>,
    has_header: bool,
    record: ByteRecord,
    /// A scratch record, for trying whether a line is a record by itself.
    probe: ByteRecord,
    fields: Fields,
    /// The raw lines of the record being parsed.
    lines: Vec<RawLine>,
    /// Those lines joined, once a record of several is whole.
    raw: Vec<u8>,
    /// Line buffers to reuse.
    spare: Vec<Vec<u8>>,
}

/// One physical line, with its terminator (added when the input's last line lacks one).
struct RawLine {
    number: u64,
    bytes: Vec<u8>,
    too_long: bool,
}

/// One CSV record as [`CsvRows`] hands it out.
pub(crate) enum CsvRow<'a> {
    Record {
        /// 1-based line where the record starts.
        line: u64,
        /// The fields.
        record: &'a ByteRecord,
        /// The record as it stands in the input, for dead letters.
        raw: &'a [u8],
    },
    /// Not a record: a quote that is never closed, or longer than [`MAX_RECORD_BYTES`].
    Broken { line: u64, reason: String, raw: Vec<u8> },
}

impl CsvRows {
    pub(crate) fn new(input: Box<dyn BufRead + Send>, has_header: bool) -> Self {
        let mut builder = csv_core::ReaderBuilder::new();
        builder.terminator(csv_core::Terminator::Any(b'\n'));
        Self {
            input,
            parser: builder.build(),
            builder,
            pending: VecDeque::new(),
            line: 0,
            header: None,
            has_header,
            record: ByteRecord::new(),
            probe: ByteRecord::new(),
            fields: Fields::default(),
            lines: Vec::new(),
            raw: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// The header row (empty for files without one, or when the first row is broken).
    pub(crate) fn header(&mut self) -> io::Result<ByteRecord> {
        if self.has_header && self.header.is_none() {
            let header = match self.parse_next(&|_| false)? {
                Some(Parsed::Record) => self.record.clone(),
                _ => ByteRecord::new(),
            };
            self.header = Some(header);
        }
        Ok(self.header.clone().unwrap_or_default())
    }

    /// The next record, or `None` at the end of the input. `is_record` says whether a row is a
    /// record of the format being read (it decodes).
    pub(crate) fn next_row(&mut self, is_record: &dyn Fn(&ByteRecord) -> bool) -> io::Result<Option<CsvRow<'_>>> {
        self.header()?;
        Ok(match self.parse_next(is_record)? {
            None => None,
            Some(Parsed::Record) => {
                let raw = if self.lines.len() == 1 { &self.lines[0].bytes } else { &self.raw };
                Some(CsvRow::Record { line: self.lines[0].number, record: &self.record, raw })
            }
            Some(Parsed::Broken { line, reason, raw }) => Some(CsvRow::Broken { line, reason, raw }),
        })
    }

    /// Parses the next non-blank record into `self.record` (and its lines into `self.lines`).
    fn parse_next(&mut self, is_record: &dyn Fn(&ByteRecord) -> bool) -> io::Result<Option<Parsed>> {
        loop {
            self.spare.extend(self.lines.drain(..).map(|line| line.bytes));
            let Some(first) = self.take_line()? else {
                return Ok(None);
            };
            if first.too_long {
                return Ok(Some(Parsed::Broken { line: first.number, reason: super::too_long(), raw: first.bytes }));
            }
            self.parser.reset();
            self.fields.clear();
            let mut complete = self.fields.feed(&mut self.parser, &first.bytes);
            let mut size = first.bytes.len();
            self.lines.push(first);
            while !complete {
                let start = self.lines[0].number;
                let Some(next) = self.take_line()? else {
                    return Ok(Some(self.unclosed(format!("the quote opened on line {start} is never closed"))));
                };
                size += next.bytes.len();
                if next.too_long || size > MAX_RECORD_BYTES {
                    let raw = self.lines.drain(..).chain([next]).flat_map(|l| l.bytes).collect();
                    return Ok(Some(Parsed::Broken { line: start, reason: super::too_long(), raw }));
                }
                if self.is_record_alone(&next.bytes, is_record) {
                    let reason = format!(
                        "the quote opened on line {start} is not closed before line {}, where the next record starts",
                        next.number
                    );
                    self.pending.push_front(next);
                    let raw = self.lines.drain(..).flat_map(|l| l.bytes).collect();
                    return Ok(Some(Parsed::Broken { line: start, reason, raw }));
                }
                complete = self.fields.feed(&mut self.parser, &next.bytes);
                self.lines.push(next);
            }
            self.fields.to_record(&mut self.record);
            // A blank line is not a record.
            if self.record.len() == 1 && self.record[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.lines.len() > 1 {
                self.raw.clear();
                for line in &self.lines {
                    self.raw.extend_from_slice(&line.bytes);
                }
            }
            return Ok(Some(Parsed::Record));
        }
    }

    /// The record's first line is broken; the lines after it go back to be read as records.
    fn unclosed(&mut self, reason: String) -> Parsed {
        let mut lines = self.lines.drain(..);
        let first = lines.next().expect("a record has a first line");
        for line in lines.rev() {
            self.pending.push_front(line);
        }
        Parsed::Broken { line: first.number, reason, raw: first.bytes }
    }

    /// Whether `line`, parsed by itself, is one whole record that `is_record` accepts.
    fn is_record_alone(&mut self, line: &[u8], is_record: &dyn Fn(&ByteRecord) -> bool) -> bool {
        let mut parser = self.builder.build();
        let mut fields = Fields::default();
        fields.feed(&mut parser, line) && {
            fields.to_record(&mut self.probe);
            is_record(&self.probe)
        }
    }

    fn take_line(&mut self) -> io::Result<Option<RawLine>> {
        if let Some(line) = self.pending.pop_front() {
            return Ok(Some(line));
        }
        let mut bytes = self.spare.pop().unwrap_or_default();
        let Some(too_long) = read_capped_line(&mut self.input, &mut bytes)? else {
            return Ok(None);
        };
        self.line += 1;
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        Ok(Some(RawLine { number: self.line, bytes, too_long }))
    }
}

/// What [`CsvRows::parse_next`] found.
enum Parsed {
    Record,
    Broken { line: u64, reason: String, raw: Vec<u8> },
}

/// The output buffers of the CSV parser for one record.
#[derive(Default)]
struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
    count: usize,
}

impl Fields {
    fn clear(&mut self) {
        self.len = 0;
        self.count = 0;
    }

    /// Feeds one line (ending in `\n`) to `parser`; true when the record ends with it. A line
    /// that ends inside quotes leaves the record open.
    fn feed(&mut self, parser: &mut csv_core::Reader, mut input: &[u8]) -> bool {
        use csv_core::ReadRecordResult::{End, InputEmpty, OutputEndsFull, OutputFull, Record};
        loop {
            if self.bytes.len() == self.len {
                self.bytes.resize((self.bytes.len() * 2).max(256), 0);
            }
            if self.ends.len() == self.count {
                self.ends.resize((self.ends.len() * 2).max(16), 0);
            }
            let (result, read, written, ended) =
                parser.read_record(input, &mut self.bytes[self.len..], &mut self.ends[self.count..]);
            input = &input[read..];
            self.len += written;
            self.count += ended;
            match result {
                InputEmpty => return false,
                OutputFull | OutputEndsFull => {}
                Record | End => return true,
            }
        }
    }

    /// The fields as a record, without the `\r` a CRLF line end leaves on the last one.
    fn to_record(&self, record: &mut ByteRecord) {
        record.clear();
        let mut start = 0;
        for (i, &end) in self.ends[..self.count].iter().enumerate() {
            let mut field = &self.bytes[start..end];
            if i + 1 == self.count {
                field = field.strip_suffix(b"\r").unwrap_or(field);
            }
            record.push_field(field);
            start = end;
        }
    }
}
