//! Language identification on real tweets: English paper tweets and crisis tweets of events in
//! Spanish-, Italian-, Portuguese- and Tagalog-speaking places.

use std::collections::HashMap;

use pulse_text::{Analysis, Analyzer};

fn shares(texts: &[String]) -> HashMap<String, f64> {
    let analyzer = Analyzer::shared();
    let mut a = Analysis::default();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for t in texts {
        analyzer.analyze_text_into("x", t, None, false, &mut a);
        *counts.entry(a.lang().to_string()).or_default() += 1;
    }
    counts.into_iter().map(|(k, v)| (k, v as f64 / texts.len() as f64)).collect()
}

fn share(s: &HashMap<String, f64>, lang: &str) -> f64 {
    s.get(lang).copied().unwrap_or(0.0)
}

#[test]
fn english_tweets_are_english_or_und() {
    let texts: Vec<String> = pulse_testsuite::eval::vader_tweets().into_iter().map(|t| t.1).collect();
    let s = shares(&texts);
    let other = 1.0 - share(&s, "en") - share(&s, "und");
    println!(
        "VADER tweets: en {:.3}, und {:.3}, another language {:.4} ({} tweets)",
        share(&s, "en"),
        share(&s, "und"),
        other,
        (other * texts.len() as f64).round()
    );
    // Measured: en 0.898, und 0.100; 7 of 4,200 (0.17 %) read as another language, 4 of them
    // rightly (Turkish, Dutch and Spanish tweets in the set), 2 English with a Spanish phrase in
    // them, and "I'm honored. Pound pa pa pound pound." (Tagalog `pa`).
    assert!(share(&s, "en") >= 0.88, "{s:?}");
    assert!(other <= 0.002, "{:.4} of the English tweets get no sentiment: {s:?}", other);
}

#[test]
fn crisis_tweets_in_other_languages() {
    for (event, lang, min) in [
        // Measured 2026-12-06: 0.406, 0.867, 0.624, 0.539, 0.068 (a short text backed only by
        // stopwords English shares is `und` and scored in English). These sets are mixed: many of
        // their tweets are English (news wires, foreign reactions), and most Philippine flood
        // tweets are English too, so the floors sit a little under the measured shares.
        ("2012_Costa_Rica_earthquake", "es", 0.35),
        ("2012_Venezuela_refinery", "es", 0.80),
        ("2012_Italy_earthquakes", "it", 0.58),
        ("2013_Brazil_nightclub_fire", "pt", 0.50),
        ("2012_Philipinnes_floods", "tl", 0.02),
    ] {
        let texts = pulse_testsuite::eval::crisislex_t26(event);
        let s = shares(&texts);
        let mut top: Vec<_> = s.iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(a.1));
        println!("{event}: {lang} {:.3}; top {:?}", share(&s, lang), &top[..top.len().min(4)]);
        assert!(share(&s, lang) >= min, "{event}: {top:?}");
    }
}

#[test]
fn a_stated_language_is_kept() {
    let mut post = pulse_core::Post::new("1", chrono::Utc::now(), "a", "hello world, this is plainly English", "test");
    post.lang = Some("pt-BR".into());
    let a = Analyzer::shared().analyze(&post);
    assert_eq!(a.lang(), "pt-BR");
    assert_eq!(a.sentiment(), None, "no sentiment outside English and und");
}
