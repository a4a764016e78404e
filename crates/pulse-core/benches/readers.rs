//! Reader throughput, posts per second, on real files: a CrisisLexT6 CSV (snowflake ids, quoted
//! text) and the same posts as canonical JSONL.
//!
//! Data comes from `PULSE_DATA_DIR` (default `../shared/replay-data` from the workspace root).
//! `cargo bench -p pulse-core --bench readers`

use std::io::Cursor;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pulse_core::{Format, PostReader, Record};

fn count_posts(path: &Path, bytes: &[u8], format: Format) -> usize {
    let reader = PostReader::from_reader(path, Cursor::new(bytes.to_vec()), Some(format)).expect("open");
    reader.filter(|r| matches!(r, Ok(Record::Post(_)))).count()
}

fn readers(c: &mut Criterion) {
    let csv_path = pulse_testsuite::dataset(pulse_testsuite::BOSTON);
    let csv = std::fs::read(&csv_path).unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
    let posts: Vec<String> = PostReader::open(&csv_path, None)
        .expect("open")
        .filter_map(|r| match r {
            Ok(Record::Post(p)) => Some(p.to_json()),
            _ => None,
        })
        .collect();
    let jsonl = posts.join("\n").into_bytes();
    let n = posts.len();

    let mut group = c.benchmark_group("readers");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("crisislex-t6 csv", |b| {
        b.iter(|| assert_eq!(count_posts(&csv_path, &csv, Format::CrisisLexT6), n))
    });
    group.bench_function("canonical jsonl", |b| {
        b.iter(|| assert_eq!(count_posts(Path::new("posts.jsonl"), &jsonl, Format::Jsonl), n))
    });
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
