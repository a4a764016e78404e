//! Stories: trending topics that describe one event, grouped under a headline topic.

use rustc_hash::FxHashMap;

/// A trending topic as story grouping sees it.
pub(crate) struct Member<'a> {
    /// Topic key hash.
    pub(crate) hash: u64,
    /// Posts in the window (watched posts).
    pub(crate) posts: u64,
    /// Posts shared with other watched topics in the window, by key hash.
    pub(crate) cooccurring: &'a FxHashMap<u64, u64>,
}

/// Groups `topics` (best first) into stories: each topic joins the story whose *headline* (its
/// first topic) it shares the largest share of posts with (`posts with both / posts of the
/// rarer ≥ min_share`), else starts its own. Joining only through the headline keeps a shared
/// word (`explosion`) from chaining two events into one story. Returns each story's member
/// indices, headline first; stories in the order of their headlines.
pub(crate) fn group(topics: &[Member<'_>], min_share: f64) -> Vec<Vec<usize>> {
    let mut stories: Vec<Vec<usize>> = Vec::new();
    for (i, t) in topics.iter().enumerate() {
        let mut best: Option<(f64, usize)> = None;
        for (s, members) in stories.iter().enumerate() {
            let h = &topics[members[0]];
            let both =
                h.cooccurring.get(&t.hash).copied().unwrap_or(0).max(t.cooccurring.get(&h.hash).copied().unwrap_or(0));
            let share = both as f64 / h.posts.min(t.posts).max(1) as f64;
            if share >= min_share && best.is_none_or(|(b, _)| share > b) {
                best = Some((share, s));
            }
        }
        match best {
            Some((_, s)) => stories[s].push(i),
            None => stories.push(vec![i]),
        }
    }
    stories
}
