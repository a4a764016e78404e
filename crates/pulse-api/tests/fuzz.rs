//! The query-parameter parsers (and `/v1/ask`'s question reader) on generated text: whatever a client sends, a parser answers with a
//! value inside its documented range or a 400 error, and never panics. CI runs 5,000 inputs per
//! parser; the `--ignored` run takes 1,000,000 (benches/RESULTS.md):
//!
//!     cargo test --release -p pulse-api --test fuzz -- --ignored

use proptest::prelude::*;
use pulse_api::error::AppError;
use pulse_api::params::{self, MAX_LIMIT, MAX_OFFSET};

/// Text a client might send: anything, or something shaped like a value (digits and a unit, a
/// language code, a time), often almost right.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,25}(ms|s|m|h|d|y|)?",
        " ?-?[0-9]{1,20} ?",
        "[a-zA-Z]{0,4}",
        "[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        "(why is|Why are|what's|what do people think about) ?.{0,12}( trending| TRENDING now| so popular)?[?!.]?",
    ]
}

fn is_bad_request(result: &AppError) -> bool {
    matches!(result, AppError::BadRequest { .. })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let (bucket, history) = (600, 86_400);
    match params::window_secs(Some(text), bucket, history, 3600) {
        Ok(secs) => prop_assert!(secs >= bucket && secs % bucket == 0 && secs <= history, "{text:?} → {secs}"),
        Err(e) => prop_assert!(is_bad_request(&e)),
    }
    match params::lang(Some(text)) {
        Ok(Some(code)) => prop_assert!(code.len() <= 3 && code.chars().all(|c| c.is_ascii_lowercase()), "{code}"),
        Ok(None) => {}
        Err(e) => prop_assert!(is_bad_request(&e)),
    }
    match params::limit(Some(text), 20) {
        Ok(n) => prop_assert!((1..=MAX_LIMIT).contains(&n)),
        Err(e) => prop_assert!(is_bad_request(&e)),
    }
    match params::offset(Some(text)) {
        Ok(n) => prop_assert!(n <= MAX_OFFSET),
        Err(e) => prop_assert!(is_bad_request(&e)),
    }
    if let Err(e) = params::time("since", Some(text)) {
        prop_assert!(is_bad_request(&e));
    }
    // The question of /v1/ask: its subject is part of the question.
    let subject = pulse_api::ask::subject(text);
    prop_assert!(text.contains(subject.as_str()), "{text:?} → {subject:?}");
    let _ = pulse_api::ask::is_general(text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn parameter_parsers_take_any_text(text in text()) {
        check(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000_000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    #[ignore = "a million inputs: run with --release -- --ignored"]
    fn parameter_parsers_take_a_million_texts(text in text()) {
        check(&text)?;
    }
}
