//! Language identification: stopword evidence first, `whichlang` when that is not enough.
//!
//! `whatlang` gives a confidence but runs at ≈ 12k texts/s per core on this machine; `whichlang`
//! (Quickwit, 16 languages) runs at ≈ 300k/s but only returns an arg-max, never "unsure", and
//! knows no Tagalog. The tokenizer already looks every word up in the merged stopword table
//! ([`crate::stopwords`]), so that evidence is free:
//!
//! 1. If one language has ≥ 2 stopwords that belong to no other list, and no other language has
//!    any such exclusive stopword, that language wins without running a model (most tweets).
//! 2. Texts with fewer than [`MIN_LETTERS`] letters in words are `und`.
//! 3. Otherwise `whichlang` runs on the words only (no URLs, mentions, hashtags, emoji),
//!    lower-cased. When one language has ≥ 2 stopwords in the text, more than any other and more
//!    than the model's language, it wins over the model. Else the model's
//!    answer is accepted for a language with a stopword list when the text is long (≥
//!    [`LONG_LETTERS`] letters) or its stopwords back it: for English any of them, for another
//!    language one of its own or two shared ones, more than English has; for the scripts without lists
//!    (zh, ja, ko, hi, vi) when the text has at least 4 non-ASCII letters. Else the language
//!    with exclusive stopwords wins when there is one, and `und` otherwise.
//! 4. A short text (< [`LONG_LETTERS`] letters) found to be another language than English in 1 or
//!    3 is `und` when it has at least as many words of VADER's English lexicon as stopwords of
//!    that language that English does not share (`english_words_outweigh`).
//!
//! The confidence threshold is thus evidence-based rather than a probability. `tests/lang.rs`
//! measures it on real tweets (English VADER tweets, Spanish/Italian/Portuguese/Tagalog crisis
//! tweets) and the `analyze` bench shows the cost.

use crate::stopwords::{SOCIAL_BIT, STOPWORD_LANGS, Stopwords};
use crate::tokenize::{TokenKind, Tokens};

/// Below this many letters in words, a text is `und` unless its stopwords decide.
pub const MIN_LETTERS: usize = 12;
/// From this many letters on, `whichlang` is trusted without stopword support.
pub const LONG_LETTERS: usize = 40;

/// ISO 639-1 code of a `whichlang` language.
pub fn whichlang_code(lang: whichlang::Lang) -> &'static str {
    use whichlang::Lang::*;
    match lang {
        Ara => "ar",
        Cmn => "zh",
        Deu => "de",
        Eng => "en",
        Fra => "fr",
        Hin => "hi",
        Ita => "it",
        Jpn => "ja",
        Kor => "ko",
        Nld => "nl",
        Por => "pt",
        Rus => "ru",
        Spa => "es",
        Swe => "sv",
        Tur => "tr",
        Vie => "vi",
    }
}

/// Identifies the language of tokenized `text`; `buf` is scratch for the model's input.
pub fn detect(text: &str, tokens: &Tokens, buf: &mut String) -> &'static str {
    let mut exclusive = [0u16; STOPWORD_LANGS.len()];
    let mut any = [0u16; STOPWORD_LANGS.len()];
    let mut letters = 0usize;
    let mut non_ascii_letters = 0usize;
    for t in tokens.as_slice() {
        if t.kind != TokenKind::Word {
            continue;
        }
        letters += usize::from(t.letters);
        non_ascii_letters += usize::from(t.non_ascii_letters);
        let mask = t.stop & !SOCIAL_BIT;
        if mask != 0 {
            for (i, slot) in any.iter_mut().enumerate() {
                *slot += mask >> i & 1;
            }
            if mask.is_power_of_two() {
                exclusive[mask.trailing_zeros() as usize] += 1;
            }
        }
    }
    let (best, best_count) = exclusive
        .iter()
        .enumerate()
        .max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))
        .map(|(i, n)| (i, *n))
        .unwrap_or((0, 0));
    let others: u16 = exclusive.iter().sum::<u16>() - best_count;
    if best_count >= 2 && others == 0 {
        return english_words_outweigh(STOPWORD_LANGS[best], letters, tokens);
    }
    if letters < MIN_LETTERS {
        return "und";
    }
    buf.clear();
    for t in tokens.as_slice() {
        if matches!(t.kind, TokenKind::Word | TokenKind::Punct | TokenKind::Number) {
            // Lower-cased: shouting ("GROSS GROSS GROSS!!") reads as another language to the model.
            buf.extend(text[t.span.clone()].chars().flat_map(char::to_lowercase));
            buf.push(' ');
        }
    }
    let code = whichlang_code(whichlang::detect_language(buf));
    // The language with the most stopwords, when one has more than every other.
    let (most, most_count) =
        any.iter().enumerate().max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i))).map_or((0, 0), |(i, n)| (i, *n));
    let most_is_unique = any.iter().filter(|&&n| n == most_count).count() == 1;
    let verdict = match Stopwords::lang_bit(code) {
        Some(bit) => {
            let i = bit.trailing_zeros() as usize;
            if most_is_unique && most_count > any[i] && most_count >= 2 {
                // Short texts fool the model ("Apparent suicide triggers youth protests against
                // unemployment" reads as French); two or more stopwords of one language, more
                // than the model's language has, outweigh it.
                STOPWORD_LANGS[most]
            } else if supports(i, letters, &exclusive, &any) {
                code
            } else if best_count >= 2 {
                STOPWORD_LANGS[best]
            } else {
                "und"
            }
        }
        None if non_ascii_letters >= 4 => code,
        None => "und",
    };
    match Stopwords::lang_bit(verdict) {
        Some(_) => english_words_outweigh(verdict, letters, tokens),
        None => verdict,
    }
}

/// `lang`, unless the text is short and has as many words of VADER's English lexicon (of three
/// letters or more, not stopwords of any language) as stopwords of `lang` that English does not
/// share: then `und`, which is scored. Short English is often decided by one or two words that are
/// stopwords elsewhere ("Give 'em hell" reads as Portuguese on `em`, "Bad chi everywhere" as
/// Italian on `chi`), while the words that carry its meaning ("hell", "bad") are English words
/// people rated; a short Spanish text has more Spanish stopwords than that ("Que terrible lo que
/// pasó…").
fn english_words_outweigh(lang: &'static str, letters: usize, tokens: &Tokens) -> &'static str {
    let (Some(own_bit), Some(en_bit)) = (Stopwords::lang_bit(lang), Stopwords::lang_bit("en")) else { return lang };
    if lang == "en" || letters >= LONG_LETTERS {
        return lang;
    }
    let vader = crate::vader::Vader::shared();
    let (mut own, mut english) = (0usize, 0usize);
    for t in tokens.as_slice().iter().filter(|t| t.kind == TokenKind::Word) {
        let stop = t.stop & !SOCIAL_BIT;
        if stop & own_bit != 0 && stop & en_bit == 0 {
            own += 1;
        } else if stop == 0 && t.ascii && t.letters >= 3 && vader.in_lexicon(tokens.norm(t)) {
            english += 1;
        }
    }
    if english >= own.max(1) { "und" } else { lang }
}

/// Whether the text backs the model's language `i`. English: any of its stopwords, or a long text
/// (≥ [`LONG_LETTERS`] letters). Another language: one stopword that is its alone, or more of its
/// stopwords than English has — two or more on a short text. Short and shouted English shares
/// words with other lists ("as", "o", "die") or has none at all ("ARRESTED DEVELOPMENT!"), and the
/// model reads it as French or German; without evidence for that language it stays `und`, which is
/// scored.
fn supports(i: usize, letters: usize, exclusive: &[u16], any: &[u16]) -> bool {
    let en = STOPWORD_LANGS.iter().position(|l| *l == "en").unwrap_or(0);
    if i == en {
        return any[i] > 0 || letters >= LONG_LETTERS;
    }
    let needed = if letters >= LONG_LETTERS { 1 } else { 2 };
    exclusive[i] > 0 || (any[i] >= needed && any[i] > any[en])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::tokenize;

    fn lang(text: &str) -> &'static str {
        let stop = Stopwords::new();
        let mut tokens = Tokens::default();
        tokenize(text, &stop, &mut tokens);
        detect(text, &tokens, &mut String::new())
    }

    #[test]
    fn detects_common_languages_and_says_und_when_unsure() {
        assert_eq!(lang("I can't believe what just happened at the marathon"), "en");
        assert_eq!(lang("Fuerte sismo sacude Costa Rica, no hay reportes de víctimas por ahora"), "es");
        assert_eq!(lang("Terremoto in Emilia, crollata la chiesa del paese e molte case"), "it");
        assert_eq!(lang("Incêndio na boate Kiss em Santa Maria deixa mais de 200 mortos"), "pt");
        assert_eq!(lang("Grabe ang baha dito sa Maynila, hindi kami makalabas ng bahay"), "tl");
        assert_eq!(lang("東京で大きな地震がありました"), "ja");
        assert_eq!(lang("#prayforboston"), "und");
        assert_eq!(lang("lol"), "und");
        // Short English that shares a stopword with another list is not that language.
        for text in ["Nervous as hell!", "Steve Jobs resigns as Apple CEO", "Yay progress! \\o/"] {
            assert!(matches!(lang(text), "en" | "und"), "{text}: {}", lang(text));
        }
        // Nor is short English whose one foreign stopword is outweighed by English rated words.
        for text in ["Give 'em hell, give 'em hell, give 'em hell!", "Bad chi everywhere.", "yaaaay! Im so excited!"] {
            assert_eq!(lang(text), "und", "{text}");
        }
        // A short text in another language with a word English also rates stays that language.
        assert_eq!(lang("Que terrible lo que pasó en la refinería"), "es");
    }
}
