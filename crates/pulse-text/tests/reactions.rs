//! Reaction groups against the crowd: CrisisLexT26's information types over its 26 crises.
//!
//! ```text
//! PULSE_DATA_DIR=../shared/replay-data cargo test --release -p pulse-text --test reactions -- --nocapture
//! ```
//!
//! Each crisis's labelled posts are grouped as one story's posts are (`pulse_text::reactions`), and
//! the groups' purity against the labels (the share of posts whose label is their group's most
//! common one) is compared with one group holding everything (the majority label's share).

use pulse_testsuite::eval::crisislex_t26_types;
use pulse_text::reactions::{classify, group, purity};

#[test]
fn reaction_groups_are_purer_than_one_group_on_every_crisis_on_average() {
    let crises = crisislex_t26_types();
    assert_eq!(crises.len(), 26);
    println!("| crisis | posts | groups | one group (majority share) | reaction groups | gain |");
    println!("|---|---|---|---|---|---|");
    let mut gains = Vec::new();
    for (crisis, posts) in &crises {
        assert!(posts.len() > 500, "{crisis}: {} labelled posts", posts.len());
        let kinds: Vec<_> = posts.iter().map(|(text, _)| classify(text)).collect();
        let labels: Vec<&str> = posts.iter().map(|(_, label)| label.as_str()).collect();
        let groups = group(&kinds);
        let baseline = purity(&group(&vec![pulse_text::Reaction::News; posts.len()]), &labels);
        let pure = purity(&groups, &labels);
        println!(
            "| {crisis} | {} | {} | {baseline:.3} | {pure:.3} | {:+.3} |",
            posts.len(),
            groups.len(),
            pure - baseline
        );
        assert!((2..=6).contains(&groups.len()), "{crisis}: {} groups", groups.len());
        gains.push(pure - baseline);
    }
    let mean = gains.iter().sum::<f64>() / gains.len() as f64;
    let worse = gains.iter().filter(|g| **g < 0.0).count();
    println!("mean gain {mean:+.3} over {} crises; {worse} below the baseline", gains.len());
    assert!(mean >= 0.15, "mean purity gain {mean:.3} < 0.15");
    assert_eq!(worse, 0, "grouping never does worse than one group");
}
