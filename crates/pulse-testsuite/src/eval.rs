//! The labelled sentiment sets and the texts of the VADER parity fixture, read as
//! `crates/pulse-text/scripts/vader_reference.py` reads them.

use std::path::PathBuf;

use crate::{data_dir, eval_dir};

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("evaluation data missing: cannot read {} ({e}); set PULSE_EVAL_DIR / PULSE_DATA_DIR", path.display())
    })
}

/// The 4,200 VADER paper tweets: (human mean rating, text).
pub fn vader_tweets() -> Vec<(f64, String)> {
    let raw = String::from_utf8(read(eval_dir().join("vader-tweets-groundtruth.tsv"))).expect("utf-8");
    raw.split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.trim_end_matches('\r').splitn(3, '\t');
            let _id = f.next();
            let rating = f.next().and_then(|r| r.parse().ok()).expect("rating");
            (rating, f.next().expect("text").to_string())
        })
        .collect()
}

/// TweetEval validation: (label 0 neg / 1 neu / 2 pos, text).
pub fn tweeteval() -> Vec<(u8, String)> {
    let texts = String::from_utf8(read(eval_dir().join("tweeteval-val-text.txt"))).expect("utf-8");
    let labels = String::from_utf8(read(eval_dir().join("tweeteval-val-labels.txt"))).expect("utf-8");
    let mut texts: Vec<&str> = texts.split('\n').collect();
    texts.pop();
    let labels: Vec<u8> = labels.lines().map(|l| l.trim().parse().expect("label")).collect();
    assert_eq!(texts.len(), labels.len());
    labels.into_iter().zip(texts.into_iter().map(String::from)).collect()
}

fn csv_column(
    bytes: &[u8],
    has_headers: bool,
    column: impl Fn(&csv::StringRecord) -> String,
    limit: usize,
) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(has_headers).flexible(true).from_reader(text.as_bytes());
    reader.records().take(limit).map(|r| column(&r.expect("csv row"))).collect()
}

/// Every real text of the reference fixture, as `(set, index, text)`.
pub fn reference_texts() -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (i, (_, t)) in vader_tweets().into_iter().enumerate() {
        out.push(("vader".to_string(), i, t));
    }
    for (i, (_, t)) in tweeteval().into_iter().enumerate() {
        out.push(("tweeteval".to_string(), i, t));
    }
    let s140 = read(eval_dir().join("sentiment140-test.csv"));
    for (i, t) in
        csv_column(&s140, false, |r| r.iter().next_back().unwrap_or("").to_string(), usize::MAX).into_iter().enumerate()
    {
        out.push(("s140".to_string(), i, t));
    }
    let airline = read(data_dir().join("airline-sentiment/Airline-Sentiment-2-w-AA.csv"));
    let text_col = 14;
    for (i, t) in
        csv_column(&airline, true, |r| r.get(text_col).unwrap_or("").to_string(), usize::MAX).into_iter().enumerate()
    {
        out.push(("airline".to_string(), i, t));
    }
    for path in t26_files() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .split("-tweets_labeled")
            .next()
            .unwrap_or("")
            .to_string();
        for (i, t) in
            csv_column(&read(path.clone()), true, |r| r.get(1).unwrap_or("").to_string(), 300).into_iter().enumerate()
        {
            out.push((format!("t26/{name}"), i, t));
        }
    }
    out
}

/// Texts of one CrisisLex T6 event file (`tweet id, tweet, label`).
pub fn crisislex_t6(event: &str) -> Vec<String> {
    let bytes = read(data_dir().join(format!("crisislex-t6/{event}-ontopic_offtopic.csv")));
    csv_column(&bytes, true, |r| r.get(1).unwrap_or("").to_string(), usize::MAX)
}

/// Texts of one CrisisLex T26 event file.
pub fn crisislex_t26(event: &str) -> Vec<String> {
    let bytes = read(data_dir().join(format!("crisislex-t26/{event}-tweets_labeled.csv")));
    csv_column(&bytes, true, |r| r.get(1).unwrap_or("").to_string(), usize::MAX)
}

/// The CrisisLexT26 files, in name order.
fn t26_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir().join("crisislex-t26"))
        .expect("crisislex-t26 directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    files
}

/// The information types CrisisLexT26's crowd gave (posts labelled `Not labeled` or `Not
/// applicable` are left out).
pub const T26_TYPES: [&str; 6] = [
    "Affected individuals",
    "Caution and advice",
    "Donations and volunteering",
    "Infrastructure and utilities",
    "Other Useful Information",
    "Sympathy and support",
];

/// Every CrisisLexT26 crisis with its posts that carry an information type: `(crisis, [(text,
/// type)])`, crises in file-name order.
pub fn crisislex_t26_types() -> Vec<(String, Vec<(String, String)>)> {
    t26_files()
        .into_iter()
        .map(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").replace("-tweets_labeled.csv", "");
            let rows = csv_column(
                &read(path),
                true,
                |r| format!("{}\t{}", r.get(3).unwrap_or("").trim(), r.get(1).unwrap_or("")),
                usize::MAX,
            );
            let posts = rows
                .into_iter()
                .filter_map(|row| {
                    let (label, text) = row.split_once('\t')?;
                    T26_TYPES.contains(&label).then(|| (text.to_owned(), label.to_owned()))
                })
                .collect();
            (name, posts)
        })
        .collect()
}

/// The airline set's crowd labels by post id (`_unit_id`, the id the replay gives the post):
/// `negative`, `neutral` or `positive`.
pub fn airline_labels() -> std::collections::HashMap<String, String> {
    let airline = read(data_dir().join("airline-sentiment/Airline-Sentiment-2-w-AA.csv"));
    csv_column(&airline, true, |r| format!("{}\t{}", r.get(0).unwrap_or(""), r.get(5).unwrap_or("")), usize::MAX)
        .into_iter()
        .filter_map(|row| row.split_once('\t').map(|(id, label)| (id.to_owned(), label.to_owned())))
        .collect()
}

/// Pearson's correlation coefficient of two equally long series.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}
