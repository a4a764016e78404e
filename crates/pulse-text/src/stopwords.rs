//! Stopwords of several languages in one table: folded word → bit mask of languages.
//!
//! Lists come from the maintained `stop-words` crate: the NLTK lists where NLTK has one (they are
//! short and keep content words), the stopwords-iso list otherwise (Tagalog). The ISO English list
//! (1,298 words) is *not* used: it contains `fire`, `help`, `world`, `information`, `home` —
//! exactly the words crisis topics are made of. One lookup per token answers "is it a stopword,
//! and of which languages", which also feeds language identification.

use rustc_hash::FxHashMap;

use crate::tokenize::fold_into;

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

/// The merged stopword table.
#[derive(Debug)]
pub struct Stopwords {
    map: FxHashMap<Box<str>, u16>,
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
        Stopwords { map }
    }

    /// Language mask of a folded word (0 when it is no stopword).
    #[inline]
    pub fn mask(&self, folded: &str) -> u16 {
        self.map.get(folded).copied().unwrap_or(0)
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
}
