//! The `social` tokenizer of the `text` field: words, with `#hashtags` and `@mentions` kept whole,
//! lower-cased.
//!
//! A token is a run of alphanumeric characters or `_`. When the run directly follows a `#` or `@`
//! that starts a word (start of text or after a character that is not alphanumeric), the sigil is
//! part of the token, so `#BostonMarathon` is the one token `#bostonmarathon` and `@united` is
//! `@united` — searching `#boston` does not match `boston`, and the other way round. Everything
//! else (punctuation, URL slashes, emoji) separates tokens. Tokens are lower-cased by tantivy's
//! `LowerCaser` (Unicode-aware) and tokens longer than [`MAX_TOKEN_BYTES`] are dropped.
//!
//! The query parser runs the same analyzer on the query text, so a query `#BostonMarathon`
//! searches exactly the indexed token.

use std::str::CharIndices;

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer};

/// Name under which the analyzer is registered with the index.
pub const SOCIAL_TOKENIZER: &str = "social";

/// Tokens longer than this many bytes are not indexed (they are URLs gone wrong or base64).
pub const MAX_TOKEN_BYTES: usize = 64;

/// The full `social` analyzer: [`SocialTokenizer`] → lower-case → drop over-long tokens.
pub fn social_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SocialTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// Splits text into words, keeping `#` and `@` prefixes (see the module docs).
#[derive(Clone, Default)]
pub struct SocialTokenizer {
    token: Token,
}

/// The token stream of a [`SocialTokenizer`].
pub struct SocialTokenStream<'a> {
    text: &'a str,
    chars: CharIndices<'a>,
    /// The character before the one `chars` yields next.
    previous: Option<char>,
    token: &'a mut Token,
}

impl Tokenizer for SocialTokenizer {
    type TokenStream<'a> = SocialTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SocialTokenStream<'a> {
        self.token.reset();
        SocialTokenStream { text, chars: text.char_indices(), previous: None, token: &mut self.token }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl SocialTokenStream<'_> {
    /// Byte offset where the word that started before the current position ends.
    fn word_end(&mut self) -> usize {
        for (offset, c) in self.chars.by_ref() {
            if !is_word_char(c) {
                self.previous = Some(c);
                return offset;
            }
        }
        self.previous = None;
        self.text.len()
    }
}

impl TokenStream for SocialTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((offset, c)) = self.chars.next() {
            let previous = self.previous.replace(c);
            let starts_word = previous.is_none_or(|p| !p.is_alphanumeric() && p != '_');
            let from = if is_word_char(c) {
                offset
            } else if (c == '#' || c == '@') && starts_word {
                // A sigil counts only when a word follows it directly.
                match self.text[offset + 1..].chars().next() {
                    Some(next) if is_word_char(next) => offset,
                    _ => continue,
                }
            } else {
                continue;
            };
            let to = self.word_end();
            // A lone `_` run is not a word.
            if self.text[from..to].trim_start_matches(['#', '@']).chars().all(|c| c == '_') {
                continue;
            }
            self.token.offset_from = from;
            self.token.offset_to = to;
            self.token.text.push_str(&self.text[from..to]);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut analyzer = social_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn keeps_hashtags_and_mentions_whole_and_folds_case() {
        assert_eq!(
            tokens("RT @AP: Explosions at the #BostonMarathon finish-line! http://t.co/Ab1"),
            ["rt", "@ap", "explosions", "at", "the", "#bostonmarathon", "finish", "line", "http", "t", "co", "ab1"]
        );
        assert_eq!(tokens("@united_airlines #PrayForBoston ÉTÉ"), ["@united_airlines", "#prayforboston", "été"]);
    }

    #[test]
    fn sigils_only_count_at_the_start_of_a_word() {
        // An e-mail address is not a mention; a lone or doubled sigil is punctuation.
        assert_eq!(tokens("mail me@example.com # @ ##tag"), ["mail", "me", "example", "com", "#tag"]);
        assert_eq!(tokens("a#b c@d"), ["a", "b", "c", "d"]);
        assert_eq!(tokens("__ #_ ok_go"), ["ok_go"]);
    }

    #[test]
    fn positions_and_offsets_follow_the_text() {
        let mut analyzer = social_analyzer();
        let mut stream = analyzer.token_stream("Hi #Boston");
        assert!(stream.advance());
        assert_eq!((stream.token().position, stream.token().offset_from), (0, 0));
        assert!(stream.advance());
        let token = stream.token();
        assert_eq!((token.position, token.offset_from, token.offset_to), (1, 3, 10));
        assert!(!stream.advance());
    }

    #[test]
    fn drops_overlong_tokens() {
        let long = "x".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(tokens(&format!("a {long} b")), ["a", "b"]);
    }
}
