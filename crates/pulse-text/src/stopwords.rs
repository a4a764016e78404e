//! Stopwords of several languages in one table: folded word → bit mask of languages.
//!
//! Lists come from the maintained `stop-words` crate: the NLTK lists where NLTK has one (they are
//! short and keep content words), the stopwords-iso list otherwise (Tagalog). The ISO English list
//! (1,298 words) is *not* used: it contains `fire`, `help`, `world`, `information`, `home` —
//! exactly the words crisis topics are made of. One lookup per token answers "is it a stopword,
//! and of which languages", which also feeds language identification.

use rustc_hash::FxHashMap;

use crate::fold::fold_into;
use crate::short_table::ShortTable;

/// Languages with a stopword list, in bit order (`1 << index`).
pub const STOPWORD_LANGS: [&str; 12] = ["en", "es", "pt", "it", "fr", "de", "tl", "nl", "sv", "tr", "ru", "ar"];

/// Bit for social-media filler (`rt`, `via`, `amp`, apostrophe-less contractions): a stopword in
/// every language.
pub const SOCIAL_BIT: u16 = 1 << 15;

/// Social-media filler that no language list has: retweet/quote markers, HTML-entity residue and
/// English contractions typed without their apostrophe.
const SOCIAL_WORDS: &[&str] = &[
    "rt", "via", "amp", "http", "https", "www", "com", "im", "ive", "id", "ill", "dont", "cant", "didnt", "doesnt",
    "isnt", "wasnt", "arent", "wont", "youre", "thats", "theres", "gonna", "wanna", "u", "ur",
];

/// The merged stopword table: words of up to 8 bytes (nearly all) in a branch-free cuckoo table
/// (`ShortTable`), the longer ones in a hash map.
#[derive(Debug)]
pub struct Stopwords {
    short: ShortTable,
    long: FxHashMap<Box<str>, u16>,
}

impl Default for Stopwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Stopwords {
    /// Builds the table from `stop-words` (NLTK lists, ISO for Tagalog) plus a short list of social-media filler.
    pub fn new() -> Self {
        let mut map: FxHashMap<Box<str>, u16> = FxHashMap::default();
        let mut buf = String::new();
        for (i, lang) in STOPWORD_LANGS.iter().enumerate() {
            for word in stop_words::lookup(lang).unwrap_or(&[]) {
                buf.clear();
                fold_into(word, &mut buf);
                *map.entry(buf.as_str().into()).or_default() |= 1 << i;
            }
        }
        for word in SOCIAL_WORDS {
            *map.entry((*word).into()).or_default() |= SOCIAL_BIT;
        }
        let short: Vec<(u64, u32)> =
            map.iter().filter_map(|(w, &m)| ShortTable::key(w.as_bytes()).map(|k| (k, u32::from(m)))).collect();
        map.retain(|w, _| ShortTable::key(w.as_bytes()).is_none());
        Stopwords { short: ShortTable::new(&short), long: map }
    }

    /// Language mask of a folded word (0 when it is no stopword).
    #[inline]
    pub fn mask(&self, folded: &str) -> u16 {
        match ShortTable::key(folded.as_bytes()) {
            Some(key) => self.mask_of_key(key),
            None => self.long.get(folded).copied().unwrap_or(0),
        }
    }

    /// Language mask of the word of [`ShortTable`] key `key` (1–8 bytes, already folded), e.g.
    /// from `swar::ascii_lower`.
    #[inline]
    pub(crate) fn mask_of_key(&self, key: u64) -> u16 {
        self.short.get(key) as u16
    }

    /// The bit of a language's list, the code compared ASCII case-insensitively (`None` when there
    /// is no list for it).
    pub fn lang_bit(lang: &str) -> Option<u16> {
        STOPWORD_LANGS.iter().position(|l| l.eq_ignore_ascii_case(lang)).map(|i| 1 << i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_lists_cover_the_required_languages() {
        let s = Stopwords::new();
        let bit = |l| Stopwords::lang_bit(l).unwrap();
        assert_ne!(s.mask("the") & bit("en"), 0);
        assert_ne!(s.mask("que") & bit("es"), 0);
        assert_ne!(s.mask("não") & bit("pt"), 0);
        assert_ne!(s.mask("della") & bit("it"), 0);
        assert_ne!(s.mask("avec") & bit("fr"), 0);
        assert_ne!(s.mask("nicht") & bit("de"), 0);
        assert_ne!(s.mask("ang") & bit("tl"), 0);
        assert_ne!(s.mask("rt") & SOCIAL_BIT, 0);
        // Content words of crises stay content words (they are in the ISO English list).
        assert_eq!(s.mask("fire"), 0);
        assert_eq!(s.mask("help"), 0);
        assert_eq!(s.mask("boston"), 0);
    }

    /// Every word of every list is found with its language's bit, whether it lives in the short
    /// table (≤ 8 bytes) or the map, and the key read from text finds the short ones.
    #[test]
    fn every_listed_word_is_found() {
        let s = Stopwords::new();
        let (mut short, mut long) = (0, 0);
        for (i, lang) in STOPWORD_LANGS.iter().enumerate() {
            for word in stop_words::lookup(lang).unwrap_or(&[]) {
                let mut folded = String::new();
                fold_into(word, &mut folded);
                assert_ne!(s.mask(&folded) & (1 << i), 0, "{lang} {folded:?}");
                if folded.is_ascii() && folded.len() <= 8 {
                    let text = format!("x {} y", folded.to_uppercase());
                    let key = crate::swar::ascii_lower(text.as_bytes(), 2, folded.len());
                    assert_eq!(s.mask_of_key(key), s.mask(&folded), "{folded:?}");
                }
                if ShortTable::key(folded.as_bytes()).is_some() { short += 1 } else { long += 1 }
            }
        }
        assert!(short > 1_000 && long > 50, "{short} short, {long} long");
        assert_ne!(s.mask("wasnt") & SOCIAL_BIT, 0);
    }
}
