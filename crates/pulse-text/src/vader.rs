//! VADER sentiment with exact parity to Python `vaderSentiment` 3.3.2, fast enough for ingest.
//!
//! The algorithm is a line-by-line port of `vaderSentiment.py` 3.3.2 (Hutto & Gilbert, ICWSM-14)
//! over the package's own lexicons, vendored byte for byte in `data/` (MIT, `data/LICENSE-VADER`).
//! Parity is checked against scores written by the Python package itself
//! (`scripts/vader_reference.py` → `tests/fixtures/vader-reference.tsv`, `tests/vader_parity.rs`)
//! and, on arbitrary generated text, against the `vader-parity` crate (`tests/vader_parity.rs`).
//!
//! Why not just `vader-parity`? It is exact but scores ≈ 80k texts/s per core, and ingest needs
//! ≥ 100× Python. The differences that buy the speed (see the `sentiment` group of
//! `benches/analyze.rs`, which times both, and `benches/RESULTS.md`):
//!
//! * **One look-up per token, without a branch for short words.** The lexicon, the booster
//!   dictionary, the negation list and the ~30 words the rules compare against (`no`, `but`,
//!   `least`, `kind`, `of`, idiom words…) are merged into one table from the lower-cased token to
//!   a 4-byte `Entry`. Words of up to 8 bytes (most tokens) are answered by a cuckoo table keyed by
//!   the word as one `u64` (`short_table`): two places read, the match kept by a select,
//!   so whether a word is in the lexicon (data) costs no mispredicted branch; longer words by a
//!   hash map keyed by the token packed into three words (`Key`). All later rules read that entry
//!   (word ids instead of string comparisons); nothing is formatted or lower-cased twice.
//! * **One pass per token, one pass per text.** A token of up to 8 bytes (most words) is found,
//!   classified, stripped and lower-cased with bit operations on one 64-bit word; longer ones by a
//!   byte scan with a table of ASCII classes that does all of it at once. A character is decoded
//!   only at a non-ASCII byte. (Every loop over a token ends in a branch that depends on its
//!   length, which the predictor cannot learn: fewer loops per token is most of the speed.) The
//!   same scan counts `!` and `?` and notices non-ASCII text; only then is the text searched for
//!   emojis of the lexicon, and re-tokenized only when it holds one.
//! * **One tokenization for two scores.** [`Vader::score_plain_and_masked`] gives the plain
//!   score of a post and the masked score of its body (what `pulse_text::Analyzer` needs).
//! * **Reused buffers** ([`VaderScratch`]), valences stored for lexicon words only, and Python's
//!   `round` done with arithmetic (plus an exact fused-multiply-add check near ties) instead of
//!   formatting.
//!
//! Python semantics kept on purpose: `str.split()` whitespace (which includes U+001C–U+001F),
//! `string.punctuation` stripping with the "≤ 2 characters is an emoticon" rule, `str.lower()`
//! (only U+212A KELVIN SIGN lowers a non-ASCII character to ASCII, so every other non-ASCII
//! character can be kept as is: no reachable lexicon key contains one), `str.isupper()` with the
//! Unicode 14 tables of CPython 3.11 (the code points where Rust's newer Unicode data differ are
//! listed in [`PY311_CASING_OVERRIDES`]), the `_but_check` quirk that rescales the *first* equal
//! value, the operator-precedence quirk of the three-words-back negation check, sequential
//! float summation (CPython ≤ 3.11 `sum`), and `round` half-to-even on the exact binary value.

use std::cell::RefCell;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::short_table::ShortTable;
use crate::swar;

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

const LEXICON: &str = include_str!("../data/vader_lexicon.txt");
const EMOJI_LEXICON: &str = include_str!("../data/emoji_utf8_lexicon.txt");

/// Negation words of `vaderSentiment.NEGATE`.
const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// Single-word entries of `vaderSentiment.BOOSTER_DICT` (the three two-word entries are matched
/// by word ids in the idiom check).
const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

/// Ids of the words the rules compare tokens against (0 = any other word).
mod id {
    pub const NO: u8 = 1;
    pub const KIND: u8 = 2;
    pub const OF: u8 = 3;
    pub const LEAST: u8 = 4;
    pub const AT: u8 = 5;
    pub const VERY: u8 = 6;
    pub const NEVER: u8 = 7;
    pub const SO: u8 = 8;
    pub const THIS: u8 = 9;
    pub const WITHOUT: u8 = 10;
    pub const DOUBT: u8 = 11;
    pub const BUT: u8 = 12;
    pub const OR: u8 = 13;
    pub const NOR: u8 = 14;
    pub const THE: u8 = 15;
    pub const SHIT: u8 = 16;
    pub const BOMB: u8 = 17;
    pub const BAD: u8 = 18;
    pub const ASS: u8 = 19;
    pub const BUS: u8 = 20;
    pub const STOP: u8 = 21;
    pub const YEAH: u8 = 22;
    pub const RIGHT: u8 = 23;
    pub const KISS: u8 = 24;
    pub const DEATH: u8 = 25;
    pub const TO: u8 = 26;
    pub const DIE: u8 = 27;
    pub const FOR: u8 = 28;
    pub const BEATING: u8 = 29;
    pub const HEART: u8 = 30;
    pub const JUST: u8 = 31;
    pub const ENOUGH: u8 = 32;
    pub const SORT: u8 = 33;
}

const WORD_IDS: &[(&str, u8)] = &[
    ("no", id::NO),
    ("kind", id::KIND),
    ("of", id::OF),
    ("least", id::LEAST),
    ("at", id::AT),
    ("very", id::VERY),
    ("never", id::NEVER),
    ("so", id::SO),
    ("this", id::THIS),
    ("without", id::WITHOUT),
    ("doubt", id::DOUBT),
    ("but", id::BUT),
    ("or", id::OR),
    ("nor", id::NOR),
    ("the", id::THE),
    ("shit", id::SHIT),
    ("bomb", id::BOMB),
    ("bad", id::BAD),
    ("ass", id::ASS),
    ("bus", id::BUS),
    ("stop", id::STOP),
    ("yeah", id::YEAH),
    ("right", id::RIGHT),
    ("kiss", id::KISS),
    ("death", id::DEATH),
    ("to", id::TO),
    ("die", id::DIE),
    ("for", id::FOR),
    ("beating", id::BEATING),
    ("heart", id::HEART),
    ("just", id::JUST),
    ("enough", id::ENOUGH),
    ("sort", id::SORT),
];

/// Two-word `SPECIAL_CASES` (the one-word `badass` can never match a word sequence).
const SPECIAL_2: &[([u8; 2], f64)] = &[
    ([id::THE, id::SHIT], 3.0),
    ([id::THE, id::BOMB], 3.0),
    ([id::BAD, id::ASS], 1.5),
    ([id::BUS, id::STOP], 0.0),
    ([id::YEAH, id::RIGHT], -2.0),
    ([id::BEATING, id::HEART], 3.5),
];
/// Three-word `SPECIAL_CASES`.
const SPECIAL_3: &[([u8; 3], f64)] = &[([id::KISS, id::OF, id::DEATH], -1.5), ([id::TO, id::DIE, id::FOR], 3.0)];
/// Two-word `BOOSTER_DICT` entries.
const BOOSTER_2: &[([u8; 2], f64)] =
    &[([id::JUST, id::ENOUGH], B_DECR), ([id::KIND, id::OF], B_DECR), ([id::SORT, id::OF], B_DECR)];

/// Code points whose casing class differs between CPython 3.11 (Unicode 14.0, the reference
/// interpreter here) and the Rust standard library's newer Unicode data, as
/// `(first, last, is_lower_or_title, is_upper)` in CPython's view. Generated by comparing
/// `str.islower()`/`unicodedata.category() == "Lt"`/`str.isupper()` with `char::is_lowercase`/
/// `char::is_uppercase` over every code point.
pub const PY311_CASING_OVERRIDES: &[(u32, u32, bool, bool)] = &[
    (0x295, 0x295, true, false),
    (0x10FC, 0x10FC, false, false),
    (0x1C89, 0x1C8A, false, false),
    (0xA7CB, 0xA7CF, false, false),
    (0xA7D2, 0xA7D2, false, false),
    (0xA7D4, 0xA7D4, false, false),
    (0xA7DA, 0xA7DC, false, false),
    (0xA7F1, 0xA7F4, false, false),
    (0xAB69, 0xAB69, false, false),
    (0x10D50, 0x10D65, false, false),
    (0x10D70, 0x10D85, false, false),
    (0x16EA0, 0x16EB8, false, false),
    (0x16EBB, 0x16ED3, false, false),
    (0x1DF25, 0x1DF2A, false, false),
    (0x1E030, 0x1E06D, false, false),
];

/// `(is lowercase or titlecase, is uppercase)` for one non-ASCII character, as CPython 3.11.
fn py_case_class(c: char) -> (bool, bool) {
    let cp = c as u32;
    for &(a, b, lo, up) in PY311_CASING_OVERRIDES {
        if cp >= a && cp <= b {
            return (lo, up);
        }
    }
    let title = matches!(
        cp,
        0x1C5 | 0x1C8 | 0x1CB | 0x1F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF
            | 0x1FBC | 0x1FCC | 0x1FFC
    );
    (c.is_lowercase() || title, c.is_uppercase())
}

/// Python's `str.isspace()`: Unicode `White_Space` plus the separators U+001C–U+001F.
#[inline]
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// The four VADER scores of one text, rounded as the Python package rounds them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Sentiment {
    /// Normalized sum of valences in [-1, 1], rounded to 4 decimals.
    pub compound: f64,
    /// Share of positive valence, rounded to 3 decimals.
    pub pos: f64,
    /// Share of neutral tokens, rounded to 3 decimals.
    pub neu: f64,
    /// Share of negative valence, rounded to 3 decimals.
    pub neg: f64,
}

/// Which social tokens [`Vader::score_with`] replaces by a neutral placeholder before scoring.
///
/// A masked whitespace token scores exactly like the neutral word `_` in Python (it still counts
/// as a neutral token; its `!` and `?` do not count as emphasis). Masking exists because VADER's
/// lexicon knows some topic names (`@united` scores *positive*): the topic's own name should not
/// decide what people think about the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Masking {
    /// Mask `@user` tokens.
    pub mentions: bool,
    /// Mask `#tag` tokens.
    pub hashtags: bool,
    /// Mask `http://…`, `https://…` and `www.…` tokens.
    pub urls: bool,
}

impl Masking {
    /// Mask nothing: plain VADER, parity with Python.
    pub const NONE: Masking = Masking { mentions: false, hashtags: false, urls: false };
    /// Mask mentions, hashtags and URLs (the score Pulse attaches to topics).
    pub const SOCIAL: Masking = Masking { mentions: true, hashtags: true, urls: true };

    /// Whether nothing is masked.
    pub fn is_none(self) -> bool {
        !(self.mentions || self.hashtags || self.urls)
    }

    /// Whether this whitespace-delimited token is masked (leading ASCII punctuation other than
    /// `@` and `#` is skipped, so `.@united` and `(#fail` count).
    pub fn masks(self, token: &str) -> bool {
        // Most tokens are decided by their first byte after leading punctuation, and most
        // start with neither punctuation nor the `h` or `w` of a URL.
        let b = token.as_bytes();
        match b.first() {
            Some(&c) if !c.is_ascii_punctuation() && !matches!(c, b'h' | b'H' | b'w' | b'W') => return false,
            None => return false,
            _ => {}
        }
        let k = b.iter().position(|&x| !x.is_ascii_punctuation() || x == b'@' || x == b'#').unwrap_or(b.len());
        match b.get(k) {
            Some(b'@' | b'#') => {}
            Some(b'h' | b'H' | b'w' | b'W') => return self.urls && is_url_like(&token[k..]),
            _ => return false,
        }
        if self.urls && is_url_like(token) {
            return true;
        }
        let t = token.trim_start_matches(|c: char| c.is_ascii_punctuation() && c != '@' && c != '#');
        let mut chars = t.chars();
        match (chars.next(), chars.next()) {
            (Some('@'), Some(c)) => self.mentions && (c.is_ascii_alphanumeric() || c == '_'),
            (Some('#'), Some(c)) => self.hashtags && (c.is_alphanumeric() || c == '_'),
            _ => false,
        }
    }
}

/// Whether a token is a URL (`http://`, `https://` or `www.`, case-insensitive, anywhere after
/// leading punctuation).
pub(crate) fn is_url_like(token: &str) -> bool {
    let t = token.trim_start_matches(|c: char| c.is_ascii_punctuation());
    let b = t.as_bytes();
    let starts = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    starts(b"http://") || starts(b"https://") || starts(b"www.")
}

/// What the rules need to know about one lower-cased token, packed in 4 bytes so that a token
/// ([`Tok`]) is 24 bytes and an entry is a value of the short-word [`ShortTable`].
///
/// Every valence of the lexicon has one decimal (-3.9 … 3.4), so it is kept in tenths:
/// `f64::from(tenths) / 10.0` is the correctly rounded quotient, the same double Python's
/// `float("-2.5")` parses (`Vader::new` checks this for every word). The booster value is one of
/// two constants, so a sign flag is enough.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    tenths: i16,
    flags: u8,
    id: u8,
}

/// [`Entry`] flag bits.
const IN_LEXICON: u8 = 1;
const IS_BOOSTER: u8 = 2;
/// The booster decreases (`B_DECR`); else it increases (`B_INCR`).
const BOOSTER_DECR: u8 = 4;
const NEGATES: u8 = 8;

impl Entry {
    /// The entry of a word outside every table: only the `n't` rule can make it a negation.
    #[inline]
    fn unknown(negate: bool) -> Entry {
        Entry { flags: if negate { NEGATES } else { 0 }, ..Entry::default() }
    }
    #[inline]
    fn valence(self) -> f64 {
        f64::from(self.tenths) / 10.0
    }
    #[inline]
    fn in_lexicon(self) -> bool {
        self.flags & IN_LEXICON != 0
    }
    #[inline]
    fn is_booster(self) -> bool {
        self.flags & IS_BOOSTER != 0
    }
    /// The booster's value (meaningful when [`is_booster`](Self::is_booster)).
    #[inline]
    fn booster(self) -> f64 {
        if self.flags & BOOSTER_DECR != 0 { B_DECR } else { B_INCR }
    }
    #[inline]
    fn negate(self) -> bool {
        self.flags & NEGATES != 0
    }
    #[inline]
    fn to_bits(self) -> u32 {
        u32::from(self.tenths as u16) | u32::from(self.flags) << 16 | u32::from(self.id) << 24
    }
    #[inline]
    fn from_bits(bits: u32) -> Entry {
        Entry { tenths: bits as u16 as i16, flags: (bits >> 16) as u8, id: (bits >> 24) as u8 }
    }
}

/// A table entry while the tables are built, before packing.
#[derive(Debug, Clone, Copy, Default)]
struct WordInfo {
    valence: Option<f64>,
    booster: Option<f64>,
    negate: bool,
    id: u8,
}

impl WordInfo {
    fn pack(self, word: &[u8]) -> Entry {
        let mut flags = 0;
        let mut tenths = 0;
        if let Some(v) = self.valence {
            tenths = (v * 10.0).round() as i16;
            assert_eq!(f64::from(tenths) / 10.0, v, "VADER valence {v} of {word:?} has more than one decimal");
            flags |= IN_LEXICON;
        }
        if let Some(b) = self.booster {
            flags |= IS_BOOSTER | if b == B_DECR { BOOSTER_DECR } else { 0 };
            assert!(b == B_DECR || b == B_INCR, "booster value {b} of {word:?}");
        }
        if self.negate || contains_nt(word) {
            flags |= NEGATES;
        }
        Entry { tenths, flags, id: self.id }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tok {
    entry: Entry,
    is_upper: bool,
    /// Selected by the [`Masking`] in force (the masked score replaces it by a neutral token).
    masked: bool,
    /// Byte range in the (emoji-expanded) text.
    start: usize,
    end: usize,
}

/// What [`Vader::senti_text`] learns about a text besides its tokens.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    /// `!` in the text.
    exclaims: usize,
    /// `?` in the text.
    questions: usize,
    /// Whether the text has a non-ASCII character (only then can it hold an emoji).
    non_ascii: bool,
}

/// Reusable buffers for [`Vader::score_with`]; keep one per thread.
#[derive(Debug, Default)]
pub struct VaderScratch {
    text: String,
    toks: Vec<Tok>,
    lower: Vec<u8>,
    sentiments: Vec<(usize, f64)>,
}

/// The VADER scorer: immutable lexicon tables, shareable across threads (`Send + Sync`).
#[derive(Debug)]
pub struct Vader {
    table: FxHashMap<Key, Entry>,
    /// The entries of the words of at most 8 bytes, for the short-token path (the same as in
    /// `table`).
    short: ShortTable,
    emoji: FxHashMap<char, (u32, u32)>,
    emoji_text: String,
}

impl Default for Vader {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static SCRATCH: RefCell<VaderScratch> = RefCell::new(VaderScratch::default());
}

impl Vader {
    /// Builds the tables from the vendored lexicons (about 10k lines; a few milliseconds).
    pub fn new() -> Self {
        let mut words: FxHashMap<Box<[u8]>, WordInfo> = FxHashMap::default();
        // make_lex_dict: `line.strip().split('\t')[0:2]`, later lines win.
        for line in LEXICON.trim_end_matches('\n').split('\n') {
            if line.is_empty() {
                continue;
            }
            let mut fields = line.trim_matches(is_py_space).split('\t');
            let (Some(word), Some(measure)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(valence) = measure.parse::<f64>() else {
                continue;
            };
            words.entry(word.as_bytes().into()).or_default().valence = Some(valence);
        }
        for &(word, value) in BOOSTERS {
            words.entry(word.as_bytes().into()).or_default().booster = Some(value);
        }
        for &word in NEGATE {
            words.entry(word.as_bytes().into()).or_default().negate = true;
        }
        for &(word, i) in WORD_IDS {
            words.entry(word.as_bytes().into()).or_default().id = i;
        }
        let packed: Vec<(Box<[u8]>, Entry)> =
            words.into_iter().map(|(word, info)| (word.clone(), info.pack(&word))).collect();
        let short_words: Vec<(u64, u32)> =
            packed.iter().filter_map(|(word, e)| ShortTable::key(word).map(|k| (k, e.to_bits()))).collect();
        let short = ShortTable::new(&short_words);
        let table = packed
            .into_iter()
            .map(|(word, e)| (Key::new(&word).expect("VADER lexicon keys are at most Key::MAX_LEN bytes"), e))
            .collect();
        let mut emoji = FxHashMap::default();
        let mut emoji_text = String::new();
        for line in EMOJI_LEXICON.trim_end_matches('\n').split('\n') {
            let mut fields = line.trim_matches(is_py_space).split('\t');
            let (Some(key), Some(description)) = (fields.next(), fields.next()) else {
                continue;
            };
            let mut chars = key.chars();
            // Python looks up one code point at a time: longer keys can never match.
            if let (Some(c), None) = (chars.next(), chars.next()) {
                let start = emoji_text.len() as u32;
                emoji_text.push_str(description);
                emoji.insert(c, (start, emoji_text.len() as u32));
            }
        }
        Vader { table, short, emoji, emoji_text }
    }

    /// A process-wide scorer, built on first use.
    pub fn shared() -> &'static Vader {
        static SHARED: OnceLock<Vader> = OnceLock::new();
        SHARED.get_or_init(Vader::new)
    }

    /// Whether lower-case `word` is in VADER's word lexicon (a word English speakers rated).
    pub fn in_lexicon(&self, word: &str) -> bool {
        Key::new(word.as_bytes()).and_then(|key| self.table.get(&key)).is_some_and(|e| e.in_lexicon())
    }

    /// Plain VADER scores of `text`, equal to Python `vaderSentiment` 3.3.2
    /// `SentimentIntensityAnalyzer().polarity_scores(text)`. Uses a thread-local scratch.
    pub fn polarity_scores(&self, text: &str) -> Sentiment {
        self.polarity_scores_masked(text, Masking::NONE)
    }

    /// VADER scores of `text` with the tokens selected by `masking` neutralised
    /// (see [`Masking`]). Uses a thread-local scratch.
    pub fn polarity_scores_masked(&self, text: &str, masking: Masking) -> Sentiment {
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => self.score_with(text, masking, &mut scratch),
            Err(_) => self.score_with(text, masking, &mut VaderScratch::default()),
        })
    }

    /// `SentiText` of `text` into `toks`: Python's `str.split()`, punctuation stripping,
    /// lower-casing and `isupper()` per token, one table lookup per token, and whether `masking`
    /// selects the token.
    ///
    /// Short ASCII tokens (most of them) go through [`short_ascii_token`](Self::short_ascii_token);
    /// the rest through a byte loop that decodes a character only at a non-ASCII byte and
    /// lower-cases ASCII bytes through a table into a stack buffer. The generic `str::split` +
    /// `Vec::push` version of this loop was half of the scorer's instructions.
    ///
    /// Also counts the text's `!` and `?` (they only occur inside tokens) and says whether the
    /// text has a non-ASCII character, so that no other pass over the text is needed for
    /// punctuation emphasis or, for ASCII text, for emojis.
    fn senti_text(&self, text: &str, masking: Masking, toks: &mut Vec<Tok>, lower: &mut Vec<u8>) -> Scan {
        toks.clear();
        let mut scan = Scan::default();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Skip whitespace.
            let b = bytes[i];
            if b < 0x80 {
                if ASCII_CLASS[b as usize] & SPACE != 0 {
                    i += 1;
                    continue;
                }
            } else {
                scan.non_ascii = true;
                if let Some(c) = text[i..].chars().next().filter(|&c| is_py_space(c)) {
                    i += c.len_utf8();
                    continue;
                }
            }
            if let Some((mut tok, end)) = self.short_ascii_token(bytes, i, &mut scan) {
                tok.masked = !masking.is_none() && masking.masks(&text[i..end]);
                (tok.start, tok.end) = (i, end);
                toks.push(tok);
                // The (one-byte) whitespace after it is known: skip it here, so that the loop's
                // whitespace test mostly sees token starts and predicts well.
                i = end + usize::from(end < bytes.len());
                continue;
            }
            // One token: up to the next whitespace, in one pass that also classifies and
            // lower-cases its ASCII bytes (into `folded`, which wraps after 32 bytes: longer
            // tokens are redone). One loop per token rather than one per step (split, strip,
            // lower, classify) saves the loop-exit branch mispredictions, which cost more
            // than the instructions.
            let start = i;
            let mut ascii = true;
            let mut classes = 0u8;
            let mut folded = [0u8; 64];
            while i < bytes.len() {
                let b = bytes[i];
                if b < 0x80 {
                    let class = ASCII_CLASS[usize::from(b)];
                    if class & SPACE != 0 {
                        break;
                    }
                    classes |= class;
                    // UPPER << 3 is 0x20, the ASCII case bit.
                    folded[(i - start) & 31] = b | ((class & UPPER) << 3);
                    i += 1;
                } else {
                    let c = text[i..].chars().next().unwrap_or(' ');
                    if is_py_space(c) {
                        break;
                    }
                    ascii = false;
                    i += c.len_utf8();
                }
            }
            let raw = &text[start..i];
            if classes & EMPHASIS != 0 {
                let (e, q) = count_exclaims_and_questions(raw.as_bytes());
                scan.exclaims += e;
                scan.questions += q;
            }
            scan.non_ascii |= !ascii;
            let mut tok =
                if ascii { self.ascii_token(raw.as_bytes(), classes, &folded) } else { self.token(raw, lower) };
            tok.masked = !masking.is_none() && masking.masks(raw);
            (tok.start, tok.end) = (start, i);
            toks.push(tok);
        }
        scan
    }

    /// [`senti_text`](Self::senti_text) of the text `polarity_scores` scores: `text` itself, or,
    /// when it holds emojis of the lexicon, `text` with their descriptions (built in `buf`; only
    /// a text with a non-ASCII character can hold one). Returns the text tokenized and its scan.
    fn tokenize<'a>(
        &self,
        text: &'a str,
        masking: Masking,
        buf: &'a mut String,
        toks: &mut Vec<Tok>,
        lower: &mut Vec<u8>,
    ) -> (&'a str, Scan) {
        let scan = self.senti_text(text, masking, toks, lower);
        if !scan.non_ascii {
            return (text, scan);
        }
        let expanded = self.expand_emojis(text, buf);
        if std::ptr::eq(expanded, text) {
            return (text, scan);
        }
        let scan = self.senti_text(expanded, masking, toks, lower);
        (expanded, scan)
    }

    /// The token starting at `start` when it has at most 8 bytes, all printable ASCII, and is
    /// followed by whitespace or the text's end (most words), with its end: found, classified,
    /// stripped and lower-cased with word-wide bit operations on the 8 bytes from `start` (SWAR)
    /// instead of a loop over its bytes, and looked up in the [`ShortTable`]. `None` sends the
    /// token to the byte loop.
    #[inline]
    fn short_ascii_token(&self, bytes: &[u8], start: usize, scan: &mut Scan) -> Option<(Tok, usize)> {
        use swar::{HIGH, ONES, at_least, between};
        let rest = bytes.get(start..).filter(|rest| !rest.is_empty())?;
        let w = match rest.first_chunk::<8>() {
            Some(window) => u64::from_le_bytes(*window),
            // The text's last token: the text's last 8 bytes, shifted down, spaces above.
            None => {
                let last = u64::from_le_bytes(*bytes.last_chunk::<8>()?);
                (last >> (8 * (8 - rest.len()))) | (ONES * u64::from(b' ')) << (8 * rest.len())
            }
        };
        let w7 = w & !HIGH;
        let printable = at_least(w7, 0x21) & !(w & HIGH);
        let stop = !printable & HIGH;
        let len = (stop.trailing_zeros() / 8) as usize;
        // A control character or a non-ASCII byte ends the fast path, not the token.
        let after = rest.get(len).copied().unwrap_or(b' ');
        if len == 0 || after >= 0x80 || ASCII_CLASS[usize::from(after)] & SPACE == 0 {
            return None;
        }
        let token = swar::first_high_bits(len);
        let upper = between(w7, b'A', b'Z') & token;
        let lower = between(w7, b'a', b'z') & token;
        let digit = between(w7, b'0', b'9') & token;
        let apostrophe = between(w7, b'\'', b'\'') & token;
        let exclaims = between(w7, b'!', b'!') & token;
        let questions = between(w7, b'?', b'?') & token;
        if exclaims | questions != 0 {
            scan.exclaims += exclaims.count_ones() as usize;
            scan.questions += questions.count_ones() as usize;
        }
        // Printable ASCII that is no letter, digit or DEL is `string.punctuation`.
        let punct = token & !upper & !lower & !digit & !at_least(w7, 0x7f);
        let folded = w | (upper >> 2);
        // Strip leading and trailing punctuation unless ≤ 2 bytes would remain.
        let kept = token & !punct;
        let (at, n) = if kept == 0 {
            (0, len)
        } else {
            let lead = (kept.trailing_zeros() / 8) as usize;
            let last = ((63 - kept.leading_zeros()) / 8) as usize;
            if last + 1 - lead > 2 { (lead, last + 1 - lead) } else { (0, len) }
        };
        let mut entry = Entry::from_bits(self.short.get((folded >> (8 * at)) & swar::first_bytes(n)));
        if apostrophe != 0 && entry.to_bits() == 0 {
            entry = Entry::unknown(contains_nt_ascii_ci(&bytes[start + at..start + at + n]));
        }
        Some((Tok { entry, is_upper: upper != 0 && lower == 0, ..Tok::default() }, start + len))
    }

    /// One all-ASCII token of [`senti_text`](Self::senti_text): `classes` is the union of its
    /// bytes' [`ASCII_CLASS`] bits, `folded` its lower-cased bytes when it has at most 32.
    #[inline]
    fn ascii_token(&self, raw: &[u8], classes: u8, folded: &[u8; 64]) -> Tok {
        let is_punct = |b: &u8| ASCII_CLASS[usize::from(*b)] & PUNCT != 0;
        let mut lead = 0;
        let mut len = raw.len();
        if classes & PUNCT != 0 {
            lead = raw.iter().take_while(|b| is_punct(b)).count();
            let trail = raw[lead..].iter().rev().take_while(|b| is_punct(b)).count();
            if len - lead - trail > 2 {
                len -= lead + trail;
            } else {
                lead = 0;
            }
        }
        // Punctuation has no case: the stripped word has the same letter classes as `raw`.
        let is_upper = classes & UPPER != 0 && classes & LOWER == 0;
        let entry = if len > Key::MAX_LEN {
            None
        } else if raw.len() <= 32 {
            self.table.get(&Key::from_folded(folded, lead, len)).copied()
        } else {
            let mut long = [0u8; 64];
            for (f, b) in long.iter_mut().zip(&raw[lead..lead + len]) {
                *f = b.to_ascii_lowercase();
            }
            self.table.get(&Key::from_folded(&long, 0, len)).copied()
        };
        let entry = entry.unwrap_or_else(|| {
            Entry::unknown(classes & APOSTROPHE != 0 && contains_nt_ascii_ci(&raw[lead..lead + len]))
        });
        Tok { entry, is_upper, ..Tok::default() }
    }

    /// One token with non-ASCII characters: Python's casing rules character by character.
    fn token(&self, raw: &str, lower: &mut Vec<u8>) -> Tok {
        let stripped = raw.trim_matches(|c: char| c.is_ascii_punctuation());
        let short = stripped.len() <= 2 || (stripped.len() <= 8 && stripped.chars().count() <= 2);
        let word = if short { raw } else { stripped };
        lower.clear();
        let mut witness = false;
        let mut killed = false;
        let mut utf8 = [0u8; 4];
        for c in word.chars() {
            if c.is_ascii() {
                killed |= c.is_ascii_lowercase();
                witness |= c.is_ascii_uppercase();
                lower.push(c.to_ascii_lowercase() as u8);
            } else {
                let (lo, up) = py_case_class(c);
                killed |= lo;
                witness |= up;
                if c == '\u{212A}' {
                    lower.push(b'k');
                } else {
                    // Any other non-ASCII character lowers to non-ASCII text, and no
                    // reachable key contains non-ASCII text: keeping it is enough.
                    lower.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
        let entry = match Key::new(lower).and_then(|k| self.table.get(&k)) {
            Some(e) => *e,
            None => Entry::unknown(contains_nt(lower)),
        };
        Tok { entry, is_upper: witness && !killed, ..Tok::default() }
    }

    fn emoji_description(&self, c: char) -> Option<&str> {
        self.emoji.get(&c).map(|&(a, b)| &self.emoji_text[a as usize..b as usize])
    }

    /// Scores `text` with caller-owned buffers: the allocation-free form of
    /// [`polarity_scores`](Self::polarity_scores) / [`polarity_scores_masked`](Self::polarity_scores_masked).
    pub fn score_with(&self, text: &str, masking: Masking, scratch: &mut VaderScratch) -> Sentiment {
        let VaderScratch { text: buf, toks, lower, sentiments } = scratch;
        let (text, scan) = self.tokenize(text, masking, buf, toks, lower);
        let (e, q) = if masking.is_none() { (0, 0) } else { mask_tokens(text, toks) };
        score_tokens(toks, scan.exclaims - e, scan.questions - q, sentiments)
    }

    /// The plain score of `text` and the `masking` score of `text[body..]` (the text after a
    /// `RT @user:` prefix), as [`score_with`](Self::score_with) would give them, from one
    /// tokenization. `body` must be a character boundary of `text` (it panics otherwise, as slicing
    /// there would).
    pub fn score_plain_and_masked(
        &self,
        text: &str,
        body: usize,
        masking: Masking,
        scratch: &mut VaderScratch,
    ) -> (Sentiment, Sentiment) {
        // The body's tokens are a suffix of the text's tokens when the prefix ends in whitespace
        // and holds no emoji (ASCII).
        let prefix = &text.as_bytes()[..body];
        if body > 0 && !(prefix.is_ascii() && ASCII_CLASS[usize::from(prefix[body - 1])] & SPACE != 0) {
            let plain = self.score_with(text, Masking::NONE, scratch);
            return (plain, self.score_with(&text[body..], masking, scratch));
        }
        let VaderScratch { text: buf, toks, lower, sentiments } = scratch;
        let (text, scan) = self.tokenize(text, masking, buf, toks, lower);
        let (exclaims, questions) = (scan.exclaims, scan.questions);
        let plain = score_tokens(toks, exclaims, questions, sentiments);
        if body == 0 && !toks.iter().any(|t| t.masked) {
            return (plain, plain);
        }
        let (pe, pq) = count_exclaims_and_questions(&text.as_bytes()[..body]);
        let first = toks.iter().take_while(|t| t.start < body).count();
        toks.drain(..first);
        let (e, q) = mask_tokens(text, toks);
        (plain, score_tokens(toks, exclaims - pe - e, questions - pq - q, sentiments))
    }

    /// The emoji walk of `polarity_scores`: each emoji of the lexicon replaced by its
    /// description (in `buf`); the text itself when it has none (only non-ASCII characters can be
    /// emojis).
    fn expand_emojis<'a>(&self, text: &'a str, buf: &'a mut String) -> &'a str {
        let Some(first) =
            text.char_indices().find(|&(_, c)| !c.is_ascii() && self.emoji.contains_key(&c)).map(|(i, _)| i)
        else {
            return text;
        };
        buf.clear();
        buf.push_str(&text[..first]);
        let mut prev_space = first == 0 || text.as_bytes()[first - 1] == b' ';
        for c in text[first..].chars() {
            if let Some(d) = self.emoji_description(c) {
                if !prev_space {
                    buf.push(' ');
                }
                buf.push_str(d);
                prev_space = false;
            } else {
                buf.push(c);
                prev_space = c == ' ';
            }
        }
        buf.as_str()
    }
}

/// Replaces the masked tokens by neutral ones (a masked token scores like the word `_`); returns
/// the `!` and `?` the masked tokens held, which then do not count as emphasis.
fn mask_tokens(text: &str, toks: &mut [Tok]) -> (usize, usize) {
    let (mut exclaims, mut questions) = (0, 0);
    for t in toks.iter_mut().filter(|t| t.masked) {
        let (e, q) = count_exclaims_and_questions(&text.as_bytes()[t.start..t.end]);
        exclaims += e;
        questions += q;
        *t = Tok::default();
    }
    (exclaims, questions)
}

/// `polarity_scores` after `SentiText`: the valence of each token under VADER's rules, the
/// `but` rule, punctuation emphasis and normalisation.
///
/// Python keeps one valence per token, zero for every word outside the lexicon (most of them).
/// Here `sentiments` holds `(token index, valence)` for lexicon words only: a zero changes no
/// sum, is never rescaled by the `but` rule (a zero times 0.5 is zero), and counts as neutral,
/// so the zeros are counted instead of stored.
fn score_tokens(toks: &[Tok], exclaims: usize, questions: usize, buffer: &mut Vec<(usize, f64)>) -> Sentiment {
    // One pass over the tokens for what the rules need about all of them: the casing mix, the
    // first `but`, and where the lexicon words are (written unconditionally, kept by advancing
    // the write position: no branch per token). The buffer only grows, so it is not cleared
    // (a `memset`) for every text.
    let n = toks.len();
    if buffer.len() < n {
        buffer.resize(n, (0, 0.0));
    }
    let (mut any_upper, mut any_other, mut first_but) = (false, false, usize::MAX);
    let mut lexicon_words = 0;
    for (i, t) in toks.iter().enumerate() {
        any_upper |= t.is_upper;
        any_other |= !t.is_upper;
        first_but = first_but.min(if t.entry.id == id::BUT { i } else { usize::MAX });
        buffer[lexicon_words].0 = i;
        lexicon_words += usize::from(t.entry.in_lexicon());
    }
    let sentiments = &mut buffer[..lexicon_words];
    let cap_diff = any_upper && any_other;

    // 3. polarity_scores / sentiment_valence, per lexicon token (overwriting the list in place).
    let idw = |k: usize| toks[k].entry.id;
    let mut kept = 0;
    for k in 0..sentiments.len() {
        let i = sentiments[k].0;
        let e = toks[i].entry;
        if e.is_booster() || (i + 1 < n && e.id == id::KIND && idw(i + 1) == id::OF) {
            continue;
        }
        let valence = e.valence();
        let mut v = valence;
        if e.id == id::NO && i != n - 1 && toks[i + 1].entry.in_lexicon() {
            v = 0.0;
        }
        if (i > 0 && idw(i - 1) == id::NO)
            || (i > 1 && idw(i - 2) == id::NO)
            || (i > 2 && idw(i - 3) == id::NO && matches!(idw(i - 1), id::OR | id::NOR))
        {
            v = valence * N_SCALAR;
        }
        if toks[i].is_upper && cap_diff {
            if v > 0.0 {
                v += C_INCR;
            } else {
                v -= C_INCR;
            }
        }
        for start_i in 0..3 {
            if i > start_i && !toks[i - (start_i + 1)].entry.in_lexicon() {
                let prev = toks[i - (start_i + 1)];
                let mut s = 0.0;
                if prev.entry.is_booster() {
                    s = prev.entry.booster();
                    if v < 0.0 {
                        s *= -1.0;
                    }
                    if prev.is_upper && cap_diff {
                        if v > 0.0 {
                            s += C_INCR;
                        } else {
                            s -= C_INCR;
                        }
                    }
                }
                if start_i == 1 && s != 0.0 {
                    s *= 0.95;
                }
                if start_i == 2 && s != 0.0 {
                    s *= 0.9;
                }
                v += s;
                v = negation_check(v, toks, start_i, i);
                if start_i == 2 {
                    v = special_idioms_check(v, toks, i);
                }
            }
        }
        // _least_check
        if i > 1 && !toks[i - 1].entry.in_lexicon() && idw(i - 1) == id::LEAST {
            if idw(i - 2) != id::AT && idw(i - 2) != id::VERY {
                v *= N_SCALAR;
            }
        } else if i > 0 && !toks[i - 1].entry.in_lexicon() && idw(i - 1) == id::LEAST {
            v *= N_SCALAR;
        }
        sentiments[kept] = (i, v);
        kept += 1;
    }
    let sentiments = &mut sentiments[..kept];

    // 4. _but_check, literally: each value rescales the *first* equal value in the list.
    if first_but != usize::MAX {
        let bi = first_but;
        for k in 0..sentiments.len() {
            let value = sentiments[k].1;
            let si = sentiments.iter().position(|&(_, x)| x == value).unwrap_or(k);
            let (at, x) = &mut sentiments[si];
            match (*at).cmp(&bi) {
                std::cmp::Ordering::Less => *x = value * 0.5,
                std::cmp::Ordering::Greater => *x = value * 1.5,
                std::cmp::Ordering::Equal => {}
            }
        }
    }

    score_valence(sentiments.iter().map(|&(_, v)| v), n, exclaims, questions)
}

fn contains_nt(word: &[u8]) -> bool {
    word.windows(3).any(|w| w == b"n't")
}

/// The numbers of `!` and `?` in `bytes`, counted in byte lanes (the compiler vectorizes the
/// inner loop; chunks of 255 keep the lanes from overflowing).
fn count_exclaims_and_questions(bytes: &[u8]) -> (usize, usize) {
    let (mut exclaims, mut questions) = (0usize, 0usize);
    for chunk in bytes.chunks(255) {
        let (mut e, mut q) = (0u8, 0u8);
        for &b in chunk {
            e += (b == b'!') as u8;
            q += (b == b'?') as u8;
        }
        exclaims += usize::from(e);
        questions += usize::from(q);
    }
    (exclaims, questions)
}

/// `contains_nt` of the ASCII-lower-cased `word`, without lower-casing it.
fn contains_nt_ascii_ci(word: &[u8]) -> bool {
    word.windows(3).any(|w| w.eq_ignore_ascii_case(b"n't"))
}

/// A lower-cased token packed as a table key: up to 23 bytes and their length in 24 bytes,
/// hashed and compared as three words. The longest lexicon key (`disadvantageousness`) has 19
/// bytes, so a longer token needs no lookup; `Vader::new` checks the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key([u64; 3]);

impl Key {
    const MAX_LEN: usize = 23;

    fn new(word: &[u8]) -> Option<Key> {
        if word.len() > Key::MAX_LEN {
            return None;
        }
        let mut buffer = [0u8; 64];
        buffer[..word.len()].copy_from_slice(word);
        Some(Key::from_folded(&buffer, 0, word.len()))
    }

    /// The key of the `len` (≤ [`Key::MAX_LEN`]) bytes of `folded` from `at` (< 32): three word
    /// loads and masks, no copy and no loop.
    #[inline]
    fn from_folded(folded: &[u8; 64], at: usize, len: usize) -> Key {
        let word = |k: usize| {
            let w = u64::from_le_bytes(*folded[at + 8 * k..].first_chunk::<8>().unwrap_or(&[0; 8]));
            let valid = len.saturating_sub(8 * k).min(8);
            if valid == 8 { w } else { w & ((1u64 << (8 * valid)) - 1) }
        };
        Key([word(0), word(1), word(2) | (len as u64) << 56])
    }
}

impl std::hash::Hash for Key {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for w in self.0 {
            state.write_u64(w);
        }
    }
}

/// [`ASCII_CLASS`] bits.
const SPACE: u8 = 1;
const PUNCT: u8 = 2;
const UPPER: u8 = 4;
const LOWER: u8 = 8;
/// Set (with `PUNCT`) on `'`: a token without one cannot contain `n't`.
const APOSTROPHE: u8 = 16;
/// Set (with `PUNCT`) on `!` and `?`, which count for punctuation emphasis.
const EMPHASIS: u8 = 32;

/// Class bits of each ASCII byte: Python's whitespace (`str.split()`, with U+001C–U+001F),
/// `string.punctuation` (and the apostrophe), upper- and lower-case letters.
static ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f | b' ') {
            SPACE
        } else if c == b'\'' {
            PUNCT | APOSTROPHE
        } else if c == b'!' || c == b'?' {
            PUNCT | EMPHASIS
        } else if c.is_ascii_punctuation() {
            PUNCT
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_lowercase() {
            LOWER
        } else {
            0
        };
        b += 1;
    }
    t
};

/// `_negation_check`, with the original operator precedence of the `start_i == 2` branch.
#[inline]
fn negation_check(v: f64, toks: &[Tok], start_i: usize, i: usize) -> f64 {
    let idw = |k: usize| toks[k].entry.id;
    let negated = |k: usize| toks[k].entry.negate();
    match start_i {
        0 => {
            if negated(i - 1) {
                return v * N_SCALAR;
            }
        }
        1 => {
            if idw(i - 2) == id::NEVER && matches!(idw(i - 1), id::SO | id::THIS) {
                return v * 1.25;
            } else if idw(i - 2) == id::WITHOUT && idw(i - 1) == id::DOUBT {
                return v;
            } else if negated(i - 2) {
                return v * N_SCALAR;
            }
        }
        _ => {
            if (idw(i - 3) == id::NEVER && matches!(idw(i - 2), id::SO | id::THIS))
                || matches!(idw(i - 1), id::SO | id::THIS)
            {
                return v * 1.25;
            } else if idw(i - 3) == id::WITHOUT && (idw(i - 2) == id::DOUBT || idw(i - 1) == id::DOUBT) {
                return v;
            } else if negated(i - 3) {
                return v * N_SCALAR;
            }
        }
    }
    v
}

/// `_special_idioms_check` over word ids (only reached with `i >= 3`).
fn special_idioms_check(mut v: f64, toks: &[Tok], i: usize) -> f64 {
    let w = |k: usize| toks[k].entry.id;
    let two = |a: u8, b: u8| SPECIAL_2.iter().find(|(k, _)| *k == [a, b]).map(|x| x.1);
    let three = |a: u8, b: u8, c: u8| SPECIAL_3.iter().find(|(k, _)| *k == [a, b, c]).map(|x| x.1);
    let (w3, w2, w1, w0) = (w(i - 3), w(i - 2), w(i - 1), w(i));
    let ahead = |k: usize| if k < toks.len() { w(k) } else { 0 };
    if w3 | w2 | w1 | w0 | ahead(i + 1) | ahead(i + 2) == 0 {
        // Every idiom and two-word booster is made of words with ids: nothing can match.
        return v;
    }
    if let Some(x) = two(w1, w0)
        .or_else(|| three(w2, w1, w0))
        .or_else(|| two(w2, w1))
        .or_else(|| three(w3, w2, w1))
        .or_else(|| two(w3, w2))
    {
        v = x;
    }
    let n = toks.len();
    if n - 1 > i
        && let Some(x) = two(w0, w(i + 1))
    {
        v = x;
    }
    if n - 1 > i + 1
        && let Some(x) = three(w0, w(i + 1), w(i + 2))
    {
        v = x;
    }
    // BOOSTER_DICT has no three-word entries: threetwoone never matches.
    for (a, b) in [(w3, w2), (w2, w1)] {
        if let Some((_, x)) = BOOSTER_2.iter().find(|(k, _)| *k == [a, b]) {
            v += x;
        }
    }
    v
}

/// `score_valence` plus `_punctuation_emphasis` and `_sift_sentiment_scores`.
/// `valences` are those of the lexicon words, in text order; the other `tokens - valences.len()`
/// tokens score zero.
fn score_valence(valences: impl Iterator<Item = f64>, tokens: usize, exclaims: usize, questions: usize) -> Sentiment {
    if tokens == 0 {
        return Sentiment::default();
    }
    // Python's separate sums, in one pass (each accumulator adds in the same order).
    let mut sum_s = 0.0f64;
    let mut nonzero = 0usize;
    let mut pos_sum = 0.0f64;
    let mut neg_sum = 0.0f64;
    for s in valences {
        sum_s += s;
        nonzero += usize::from(s != 0.0);
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
    }
    let ep = exclaims.min(4) as f64 * 0.292;
    let qm = if questions > 1 { if questions <= 3 { questions as f64 * 0.18 } else { 0.96 } } else { 0.0 };
    let amp = ep + qm;
    if sum_s > 0.0 {
        sum_s += amp;
    } else if sum_s < 0.0 {
        sum_s -= amp;
    }
    let compound = (sum_s / (sum_s * sum_s + 15.0).sqrt()).clamp(-1.0, 1.0);
    let neu_count = (tokens - nonzero) as f64;
    if pos_sum > neg_sum.abs() {
        pos_sum += amp;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= amp;
    }
    let total = pos_sum + neg_sum.abs() + neu_count;
    Sentiment {
        compound: py_round(compound, 1e4),
        pos: py_round((pos_sum / total).abs(), 1e3),
        neu: py_round((neu_count / total).abs(), 1e3),
        neg: py_round((neg_sum / total).abs(), 1e3),
    }
}

/// CPython's `round(x, n)` for `scale = 10^n` (n ≤ 4, |x| ≤ 1): the exact binary value rounded
/// half-to-even to n decimals, returned as the nearest double. Only near a tie does the
/// decision need the exact product (via `mul_add`); anywhere else the rounded product lands on
/// the same side of the tie. No `floor`: on the baseline x86-64 target it is a library call,
/// and for 0 ≤ t ≤ 10⁴ truncating to an integer is the same.
pub(crate) fn py_round(x: f64, scale: f64) -> f64 {
    let a = x.abs();
    let t = a * scale;
    // 0 ≤ t ≤ 10⁴: the signed conversion is one instruction, the unsigned one several.
    let mut n = t as i64 as f64;
    let frac = t - n;
    if (frac - 0.5).abs() < 1e-6 {
        // Slow, exact path.
        if a.mul_add(scale, -n) < 0.0 {
            n -= 1.0;
        } else if a.mul_add(scale, -(n + 1.0)) >= 0.0 {
            n += 1.0;
        }
        let d = a.mul_add(scale, -(n + 0.5));
        if d > 0.0 || (d == 0.0 && (n as i64) % 2 == 1) {
            n += 1.0;
        }
    } else {
        // Data, not a pattern: an addition, not a branch.
        n += f64::from(u8::from(frac > 0.5));
    }
    (n / scale).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Sentiment {
        Vader::shared().polarity_scores(text)
    }

    /// Values printed by Python vaderSentiment 3.3.2 for its own demo sentences.
    #[test]
    fn demo_sentences_match_python() {
        let cases: &[(&str, [f64; 4])] = &[
            ("VADER is smart, handsome, and funny.", [0.8316, 0.746, 0.254, 0.0]),
            ("VADER is very smart, handsome, and funny.", [0.8545, 0.701, 0.299, 0.0]),
            ("VADER is VERY SMART, handsome, and FUNNY!!!", [0.9342, 0.767, 0.233, 0.0]),
            ("VADER is not smart, handsome, nor funny.", [-0.7424, 0.0, 0.354, 0.646]),
            ("At least it isn't a horrible book.", [0.431, 0.322, 0.678, 0.0]),
            ("Today only kinda sux! But I'll get by, lol", [0.5249, 0.317, 0.556, 0.127]),
            ("Make sure you :) or :D today!", [0.8633, 0.706, 0.294, 0.0]),
            ("Catch utf-8 emoji such as 💘 and 💋 and 😁", [0.875, 0.417, 0.583, 0.0]),
            ("Not bad at all", [0.431, 0.487, 0.513, 0.0]),
        ];
        for (text, [c, p, u, n]) in cases {
            let got = s(text);
            assert_eq!([got.compound, got.pos, got.neu, got.neg], [*c, *p, *u, *n], "{text}");
        }
    }

    /// The word-wide path for short tokens gives the byte loop's answer: every string of up to 4
    /// characters over letters, `n't` parts, punctuation, a digit and DEL, and every lexicon key
    /// of up to 8 bytes as written, upper-cased and wrapped in punctuation.
    #[test]
    fn short_token_path_matches_the_byte_loop() {
        let v = Vader::shared();
        let byte_loop = |raw: &[u8]| {
            let mut classes = 0;
            let mut folded = [0u8; 64];
            for (k, &b) in raw.iter().enumerate() {
                let class = ASCII_CLASS[usize::from(b)];
                classes |= class;
                folded[k & 31] = b | ((class & UPPER) << 3);
            }
            v.ascii_token(raw, classes, &folded)
        };
        let alphabet = b"aANnTt'!?.#1\x7f";
        let mut words: Vec<Vec<u8>> = Vec::new();
        for len in 1..=4u32 {
            for mut code in 0..alphabet.len().pow(len) {
                let mut w = Vec::new();
                for _ in 0..len {
                    w.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                words.push(w);
            }
        }
        for line in LEXICON.lines() {
            let key = line.split('\t').next().unwrap_or("");
            if key.is_ascii() && !key.contains(|c: char| c.is_ascii_whitespace()) {
                for w in [
                    key.to_owned(),
                    key.to_ascii_uppercase(),
                    format!("({key}"),
                    format!("{key}!!"),
                    format!("'{key}'"),
                ] {
                    if (1..=8).contains(&w.len()) {
                        words.push(w.into_bytes());
                    }
                }
            }
        }
        let mut in_lexicon = 0;
        for w in &words {
            let mut text = w.clone();
            text.extend_from_slice(b"        ");
            let mut scan = Scan::default();
            let (fast, end) =
                v.short_ascii_token(&text, 0, &mut scan).unwrap_or_else(|| panic!("{w:?} took the byte loop"));
            assert_eq!(end, w.len());
            assert_eq!((scan.exclaims, scan.questions), count_exclaims_and_questions(w), "{w:?}");
            assert_eq!(fast, byte_loop(w), "{:?}", String::from_utf8_lossy(w));
            in_lexicon += usize::from(fast.entry.in_lexicon());
        }
        assert!(words.len() > 20_000 && in_lexicon > 3_000, "{} words, {in_lexicon} in the lexicon", words.len());
        // Not for the fast path: more than 8 bytes, a control character, non-ASCII, a text shorter
        // than the window.
        for text in [&b"ninechars  "[..], b"eightchrs", b"ab\x01 ", b"caf\xc3\xa9 x      ", b"end"] {
            assert!(v.short_ascii_token(text, 0, &mut Scan::default()).is_none(), "{text:?}");
        }
        // Eight bytes, followed by a space or ending the text.
        assert_eq!(v.short_ascii_token(b"TERRIBLE now", 0, &mut Scan::default()), Some((byte_loop(b"TERRIBLE"), 8)));
        assert_eq!(v.short_ascii_token(b"horrible", 0, &mut Scan::default()), Some((byte_loop(b"horrible"), 8)));
        // The text's last token, shorter than the window.
        assert_eq!(v.short_ascii_token(b"really GOOD", 7, &mut Scan::default()), Some((byte_loop(b"GOOD"), 11)));
        assert_eq!(v.short_ascii_token(b"really :)", 7, &mut Scan::default()), Some((byte_loop(b":)"), 9)));
    }

    /// A token is 24 bytes (it was 48 with the unpacked entry): the token list of a text is
    /// written once per token and read by every rule.
    #[test]
    fn a_token_is_24_bytes() {
        assert_eq!((std::mem::size_of::<Entry>(), std::mem::size_of::<Tok>()), (4, 24));
    }

    /// The short-word table answers like the general table for every word of 1–8 bytes in it,
    /// and with the empty entry for words that are not.
    #[test]
    fn short_table_agrees_with_the_general_table() {
        let v = Vader::shared();
        let mut short = 0;
        for (key, &entry) in &v.table {
            let len = (key.0[2] >> 56) as usize;
            if len <= 8 {
                let mut bytes = key.0[0].to_le_bytes().to_vec();
                bytes.truncate(len);
                if let Some(k) = ShortTable::key(&bytes) {
                    assert_eq!(Entry::from_bits(v.short.get(k)), entry, "{:?}", String::from_utf8_lossy(&bytes));
                    short += 1;
                }
            }
        }
        assert!(short > 3_900, "{short} short words");
        for word in [&b"zzqx"[..], b"boston", b"marathon", b"a", b"kinda!!"] {
            let k = ShortTable::key(word).unwrap();
            assert_eq!(
                Entry::from_bits(v.short.get(k)),
                v.table.get(&Key::new(word).unwrap()).copied().unwrap_or_default()
            );
        }
    }

    #[test]
    fn empty_and_blank_text_score_all_zero() {
        assert_eq!(s(""), Sentiment::default());
        assert_eq!(s(" \t\u{1c} "), Sentiment::default());
        assert_eq!(s("is?").neu, 1.0);
    }

    #[test]
    fn python_round_is_half_even_on_the_binary_value() {
        assert_eq!(py_round(0.0625, 1e3), 0.062);
        assert_eq!(py_round(0.0635, 1e3), 0.064); // 0.0635 is above the tie in binary
        assert_eq!(py_round(0.00005, 1e4), 0.0001);
        assert_eq!(py_round(-0.00004, 1e3).to_bits(), (-0.0f64).to_bits());
        assert_eq!(py_round(0.4404, 1e4), 0.4404);
        assert_eq!(py_round(1.0, 1e4), 1.0);
        assert_eq!(py_round(-0.65975, 1e4), -0.6597); // below the tie in binary
    }

    /// `py_round` agrees with the standard library's correctly rounded decimal formatting
    /// (round half to even on the exact binary value, like CPython) on every multiple of 10⁻⁶
    /// in [−1, 1] and on the doubles next to each 4- and 3-decimal tie.
    #[test]
    fn python_round_agrees_with_exact_decimal_formatting() {
        let reference = |x: f64, digits: usize| format!("{x:.digits$}").parse::<f64>().unwrap();
        let mut checked = 0;
        for k in -1_000_000i64..=1_000_000 {
            let x = k as f64 / 1e6;
            for (scale, digits) in [(1e3, 3), (1e4, 4)] {
                let got = py_round(x, scale);
                assert_eq!(got, reference(x, digits), "{x} to {digits} digits");
                checked += 1;
            }
        }
        for k in 0..20_000i64 {
            let tie = (k as f64 + 0.5) / 1e4;
            for x in [tie, f64::from_bits(tie.to_bits() + 1), f64::from_bits(tie.to_bits() - 1)] {
                assert_eq!(py_round(x, 1e4), reference(x, 4), "{x:e}");
                assert_eq!(py_round(x / 10.0, 1e3), reference(x / 10.0, 3), "{:e}", x / 10.0);
                checked += 2;
            }
        }
        assert_eq!(checked, 4_000_002 + 120_000);
    }

    #[test]
    fn masking_scores_like_a_neutral_placeholder() {
        let v = Vader::shared();
        let text = "@united thanks for NOTHING!!! #fail http://t.co/x?y?z love";
        let masked = v.polarity_scores_masked(text, Masking::SOCIAL);
        assert_eq!(masked, v.polarity_scores("_ thanks for NOTHING!!! _ _ love"));
        assert_ne!(masked, v.polarity_scores(text));
        assert!(Masking::SOCIAL.masks(".@united"));
        assert!(!Masking::SOCIAL.masks("e@mail"));
        assert!(!Masking { urls: false, ..Masking::SOCIAL }.masks("https://x.y"));
    }

    #[test]
    fn casing_follows_cpython_311() {
        // U+A7CB is uppercase in Unicode 16 but uncased in CPython 3.11.
        assert_eq!(py_case_class('\u{A7CB}'), (false, false));
        assert_eq!(py_case_class('\u{0295}'), (true, false));
        assert_eq!(py_case_class('É'), (false, true));
        assert!(py_case_class('ǅ').0, "titlecase makes isupper() false");
    }
}
