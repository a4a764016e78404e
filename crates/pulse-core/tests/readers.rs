//! Readers on the real public datasets and on malformed input.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use pulse_core::{Error, Format, PostKind, PostReader, Record};

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    posts: usize,
    malformed: usize,
    skipped: usize,
}

fn read_all(reader: PostReader) -> (Counts, Vec<pulse_core::Post>, Vec<pulse_core::Malformed>) {
    let (mut counts, mut posts, mut bad) = (Counts::default(), Vec::new(), Vec::new());
    for record in reader {
        match record.expect("input readable") {
            Record::Post(post) => {
                counts.posts += 1;
                posts.push(post);
            }
            Record::Malformed(m) => {
                counts.malformed += 1;
                bad.push(m);
            }
            Record::Skipped => counts.skipped += 1,
        }
    }
    (counts, posts, bad)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn read_dataset(folder: &str, expected_format: Format) -> Vec<pulse_core::Post> {
    let mut all = Vec::new();
    for path in files_in(&pulse_testsuite::data_dir().join(folder)) {
        let reader = PostReader::open(&path, None).unwrap();
        assert_eq!(reader.format(), expected_format, "{}", path.display());
        let (counts, posts, bad) = read_all(reader);
        assert_eq!(counts.malformed, 0, "{}: {:?}", path.display(), bad.first());
        all.extend(posts);
    }
    all
}

#[test]
fn crisislex_t6_has_60082_posts_with_times_from_their_ids() {
    let posts = read_dataset("crisislex-t6", Format::CrisisLexT6);
    assert_eq!(posts.len(), 60_082);
    let on_topic = posts.iter().filter(|p| p.labels.get("topic").map(String::as_str) == Some("on-topic")).count();
    assert!((25_000..35_000).contains(&on_topic), "about half are on-topic: {on_topic}");
    // Each tweet has its own synthetic author (CrisisLex names none); a few tweets are in two events.
    let authors: std::collections::HashSet<&str> = posts.iter().map(|p| p.author.as_str()).collect();
    let ids: std::collections::HashSet<&str> = posts.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(authors.len(), ids.len());
    assert!(ids.len() > 60_000);
    let boston: Vec<_> = posts.iter().filter(|p| p.source == "crisislex-t6/2013_Boston_Bombings").collect();
    assert_eq!(boston.len(), 10_012);
    assert!(boston.iter().all(|p| p.created_at.format("%Y-%m").to_string() == "2013-04"));
    assert!(posts.iter().any(|p| p.kind == PostKind::Repost && p.text.starts_with("RT @")));
}

#[test]
fn crisislex_t26_has_27933_posts_with_their_labels() {
    let posts = read_dataset("crisislex-t26", Format::CrisisLexT26);
    assert_eq!(posts.len(), 27_933);
    assert!(posts.iter().all(|p| p.labels.contains_key("informativeness")));
    let sources: std::collections::HashSet<&str> = posts.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(sources.len(), 26);
    assert!(sources.contains("crisislex-t26/2013_Boston_bombings"));
}

#[test]
fn airline_sentiment_has_14640_posts_in_utc() {
    let posts = read_dataset("airline-sentiment", Format::Airline);
    assert_eq!(posts.len(), 14_640);
    let first = &posts[0];
    // `2/24/2015 11:35` in Eastern Time is 16:35 UTC.
    assert_eq!((first.id.as_str(), first.author.as_str()), ("681448150", "cairdin"));
    assert_eq!(first.created_at.to_rfc3339(), "2015-02-24T16:35:00+00:00");
    assert_eq!(first.labels["sentiment"], "neutral");
    assert_eq!(first.labels["airline"], "Virgin America");
    let negative = posts.iter().filter(|p| p.labels["sentiment"] == "negative").count();
    assert_eq!(negative, 9_178);
}

#[test]
fn sentiment140_test_has_498_posts() {
    let path = pulse_testsuite::eval_dir().join("sentiment140-test.csv");
    let reader = PostReader::open(&path, None).unwrap();
    assert_eq!(reader.format(), Format::Sentiment140);
    let (counts, posts, _) = read_all(reader);
    assert_eq!(counts, Counts { posts: 498, malformed: 0, skipped: 0 });
    let by_label = |l: &str| posts.iter().filter(|p| p.labels["sentiment"] == l).count();
    assert_eq!((by_label("negative"), by_label("neutral"), by_label("positive")), (177, 139, 182));
}

#[test]
fn jetstream_fixture_keeps_posts_replies_and_quotes_and_skips_the_rest() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jetstream-sample.jsonl");
    let reader = PostReader::open(&path, None).unwrap();
    assert_eq!(reader.format(), Format::Jetstream);
    let (counts, posts, bad) = read_all(reader);
    assert_eq!(counts, Counts { posts: 3, malformed: 1, skipped: 3 });
    let kinds: Vec<PostKind> = posts.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PostKind::Post, PostKind::Reply, PostKind::Quote]);
    assert_eq!(posts[2].lang.as_deref(), Some("pt"));
    assert_eq!(bad[0].line, 7);
    assert!(bad[0].reason.contains("createdAt"), "{}", bad[0].reason);
}

#[test]
fn gzip_input_is_read_transparently() {
    use std::io::Write;
    let source = pulse_testsuite::data_dir().join("crisislex-t6/2013_West_Texas_Explosion-ontopic_offtopic.csv");
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("2013_West_Texas_Explosion-ontopic_offtopic.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    encoder.write_all(&std::fs::read(&source).unwrap()).unwrap();
    encoder.finish().unwrap();
    let (plain, _, _) = read_all(PostReader::open(&source, None).unwrap());
    let reader = PostReader::open(&gz, None).unwrap();
    assert_eq!(reader.format(), Format::CrisisLexT6);
    let (zipped, posts, _) = read_all(reader);
    assert_eq!((plain.posts, zipped.posts), (10_006, 10_006));
    assert_eq!(posts[0].source, "crisislex-t6/2013_West_Texas_Explosion");
}

#[test]
fn a_truncated_gzip_keeps_every_record_before_the_cut_and_reports_it() {
    use std::io::Write;
    let source = pulse_testsuite::data_dir().join("crisislex-t6/2013_West_Texas_Explosion-ontopic_offtopic.csv");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&std::fs::read(&source).unwrap()).unwrap();
    let mut gz = encoder.finish().unwrap();
    gz.truncate(gz.len() * 6 / 10);
    let reader = PostReader::from_reader(Path::new("cut.csv.gz"), Cursor::new(gz), None).unwrap();
    let (counts, posts, bad) = read_all(reader);
    // About 60 % of the 10,006 posts, all of them whole, then one report of the cut.
    assert!((5_000..7_000).contains(&counts.posts), "{}", counts.posts);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].reason.contains("cut off or corrupt after line"), "{}", bad[0].reason);
    assert!(bad[0].line > counts.posts as u64, "{} after {} posts", bad[0].line, counts.posts);
    let (plain, all, _) = read_all(PostReader::open(&source, None).unwrap());
    assert_eq!(plain.posts, 10_006);
    let ids = |posts: &[pulse_core::Post]| posts.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert!(ids(&posts) == ids(&all[..posts.len()]), "the posts before the cut are the file's first posts");
}

fn read_bytes(
    name: &str,
    bytes: Vec<u8>,
    format: Option<Format>,
) -> Result<(Counts, Vec<pulse_core::Malformed>), Error> {
    let reader = PostReader::from_reader(Path::new(name), Cursor::new(bytes), format)?;
    let (counts, _, bad) = read_all(reader);
    Ok((counts, bad))
}

#[test]
fn truncated_csv_keeps_the_good_rows_and_reports_the_cut_one() {
    let source = pulse_testsuite::data_dir().join("crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv");
    let mut bytes = std::fs::read(source).unwrap();
    bytes.truncate(bytes.len() / 2);
    // Cut inside a quoted tweet: the last row loses its closing quote and its label column.
    let cut = bytes.windows(2).rposition(|w| w == b",\"").unwrap();
    bytes.truncate(cut + 6);
    let (counts, bad) = read_bytes("truncated.csv", bytes, None).unwrap();
    assert!(counts.posts > 4_000, "{counts:?}");
    assert_eq!(counts.malformed, 1);
    assert!(bad[0].reason.contains("is never closed"), "{}", bad[0].reason);
}

/// Removes the closing quote of the quoted field on the given 1-based line.
fn unclose_quote_on_line(bytes: &[u8], line: usize) -> Vec<u8> {
    let start = bytes.split(|b| *b == b'\n').take(line - 1).map(|l| l.len() + 1).sum::<usize>();
    let end = start + bytes[start..].iter().position(|b| *b == b'\n').unwrap();
    let close = start + bytes[start..end].iter().rposition(|b| *b == b'"').unwrap();
    [&bytes[..close], &bytes[close + 1..]].concat()
}

#[test]
fn an_unbalanced_quote_loses_only_its_own_row() {
    let source = pulse_testsuite::data_dir().join("crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv");
    let bytes = std::fs::read(&source).unwrap();
    let (_, all, _) = read_all(PostReader::open(&source, None).unwrap());
    // Line 101 is the 100th post; its text loses its closing quote, so a plain CSV reader folds
    // the rows after it into that text.
    let broken = unclose_quote_on_line(&bytes, 101);
    let original_line = String::from_utf8_lossy(bytes.split(|b| *b == b'\n').nth(100).unwrap()).into_owned();
    let (counts, posts, bad) =
        read_all(PostReader::from_reader(Path::new("t6.csv"), Cursor::new(broken), None).unwrap());
    assert_eq!(counts, Counts { posts: all.len() - 1, malformed: 1, skipped: 0 });
    assert_eq!(bad[0].line, 101);
    assert_eq!(
        bad[0].reason,
        "the quote opened on line 101 is not closed before line 102, where the next record starts"
    );
    // The dead letter is the row as it stands in the input.
    assert_eq!(bad[0].raw.len(), original_line.trim_end().len() - 1);
    let ids = |posts: &[pulse_core::Post]| posts.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    let mut expected = ids(&all);
    expected.remove(99);
    assert!(ids(&posts) == expected, "every other row reads as before");
    assert!(posts.iter().all(|p| !p.text.contains('\n')), "no text swallowed a row");
}

#[test]
fn an_unbalanced_quote_among_multi_line_records_loses_only_its_own_row() {
    // The airline file has 138 posts whose text spans lines: those still read whole.
    let source = pulse_testsuite::data_dir().join("airline-sentiment/Airline-Sentiment-2-w-AA.csv");
    let bytes = std::fs::read(&source).unwrap();
    let (_, all, _) = read_all(PostReader::open(&source, None).unwrap());
    assert_eq!(all.iter().filter(|p| p.text.contains('\n')).count(), 138);
    // The first record on one line with a quoted field.
    let line = 1 + bytes.split(|b| *b == b'\n').position(|l| l.iter().filter(|b| **b == b'"').count() == 2).unwrap();
    let broken = unclose_quote_on_line(&bytes, line);
    let (counts, posts, bad) =
        read_all(PostReader::from_reader(Path::new("airline.csv"), Cursor::new(broken), None).unwrap());
    assert_eq!(counts, Counts { posts: all.len() - 1, malformed: 1, skipped: 0 }, "{bad:?}");
    assert_eq!(bad[0].line, line as u64);
    assert!(bad[0].reason.ends_with(&format!("not closed before line {}, where the next record starts", line + 1)));
    assert_eq!(posts.iter().filter(|p| p.text.contains('\n')).count(), 138);
}

#[test]
fn a_quote_never_closed_breaks_its_line_and_the_lines_after_are_read_again() {
    let csv = "_unit_id,tweet_id,text\n'323873597825355779',\"two\nlines\",on-topic\n\"'323873597825355778'\",\"open quote,on-topic\nnot a record\nnor, this\n";
    let (counts, posts, bad) = read_all(
        PostReader::from_reader(Path::new("t6.csv"), Cursor::new(csv.as_bytes().to_vec()), Some(Format::CrisisLexT6))
            .unwrap(),
    );
    // No line after the open quote on line 4 is a record by itself, so the quote runs to the end
    // of the input: its line is broken, and the two after it are then malformed each on its own.
    assert_eq!(counts, Counts { posts: 1, malformed: 3, skipped: 0 }, "{bad:?}");
    assert_eq!(posts[0].text, "two\nlines", "a quoted line break is text");
    assert_eq!((bad[0].line, bad[0].reason.as_str()), (4, "the quote opened on line 4 is never closed"));
    assert_eq!((bad[1].line, bad[1].raw.as_str()), (5, "not a record"));
    assert_eq!((bad[2].line, bad[2].raw.as_str()), (6, "nor, this"));
}

#[test]
fn binary_garbage_is_an_unknown_format_and_garbage_lines_are_malformed() {
    let garbage: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let err = read_bytes("garbage.bin", garbage.clone(), None).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("garbage.bin"));
    for format in Format::ALL {
        match read_bytes("garbage.bin", garbage.clone(), Some(format)) {
            Ok((counts, _)) => {
                assert_eq!(counts.posts, 0, "{format}");
                assert!(counts.malformed > 0, "{format}: {counts:?}");
            }
            // The airline reader finds its columns by name; without that header it cannot start.
            Err(err) => {
                assert_eq!(format, Format::Airline);
                assert!(
                    err.to_string().contains("garbage.bin: unknown format (header has no `_unit_id` column)"),
                    "{err}"
                );
            }
        }
    }
}

#[test]
fn the_wrong_format_makes_every_row_malformed_without_stopping() {
    let source = pulse_testsuite::data_dir().join("airline-sentiment/Airline-Sentiment-2-w-AA.csv");
    let (counts, bad) = read_bytes("airline.csv", std::fs::read(source).unwrap(), Some(Format::CrisisLexT6)).unwrap();
    assert_eq!(counts.posts, 0);
    assert!(counts.malformed > 14_000, "{counts:?}");
    assert!(bad[0].to_string().starts_with("airline.csv:2: "), "{}", bad[0]);
}

#[test]
fn an_empty_input_is_a_clear_error_or_zero_posts() {
    let err = read_bytes("empty.csv", Vec::new(), None).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    for format in Format::ALL.into_iter().filter(|f| *f != Format::Airline) {
        let (counts, _) = read_bytes("empty", Vec::new(), Some(format)).unwrap();
        assert_eq!(counts, Counts::default(), "{format}");
    }
    assert!(read_bytes("empty", Vec::new(), Some(Format::Airline)).is_err());
}

#[test]
fn a_10_mb_line_is_malformed_and_the_next_line_still_reads() {
    let good = r#"{"id":"1","created_at":"2013-04-15T10:00:00Z","author":"a","text":"t","source":"s","kind":"post"}"#;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(good.as_bytes());
    bytes.extend_from_slice(b"\n{\"id\":\"2\",\"text\":\"");
    bytes.extend(std::iter::repeat_n(b'x', 10 << 20));
    bytes.extend_from_slice(b"\"}\n");
    bytes.extend_from_slice(good.as_bytes());
    let (counts, bad) = read_bytes("long.jsonl", bytes, None).unwrap();
    assert_eq!(counts, Counts { posts: 2, malformed: 1, skipped: 0 });
    assert_eq!(bad[0].line, 2);
    assert!(bad[0].reason.contains("longer than"), "{}", bad[0].reason);
    assert!(bad[0].raw.len() <= pulse_core::readers::MAX_RECORD_BYTES);

    let mut csv = b"tweet id, tweet, label\n'323586747210539008',\"".to_vec();
    csv.extend(std::iter::repeat_n(b'y', 10 << 20));
    csv.extend_from_slice(b"\",on-topic\n'323587150807453696',\"short\",off-topic\n");
    let (counts, bad) = read_bytes("long.csv", csv, None).unwrap();
    assert_eq!(counts, Counts { posts: 1, malformed: 1, skipped: 0 });
    assert!(bad[0].reason.contains("longer than"));
}

#[test]
fn an_unreadable_file_names_itself() {
    let err = PostReader::open(Path::new("/nonexistent/posts.csv"), None).err().unwrap();
    assert!(err.to_string().starts_with("cannot read /nonexistent/posts.csv"), "{err}");
}
