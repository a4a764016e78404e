//! Parity of the fast VADER scorer with Python `vaderSentiment` 3.3.2 (reference scores written by
//! `scripts/vader_reference.py`) and with the `vader-parity` crate.

use std::collections::HashMap;

use pulse_text::{Masking, Sentiment, Vader, VaderScratch};

const FIXTURE: &str = include_str!("fixtures/vader-reference.tsv");
const SYNTHETIC: &str = include_str!("fixtures/vader-synthetic.tsv");

fn parse4(fields: &[&str]) -> Sentiment {
    let f = |i: usize| fields[i].parse::<f64>().expect("number");
    Sentiment { compound: f(0), pos: f(1), neu: f(2), neg: f(3) }
}

#[test]
fn matches_python_on_real_tweets() {
    let reference: HashMap<(String, usize), Sentiment> = FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("set\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ((f[0].to_string(), f[1].parse().expect("index")), parse4(&f[2..6]))
        })
        .collect();
    let texts = pulse_testsuite::eval::reference_texts();
    assert_eq!(
        texts.len(),
        reference.len(),
        "the data no longer matches the fixture: rerun scripts/vader_reference.py"
    );
    let vader = Vader::new();
    let mut within = 0;
    let mut exact = 0;
    let mut exceptions = Vec::new();
    for (set, index, text) in &texts {
        let want = reference.get(&(set.clone(), *index)).unwrap_or_else(|| panic!("no reference for {set}/{index}"));
        let got = vader.polarity_scores(text);
        if (got.compound - want.compound).abs() <= 1e-4 {
            within += 1;
        } else {
            exceptions.push(format!("{set}/{index}: rust {got:?} python {want:?} text {text:?}"));
        }
        exact += (got == *want) as usize;
    }
    let share = within as f64 / texts.len() as f64;
    println!(
        "VADER parity: {within}/{} within 1e-4 ({:.4} %), {exact} identical in all four scores",
        texts.len(),
        share * 100.0
    );
    for e in &exceptions {
        println!("exception: {e}");
    }
    assert!(share >= 0.999, "{} exceptions:\n{}", exceptions.len(), exceptions.join("\n"));
    // What we actually achieve: every score identical.
    assert_eq!(exact, texts.len(), "texts differing in pos/neu/neg or compound");
}

#[test]
fn matches_python_on_generated_tricky_texts() {
    let vader = Vader::new();
    let mut n = 0;
    for line in SYNTHETIC.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.splitn(5, '\t').collect();
        let want = parse4(&f[..4]);
        assert_eq!(vader.polarity_scores(f[4]), want, "text {:?}", f[4]);
        n += 1;
    }
    assert_eq!(n, 3000);
}

#[test]
fn agrees_with_the_vader_parity_crate() {
    let ours = Vader::new();
    let theirs = vader_parity::SentimentIntensityAnalyzer::new();
    let texts = pulse_testsuite::eval::vader_tweets();
    for (_, text) in texts.iter().take(1000) {
        let a = ours.polarity_scores(text);
        let b = theirs.polarity_scores(text);
        assert_eq!([a.compound, a.pos, a.neu, a.neg], [b.compound, b.pos, b.neu, b.neg], "{text:?}");
    }
}

/// The one-tokenization pair (plain score of a text, masked score of its body) equals two
/// separate scorings, whatever the prefix: `RT @user:` with any whitespace after it, nested
/// prefixes, a body that starts inside a token (which takes the two-pass path), emoji, and masked
/// mentions, hashtags and URLs holding `!` and `?`.
#[test]
fn plain_and_masked_pair_equals_two_scorings() {
    let vader = Vader::new();
    let mut scratch = VaderScratch::default();
    let mut texts: Vec<String> = pulse_testsuite::eval::vader_tweets().into_iter().map(|(_, t)| t).collect();
    texts.extend(pulse_testsuite::eval::crisislex_t6("2013_Boston_Bombings").into_iter().take(2000));
    texts.extend(
        SYNTHETIC.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.splitn(5, '\t').nth(4)).map(String::from),
    );
    texts.push("RT @x: WOW!!! @united?? #fail!! 😁 http://t.co/a?b great".into());
    let mut checked = 0;
    for text in &texts {
        for prefix in ["", "RT @user: ", "RT @user:\t", "RT @a: RT @b:\n", "RT @user:", "😁 RT @u: ", "GREAT!!! ?? "]
        {
            let full = format!("{prefix}{text}");
            let body = prefix.len();
            let pair = vader.score_plain_and_masked(&full, body, Masking::SOCIAL, &mut scratch);
            let plain = vader.score_with(&full, Masking::NONE, &mut scratch);
            let masked = vader.score_with(&full[body..], Masking::SOCIAL, &mut scratch);
            assert_eq!(pair, (plain, masked), "prefix {prefix:?}, text {text:?}");
            checked += 1;
        }
    }
    assert!(checked > 7 * 9000, "{checked}");
}
