//! The parse-only floor of the end-to-end benchmark (`benches/e2e.py`): reads a canonical JSONL
//! file line by line and parses each line into a typed [`Post`] with serde_json, nothing else. No
//! command that reads posts can be faster than this; the benchmark reports every command's
//! throughput as a share of it.
//!
//! ```text
//! cargo run --release -p pulse-core --example parse_floor -- posts.jsonl
//! ```

use std::io::BufRead;

use pulse_core::Post;

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_floor FILE.jsonl");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let (mut line, mut posts, mut text_bytes) = (String::new(), 0u64, 0usize);
    while reader.read_line(&mut line).expect("readable") > 0 {
        let post: Post = serde_json::from_str(line.trim_end()).unwrap_or_else(|e| panic!("line {}: {e}", posts + 1));
        text_bytes += post.text.len();
        posts += 1;
        line.clear();
    }
    println!("{posts} posts, {text_bytes} bytes of text");
}
