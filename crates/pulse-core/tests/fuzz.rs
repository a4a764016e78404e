//! Every reader on generated input: arbitrary bytes, and real records of each format with bytes
//! inserted, deleted, replaced and cut off. Whatever the input, a reader never panics and never
//! fails on data: each record is a post, a skip or a malformed record (reported and
//! dead-lettered by the replay); only opening can fail (an unknown format). CI runs 2,000 inputs
//! per reader; the `--ignored` run takes 1,000,000 per reader (benches/RESULTS.md):
//!
//!     cargo test --release -p pulse-core --test fuzz -- --ignored

use std::io::Cursor;
use std::path::Path;

use proptest::prelude::*;
use pulse_core::{Format, PostReader, Record};

/// A header (where the format has one) and real records of each format.
const SAMPLES: &[(Format, &str)] = &[
    (
        Format::Jsonl,
        "{\"id\":\"1\",\"created_at\":\"2013-04-15T18:50:00Z\",\"author\":\"a\",\"text\":\"Explosions at the #BostonMarathon\",\"source\":\"t\",\"kind\":\"post\"}\n{\"id\":\"2\",\"created_at\":\"2013-04-15T18:51:00Z\",\"author\":\"b\",\"text\":\"RT @AP: so sad\",\"source\":\"t\",\"kind\":\"repost\",\"labels\":{\"topic\":\"on-topic\"}}\n",
    ),
    (
        Format::Jetstream,
        "{\"did\":\"did:plc:abc\",\"time_us\":1725911162329308,\"kind\":\"commit\",\"commit\":{\"rev\":\"x\",\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"3l3qo2vutsw2b\",\"record\":{\"$type\":\"app.bsky.feed.post\",\"createdAt\":\"2024-09-09T19:46:02.102Z\",\"langs\":[\"en\"],\"text\":\"hello\"},\"cid\":\"c\"}}\n{\"did\":\"did:plc:abc\",\"time_us\":1725911162329309,\"kind\":\"identity\"}\n",
    ),
    (
        Format::CrisisLexT6,
        "tweet id,tweet,label\n'325208201740029952',\"Explosion in Copley by Boston Marathon finish line?!\",on-topic\n'325208201740029953',\"coffee, then work\",off-topic\n",
    ),
    (
        Format::CrisisLexT26,
        "Tweet ID, Tweet Text, Information Source, Information Type, Informativeness\n'325208201740029952',\"Large explosion at fertilizer plant\",Media,Infrastructure and utilities,Related and informative\n",
    ),
    (
        Format::Airline,
        "_unit_id,_golden,_unit_state,_trusted_judgments,_last_judgment_at,airline_sentiment,airline_sentiment:confidence,negativereason,negativereason:confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_id,tweet_location,user_timezone\n681448150,FALSE,finalized,3,2/25/15 5:24,neutral,1,,,Virgin America,,cairdin,,0,@VirginAmerica What @dhepburn said.,,2/24/15 11:35,5.70306E+17,,Eastern Time (US & Canada)\n",
    ),
    (
        Format::Sentiment140,
        "\"0\",\"1467810369\",\"Mon Apr 06 22:19:45 PDT 2009\",\"NO_QUERY\",\"_TheSpecialOne_\",\"@switchfoot Awww, that's a bummer\"\n4,Reading my kindle2...\n",
    ),
];

/// One edit of a sample: replace, insert or delete a byte at a position (taken modulo the length).
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<usize>(), prop_oneof![Just(b'"'), Just(b','), Just(b'\n'), Just(b'{'), Just(b'\\'), any::<u8>()])
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        any::<usize>().prop_map(Edit::Delete),
    ]
}

/// A sample of `format` with up to 8 edits, possibly cut short.
fn mutated(format: Format) -> impl Strategy<Value = Vec<u8>> {
    let sample = SAMPLES.iter().find(|(f, _)| *f == format).map(|(_, s)| s.as_bytes().to_vec()).unwrap();
    (prop::collection::vec(edit(), 0..8), any::<Option<usize>>()).prop_map(move |(edits, cut)| {
        let mut bytes = sample.clone();
        for edit in edits {
            let n = bytes.len().max(1);
            match edit {
                Edit::Replace(at, b) if !bytes.is_empty() => bytes[at % n] = b,
                Edit::Insert(at, b) => bytes.insert(at % (n + 1), b),
                Edit::Delete(at) if !bytes.is_empty() => {
                    bytes.remove(at % n);
                }
                _ => {}
            }
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        bytes
    })
}

fn input(format: Format) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..600), mutated(format)]
}

/// Reads `bytes` as `format` (or detected); checks every record is one. Panics propagate.
fn read(bytes: Vec<u8>, format: Option<Format>) -> Result<(), TestCaseError> {
    let Ok(reader) = PostReader::from_reader(Path::new("fuzz"), Cursor::new(bytes), format) else {
        return Ok(());
    };
    for record in reader {
        match record {
            Ok(Record::Post(post)) => prop_assert!(!post.id.is_empty()),
            Ok(Record::Malformed(_) | Record::Skipped) => {}
            Err(e) => prop_assert!(false, "a data error ended the input: {e}"),
        }
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

macro_rules! fuzz_reader {
    ($quick:ident, $long:ident, $format:expr) => {
        proptest! {
            #![proptest_config(config(2_000))]
            #[test]
            fn $quick(bytes in input($format), detect in any::<bool>()) {
                read(bytes, if detect { None } else { Some($format) })?;
            }
        }
        proptest! {
            #![proptest_config(config(1_000_000))]
            #[test]
            #[ignore = "a million inputs: run with --release -- --ignored"]
            fn $long(bytes in input($format), detect in any::<bool>()) {
                read(bytes, if detect { None } else { Some($format) })?;
            }
        }
    };
}

fuzz_reader!(jsonl_reader_takes_any_input, jsonl_reader_takes_a_million_inputs, Format::Jsonl);
fuzz_reader!(jetstream_reader_takes_any_input, jetstream_reader_takes_a_million_inputs, Format::Jetstream);
fuzz_reader!(crisislex_t6_reader_takes_any_input, crisislex_t6_reader_takes_a_million_inputs, Format::CrisisLexT6);
fuzz_reader!(crisislex_t26_reader_takes_any_input, crisislex_t26_reader_takes_a_million_inputs, Format::CrisisLexT26);
fuzz_reader!(airline_reader_takes_any_input, airline_reader_takes_a_million_inputs, Format::Airline);
fuzz_reader!(sentiment140_reader_takes_any_input, sentiment140_reader_takes_a_million_inputs, Format::Sentiment140);
