//! [`Analyzer`]: a post in, an [`Analysis`] (language, topic keys, sentiment, repost) out.

use std::sync::OnceLock;

use pulse_core::{Post, PostKind};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::lang;
use crate::opinion::{Opinion, OpinionScratch};
use crate::stopwords::Stopwords;
use crate::tokenize::{Token, TokenKind, Tokens, tokenize};
use crate::vader::{Masking, Sentiment, Vader, VaderScratch};

/// How a topic key was found. The key string, not the kind, is a topic's identity (see [`Topic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicKind {
    /// `#tag`; key `#` + folded tag.
    Hashtag,
    /// A content word: no stopword, number or URL, at least 3 characters.
    Word,
    /// Two or three adjacent content words, or a CamelCase hashtag's words.
    Phrase,
    /// A run of 2–4 capitalised words (`Boston Marathon`): an entity candidate.
    Entity,
    /// `@user`; key `@` + lower-cased handle. Trend queries filter these out by default.
    Mention,
    /// `$AAPL`; key `$` + lower-cased symbol.
    Cashtag,
}

impl TopicKind {
    /// The lower-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicKind::Hashtag => "hashtag",
            TopicKind::Word => "word",
            TopicKind::Phrase => "phrase",
            TopicKind::Entity => "entity",
            TopicKind::Mention => "mention",
            TopicKind::Cashtag => "cashtag",
        }
    }
}

/// One topic of a post.
///
/// `key` is the canonical string, and [`Topic::hash`] its [`pulse_sketch::hash_key`] (the identity
/// the trend engine counts under): folded,
/// elongations squeezed, words joined by one space. Hashtags, mentions and cashtags keep their
/// sigil (`#bostonmarathon`, `@united`, `$aapl`); words, phrases and entities share one namespace,
/// so `#BostonMarathon` (segmented), `boston marathon` and `Boston Marathon` all meet at the key
/// `boston marathon`. `surface` is the form as written, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    key: String,
    #[serde(skip)]
    hash: u64,
    kind: TopicKind,
    surface: String,
}

impl Topic {
    /// The canonical key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// [`pulse_sketch::hash_key`] of the key (computed once, to de-duplicate the post's topics).
    pub fn hash(&self) -> u64 {
        self.hash
    }
    /// How the key was found.
    pub fn kind(&self) -> TopicKind {
        self.kind
    }
    /// The surface form seen in this post (`#BostonMarathon`, `Boston Marathon`).
    pub fn surface(&self) -> &str {
        &self.surface
    }
}

/// Which sentiment an [`Analyzer`] gives posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scorer {
    /// The trained [`Opinion`] model: what people think (the default).
    #[default]
    Model,
    /// VADER: the tone of the words, with exact parity to Python `vaderSentiment`.
    Vader,
}

impl Scorer {
    /// The name `pulse analyze --sentiment` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Scorer::Model => "model",
            Scorer::Vader => "vader",
        }
    }
}

impl std::str::FromStr for Scorer {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "model" => Ok(Scorer::Model),
            "vader" => Ok(Scorer::Vader),
            other => Err(format!("sentiment scorer {other:?} is not model or vader")),
        }
    }
}

/// Knobs of an [`Analyzer`]; the defaults are what Pulse uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzerConfig {
    /// The sentiment given to posts.
    pub scorer: Scorer,
    /// Tokens neutralised when computing [`Analysis::topic_sentiment`] with VADER (and the VADER
    /// scores the model reads).
    pub topic_masking: Masking,
    /// Longest capitalised run kept as an entity.
    pub max_entity_words: usize,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig { scorer: Scorer::Model, topic_masking: Masking::SOCIAL, max_entity_words: 4 }
    }
}

/// The result of analysing one post. Reuse one per thread with [`Analyzer::analyze_into`]: its
/// strings and vectors keep their capacity, so steady-state analysis does not allocate.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    id: String,
    lang: String,
    topics: Vec<Topic>,
    n_topics: usize,
    sentiment: Option<Sentiment>,
    topic_sentiment: Option<Sentiment>,
    is_repost: bool,
    repost_user: String,
    original: String,
    tokens: Tokens,
    // Scratch.
    vader: VaderScratchBox,
    opinion: OpinionScratch,
    seen: FxHashMap<u64, usize>,
    lang_buf: String,
    key_buf: String,
    surface_buf: String,
}

#[derive(Debug, Default)]
struct VaderScratchBox(VaderScratch);

impl Clone for VaderScratchBox {
    fn clone(&self) -> Self {
        VaderScratchBox::default()
    }
}

impl Analysis {
    /// The post id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// BCP-47 / ISO 639-1 language: the post's own tag when it has one, else detected, else `und`.
    pub fn lang(&self) -> &str {
        &self.lang
    }
    /// Topic keys, each once, in order of first appearance.
    pub fn topics(&self) -> &[Topic] {
        &self.topics[..self.n_topics]
    }
    /// The post's sentiment, for English and `und`; `None` for other languages (both scorers are
    /// English). With [`Scorer::Vader`], plain VADER of the full text (parity with Python
    /// `vaderSentiment` 3.3.2); with [`Scorer::Model`], the [`Opinion`] model's score.
    pub fn sentiment(&self) -> Option<Sentiment> {
        self.sentiment
    }
    /// What the trend engine aggregates per topic. With [`Scorer::Vader`], VADER of the original
    /// text (without a `RT @user:` prefix) with mentions, hashtags and URLs masked
    /// ([`AnalyzerConfig::topic_masking`]), so that a topic's own name (`@united`) does not
    /// decide its mood; with [`Scorer::Model`], the model's score (which folds mentions itself).
    pub fn topic_sentiment(&self) -> Option<Sentiment> {
        self.topic_sentiment
    }
    /// Whether the post is a repost (`RT @user:` prefix or [`PostKind::Repost`]).
    pub fn is_repost(&self) -> bool {
        self.is_repost
    }
    /// The reposted account of a `RT @user:` prefix (without `@`).
    pub fn repost_user(&self) -> Option<&str> {
        (!self.repost_user.is_empty()).then_some(self.repost_user.as_str())
    }
    /// The text without `RT @user:` prefixes: what the author of the original wrote.
    pub fn original_text(&self) -> &str {
        &self.original
    }
    /// The tokens of [`original_text`](Self::original_text).
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The `pulse analyze` output object, as a serializable view:
    /// `{"id", "lang", "topics": [{"key", "kind", "surface"}], "sentiment": {…} | null, "is_repost"}`.
    pub fn json(&self) -> AnalysisJson<'_> {
        AnalysisJson {
            id: &self.id,
            lang: &self.lang,
            topics: self.topics(),
            sentiment: self.sentiment,
            is_repost: self.is_repost,
        }
    }

    /// [`json`](Self::json) serialized as one line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        // Strings, numbers and booleans only: serialization cannot fail.
        serde_json::to_string(&self.json()).unwrap_or_default()
    }

    fn push_topic(&mut self, kind: TopicKind) {
        let hash = pulse_sketch::hash_key(&self.key_buf);
        if let Some(&i) = self.seen.get(&hash) {
            // Same key seen again: a capitalised run upgrades a phrase to an entity.
            if kind == TopicKind::Entity && self.topics[i].kind == TopicKind::Phrase {
                self.topics[i].kind = kind;
                self.topics[i].surface.clone_from(&self.surface_buf);
            }
            return;
        }
        self.seen.insert(hash, self.n_topics);
        if self.n_topics == self.topics.len() {
            self.topics.push(Topic { key: String::new(), hash, kind, surface: String::new() });
        }
        let t = &mut self.topics[self.n_topics];
        t.hash = hash;
        t.kind = kind;
        t.key.clone_from(&self.key_buf);
        t.surface.clone_from(&self.surface_buf);
        self.n_topics += 1;
    }
}

/// The `pulse analyze` JSON object of one post (see [`Analysis::json`]). `sentiment` is the plain
/// VADER score (so it can be compared with Python), `null` outside English and `und`.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisJson<'a> {
    /// Post id (for `--text` input, the caller's line id).
    pub id: &'a str,
    /// Language tag.
    pub lang: &'a str,
    /// Topics as `{"key", "kind", "surface"}`.
    pub topics: &'a [Topic],
    /// `{"compound", "pos", "neu", "neg"}` or `null`.
    pub sentiment: Option<Sentiment>,
    /// Whether the post is a repost.
    pub is_repost: bool,
}

/// Turns posts into [`Analysis`]. Immutable after construction and `Send + Sync`: share one
/// (e.g. [`Analyzer::shared`] or an `Arc`) across threads; each thread owns its `Analysis`.
#[derive(Debug)]
pub struct Analyzer {
    vader: &'static Vader,
    stop: Stopwords,
    config: AnalyzerConfig,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// An analyzer with the default configuration.
    pub fn new() -> Self {
        Self::with_config(AnalyzerConfig::default())
    }

    /// An analyzer with `config`. The VADER tables are shared process-wide ([`Vader::shared`]).
    pub fn with_config(config: AnalyzerConfig) -> Self {
        Analyzer { vader: Vader::shared(), stop: Stopwords::new(), config }
    }

    /// A process-wide analyzer with the default configuration.
    pub fn shared() -> &'static Analyzer {
        static SHARED: OnceLock<Analyzer> = OnceLock::new();
        SHARED.get_or_init(Analyzer::new)
    }

    /// The VADER scorer.
    pub fn vader(&self) -> &Vader {
        self.vader
    }

    /// The stopword table.
    pub fn stopwords(&self) -> &Stopwords {
        &self.stop
    }

    /// Analyses one post (allocates a fresh [`Analysis`]; prefer [`analyze_into`](Self::analyze_into)).
    pub fn analyze(&self, post: &Post) -> Analysis {
        let mut out = Analysis::default();
        self.analyze_into(post, &mut out);
        out
    }

    /// Analyses one post into `out`, reusing its buffers.
    pub fn analyze_into(&self, post: &Post, out: &mut Analysis) {
        self.analyze_text_into(&post.id, &post.text, post.lang.as_deref(), post.kind == PostKind::Repost, out);
    }

    /// Analyses a bare text (e.g. `pulse analyze --text`, where `id` is the line number). `lang`
    /// is a language the source states (kept as is); `repost` marks a known repost.
    pub fn analyze_text_into(&self, id: &str, text: &str, lang: Option<&str>, repost: bool, out: &mut Analysis) {
        out.id.clear();
        out.id.push_str(id);
        out.n_topics = 0;
        out.seen.clear();

        // Reposts: strip (possibly nested) `RT @user:` prefixes.
        let mut body = text.trim_start();
        out.repost_user.clear();
        while let Some(user) = rt_prefix(body) {
            if out.repost_user.is_empty() {
                out.repost_user.push_str(user.0);
            }
            body = user.1.trim_start();
        }
        out.is_repost = repost || !out.repost_user.is_empty();
        out.original.clear();
        out.original.push_str(body);

        tokenize(body, &self.stop, &mut out.tokens);

        out.lang.clear();
        match lang.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => out.lang.push_str(l),
            None => out.lang.push_str(lang::detect(body, &out.tokens, &mut out.lang_buf)),
        }
        let primary = out.lang.split(['-', '_']).next().unwrap_or("");
        let scored = primary.eq_ignore_ascii_case("en") || primary.eq_ignore_ascii_case("und");
        if scored {
            let body_start = text.len() - body.len();
            let (plain, masked) =
                self.vader.score_plain_and_masked(text, body_start, self.config.topic_masking, &mut out.vader.0);
            match self.config.scorer {
                Scorer::Vader => {
                    out.sentiment = Some(plain);
                    out.topic_sentiment = Some(masked);
                }
                Scorer::Model => {
                    let opinion = Opinion::shared().score(body, &masked, &mut out.opinion);
                    out.sentiment = Some(opinion);
                    out.topic_sentiment = Some(opinion);
                }
            }
        } else {
            out.sentiment = None;
            out.topic_sentiment = None;
        }

        // Stopwords that filter content words: the post's language plus English (mixed-language
        // posts are common), every list when the language is unknown or has no list.
        let stop_filter = match Stopwords::lang_bit(primary) {
            Some(bit) => bit | Stopwords::lang_bit("en").unwrap_or(0) | crate::stopwords::SOCIAL_BIT,
            None => u16::MAX,
        };
        self.extract_topics(body, stop_filter, out);
    }

    fn extract_topics(&self, text: &str, stop_filter: u16, out: &mut Analysis) {
        // Temporarily take the tokens so `out` can be mutated while they are read.
        let tokens = std::mem::take(&mut out.tokens);
        let toks = tokens.as_slice();
        let (mut words, mut capitalised) = (0, 0);
        for t in toks {
            let word = t.kind == TokenKind::Word;
            words += usize::from(word);
            capitalised += usize::from(word && t.capitalized);
        }
        // Capitalisation is only evidence when most words are not capitalised.
        let caps_informative = capitalised * 10 < words * 6;
        // Characters of the normalized form (its bytes, for ASCII: no loop).
        let norm_chars = |t: &Token| if t.ascii { t.norm.len() } else { tokens.norm(t).chars().count() };
        let is_content = |t: &Token| {
            t.kind == TokenKind::Word
                && t.stop & stop_filter == 0
                && norm_chars(t) >= 3
                && if t.ascii { t.letters > 0 } else { tokens.norm(t).chars().any(char::is_alphabetic) }
        };
        let mut run_start = 0; // start of the current run of adjacent content words
        let mut run_len = 0;
        let mut ent_start = 0;
        let mut ent_len = 0;
        for (i, t) in toks.iter().enumerate() {
            let surface = &text[t.span.clone()];
            let norm = tokens.norm(t);
            let content = is_content(t);
            // Entity runs: capitalised non-stopword words.
            let ent_word = caps_informative
                && t.kind == TokenKind::Word
                && t.capitalized
                && t.stop & stop_filter == 0
                && norm_chars(t) >= 2;
            if ent_word {
                if ent_len == 0 {
                    ent_start = i;
                }
                ent_len += 1;
            }
            if !ent_word || i + 1 == toks.len() {
                if (2..=self.config.max_entity_words).contains(&ent_len) {
                    let end = ent_start + ent_len;
                    join(&tokens, text, &toks[ent_start..end], &mut out.key_buf, &mut out.surface_buf);
                    out.push_topic(TopicKind::Entity);
                }
                if !ent_word {
                    ent_len = 0;
                }
            }
            match t.kind {
                TokenKind::Hashtag => {
                    run_len = 0;
                    set(&mut out.key_buf, norm);
                    set(&mut out.surface_buf, surface);
                    out.push_topic(TopicKind::Hashtag);
                    self.hashtag_words(&surface[1..], stop_filter, out);
                }
                TokenKind::Mention | TokenKind::Cashtag => {
                    run_len = 0;
                    set(&mut out.key_buf, norm);
                    set(&mut out.surface_buf, surface);
                    let kind = if t.kind == TokenKind::Mention { TopicKind::Mention } else { TopicKind::Cashtag };
                    out.push_topic(kind);
                }
                _ if content => {
                    if run_len == 0 {
                        run_start = i;
                    }
                    run_len += 1;
                    set(&mut out.key_buf, norm);
                    set(&mut out.surface_buf, surface);
                    out.push_topic(TopicKind::Word);
                    for n in [2, 3] {
                        if run_len >= n {
                            join(&tokens, text, &toks[i + 1 - n..=i], &mut out.key_buf, &mut out.surface_buf);
                            out.push_topic(TopicKind::Phrase);
                        }
                    }
                    let _ = run_start;
                }
                _ => run_len = 0,
            }
        }
        out.tokens = tokens;
    }

    /// The words of a hashtag body: CamelCase / digit / `_` segmentation. Two or more segments
    /// give a phrase (`BostonMarathon` → `boston marathon`), one content segment a word
    /// (`#Boston` meets `Boston`).
    fn hashtag_words(&self, tag: &str, stop_filter: u16, out: &mut Analysis) {
        out.key_buf.clear();
        out.surface_buf.clear();
        let mut segments = 0;
        let mut last_len = 0;
        let mut last_start = 0;
        for seg in camel_segments(tag) {
            if segments > 0 {
                out.key_buf.push(' ');
                out.surface_buf.push(' ');
            }
            last_start = out.key_buf.len();
            crate::fold::fold_into(seg, &mut out.key_buf);
            last_len = seg.chars().count();
            out.surface_buf.push_str(seg);
            segments += 1;
        }
        if segments >= 2 {
            out.push_topic(TopicKind::Phrase);
        } else if segments == 1 && last_len >= 3 {
            let word = &out.key_buf[last_start..];
            if self.stop.mask(word) & stop_filter == 0 && word.chars().any(char::is_alphabetic) {
                out.push_topic(TopicKind::Word);
            }
        }
    }
}

fn set(buf: &mut String, s: &str) {
    buf.clear();
    buf.push_str(s);
}

/// Writes the space-joined normalized forms and surfaces of `toks`.
fn join(tokens: &Tokens, text: &str, toks: &[Token], key: &mut String, surface: &mut String) {
    key.clear();
    surface.clear();
    for (k, t) in toks.iter().enumerate() {
        if k > 0 {
            key.push(' ');
            surface.push(' ');
        }
        key.push_str(tokens.norm(t));
        surface.push_str(&text[t.span.clone()]);
    }
}

/// `RT @user: rest` → `(user, rest)`; the colon is optional.
fn rt_prefix(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("RT @").or_else(|| text.strip_prefix("rt @"))?;
    let n = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    if n == 0 {
        return None;
    }
    let (user, tail) = rest.split_at(n);
    Some((user, tail.strip_prefix(':').unwrap_or(tail)))
}

/// Splits a hashtag body at `_`, lower→upper (`bostonMarathon`), letter↔digit (`G20summit`),
/// and before the last capital of an acronym followed by lower case (`NYCMarathon` → `NYC`,
/// `Marathon`).
pub fn camel_segments(tag: &str) -> impl Iterator<Item = &str> {
    CamelSegments { tag, chars: tag.char_indices().peekable(), prev: None, start: 0, done: false }
}

/// The iterator of [`camel_segments`]: finds each cut on the way, without collecting.
struct CamelSegments<'a> {
    tag: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    prev: Option<char>,
    /// Start of the current segment.
    start: usize,
    done: bool,
}

impl<'a> Iterator for CamelSegments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while let Some((i, c)) = self.chars.next() {
            let Some(p) = self.prev.replace(c) else { continue };
            let next_lower = self.chars.peek().is_some_and(|n| n.1.is_lowercase());
            let cut = c == '_'
                || p == '_'
                || (p.is_lowercase() && c.is_uppercase())
                || (p.is_alphabetic() && c.is_numeric())
                || (p.is_numeric() && c.is_alphabetic())
                || (p.is_uppercase() && c.is_uppercase() && next_lower);
            if cut {
                let segment = self.tag[self.start..i].trim_matches('_');
                self.start = i;
                if !segment.is_empty() {
                    return Some(segment);
                }
            }
        }
        if self.done {
            return None;
        }
        self.done = true;
        Some(self.tag[self.start..].trim_matches('_')).filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(text: &str) -> Vec<(String, TopicKind, String)> {
        let mut a = Analysis::default();
        Analyzer::shared().analyze_text_into("1", text, None, false, &mut a);
        a.topics().iter().map(|t| (t.key.clone(), t.kind, t.surface.clone())).collect()
    }

    #[test]
    fn camel_case_segmentation() {
        let seg = |s| camel_segments(s).collect::<Vec<_>>();
        assert_eq!(seg("BostonMarathon"), ["Boston", "Marathon"]);
        assert_eq!(seg("NYCMarathon"), ["NYC", "Marathon"]);
        assert_eq!(seg("prayforboston"), ["prayforboston"]);
        assert_eq!(seg("G20_summit2013"), ["G", "20", "summit", "2013"]);
        assert_eq!(seg("__a__B_"), ["a", "B"]);
        assert!(seg("").is_empty() && seg("___").is_empty());
    }

    #[test]
    fn hashtags_phrases_entities_meet_at_one_key() {
        let t = topics("Explosions at the Boston Marathon finish line #BostonMarathon");
        let keys: Vec<&str> = t.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            keys,
            [
                "explosions",
                "boston",
                "marathon",
                "boston marathon",
                "finish",
                "marathon finish",
                "boston marathon finish",
                "line",
                "finish line",
                "marathon finish line",
                "#bostonmarathon"
            ]
        );
        let bm = t.iter().find(|x| x.0 == "boston marathon").unwrap();
        assert_eq!((bm.1, bm.2.as_str()), (TopicKind::Entity, "Boston Marathon"));
    }

    #[test]
    fn reposts_are_recognised_and_stripped() {
        let mut a = Analysis::default();
        Analyzer::shared().analyze_text_into("7", "RT @CNN: RT @AP: Huge fire in West, Texas", None, false, &mut a);
        assert!(a.is_repost());
        assert_eq!(a.repost_user(), Some("CNN"));
        assert_eq!(a.original_text(), "Huge fire in West, Texas");
        assert!(a.topics().iter().all(|t| t.kind() != TopicKind::Mention));
        let line = a.to_json_line();
        assert!(line.starts_with(r#"{"id":"7","lang":"#), "{line}");
        assert!(line.contains(r#""is_repost":true"#), "{line}");
    }
}
