//! Pulse sketches: bounded-memory summaries of an unbounded stream with known error, all
//! mergeable and serializable, and event-time windows of them. This crate knows nothing about
//! posts; the trend engine (`pulse-trends`) puts its own bucket struct into a [`Window`].
//!
//! # Why these sketches
//!
//! | question | sketch | error | merge |
//! |---|---|---|---|
//! | how often did topic *x* occur? | [`CountMin`], conservative update | over by ≤ ε·N with prob. 1 − δ, never under | add cells (exact for the standard rule; still an upper bound with the same ε·N bound for conservative) |
//! | which topics are the heaviest, by name? | [`TopK`], Misra–Gries with batched purges | deterministic: `counter ≤ true ≤ counter + offset`, `offset ≤ 2N/(capacity+1)` | replay counters, add offsets; same bound with N = N_A + N_B |
//! | how many distinct authors posted about *x*? | [`Hll`], HyperLogLog++ (`hyperloglogplus`) | relative std. error 1.04/√m (0.81 % at p = 14); near-exact while sparse | register max / sparse union: exactly the sketch of the union |
//!
//! * **Count-min** answers point queries for any key, including ones never asked about before,
//!   in fixed memory (ε = 0.001, δ = 0.01: 5 × 4096 cells). Conservative update (raise a key's
//!   cells only to `min + c`) keeps the guarantee and, on the CrisisLexT6 words, roughly halves
//!   the mean overestimate of the standard update (see `tests/accuracy.rs`).
//! * **Top-k** must report heavy hitters *by name*, so it stores the item (a `String`, or any
//!   `T`) with each counter. Misra–Gries with the DataSketches-style batched purge gives
//!   deterministic bounds and amortised O(1) updates; HeavyKeeper (probabilistic, no bound on the
//!   reported counts) and `streaming_algorithms::Top` (count-min backed, random per-process hash
//!   state, so not mergeable across machines) were measured and rejected — see
//!   `benches/RESULTS.md` at the workspace root.
//! * **HLL** comes from `hyperloglogplus` for its sparse mode: one HLL per tracked topic means
//!   thousands of mostly tiny sets, which sparse mode keeps at a few bytes per element on the wire
//!   instead of 12 KiB each.
//!
//! # Keys are hashed once, the same everywhere
//!
//! All sketches take a pre-hashed `u64` key: [`hash_key`] (XXH3-64 with a fixed seed) gives the
//! same value on every process and machine, which is what lets sketches built on different
//! workers merge. A key is hashed once per post and the hash is reused by every sketch.
//!
//! # Windows
//!
//! A [`Window<T>`] is a ring of event-time buckets keyed by bucket start: events go to the bucket
//! of their event time, [`Window::advance`] moves the watermark and retires buckets that leave
//! the ring, and [`Window::range`] merges any range of buckets into one `T` for a query. `T` is
//! anything [`Mergeable`] + `Clone` — a single sketch or the engine's own bucket struct; numbers,
//! tuples and maps of mergeable values are `Mergeable` already.
//!
//! # Encoding
//!
//! Every sketch, window and bucket encodes to a compact versioned blob ([`Persist`], module
//! [`codec`]): a 9-byte header (magic, format version, kind, checksum) and a postcard payload. A
//! corrupt, truncated, foreign or wrong-version blob is a [`SketchError`], never a panic.
//!
//! ```
//! use pulse_sketch::{CountMin, Hll, Mergeable, Persist, TopK, Window, hash_key};
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Bucket { counts: CountMin, top: TopK<String> }
//! impl Mergeable for Bucket {
//!     fn merge(&mut self, o: &Self) -> pulse_sketch::Result<()> {
//!         self.counts.merge(&o.counts)?;
//!         self.top.merge(&o.top)
//!     }
//! }
//!
//! let empty = Bucket { counts: CountMin::new(0.001, 0.01)?, top: TopK::new(256)? };
//! let mut window = Window::new(60, 60, empty)?; // 60 one-minute buckets
//! for (t, word) in [(5, "flood"), (70, "flood"), (75, "rain")] {
//!     let h = hash_key(word);
//!     if let Some(b) = window.bucket_mut(t) {
//!         b.counts.update(h, 1);
//!         b.top.update(h, word, 1);
//!     }
//! }
//! window.advance(80);
//! let hour = window.range(0, 3600)?;
//! assert_eq!(hour.counts.estimate(hash_key("flood")), 2);
//! assert_eq!(hour.top.top(1)[0].item, "flood");
//!
//! let mut authors = Hll::new(Hll::DEFAULT_PRECISION)?;
//! authors.insert(hash_key("@alice"));
//! let blob = authors.to_bytes()?;
//! assert_eq!(Hll::from_bytes(&blob)?.count().round(), 1.0);
//! # Ok::<(), pulse_sketch::SketchError>(())
//! ```

pub mod codec;
pub mod countmin;
pub mod error;
pub mod hash;
pub mod hll;
pub mod merge;
pub mod topk;
pub mod window;

pub use codec::Persist;
pub use countmin::{CountMin, UpdateRule};
pub use error::{Result, SketchError};
pub use hash::{HASH_SEED, PassThrough, hash_bytes, hash_key, hash_u64};
pub use hll::Hll;
pub use merge::Mergeable;
pub use topk::{Bounds, HeavyHitter, TopK};
pub use window::Window;
