//! Distinct watched authors of a set of topics over a run of buckets, with the part over closed
//! buckets kept from one report to the next.
//!
//! A report counts every candidate topic's distinct authors over the window, every story's over
//! the union of its topics, and a story's series bucket by bucket: unions of author sketches, and
//! a dense HyperLogLog++ merge costs ≈ 100 µs (`benches/RESULTS.md`, sketches). With a million
//! posts in the window that was most of a report's time. A closed bucket changes only when a late
//! post or rollup reaches it, so the union over the closed buckets of a window is the same at
//! every refresh until then: it is kept, keyed by the topics and the buckets it covers, and only
//! the open buckets are merged into it anew. The kept unions are dropped whenever a closed bucket
//! changes, leaves the ring, or another bucket closes ([`State::closed_revision`] and
//! [`State::closed_through`]).

use std::sync::{Arc, PoisonError};

use crate::authors::Authors;
use crate::state::{ClosedUnion, State};

/// Distinct watched authors of topics `hashes` over the buckets starting in `[from, to)`: the
/// union of their details' authors (`Some(0)` when none is watched there; `None` when sketches of
/// different precisions meet). Posts counted while a topic was not watched are not included.
pub(crate) fn watched_authors(state: &State, hashes: &[u64], from: i64, to: i64) -> Option<u64> {
    // Bucket starts and `closed_through` are aligned: the buckets starting before it have closed.
    let split = state.closed_through.map_or(from, |c| c.clamp(from, to));
    let open: Vec<&Authors> = state
        .buckets_in(split, to)
        .flat_map(|(_, b)| hashes.iter().filter_map(|h| b.detail.get(h)))
        .map(|d| &d.authors)
        .collect();
    if split == from {
        return Authors::union_count(open);
    }
    let closed = closed_union(state, hashes, from, split, !open.is_empty());
    if open.is_empty() || closed.count.is_none() {
        return closed.count;
    }
    let mut union = Authors::union(closed.union.iter().chain(open))?;
    Some(union.count())
}

/// The union over the closed buckets `[from, to)`, kept or made (and kept, with the union itself
/// when `keep_union`).
fn closed_union(state: &State, hashes: &[u64], from: i64, to: i64, keep_union: bool) -> Arc<ClosedUnion> {
    let mut sorted: Vec<u64> = hashes.to_vec();
    sorted.sort_unstable();
    let key = (sorted.into_boxed_slice(), from, to);
    let stamp = (state.closed_revision, state.closed_through);
    let kept = state.unions.lock().unwrap_or_else(PoisonError::into_inner).get(stamp, &key);
    if let Some(kept) = kept.filter(|k| k.union.is_some() || !keep_union || k.count.is_none()) {
        return kept;
    }
    let union = Authors::union(
        state.buckets_in(from, to).flat_map(|(_, b)| key.0.iter().filter_map(|h| b.detail.get(h))).map(|d| &d.authors),
    );
    let closed = Arc::new(match union {
        Some(mut union) => ClosedUnion { count: Some(union.count()), union: keep_union.then_some(union) },
        None => ClosedUnion { count: None, union: None },
    });
    state.unions.lock().unwrap_or_else(PoisonError::into_inner).put(stamp, key, closed.clone());
    closed
}
