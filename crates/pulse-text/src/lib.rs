//! Pulse text analysis: every post becomes, fast, the topics it is about and what its author
//! feels.
//!
//! ```
//! use pulse_text::{Analysis, Analyzer, TopicKind};
//!
//! let analyzer = Analyzer::shared(); // immutable, Send + Sync: share it across threads
//! let mut analysis = Analysis::default(); // one per thread, reused: no allocation per post
//! analyzer.analyze_text_into("1", "RT @AP: Explosions at the #BostonMarathon finish line", None, false, &mut analysis);
//! assert_eq!(analysis.lang(), "en");
//! assert!(analysis.is_repost());
//! assert!(analysis.topics().iter().any(|t| t.key() == "boston marathon" && t.kind() == TopicKind::Phrase));
//! assert!(analysis.sentiment().is_some());
//! println!("{}", analysis.to_json_line()); // the `pulse analyze` output line
//! ```
//!
//! # Design choices
//!
//! * **Pipeline** ([`Analyzer::analyze_into`]): strip `RT @user:` prefixes → tokenize once
//!   ([`tokenize()`]) with one stopword lookup per word → language ([`lang`]) → sentiment on English
//!   and `und` ([`opinion`], [`vader`]) → topic keys from the same tokens. The `Analyzer` is immutable and shared;
//!   the caller owns an [`Analysis`] whose strings and vectors are reused.
//! * **Language**: a post that carries a language (Jetstream `langs`) keeps it. Otherwise
//!   stopword evidence decides the clear cases and `whichlang` (≈ 25× faster than `whatlang`) the
//!   rest, with `und` when neither is convincing; see [`lang`] for the rule and why.
//! * **Topic keys** ([`Topic`]): the key string is the identity, the [`TopicKind`] says how it
//!   was found. Hashtags, mentions and cashtags carry their sigil; words, phrases (adjacent
//!   content-word bigrams and trigrams, CamelCase hashtag segments) and entities (capitalised
//!   runs) share one namespace, so `#BostonMarathon`, `boston marathon` and `Boston Marathon` meet
//!   at `boston marathon`. A post counts once per key. Content words exclude stopwords of the
//!   post's language and English (every list for `und`), numbers, URLs and words under 3
//!   characters; URLs never become topics. Mentions are topics of their own kind so the trend
//!   layer can filter them (it does by default).
//! * **Sentiment**: by default the [`Opinion`] model, a linear model over hashed word and
//!   character n-grams plus VADER's scores, trained on the SemEval 2013–2016 Twitter sets
//!   (`examples/train_opinion.rs`): it reads what people think, where VADER reads the tone of
//!   their words ([`Scorer`] chooses). VADER itself has exact parity to Python `vaderSentiment` 3.3.2 ([`Vader`]), written
//!   for speed after measuring `vader-parity` (exact, but ≈ 80k texts/s; see `benches/`).
//!   It is applied to English and `und` only; **other languages get no sentiment** (`None`):
//!   VADER's lexicon is English, and scoring Spanish with it mostly measures English loanwords.
//!   Two scores are kept: [`Analysis::sentiment`], the plain score of the whole text (what
//!   `pulse analyze` prints, comparable with Python), and [`Analysis::topic_sentiment`], scored on
//!   the original text with mentions, hashtags and URLs masked ([`Masking`]), the one the trend
//!   engine aggregates per topic. On the airline set VADER scores the word `united` positive, so
//!   every `@united` tweet leaned positive; masking moved United's negative share from 0.19 to
//!   0.37 (crowd: 0.69) — a topic's own name should not decide what people think of it.
//!
//! Limits: words are split on whitespace and punctuation, so Chinese and Japanese runs without
//! spaces become one word each; sentiment is English-only.

pub mod analyze;
pub mod fold;
pub mod lang;
pub mod opinion;
pub mod reactions;
pub mod shares;
mod short_table;
pub mod stopwords;
mod swar;
pub mod tokenize;
pub mod vader;

pub use analyze::{Analysis, AnalysisJson, Analyzer, AnalyzerConfig, Scorer, Topic, TopicKind};
pub use opinion::Opinion;
pub use reactions::Reaction;
pub use shares::ShareCorrection;
pub use stopwords::Stopwords;
pub use tokenize::{Token, TokenKind, Tokens, tokenize};
pub use vader::{Masking, Sentiment, Vader, VaderScratch};
