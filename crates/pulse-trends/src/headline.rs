//! A story's headline and summary, extractive and deterministic: its most central texts, cleaned.
//!
//! Candidates are the member topics' most-copied texts in the window ([`crate::exemplar`]). The
//! story's profile weighs every topic by how much of the story it is: each member with its share of
//! the story's texts, and each topic its members appear with by how often they do, at half weight.
//! A text's centrality is the profile weight of the topics it carries times `log₂(1 + copies)`: a
//! text that names the story's topics and their context (`Boston` beside `explosions` and `finish
//! line`), and that many accounts copied, tells the story. The headline is the most central text
//! that still names one of the story's top terms once cleaned (retweet prefix, mentions, links and
//! trailing hashtags removed, at most [`HEADLINE_CHARS`] characters cut at a word); the summary,
//! the next ones that say something else (a SimHash at least [`NEAR_DUPLICATE_BITS`] bits away from
//! every text already chosen).

use pulse_sketch::hash_key;
use rustc_hash::FxHashMap;

/// Longest headline, in characters (a longer text is cut at a word and ends with `…`).
pub const HEADLINE_CHARS: usize = 100;
/// Shortest cleaned text that can be a headline or a summary line.
const MIN_CHARS: usize = 25;
/// Two texts whose SimHashes differ in fewer bits say the same thing.
pub const NEAR_DUPLICATE_BITS: u32 = 12;

/// A text ready to be scored.
pub(crate) struct Candidate<'a> {
    /// Content hash.
    pub(crate) content: u64,
    /// Posts that carried it.
    pub(crate) copies: u64,
    /// The text as posted.
    pub(crate) text: &'a str,
    /// Hashes of its topic keys.
    pub(crate) keys: &'a [u64],
}

/// The candidates' indices, most central first, with their scores; `members` are the story's
/// topic hashes, `profile` its topic weights. Candidates naming none of the members are left out.
pub(crate) fn rank(candidates: &[Candidate<'_>], members: &[u64], profile: &FxHashMap<u64, f64>) -> Vec<(usize, f64)> {
    let mut ranked: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.keys.iter().any(|k| members.contains(k)))
        .map(|(i, c)| {
            let weight: f64 = c.keys.iter().filter_map(|k| profile.get(k)).sum();
            (i, weight * (1.0 + c.copies as f64).log2())
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(candidates[b.0].copies.cmp(&candidates[a.0].copies))
            .then(candidates[a.0].content.cmp(&candidates[b.0].content))
    });
    ranked
}

/// `text` with the HTML entities Twitter escaped (`&amp;`, `&lt;`, `&gt;`, `&quot;`) decoded.
fn unescape(text: &str) -> String {
    text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
}

fn is_link(word: &str) -> bool {
    let lower = word.trim_start_matches(['(', '"', '\'']).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") || lower == "http"
}

fn is_mention(word: &str) -> bool {
    word.trim_start_matches(['.', '"', '(']).starts_with(['@', '＠'])
}

fn is_hashtag(word: &str) -> bool {
    word.starts_with(['#', '＃']) && word.chars().nth(1).is_some_and(char::is_alphanumeric)
}

/// Words that are only punctuation or retweet markers after the rest is removed.
fn is_noise(word: &str) -> bool {
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
    bare.is_empty() || matches!(bare.to_ascii_uppercase().as_str(), "RT" | "MT" | "VIA")
}

/// A post's text as a headline: without a leading `RT @user:`, mentions, links and the run of
/// hashtags it ends with; inner hashtags read as words (`#Boston` → `Boston`); whitespace
/// collapsed; cut at [`HEADLINE_CHARS`] characters at a word boundary.
pub fn clean(text: &str) -> String {
    let text = unescape(text);
    let mut words: Vec<&str> = text.split_whitespace().filter(|w| !is_link(w) && !is_mention(w)).collect();
    // Leading retweet markers and punctuation left by the removed mentions.
    while words.first().is_some_and(|w| is_noise(w)) {
        words.remove(0);
    }
    // Trailing hashtags, links' leftovers and retweet markers; the ellipsis a retweet was cut with.
    while let Some(last) = words.last() {
        let trailing_tag = is_hashtag(last.trim_end_matches(|c: char| !c.is_alphanumeric()));
        if trailing_tag || is_noise(last) {
            words.pop();
        } else {
            break;
        }
    }
    if let Some(last) = words.last_mut() {
        let cut = last.trim_end_matches('…');
        *last = if cut.ends_with("..") { cut.trim_end_matches('.') } else { cut };
        if last.is_empty() {
            words.pop();
        }
    }
    let mut out = String::new();
    for word in words {
        let word = word
            .strip_prefix(['#', '＃'])
            .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
            .unwrap_or(word);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let out = out.trim_matches(|c: char| matches!(c, ' ' | '-' | ':' | '|' | '"' | '–' | '—')).to_string();
    cut(&out, HEADLINE_CHARS)
}

/// `text` cut to at most `limit` characters at a word boundary, with `…` when cut.
fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let head: String = text.chars().take(limit).collect();
    let at_word = head.rfind(' ').filter(|&i| i > limit / 2).map_or(head.as_str(), |i| &head[..i]);
    format!("{}…", at_word.trim_end_matches(|c: char| !c.is_alphanumeric()))
}

/// Whether a cleaned text can be shown: long enough, and naming one of `terms` (keys as the
/// engine writes them: lower case, words joined by one space, hashtags with `#`).
pub(crate) fn names_a_term(cleaned: &str, terms: &[&str]) -> bool {
    if cleaned.chars().count() < MIN_CHARS {
        return false;
    }
    let lower = cleaned.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    terms.iter().any(|t| {
        let bare = t.trim_start_matches(['#', '@', '$']);
        lower.contains(bare) || squeezed.contains(&bare.replace(' ', ""))
    })
}

/// A 64-bit SimHash of a text's words (lower-cased, punctuation trimmed): near-duplicate texts
/// (a retweet with `via @x`, a headline with a different link) differ in few bits.
pub fn simhash(text: &str) -> u64 {
    let mut weights = [0i32; 64];
    for word in text.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        if word.is_empty() || is_link(&word) {
            continue;
        }
        let h = hash_key(&word);
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights.iter().enumerate().fold(0u64, |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc })
}

/// Whether two SimHashes are of near-duplicate texts.
pub fn near_duplicates(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() < NEAR_DUPLICATE_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_keeps_what_a_reader_needs() {
        assert_eq!(
            clean(
                "RT @CNN: Explosion rips through fertilizer plant in West, Texas http://t.co/x #WestTX #prayfortexas"
            ),
            "Explosion rips through fertilizer plant in West, Texas"
        );
        assert_eq!(
            clean("@AP: 2 explosions at the #BostonMarathon finish line! via @WBZ"),
            "2 explosions at the BostonMarathon finish line!"
        );
        assert_eq!(clean("Fire &amp; police on scene… http://t.co/x"), "Fire & police on scene");
        assert_eq!(clean("Fire on scene... #qld"), "Fire on scene");
        assert_eq!(clean("Explosion in West, Texas, KWTX reports."), "Explosion in West, Texas, KWTX reports.");
        let long = "The quick brown fox jumps over the lazy dog near the finish line of the marathon while the crowd cheers loudly again";
        let cut = clean(long);
        assert!(cut.chars().count() <= HEADLINE_CHARS + 1 && cut.ends_with('…') && !cut.contains("loudly"), "{cut}");
        assert!(long.starts_with(cut.trim_end_matches('…')));
    }

    #[test]
    fn a_headline_must_name_a_term() {
        assert!(names_a_term("Explosion rips through fertilizer plant in West, Texas", &["fertilizer plant"]));
        assert!(names_a_term("Praying for everyone at the Boston Marathon today", &["#bostonmarathon"]));
        assert!(!names_a_term("Praying for everyone at the race today, stay safe", &["#bostonmarathon"]));
        assert!(!names_a_term("boston!", &["boston"]));
    }

    #[test]
    fn central_texts_carry_more_of_the_story_and_its_context_and_more_copies() {
        let (a, b, c, d) = (hash_key("explosion"), hash_key("texas"), hash_key("lol"), hash_key("plant"));
        let candidates = [
            Candidate { content: 1, copies: 1, text: "", keys: &[a, c] },
            Candidate { content: 2, copies: 12, text: "", keys: &[a, b] },
            Candidate { content: 3, copies: 3, text: "", keys: &[a, b] },
            Candidate { content: 4, copies: 50, text: "", keys: &[c] },
            Candidate { content: 5, copies: 3, text: "", keys: &[a, d] },
        ];
        let profile: FxHashMap<u64, f64> = [(a, 1.0), (b, 0.5), (d, 0.8)].into_iter().collect();
        let order: Vec<u64> =
            rank(&candidates, &[a, b], &profile).iter().map(|(i, _)| candidates[*i].content).collect();
        // `plant` is not a member but the members' context: it counts.
        assert_eq!(order, [2, 5, 3, 1]);
    }

    #[test]
    fn near_duplicates_are_found_and_different_texts_are_not() {
        let a = simhash("Explosion rips through fertilizer plant in West, Texas, CNN affiliate KWTX reports");
        let b =
            simhash("Explosion rips through fertilizer plant in West Texas CNN affiliate KWTX reports http://t.co/abc");
        let c = simhash("Authorities ask residents near the plant to leave town immediately");
        assert!(near_duplicates(a, b), "{}", (a ^ b).count_ones());
        assert!(!near_duplicates(a, c), "{}", (a ^ c).count_ones());
    }
}
