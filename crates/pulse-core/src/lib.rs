//! Pulse core: the [`Post`] record every stage exchanges, time helpers, and the readers that turn
//! public datasets (CrisisLex, airline sentiment, Sentiment140, Bluesky Jetstream, canonical JSONL)
//! into posts.
//!
//! Everything downstream of a reader knows only `Post`; nothing else about where a post came from.

pub mod catalog;
pub mod dead_letters;
pub mod deleted;
pub mod disorder;
pub mod error;
pub mod format;
pub mod malformed;
pub mod post;
pub mod priority;
pub mod readers;
pub mod replay;
pub mod sink;
pub mod span;
pub mod time;

pub use error::{Error, Result};
pub use post::{Post, PostKind};
pub use readers::{Format, Malformed, PostReader, Record};
pub use span::Span;
