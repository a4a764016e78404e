//! A one-pass tokenizer for social text.
//!
//! Hand-written rather than built on UAX #29 word boundaries (`unicode-segmentation`): the social
//! tokens that matter (`https://t.co/x`, `@user`, `#BostonMarathon`, `$AAPL`, `don't`, `!!!`,
//! emoji sequences) are not word boundaries of UAX #29, and one pass over the bytes with an ASCII
//! fast path is cheaper (the tokenizer is the largest part of `analyze`; `benches/RESULTS.md`).
//!
//! Every token keeps its surface (a byte range into the text) and a normalized form written to a
//! shared buffer ([`Tokens::norm`]): Unicode default case folding (`caseless`), `’` → `'`, and
//! elongations squeezed (`sooooo` → `soo`, or `so` when that is an English stopword, `cooool` → `cool`).

use std::ops::Range;

use crate::fold::fold_into;
use crate::stopwords::Stopwords;
use crate::swar::{self, HIGH, ONES};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters (and digits), with inner apostrophes: `don't`, `Boston`, `g20`.
    Word,
    /// `#tag`.
    Hashtag,
    /// `@user` (`@alice.bsky.social` included).
    Mention,
    /// `$AAPL`: `$` and 1–6 ASCII letters.
    Cashtag,
    /// `http://…`, `https://…`, `www.…`.
    Url,
    /// Digits with inner `.`, `,`, `:`, `/`: `2013`, `3.5`, `10:30`.
    Number,
    /// One emoji (with its modifiers and zero-width-joined parts).
    Emoji,
    /// A run of punctuation or symbols: `!!!`, `...`, `?!`.
    Punct,
}

/// One token: kind, where it is in the text, and where its normalized form is in [`Tokens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Byte range of the surface form in the tokenized text.
    pub span: Range<usize>,
    /// Byte range of the normalized form in [`Tokens::norm_buffer`].
    pub norm: Range<usize>,
    /// First letter is upper case (`Boston`, `NYC`).
    pub capitalized: bool,
    /// At least two letters and no lower-case letter (`NYC`, `OMG`).
    pub all_caps: bool,
    /// A run of three or more equal characters was squeezed.
    pub elongated: bool,
    /// Stopword language mask ([`Stopwords::mask`]) of a word's normalized form, else 0.
    pub stop: u16,
    /// Letters (alphabetic characters) in the surface of a word, hashtag, mention or cashtag
    /// (saturating), else 0: counted while folding, so that language identification and topic
    /// extraction need no loop over the characters of each token.
    pub letters: u16,
    /// Of those, letters outside ASCII.
    pub non_ascii_letters: u16,
    /// The surface (hence the normalized form) is ASCII.
    pub ascii: bool,
}

/// The tokens of one text plus their normalized forms; reused between texts.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    tokens: Vec<Token>,
    norm: String,
}

impl Tokens {
    /// The tokens, in text order.
    pub fn as_slice(&self) -> &[Token] {
        &self.tokens
    }

    /// The normalized form of `token`.
    pub fn norm(&self, token: &Token) -> &str {
        &self.norm[token.norm.clone()]
    }

    /// The buffer that [`Token::norm`] ranges point into.
    pub fn norm_buffer(&self) -> &str {
        &self.norm
    }

    fn clear(&mut self) {
        self.tokens.clear();
        self.norm.clear();
    }
}

/// Letters, digits and combining marks (so Indic and decomposed text stay in one word).
#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric()
        || matches!(c as u32, 0x300..=0x36F | 0x483..=0x489 | 0x591..=0x5BD | 0x610..=0x61A
            | 0x64B..=0x65F | 0x900..=0xDFF | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
            | 0xFE20..=0xFE2F)
}

/// Pictographic code points that start an emoji token.
#[inline]
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122
        | 0x2139 | 0x2194..=0x21AA)
}

/// Characters that continue an emoji sequence: variation selectors, ZWJ, skin tones, tags.
#[inline]
fn is_emoji_continuation(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x200D | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0x20E3)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The character at byte `i` (a character boundary), without decoding when it is ASCII.
#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    let b = *text.as_bytes().get(i)?;
    if b < 0x80 {
        return Some(char::from(b));
    }
    text.get(i..).and_then(|s| s.chars().next())
}

/// Tokenizes `text` into `out` (cleared first), looking words up in `stop`.
pub fn tokenize(text: &str, stop: &Stopwords, out: &mut Tokens) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prev_word_char = false;
    while i < text.len() {
        let c = match char_at(text, i) {
            Some(c) => c,
            None => break,
        };
        let clen = c.len_utf8();
        if c.is_whitespace() {
            i += clen;
            prev_word_char = false;
            continue;
        }
        let rest = &text[i..];
        // URLs.
        if (c == 'h' || c == 'H' || c == 'w' || c == 'W')
            && !prev_word_char
            && (starts_with_ci(rest, "http://") || starts_with_ci(rest, "https://") || starts_with_ci(rest, "www."))
        {
            let mut end = rest.find(char::is_whitespace).map_or(text.len(), |e| i + e);
            while end > i + 4 && matches!(bytes[end - 1], b'.' | b',' | b'!' | b'?' | b')' | b'"' | b'\'' | b':' | b';')
            {
                end -= 1;
            }
            push_plain(out, text, TokenKind::Url, i..end);
            i = end;
            prev_word_char = true;
            continue;
        }
        if matches!(c, '@' | '#' | '$')
            && !prev_word_char
            && let Some(end) = special_end(text, i + 1, c)
        {
            let kind = match c {
                '@' => TokenKind::Mention,
                '#' => TokenKind::Hashtag,
                _ => TokenKind::Cashtag,
            };
            push_folded(out, text, kind, i..end, stop);
            i = end;
            prev_word_char = true;
            continue;
        }
        if c.is_ascii_alphabetic()
            && let Some(word) = AsciiWord::at(bytes, i)
        {
            word.push(out, i, stop);
            i += word.len;
            prev_word_char = true;
            continue;
        }
        if is_word_char(c) {
            let (end, kind) = word_end(text, i, c);
            push_folded(out, text, kind, i..end, stop);
            i = end;
            prev_word_char = true;
            continue;
        }
        if is_emoji(c) {
            let mut end = i + clen;
            while let Some(d) = char_at(text, end) {
                if is_emoji_continuation(d) {
                    end += d.len_utf8();
                    if d == '\u{200D}'
                        && let Some(e) = char_at(text, end).filter(|e| is_emoji(*e))
                    {
                        end += e.len_utf8();
                    }
                } else if (0x1F1E6..=0x1F1FF).contains(&(c as u32))
                    && end == i + clen
                    && (0x1F1E6..=0x1F1FF).contains(&(d as u32))
                {
                    end += d.len_utf8(); // regional-indicator pair (flag)
                } else {
                    break;
                }
            }
            push_plain(out, text, TokenKind::Emoji, i..end);
            i = end;
            prev_word_char = false;
            continue;
        }
        // Punctuation run; `@`, `#`, `$` and emoji always start a token of their own.
        let mut end = i + clen;
        if !matches!(c, '@' | '#' | '$') {
            while let Some(d) = char_at(text, end) {
                if d.is_whitespace() || is_word_char(d) || is_emoji(d) || matches!(d, '@' | '#' | '$') {
                    break;
                }
                end += d.len_utf8();
            }
        }
        push_plain(out, text, TokenKind::Punct, i..end);
        i = end;
        prev_word_char = false;
    }
}

/// End of the word or number starting at `start` with the word character `c`, and which of the
/// two it is: letters, digits and combining marks, with inner apostrophes (an elision such as `l'`
/// ends the word after its apostrophe), and for numbers inner `.`, `,`, `:`, `/` before a digit.
fn word_end(text: &str, start: usize, c: char) -> (usize, TokenKind) {
    let mut end = start + c.len_utf8();
    let mut all_digits = c.is_ascii_digit();
    while let Some(d) = char_at(text, end) {
        if is_word_char(d) {
            all_digits &= d.is_ascii_digit();
            end += d.len_utf8();
            continue;
        }
        let next = char_at(text, end + d.len_utf8());
        if (d == '\'' || d == '\u{2019}') && next.is_some_and(|n| n.is_alphabetic()) && !all_digits {
            // Elision (French/Italian `l'`, `d'`, `qu'`): split, keep the article alone.
            let prefix = &text[start..end];
            let elision = (prefix.chars().count() == 1 && !matches!(prefix, "i" | "I" | "o" | "O"))
                || prefix.eq_ignore_ascii_case("qu");
            if elision {
                end += d.len_utf8();
                break;
            }
            end += d.len_utf8();
            continue;
        }
        if all_digits && matches!(d, '.' | ',' | ':' | '/') && next.is_some_and(|n| n.is_ascii_digit()) {
            end += 1;
            continue;
        }
        break;
    }
    (end, if all_digits { TokenKind::Number } else { TokenKind::Word })
}

/// End of a mention / hashtag / cashtag body starting at `start`, or `None` when `sigil` at
/// `start - 1` does not start one.
fn special_end(text: &str, start: usize, sigil: char) -> Option<usize> {
    let rest = &text[start..];
    match sigil {
        '@' => {
            let b = rest.as_bytes();
            let mut n = 0;
            while n < b.len() {
                let ok = b[n].is_ascii_alphanumeric()
                    || b[n] == b'_'
                    || (matches!(b[n], b'.' | b'-')
                        && n > 0
                        && b.get(n + 1).is_some_and(|x| x.is_ascii_alphanumeric()));
                if !ok {
                    break;
                }
                n += 1;
            }
            (n > 0).then_some(start + n)
        }
        '#' => {
            let mut end = start;
            let mut letters = false;
            for c in rest.chars() {
                if is_word_char(c) || c == '_' {
                    letters |= c.is_alphabetic();
                    end += c.len_utf8();
                } else {
                    break;
                }
            }
            letters.then_some(end)
        }
        _ => {
            let b = rest.as_bytes();
            let n = b.iter().take_while(|x| x.is_ascii_alphabetic()).count();
            let boundary = b.get(n).is_none_or(|x| !x.is_ascii_alphanumeric() && *x < 0x80);
            ((1..=6).contains(&n) && boundary).then_some(start + n)
        }
    }
}

fn push_plain(out: &mut Tokens, text: &str, kind: TokenKind, span: Range<usize>) {
    let start = out.norm.len();
    let surface = &text[span.clone()];
    if kind == TokenKind::Emoji {
        out.norm.extend(surface.chars().filter(|&c| c != '\u{FE0F}' && c != '\u{FE0E}'));
    } else {
        out.norm.push_str(surface);
    }
    out.tokens.push(Token {
        kind,
        span,
        norm: start..out.norm.len(),
        capitalized: false,
        all_caps: false,
        elongated: false,
        stop: 0,
        letters: 0,
        non_ascii_letters: 0,
        ascii: surface.is_ascii(),
    });
}

/// A word of 1–7 ASCII letters followed by a byte that cannot continue it (most words), read as
/// one 64-bit word: its end, case and lower-cased form come from bit operations on the 8 bytes
/// from its start (SWAR) instead of loops over its characters, and its normalized form is
/// written with one fixed-size copy. The general path ([`word_end`], [`push_folded`]) takes
/// digits, apostrophes, non-ASCII characters, elongations and longer words;
/// `tests::ascii_words_take_the_general_paths_answer` checks that both agree.
#[derive(Debug, Clone, Copy)]
struct AsciiWord {
    /// The word's bytes lower-cased, zero above `len`.
    lower: u64,
    /// Bit 7 set in each byte that was upper case.
    upper: u64,
    len: usize,
}

impl AsciiWord {
    /// The word starting at `start`, when it has the shape above.
    #[inline]
    fn at(bytes: &[u8], start: usize) -> Option<AsciiWord> {
        // Near the end of the text, spaces stand for the bytes past it.
        let w = swar::window(bytes, start, b' ');
        let ascii = !w & HIGH;
        let w7 = w & !HIGH;
        let upper = swar::between(w7, b'A', b'Z') & ascii;
        let lower = swar::between(w7, b'a', b'z') & ascii;
        let len = ((!(upper | lower) & HIGH).trailing_zeros() / 8) as usize;
        // The byte after the letters must end the word on the general path too: not a digit,
        // an apostrophe (contractions, elisions) or a non-ASCII byte (’, accented letters,
        // combining marks); 8 letters or more go there as well.
        let after = bytes.get(start + len).copied().unwrap_or(b' ');
        if len == 8 || after.is_ascii_digit() || after == b'\'' || after >= 0x80 {
            return None;
        }
        let token = swar::first_high_bits(len);
        let lowered = (w | (upper & token) >> 2) & swar::first_bytes(len);
        // Three equal bytes in a row (an elongation, squeezed on the general path): a byte equal
        // to the next gives a zero byte in `next_differs` (7-bit, so 0x7f + x carries into bit 7
        // exactly when x is not zero).
        let next_differs = lowered ^ (lowered >> 8);
        let same_as_next = !(((next_differs & !HIGH) + ONES * 0x7f) | next_differs) & HIGH;
        if len >= 3 && same_as_next & (same_as_next >> 8) & swar::first_bytes(len - 2) != 0 {
            return None;
        }
        Some(AsciiWord { lower: lowered, upper: upper & token, len })
    }

    /// Appends the word (at `start` of the text) as a [`TokenKind::Word`] token, as
    /// [`push_folded`] would.
    #[inline]
    fn push(self, out: &mut Tokens, start: usize, stop: &Stopwords) {
        let from = out.norm.len();
        // All eight bytes (zeros above the word: valid UTF-8), then cut to the word.
        let bytes = self.lower.to_le_bytes();
        out.norm.push_str(std::str::from_utf8(&bytes).expect("ASCII letters and zeros"));
        out.norm.truncate(from + self.len);
        let upper = self.upper.count_ones();
        let len = self.len as u32;
        out.tokens.push(Token {
            kind: TokenKind::Word,
            span: start..start + self.len,
            norm: from..from + self.len,
            capitalized: self.upper & 0x80 != 0,
            all_caps: upper >= 2 && upper == len,
            elongated: false,
            stop: stop.mask_of_key(self.lower),
            letters: len as u16,
            non_ascii_letters: 0,
            ascii: true,
        });
    }
}

fn push_folded(out: &mut Tokens, text: &str, kind: TokenKind, span: Range<usize>, stop: &Stopwords) {
    let surface = &text[span.clone()];
    let start = out.norm.len();
    let squeeze_runs = kind == TokenKind::Word;
    let ascii = surface.is_ascii();
    let (case, elongated) = if ascii {
        fold_ascii(surface, squeeze_runs, &mut out.norm)
    } else {
        let case = LetterCase::of(surface);
        // Fold, then squeeze runs of 3+ equal characters to 2.
        fold_into(surface, &mut out.norm);
        (case, squeeze_runs && squeeze(&mut out.norm, start))
    };
    let mut stop_mask = 0;
    if kind == TokenKind::Word {
        // A short ASCII word (most) is looked up by its key read straight from the text.
        stop_mask = if ascii && surface.len() <= 8 && !elongated {
            stop.mask_of_key(swar::ascii_lower(text.as_bytes(), span.start, surface.len()))
        } else {
            stop.mask(&out.norm[start..])
        };
        if elongated && stop_mask == 0 {
            // `soo` (from `sooooo`) → `so` when that is an English or social stopword.
            let squeezed: String = squeeze_to_one(&out.norm[start..]);
            let m = stop.mask(&squeezed);
            if m & (crate::stopwords::SOCIAL_BIT | 1) != 0 {
                out.norm.truncate(start);
                out.norm.push_str(&squeezed);
                stop_mask = m;
            }
        }
    }
    out.tokens.push(Token {
        kind,
        span,
        norm: start..out.norm.len(),
        capitalized: case.first_upper == Some(true),
        all_caps: case.upper >= 2 && case.lower == 0,
        elongated,
        stop: stop_mask,
        letters: case.letters,
        non_ascii_letters: case.non_ascii_letters,
        ascii,
    });
}

/// Letter counts of a token's surface.
#[derive(Debug, Clone, Copy, Default)]
struct LetterCase {
    upper: u32,
    lower: u32,
    /// Alphabetic characters (cased or not), saturating.
    letters: u16,
    /// Of those, the ones outside ASCII.
    non_ascii_letters: u16,
    /// Whether the first letter is upper case (`None`: no letter).
    first_upper: Option<bool>,
}

impl LetterCase {
    fn of(surface: &str) -> LetterCase {
        let mut case = LetterCase::default();
        for c in surface.chars().filter(|c| c.is_alphabetic()) {
            case.first_upper.get_or_insert(c.is_uppercase());
            case.upper += u32::from(c.is_uppercase());
            case.lower += u32::from(c.is_lowercase());
            case.letters = case.letters.saturating_add(1);
            case.non_ascii_letters = case.non_ascii_letters.saturating_add(u16::from(!c.is_ascii()));
        }
        case
    }
}

/// The ASCII path of [`LetterCase::of`] + [`crate::fold::fold_into`] + [`squeeze`] (when `squeeze_runs`):
/// one pass over the bytes counts the letters and finds runs, then the token is copied and
/// lower-cased in place; only a token with a run is squeezed. One loop per token fewer than the
/// general path (loop exits are mispredicted branches: word lengths vary), and no `char`
/// decoding.
fn fold_ascii(surface: &str, squeeze_runs: bool, out: &mut String) -> (LetterCase, bool) {
    let mut case = LetterCase::default();
    let mut has_run = false;
    let (mut p2, mut p1) = (0u8, 0u8);
    for &b in surface.as_bytes() {
        if b.is_ascii_alphabetic() {
            let up = b.is_ascii_uppercase();
            case.first_upper.get_or_insert(up);
            case.upper += u32::from(up);
            case.lower += u32::from(!up);
        }
        let folded = b.to_ascii_lowercase();
        has_run |= folded == p1 && folded == p2;
        (p2, p1) = (p1, folded);
    }
    case.letters = u16::try_from(case.upper + case.lower).unwrap_or(u16::MAX);
    let start = out.len();
    out.push_str(surface);
    out[start..].make_ascii_lowercase();
    (case, squeeze_runs && has_run && squeeze(out, start))
}

/// Squeezes runs of 3+ equal characters in `buf[from..]` to 2; returns whether it did.
fn squeeze(buf: &mut String, from: usize) -> bool {
    let b = &buf.as_bytes()[from..];
    let has_run = b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
    if !has_run {
        return false;
    }
    let tail: String = buf[from..].to_string();
    buf.truncate(from);
    let mut last = None;
    let mut run = 0;
    for c in tail.chars() {
        if Some(c) == last {
            run += 1;
        } else {
            last = Some(c);
            run = 1;
        }
        if run <= 2 {
            buf.push(c);
        }
    }
    true
}

/// Squeezes every doubled character to one (`soo` → `so`).
fn squeeze_to_one(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = None;
    for c in s.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(TokenKind, String, String)> {
        let stop = Stopwords::new();
        let mut out = Tokens::default();
        tokenize(text, &stop, &mut out);
        out.as_slice().iter().map(|t| (t.kind, text[t.span.clone()].to_string(), out.norm(t).to_string())).collect()
    }

    /// The ASCII fast path agrees with the general path on every string of up to 7 characters
    /// over letters of both cases, a digit and an apostrophe (runs, mixed case, no letters).
    #[test]
    fn ascii_fast_fold_equals_the_general_path() {
        let alphabet = b"aAb1'";
        let mut checked = 0;
        for len in 0..=7u32 {
            for mut code in 0..5usize.pow(len) {
                let mut word = String::new();
                for _ in 0..len {
                    word.push(char::from(alphabet[code % 5]));
                    code /= 5;
                }
                for squeeze_runs in [false, true] {
                    let mut fast = String::from("x");
                    let (case, elongated) = fold_ascii(&word, squeeze_runs, &mut fast);
                    let mut slow = String::from("x");
                    let want = LetterCase::of(&word);
                    fold_into(&word, &mut slow);
                    let want_elongated = squeeze_runs && squeeze(&mut slow, 1);
                    assert_eq!((fast.as_str(), elongated), (slow.as_str(), want_elongated), "{word:?}");
                    assert_eq!(
                        (case.upper, case.lower, case.first_upper, case.letters, case.non_ascii_letters),
                        (want.upper, want.lower, want.first_upper, want.letters, want.non_ascii_letters)
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 2 * (0..=7).map(|l| 5usize.pow(l)).sum::<usize>());
    }

    /// The one-word path for short ASCII words gives the general path's end and token: every word
    /// of up to 5 letters over `a`, `A`, `o`, `O` (runs, mixed case) and of 6–9 letters from a few
    /// patterns, followed by each byte that can follow a letter (digits, apostrophes, non-ASCII,
    /// punctuation, the text's end), at the start and in the middle of a text.
    #[test]
    fn ascii_words_take_the_general_paths_answer() {
        let stop = Stopwords::new();
        let mut words: Vec<String> = Vec::new();
        for len in 1..=5u32 {
            for mut code in 0..4usize.pow(len) {
                let mut w = String::new();
                for _ in 0..len {
                    w.push(['a', 'A', 'o', 'O'][code % 4]);
                    code /= 4;
                }
                words.push(w);
            }
        }
        words
            .extend(["Boston", "NOTHING", "marathon", "Explosions", "the", "I", "x", "sooo", "SoOo"].map(String::from));
        let mut fast_words = 0;
        for w in &words {
            for after in ["", " ", "1", "'s", "’s", "é", ".", "!", "#tag", "-", "_", "\u{301}"] {
                for before in ["", "RT "] {
                    let text = format!("{before}{w}{after}");
                    let start = before.len();
                    let Some(word) = AsciiWord::at(text.as_bytes(), start) else { continue };
                    fast_words += 1;
                    let first = text[start..].chars().next().unwrap_or(' ');
                    assert_eq!(word_end(&text, start, first), (start + word.len, TokenKind::Word), "{text:?}");
                    let mut fast = Tokens::default();
                    word.push(&mut fast, start, &stop);
                    let mut general = Tokens::default();
                    push_folded(&mut general, &text, TokenKind::Word, start..start + word.len, &stop);
                    assert_eq!(fast.as_slice(), general.as_slice(), "{text:?}");
                    assert_eq!(fast.norm_buffer(), general.norm_buffer(), "{text:?}");
                }
            }
        }
        assert!(fast_words > 10_000, "{fast_words}");
        // Not for the one-word path: digits, apostrophes, non-ASCII, 8 letters, elongations.
        for text in ["ab1", "don't", "caf\u{e9}", "marathons", "soooo", "d’accord"] {
            assert!(AsciiWord::at(text.as_bytes(), 0).is_none(), "{text:?}");
        }
    }

    #[test]
    fn social_tokens() {
        use TokenKind::*;
        let got = toks("RT @BostonGlobe: Explosions at #BostonMarathon!!! http://t.co/abc. $AAPL 2,000 don’t 😭🙏🏽");
        let kinds: Vec<_> = got.iter().map(|t| (t.0, t.2.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (Word, "rt"),
                (Mention, "@bostonglobe"),
                (Punct, ":"),
                (Word, "explosions"),
                (Word, "at"),
                (Hashtag, "#bostonmarathon"),
                (Punct, "!!!"),
                (Url, "http://t.co/abc"),
                (Punct, "."),
                (Cashtag, "$aapl"),
                (Number, "2,000"),
                (Word, "don't"),
                (Emoji, "😭"),
                (Emoji, "🙏🏽"),
            ]
        );
    }

    #[test]
    fn case_folding_elongation_and_elision() {
        let got: Vec<String> = toks("SOOOOO cooool STRASSE Straße l'homme I'm").into_iter().map(|t| t.2).collect();
        assert_eq!(got, ["so", "cool", "strasse", "strasse", "l'", "homme", "i'm"]);
    }

    #[test]
    fn emails_and_lone_sigils_are_not_social_tokens() {
        use TokenKind::*;
        let got: Vec<_> = toks("mail a@b.com # 1 $5").into_iter().map(|t| (t.0, t.1)).collect();
        assert_eq!(got[1], (Word, "a".to_string()));
        assert_eq!(got[2], (Punct, "@".to_string()));
        assert!(got.iter().all(|t| !matches!(t.0, Mention | Hashtag | Cashtag)), "{got:?}");
    }
}
