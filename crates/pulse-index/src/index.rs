//! [`SearchIndex`]: opening, the writer thread's lifecycle, search and stats.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::store::Compressor;
use tantivy::{DocAddress, Index, IndexReader, IndexSettings, Order, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::config::IndexConfig;
use crate::error::{IndexError, Result};
use crate::schema::{CREATED_AT, Fields, Hit, SentimentClass, build_schema, class_term, to_tantivy_time};
use crate::tokenizer::{SOCIAL_TOKENIZER, social_analyzer};
use crate::writer::{IndexSender, Msg, Shared, Worker, open_writer};

/// Largest page a search returns.
pub const MAX_LIMIT: usize = 100;
/// Deepest result a search pages to (`offset + limit`).
pub const MAX_DEPTH: usize = 10_000;

/// How search results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Best BM25 match first (the default).
    #[default]
    Relevance,
    /// Newest first.
    Recent,
}

/// A search: query string, filters, order and page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// Query in tantivy's syntax over the post text: words (all must match), `"exact phrases"`,
    /// `#hashtags`, `@mentions`, `-excluded`, `a OR b`. Empty matches every post.
    pub q: String,
    /// Only posts written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only posts written before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only posts in this language (the pipeline's code, e.g. `en`).
    pub lang: Option<String>,
    /// Only posts on this side of sentiment.
    pub sentiment: Option<SentimentClass>,
    /// Result order.
    pub sort: SortOrder,
    /// Number of results to skip.
    pub offset: usize,
    /// Results per page, 1..=100. Default 20.
    pub limit: usize,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self {
            q: String::new(),
            since: None,
            until: None,
            lang: None,
            sentiment: None,
            sort: SortOrder::default(),
            offset: 0,
            limit: 20,
        }
    }
}

impl SearchRequest {
    /// A request for `q` with default filters, order and page.
    pub fn new(q: impl Into<String>) -> Self {
        Self { q: q.into(), ..Self::default() }
    }

    /// Checks the page and time range; errors are user errors.
    pub fn validate(&self) -> Result<()> {
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(IndexError::InvalidRequest(format!("limit must be 1..={MAX_LIMIT}, not {}", self.limit)));
        }
        if self.offset.saturating_add(self.limit) > MAX_DEPTH {
            return Err(IndexError::InvalidRequest(format!(
                "offset + limit must be at most {MAX_DEPTH}, not {}",
                self.offset.saturating_add(self.limit)
            )));
        }
        check_range(self.since, self.until)
    }
}

pub(crate) fn check_range(since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Result<()> {
    match (since, until) {
        (Some(s), Some(u)) if s >= u => Err(IndexError::InvalidRequest(format!("since {s} is not before until {u}"))),
        _ => Ok(()),
    }
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPage {
    /// Number of posts matching the query and filters (not just this page).
    pub total: usize,
    /// The posts of this page, in the requested order.
    pub hits: Vec<Hit>,
}

/// Index health, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    /// Searchable posts (as of the last commit).
    pub num_docs: u64,
    /// Searchable segments.
    pub num_segments: usize,
    /// Bytes of the index directory; `None` for an in-memory index.
    pub disk_bytes: Option<u64>,
    /// Wall-clock time of the last successful commit.
    pub last_commit: Option<DateTime<Utc>>,
    /// How long the last successful commit took (including the reader reload), in milliseconds.
    pub last_commit_ms: Option<f64>,
    /// Posts waiting in the writer's queue.
    pub queue_depth: usize,
    /// Capacity of the writer's queue.
    pub queue_capacity: usize,
    /// Posts handed to tantivy since start.
    pub indexed_total: u64,
    /// Posts dropped on arrival because they were already older than the retention window.
    pub expired_dropped: u64,
    /// Successful commits since start.
    pub commits: u64,
    /// Failed commits and rejected posts since start.
    pub errors: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Why posts cannot be indexed right now (the writer failed and is being reopened with
    /// backoff), or `None` while the index works.
    pub writer_down: Option<String>,
    /// Posts that could not be indexed: received while the writer was down, or added to a
    /// writer that failed before committing them.
    pub lost: u64,
    /// Deletions by authors applied since start ([`SearchIndex::delete_post`]).
    pub deleted: u64,
    /// Newest event time seen (capped at wall clock + `max_future_secs`).
    pub watermark: Option<DateTime<Utc>>,
    /// Posts older than this are deleted (retention); `None` without retention.
    pub retention_cutoff: Option<DateTime<Utc>>,
}

/// The search index of recent posts: one writer thread fed through a bounded queue, searchers on
/// any thread. `SearchIndex` is `Send + Sync`; share it in an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    pub(crate) fields: Fields,
    parser: QueryParser,
    sender: IndexSender,
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<Result<()>>>>,
    dir: Option<PathBuf>,
    config: IndexConfig,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("dir", &self.dir).field("config", &self.config).finish()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and the index if needed. An existing
    /// index is reopened with its posts; one with a different schema is an error.
    pub fn open(dir: impl AsRef<Path>, config: IndexConfig) -> Result<Self> {
        config.validate()?;
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io { path: dir.into(), source })?;
        let directory = MmapDirectory::open(dir)
            .map_err(|e| IndexError::Io { path: dir.into(), source: std::io::Error::other(e.to_string()) })?;
        let (schema, fields) = build_schema();
        let index = Index::builder().schema(schema).settings(settings()).open_or_create(directory)?;
        Self::start(index, fields, config, Some(dir.to_path_buf()))
    }

    /// A fresh index in memory (tests, demos); gone when dropped.
    pub fn in_ram(config: IndexConfig) -> Result<Self> {
        config.validate()?;
        let (schema, fields) = build_schema();
        let index = Index::builder().schema(schema).settings(settings()).create_in_ram()?;
        Self::start(index, fields, config, None)
    }

    fn start(index: Index, fields: Fields, config: IndexConfig, dir: Option<PathBuf>) -> Result<Self> {
        index.tokenizers().register(SOCIAL_TOKENIZER, social_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(config.doc_cache_blocks)
            .try_into()?;
        let mut parser = QueryParser::for_index(&index, vec![fields.text]);
        parser.set_conjunction_by_default();
        let (tx, rx) = flume::bounded(config.queue_capacity);
        let shared = Arc::new(Shared::default());
        // The tantivy writer is created on the writer thread, after it lowered its priority, so
        // tantivy's indexing and merge threads inherit the background priority too: indexing
        // yields the CPU to searches (see `pulse_core::priority`).
        let (started_tx, started) = flume::bounded(1);
        let (writer_index, writer_reader, writer_config, writer_shared) =
            (index.clone(), reader.clone(), config.clone(), shared.clone());
        let handle = std::thread::Builder::new()
            .name("pulse-index-writer".into())
            .spawn(move || {
                if let Err(e) = pulse_core::priority::lower_current_thread() {
                    tracing::warn!("index writer keeps the normal scheduling priority: {e}");
                }
                let writer = match open_writer(&writer_index, &writer_config) {
                    Ok(writer) => writer,
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let _ = started_tx.send(Ok(()));
                Worker::new(writer_index, writer, writer_reader, fields, writer_config, writer_shared, rx).run()
            })
            .map_err(|e| IndexError::Config(format!("cannot start the writer thread: {e}")))?;
        if let Err(e) = started.recv().unwrap_or(Err(IndexError::Closed)) {
            let _ = handle.join();
            return Err(e);
        }
        Ok(Self {
            index,
            reader,
            fields,
            parser,
            sender: IndexSender { tx },
            shared,
            worker: Mutex::new(Some(handle)),
            dir,
            config,
        })
    }

    /// A cloneable handle to send posts to the writer.
    pub fn sender(&self) -> IndexSender {
        self.sender.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// The underlying tantivy index (read-only uses: schema, space usage, custom queries).
    pub fn tantivy_index(&self) -> &Index {
        &self.index
    }

    /// Commits everything sent so far (by any handle, before this call) and makes it searchable.
    /// Blocks until done; meant for tests and batch loads, the commit policy does it otherwise.
    pub fn flush(&self) -> Result<()> {
        self.sender.flush()
    }

    /// Deletes the post `id` because its author deleted it; searchable no more after the next
    /// commit (within the commit interval).
    pub fn delete_post(&self, id: &str) -> Result<()> {
        self.sender.delete(id)
    }

    /// Deletes every post numbered ([`crate::IndexPost::seq`]) after `seq` and commits: what a process
    /// indexed after its last checkpoint, before it stopped, and will index again when it
    /// resumes from that checkpoint. Blocks until done.
    pub fn forget_after(&self, seq: u64) -> Result<()> {
        let (ack, done) = flume::bounded(1);
        self.sender.tx.send(Msg::ForgetAfter(seq, ack)).map_err(|_| IndexError::Closed)?;
        done.recv().map_err(|_| IndexError::Closed)?
    }

    /// Stops the writer: the posts already queued are indexed, committed, merges finish. Later
    /// sends fail with [`IndexError::Closed`]; search keeps working on what was committed.
    pub fn shutdown(&self) -> Result<()> {
        let Some(handle) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Ok(());
        };
        let (ack, done) = flume::bounded(1);
        let answered = self.sender.tx.send(Msg::Shutdown(ack)).is_ok();
        let result = if answered { done.recv().unwrap_or(Err(IndexError::Closed)) } else { Ok(()) };
        let joined = handle.join().map_err(|_| IndexError::Closed)?;
        result.and(joined)
    }

    /// Runs a search; a bad query string or parameter is a user error
    /// ([`IndexError::is_user_error`]).
    pub fn search(&self, request: &SearchRequest) -> Result<SearchPage> {
        request.validate()?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let q = request.q.trim();
        if !q.is_empty() {
            if let Ok(ast) = tantivy::query_grammar::parse_query(q)
                && let Some(field) = range_outside_time(&ast)
            {
                let reason = format!(
                    "a range on `{field}` would scan its whole dictionary; ranges are allowed on created_at only"
                );
                return Err(IndexError::Query { query: q.to_string(), reason });
            }
            let parsed = self
                .parser
                .parse_query(q)
                .map_err(|e| IndexError::Query { query: q.to_string(), reason: e.to_string() })?;
            // A query can parse and still be impossible on this schema (`text:*` asks whether a
            // field has a value, which only fast fields can answer): that is the caller's error.
            parsed
                .weight(EnableScoring::disabled_from_schema(&self.index.schema()))
                .map_err(|e| IndexError::Query { query: q.to_string(), reason: e.to_string() })?;
            clauses.push((Occur::Must, parsed));
        }
        self.time_filter(request.since, request.until, &mut clauses);
        if let Some(lang) = &request.lang {
            clauses
                .push(filter(TermQuery::new(Term::from_field_text(self.fields.lang, lang), IndexRecordOption::Basic)));
        }
        if let Some(class) = request.sentiment {
            clauses.push(filter(TermQuery::new(class_term(&self.fields, Some(class)), IndexRecordOption::Basic)));
        }
        let query: Box<dyn Query> =
            if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(request.limit).and_offset(request.offset);
        let (docs, total): (Vec<(Option<f32>, DocAddress)>, usize) = match request.sort {
            SortOrder::Relevance => {
                let (docs, total) = searcher.search(&query, &(top.order_by_score(), Count))?;
                (docs.into_iter().map(|(score, addr)| (Some(score), addr)).collect(), total)
            }
            SortOrder::Recent => {
                let total = query.count(&searcher)?;
                let docs = self.newest(&searcher, query, request, total)?;
                (docs.into_iter().map(|addr| (None, addr)).collect(), total)
            }
        };
        let hits = docs.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score)).collect::<Result<_>>()?;
        Ok(SearchPage { total, hits })
    }

    /// The page of `request` among the newest matches of `query` (`total` of them).
    ///
    /// Ordering every match by time reads the `created_at` of each (p99 49 ms for broad queries on
    /// 1M posts, see `benches/RESULTS.md`). The newest posts are found instead in a time slice
    /// ending at the newest post, sized to hold about four pages if matches were spread evenly,
    /// and widened 8× until it holds the page: every post outside the slice is older than every
    /// post in it, so the slice's newest are the index's newest.
    fn newest(
        &self,
        searcher: &Searcher,
        query: Box<dyn Query>,
        request: &SearchRequest,
        total: usize,
    ) -> Result<Vec<DocAddress>> {
        let wanted = request.offset + request.limit;
        let top = || {
            TopDocs::with_limit(request.limit)
                .and_offset(request.offset)
                .order_by_fast_field::<tantivy::DateTime>(CREATED_AT, Order::Desc)
        };
        let unsliced = |query: &dyn Query| -> Result<Vec<DocAddress>> {
            Ok(searcher.search(query, &top())?.into_iter().map(|(_, addr)| addr).collect())
        };
        let Some((oldest, newest)) = self.time_span(searcher)? else { return Ok(Vec::new()) };
        let oldest = request.since.map_or(oldest, |s| oldest.max(s.timestamp_millis()));
        let newest = request.until.map_or(newest, |u| newest.min(u.timestamp_millis()));
        if total <= wanted || newest <= oldest {
            return unsliced(query.as_ref());
        }
        let span = newest - oldest;
        let mut slice = (span as f64 * 4.0 * wanted as f64 / total as f64) as i64;
        slice = slice.max(1_000);
        while slice < span {
            let from = tantivy::DateTime::from_timestamp_millis(newest - slice);
            let since = Term::from_field_date(self.fields.created_at, from);
            let sliced = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                filter(RangeQuery::new(Bound::Included(since), Bound::Unbounded)),
            ]);
            let (docs, found) = searcher.search(&sliced, &(top(), Count))?;
            if found >= wanted {
                return Ok(docs.into_iter().map(|(_, addr)| addr).collect());
            }
            slice = slice.saturating_mul(8);
        }
        unsliced(query.as_ref())
    }

    /// The oldest and newest `created_at` (Unix ms) of the posts in `searcher`, if any.
    fn time_span(&self, searcher: &Searcher) -> Result<Option<(i64, i64)>> {
        let mut span: Option<(i64, i64)> = None;
        for segment in searcher.segment_readers() {
            if segment.num_docs() == 0 {
                continue;
            }
            let column = segment.fast_fields().date(CREATED_AT)?;
            let (lo, hi) = (column.min_value().into_timestamp_millis(), column.max_value().into_timestamp_millis());
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        Ok(span)
    }

    pub(crate) fn hit(&self, searcher: &Searcher, addr: DocAddress, score: Option<f32>) -> Result<Hit> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(self.fields.hit(&doc, score))
    }

    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Adds a `created_at` range filter (since inclusive, until exclusive) when either is set.
    pub(crate) fn time_filter(
        &self,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        clauses: &mut Vec<(Occur, Box<dyn Query>)>,
    ) {
        if since.is_none() && until.is_none() {
            return;
        }
        let term = |at: DateTime<Utc>| Term::from_field_date(self.fields.created_at, to_tantivy_time(at));
        let lower = since.map_or(Bound::Unbounded, |s| Bound::Included(term(s)));
        let upper = until.map_or(Bound::Unbounded, |u| Bound::Excluded(term(u)));
        clauses.push(filter(RangeQuery::new(lower, upper)));
    }

    /// Why the index cannot take posts right now, or `None` while it works (cheap: for probes).
    pub fn writer_down(&self) -> Option<String> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).writer_down.clone()
    }

    /// Counts, state and sizes, for `/metrics`.
    pub fn stats(&self) -> IndexStats {
        let searcher = self.reader.searcher();
        let state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let time = |ms: Option<i64>| ms.and_then(DateTime::<Utc>::from_timestamp_millis);
        IndexStats {
            num_docs: searcher.num_docs(),
            num_segments: searcher.segment_readers().len(),
            disk_bytes: self.dir.as_deref().map(dir_size),
            last_commit: state.last_commit,
            last_commit_ms: state.last_commit_duration.map(|d| d.as_secs_f64() * 1e3),
            queue_depth: self.sender.queue_depth(),
            queue_capacity: self.config.queue_capacity,
            indexed_total: load(&self.shared.indexed),
            expired_dropped: load(&self.shared.expired),
            commits: load(&self.shared.commits),
            errors: load(&self.shared.errors),
            last_error: state.last_error,
            writer_down: state.writer_down,
            lost: load(&self.shared.lost),
            deleted: load(&self.shared.deleted),
            watermark: time(state.watermark_ms),
            retention_cutoff: time(state.cutoff_ms),
        }
    }
}

/// The field of the first range in `ast` that is not on `created_at` (`text:[a TO z]` enumerates
/// every term between the bounds: 130 ms on a million posts, enough to starve other requests).
fn range_outside_time(ast: &tantivy::query_grammar::UserInputAst) -> Option<String> {
    use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().find_map(|(_, clause)| range_outside_time(clause)),
        UserInputAst::Boost(inner, _) => range_outside_time(inner),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Range { field, .. } if field.as_deref() != Some("created_at") => {
                Some(field.clone().unwrap_or_else(|| "text".into()))
            }
            _ => None,
        },
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "search index shutdown on drop failed");
        }
    }
}

/// A clause that restricts without scoring.
pub(crate) fn filter(query: impl Query) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(query), 0.0)))
}

fn settings() -> IndexSettings {
    IndexSettings { docstore_compression: Compressor::Lz4, ..IndexSettings::default() }
}

/// Total size of the regular files under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_validated_as_user_errors() {
        let ok = SearchRequest::new("boston");
        ok.validate().unwrap();
        for bad in [
            SearchRequest { limit: 0, ..ok.clone() },
            SearchRequest { limit: 101, ..ok.clone() },
            SearchRequest { offset: 9_990, limit: 20, ..ok.clone() },
        ] {
            let err = bad.validate().unwrap_err();
            assert!(err.is_user_error(), "{err}");
        }
        let t = DateTime::<Utc>::from_timestamp(1_366_000_000, 0).unwrap();
        let reversed = SearchRequest { since: Some(t), until: Some(t), ..ok };
        assert!(reversed.validate().unwrap_err().to_string().contains("not before"));
    }

    #[test]
    fn requests_deserialize_with_defaults() {
        let r: SearchRequest =
            serde_json::from_str(r##"{"q":"#boston","sort":"recent","sentiment":"negative"}"##).unwrap();
        assert_eq!(
            (r.limit, r.offset, r.sort, r.sentiment),
            (20, 0, SortOrder::Recent, Some(SentimentClass::Negative))
        );
        assert!(serde_json::from_str::<SearchRequest>(r#"{"q":"a","page":2}"#).is_err());
    }
}
