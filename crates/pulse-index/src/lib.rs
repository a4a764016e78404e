//! Pulse search index: recent posts in [tantivy], full-text search, and the representative posts
//! of a topic per side of sentiment ("what people think").
//!
//! ```
//! use pulse_core::Post;
//! use pulse_index::{IndexConfig, IndexPost, SearchIndex, SearchRequest, SortOrder};
//!
//! let index = SearchIndex::in_ram(IndexConfig::small())?;
//! let post = Post::new("1", "2013-04-15T18:50:00Z".parse().unwrap(), "alice",
//!                      "Explosions at the #BostonMarathon finish line", "test");
//! index.sender().send(IndexPost::new(post, "en", Some(-0.4)).with_topics(["#bostonmarathon", "boston marathon"]))?;
//! index.flush()?; // tests only: the commit policy makes posts searchable within ~1 s anyway
//! let page = index.search(&SearchRequest { q: "#bostonmarathon".into(), sort: SortOrder::Recent, ..SearchRequest::default() })?;
//! assert_eq!(page.total, 1);
//! let what = index.representative("boston marathon", None, None, 3)?;
//! assert_eq!(what.negative[0].author, "alice");
//! # Ok::<(), pulse_index::IndexError>(())
//! ```
//!
//! # Design choices
//!
//! * **One writer thread, bounded queue.** [`SearchIndex`] starts one thread that owns tantivy's
//!   `IndexWriter` (which itself runs [`IndexConfig::indexing_threads`] indexing threads with
//!   [`IndexConfig::writer_memory_bytes`] between them). Producers hold an [`IndexSender`] over
//!   a bounded `flume` channel ([`IndexConfig::queue_capacity`]): `send` blocks, `send_async`
//!   awaits (runtime-agnostic), `try_send` hands the post back when full. A slow index slows its
//!   producers down instead of growing a queue.
//! * **Commit policy.** The writer commits when [`IndexConfig::commit_max_docs`] posts are
//!   uncommitted or [`IndexConfig::commit_interval_ms`] after the first uncommitted post
//!   arrived (default 1 s), whichever is first, and reloads the reader right after each commit
//!   (manual reload policy, no file watcher), so a post is searchable about 1 s + commit time
//!   after it was sent. [`SearchIndex::flush`] commits on demand (tests, batch loads);
//!   [`SearchIndex::shutdown`] (also on drop) drains the queue, commits and waits for merges.
//! * **Retention in event time.** The watermark is the newest `created_at` seen (capped at wall
//!   clock + [`IndexConfig::max_future_secs`], so one post from a broken clock cannot expire the
//!   index). Posts older than watermark − [`IndexConfig::retention_secs`] are not indexed, and
//!   before each commit, if the cutoff moved, one `delete_query` with a `RangeQuery` on the
//!   `created_at` **fast field** deletes the expired ones. We chose the range delete over a
//!   `delete_term` per hour bucket: it needs no extra indexed field, it is exact to the
//!   millisecond instead of to the hour, and it is cheap — tantivy evaluates it per segment
//!   with a columnar scan that is skipped when the column's min/max lie outside the range
//!   (measured: see `benches/RESULTS.md`). Deleted posts leave disk when segments merge:
//!   a segment emptied by retention is dropped at commit, and the `LogMergePolicy` is set to
//!   merge any segment with more than [`IndexConfig::merge_deleted_ratio`] (30 %) of deleted
//!   posts, so disk and memory stay bounded under an endless stream (a test proves it).
//! * **Schema** (see [`schema`]): `text` uses the [`tokenizer`] `social`, which keeps
//!   `#hashtags` and `@mentions` whole and folds case, with positions for phrase queries;
//!   `created_at` and `sentiment` (compound) are fast fields; `lang`, `sentiment_class`,
//!   `topics` (the pipeline's topic keys), `author`, `source`, `id` are raw terms.
//! * **Search** ([`SearchIndex::search`]): the query string goes through tantivy's
//!   `QueryParser` over `text`, all words required by default; a syntax error is
//!   [`IndexError::Query`], a user error (HTTP 400), never a panic. Filters (time range, language,
//!   sentiment class) are constant-score clauses, so they do not change BM25. Sort by relevance
//!   or recency (the `created_at` fast field); `limit` ≤ 100 and `offset + limit` ≤ 10,000.
//! * **Representative posts** ([`SearchIndex::representative`], rule in [`representative`]):
//!   per side, candidates by BM25 on the topic key, ranked by relevance plus closeness to the
//!   side's median compound, then diversified: one post per author, reposts collapsed into
//!   their original, duplicate and near-duplicate texts dropped.
//! * **Dependencies**: `pulse-core`, and `pulse-text` for the reaction groups' cue lexicons; the pipeline fills an [`IndexPost`] from `pulse-text`'s analysis.
//!   tantivy with `mmap` (on-disk index) and `lz4-compression` (doc store) only.

pub mod config;
pub mod error;
mod index;
mod post;
pub mod reactions;
pub mod representative;
pub mod schema;
pub mod tokenizer;
mod writer;

pub use config::IndexConfig;
pub use error::{IndexError, Result};
pub use index::{IndexStats, MAX_DEPTH, MAX_LIMIT, SearchIndex, SearchPage, SearchRequest, SortOrder};
pub use post::IndexPost;
pub use reactions::{ReactionGroup, Reactions};
pub use representative::{Representative, SideCounts};
pub use schema::{Hit, SentimentClass};
pub use writer::{IndexSender, TrySendError};
