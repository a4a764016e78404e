//! Stories: the trending topics that describe one event, grouped.
//!
//! Every trending topic of the window is a member; two members are alike by the strongest of
//! four signals, all read from what the buckets already keep (counts summed over the window):
//!
//! - **co-occurrence**: texts carrying both, over the texts of the rarer (`leave` and `leave town
//!   immediately` share all of the phrase's texts); a text counts once however often it was
//!   copied, so one viral retweet does not tie two topics together by itself;
//! - **shared copies**: the copies of texts both have among their most-copied (two hashtags carried
//!   by the same retweeted post), over the posts of the rarer;
//! - **variants**: the same key without `#` and spaces (`#prayforboston`, `prayforboston`,
//!   `pray for boston`) is one topic;
//! - **context**: the cosine of the two members' co-occurrence profiles (which other topics they
//!   appear with), leaving out the two members and every key that contains one of them or is
//!   contained in one: `bombing`, `victims` and `tragedy` share no posts in a quiet hour, but most
//!   of each one's posts also say `boston`.
//!
//! Members are clustered by average linkage (UPGMA): the two clusters whose members are most alike
//! *on average* merge, while that average is at least [`crate::TrendConfig::story_similarity`].
//! Averaging is what keeps two events apart when a word (`explosion`) belongs to both: one member
//! alike with both sides cannot pull the rest of either side along, as single linkage would.
//! Measured with the crowd's labels of CrisisLexT6 and T26 (`benches/stories_per_event.py`,
//! `benches/RESULTS.md`), the context signal is what brings one event to about one story; the
//! default threshold, 0.25, holds on every crisis of both sets. After clustering, a small story
//! that is part of a larger one (all of its headline phrase's words are there, or most of its
//! texts carry that story's headline topic) joins it: see [`attach_sub_stories`].

use rustc_hash::{FxHashMap, FxHashSet};

use pulse_sketch::hash_key;

/// Entries of a member's co-occurrence profile used for the context signal (the buckets keep the
/// 64 heaviest per topic each).
const PROFILE: usize = 64;

/// A trending topic as story grouping sees it, best-ranked first.
pub(crate) struct Member<'a> {
    /// Topic key hash.
    pub(crate) hash: u64,
    /// Topic key.
    pub(crate) key: &'a str,
    /// Posts in the window while watched (copies included).
    pub(crate) posts: u64,
    /// Distinct texts among them.
    pub(crate) texts: u64,
    /// Texts shared with other watched topics in the window, by key hash.
    pub(crate) cooccurring: &'a FxHashMap<u64, u64>,
    /// The most-copied texts with at least two copies: `(content hash, copies)`.
    pub(crate) copied: &'a [(u64, u64)],
}

/// The key without `#` and spaces: variants of one topic meet.
fn variant(key: &str) -> String {
    key.chars().filter(|c| *c != '#' && *c != ' ').collect()
}

/// The hashes of every contiguous run of words of `key` (itself included; a hashtag also as its
/// bare word): the keys `key` contains.
fn sub_phrases(key: &str) -> Vec<u64> {
    let words: Vec<&str> = key.trim_start_matches('#').split(' ').collect();
    let mut out = vec![hash_key(key)];
    for len in 1..=words.len() {
        for start in 0..=words.len() - len {
            out.push(hash_key(&words[start..start + len].join(" ")));
        }
    }
    out
}

/// Whether `inner`'s words are a contiguous run of `outer`'s.
fn contains_phrase(outer: &str, inner: &str) -> bool {
    let outer: Vec<&str> = outer.trim_start_matches('#').split(' ').collect();
    let inner: Vec<&str> = inner.trim_start_matches('#').split(' ').collect();
    inner.len() <= outer.len() && outer.windows(inner.len()).any(|w| w == inner.as_slice())
}

/// A member's profile: its heaviest co-occurring keys with their counts, sorted by hash, and the
/// keys it is related to (itself, its sub-phrases and the profile keys that contain it).
struct Profile {
    entries: Vec<(u64, u64)>,
    related: Vec<u64>,
    /// Σ count² over the entries not related to the member.
    norm2: u64,
}

impl Profile {
    fn of(member: &Member<'_>, keys: &FxHashMap<u64, &str>, containing: &FxHashMap<&str, Vec<u64>>) -> Self {
        let mut entries: Vec<(u64, u64)> = member.cooccurring.iter().map(|(&h, &n)| (h, n)).collect();
        if entries.len() > PROFILE {
            entries.select_nth_unstable_by(PROFILE - 1, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            entries.truncate(PROFILE);
        }
        entries.sort_unstable_by_key(|e| e.0);
        let mut related = sub_phrases(member.key);
        let first = member.key.trim_start_matches('#').split(' ').next().unwrap_or("");
        for &h in containing.get(first).into_iter().flatten() {
            if keys.get(&h).is_some_and(|k| contains_phrase(k, member.key)) {
                related.push(h);
            }
        }
        related.sort_unstable();
        related.dedup();
        let norm2 = entries.iter().filter(|(h, _)| related.binary_search(h).is_err()).map(|(_, v)| v * v).sum();
        Self { entries, related, norm2 }
    }
}

/// What one key contributes to the context signal of the members it touches: a member's count of
/// texts shared with the key (0 if the key is only related to it) and whether it is related.
#[derive(Clone, Copy)]
struct Posting {
    member: usize,
    count: u64,
    related: bool,
}

/// The sums of one pair of members, from which [`PairSums::similarity`] follows.
///
/// Counts are integers (texts, copies), so every sum is exact and does not depend on the order it
/// was added up in, and equals the pair-by-pair `f64` sum while the sums stay below 2⁵³ (counts
/// below ≈ 10⁷; they are texts in one window, and a u64 sum of 64 products holds counts up to 2²⁹).
#[derive(Clone, Copy, Default)]
struct PairSums {
    /// The keys have the same variant.
    variant: bool,
    /// Texts carrying both (the larger of what each member counted).
    both: u64,
    /// Copies of the most-copied texts both have (the smaller count of each).
    shared: u64,
    /// Σ over the profile keys both have and neither is related to of the product of counts.
    dot: u64,
    /// Σ count² over the lower member's profile keys related to the higher member only (left
    /// out of the lower member's norm).
    removed_low: u64,
    /// The same for the higher member.
    removed_high: u64,
}

impl PairSums {
    /// How alike the two members are: the strongest of the four signals (see the module docs).
    fn similarity(&self, low: (&Member<'_>, &Profile), high: (&Member<'_>, &Profile)) -> f64 {
        if self.variant {
            return 1.0;
        }
        let ((a, pa), (b, pb)) = (low, high);
        let cooc = self.both as f64 / a.texts.min(b.texts).max(1) as f64;
        let copies = (self.shared as f64 / a.posts.min(b.posts).max(1) as f64).min(1.0);
        cooc.min(1.0).max(copies).max(self.context(pa, pb))
    }

    /// The cosine of the two profiles, leaving out every key either member is related to (each
    /// norm also leaves out what the *other* member is related to).
    fn context(&self, low: &Profile, high: &Profile) -> f64 {
        if self.dot == 0 {
            return 0.0;
        }
        // Neither norm is 0 here: a key counted in `dot` is in both norms and removed from neither.
        let na = (low.norm2 - self.removed_low) as f64;
        let nb = (high.norm2 - self.removed_high) as f64;
        (self.dot as f64 / (na.sqrt() * nb.sqrt())).min(1.0)
    }
}

/// The pairs compared: every member `t` with each of the first `min(t, grouped)` members.
struct Pairs {
    grouped: usize,
    /// Index of the first pair of each member.
    offset: Vec<usize>,
    sums: Vec<PairSums>,
}

impl Pairs {
    fn new(members: usize, grouped: usize) -> Self {
        let mut offset = Vec::with_capacity(members);
        let mut total = 0;
        for t in 0..members {
            offset.push(total);
            total += t.min(grouped);
        }
        Self { grouped, offset, sums: vec![PairSums::default(); total] }
    }

    /// The sums of members `a` and `b` (either order), if that pair is compared.
    fn get_mut(&mut self, a: usize, b: usize) -> Option<&mut PairSums> {
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        (low < self.grouped && low != high).then(|| &mut self.sums[self.offset[high] + low])
    }

    fn get(&self, low: usize, high: usize) -> &PairSums {
        &self.sums[self.offset[high] + low]
    }
}

/// Pairwise similarities of `members` (an n × n symmetric matrix, row-major).
///
/// Only the first `grouped` members get the full matrix (clustering is quadratic in them); each
/// further member, far down the ranking, is compared with those only and returned with the index
/// of the one it is most like, if any is at least `threshold` like it.
///
/// Most pairs share nothing, so nothing is computed pair by pair: each signal's sums are added up
/// from what the members have (the topics each co-occurs with, its copied texts, its profile keys
/// with the members that have or are related to each), touching only the pairs that share it.
pub(crate) fn similarities(
    members: &[Member<'_>],
    keys: &FxHashMap<u64, &str>,
    grouped: usize,
    threshold: f64,
) -> (Vec<f64>, Vec<Option<usize>>) {
    let mut containing: FxHashMap<&str, Vec<u64>> = FxHashMap::default();
    let mut seen = FxHashSet::default();
    for m in members {
        for &h in m.cooccurring.keys() {
            if seen.insert(h)
                && let Some(k) = keys.get(&h)
            {
                for word in k.trim_start_matches('#').split(' ') {
                    containing.entry(word).or_default().push(h);
                }
            }
        }
    }
    let profiles: Vec<Profile> = members.iter().map(|m| Profile::of(m, keys, &containing)).collect();
    let n = grouped.min(members.len());
    let mut pairs = Pairs::new(members.len(), n);
    add_variants(members, &mut pairs);
    add_cooccurrence(members, &mut pairs);
    add_shared_copies(members, &mut pairs);
    add_context(&profiles, &mut pairs);

    let pair = |low: usize, high: usize| {
        pairs.get(low, high).similarity((&members[low], &profiles[low]), (&members[high], &profiles[high]))
    };
    let mut sim = vec![0.0; n * n];
    for b in 0..n {
        for a in 0..b {
            let s = pair(a, b);
            sim[a * n + b] = s;
            sim[b * n + a] = s;
        }
    }
    let nearest = (n..members.len())
        .map(|t| {
            (0..n)
                .map(|g| (pair(g, t), g))
                .filter(|(s, _)| *s >= threshold)
                .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)))
                .map(|(_, g)| g)
        })
        .collect();
    (sim, nearest)
}

/// Marks the pairs whose keys are variants of one topic.
fn add_variants(members: &[Member<'_>], pairs: &mut Pairs) {
    let mut by_variant: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (i, m) in members.iter().enumerate() {
        by_variant.entry(variant(m.key)).or_default().push(i);
    }
    for same in by_variant.values() {
        for (x, &a) in same.iter().enumerate() {
            for &b in &same[x + 1..] {
                if let Some(p) = pairs.get_mut(a, b) {
                    p.variant = true;
                }
            }
        }
    }
}

/// Adds the texts each pair shares, as either member counted them.
fn add_cooccurrence(members: &[Member<'_>], pairs: &mut Pairs) {
    let index: FxHashMap<u64, usize> = members.iter().enumerate().map(|(i, m)| (m.hash, i)).collect();
    for (a, m) in members.iter().enumerate() {
        for (h, &n) in m.cooccurring {
            if let Some(p) = index.get(h).and_then(|&b| pairs.get_mut(a, b)) {
                p.both = p.both.max(n);
            }
        }
    }
}

/// Adds the copies of the most-copied texts each pair shares.
fn add_shared_copies(members: &[Member<'_>], pairs: &mut Pairs) {
    let mut by_content: FxHashMap<u64, Vec<(usize, u64)>> = FxHashMap::default();
    for (i, m) in members.iter().enumerate() {
        for &(content, copies) in m.copied {
            by_content.entry(content).or_default().push((i, copies));
        }
    }
    for having in by_content.values() {
        for (x, &(a, ca)) in having.iter().enumerate() {
            for &(b, cb) in &having[x + 1..] {
                if let Some(p) = pairs.get_mut(a, b) {
                    p.shared += ca.min(cb);
                }
            }
        }
    }
}

/// Adds the context sums: for each profile key, over the pairs of members that have it or are
/// related to it.
fn add_context(profiles: &[Profile], pairs: &mut Pairs) {
    let mut by_key: FxHashMap<u64, Vec<Posting>> = FxHashMap::default();
    for (member, p) in profiles.iter().enumerate() {
        for &(h, count) in &p.entries {
            let related = p.related.binary_search(&h).is_ok();
            by_key.entry(h).or_default().push(Posting { member, count, related });
        }
        for &h in &p.related {
            if p.entries.binary_search_by_key(&h, |e| e.0).is_err() {
                by_key.entry(h).or_default().push(Posting { member, count: 0, related: true });
            }
        }
    }
    for postings in by_key.values() {
        if postings.len() < 2 {
            continue;
        }
        for (x, a) in postings.iter().enumerate() {
            if a.member >= pairs.grouped {
                break;
            }
            // Postings are in member order, so `a` is the lower of each pair and below `grouped`.
            for b in &postings[x + 1..] {
                let p = &mut pairs.sums[pairs.offset[b.member] + a.member];
                match (a.related, b.related) {
                    (false, false) => p.dot += a.count * b.count,
                    (false, true) => p.removed_low += a.count * a.count,
                    (true, false) => p.removed_high += b.count * b.count,
                    (true, true) => {}
                }
            }
        }
    }
}

/// Average-linkage clusters of `n` members (similarities from [`similarities`]) whose average
/// similarity is at least `threshold`; each cluster's member indices ascending (best-ranked
/// first), clusters in the order of their best member.
///
/// Each step merges the most similar pair of clusters (the first in `(a, b)` order on ties). Each
/// cluster keeps its most similar later cluster, so a step reads one candidate per cluster and
/// rescans only the rows the merge changed, not the whole matrix.
pub(crate) fn cluster(n: usize, mut sim: Vec<f64>, threshold: f64) -> Vec<Vec<usize>> {
    let mut clusters: Vec<Option<Vec<usize>>> = (0..n).map(|i| Some(vec![i])).collect();
    // The most similar active cluster after `a` (the first on ties), and that similarity.
    let row_best = |a: usize, sim: &[f64], clusters: &[Option<Vec<usize>>]| {
        let mut best: Option<(f64, usize)> = None;
        for b in a + 1..n {
            let s = sim[a * n + b];
            if clusters[b].is_some() && best.is_none_or(|(x, _)| s > x) {
                best = Some((s, b));
            }
        }
        best
    };
    let mut best: Vec<Option<(f64, usize)>> = (0..n).map(|a| row_best(a, &sim, &clusters)).collect();
    loop {
        let mut pick: Option<(f64, usize, usize)> = None;
        for (a, &row) in best.iter().enumerate() {
            if let Some((s, b)) = row
                && s >= threshold
                && pick.is_none_or(|(x, _, _)| s > x)
            {
                pick = Some((s, a, b));
            }
        }
        let Some((_, a, b)) = pick else { break };
        if !merge_clusters(&mut sim, n, &mut clusters, a, b) {
            break;
        }
        best[b] = None;
        best[a] = row_best(a, &sim, &clusters);
        // Rows before `b` held `b` (now gone); rows before `a` also hold `a` (changed). A row whose
        // best was neither keeps it unless the new value at `a` ties or beats it, which an average
        // of two values no larger can only do through rounding.
        for k in 0..b {
            if k == a || clusters[k].is_none() {
                continue;
            }
            match best[k] {
                Some((_, j)) if j == a || j == b => best[k] = row_best(k, &sim, &clusters),
                Some((x, j)) if k < a => {
                    let s = sim[k * n + a];
                    if s > x || (s == x && a < j) {
                        best[k] = Some((s, a));
                    }
                }
                _ => {}
            }
        }
    }
    clusters.into_iter().flatten().collect()
}

/// Merges cluster `b` into cluster `a` (both active) and updates `a`'s similarities to the other
/// active clusters by the Lance–Williams rule for average linkage; false (nothing merged) if either
/// is not active.
fn merge_clusters(sim: &mut [f64], n: usize, clusters: &mut [Option<Vec<usize>>], a: usize, b: usize) -> bool {
    let (Some(mut left), Some(right)) = (clusters[a].take(), clusters[b].take()) else { return false };
    let (na, nb) = (left.len() as f64, right.len() as f64);
    for k in 0..n {
        if k != a && k != b && clusters[k].is_some() {
            let s = (na * sim[a * n + k] + nb * sim[b * n + k]) / (na + nb);
            sim[a * n + k] = s;
            sim[k * n + a] = s;
        }
    }
    left.extend(right);
    left.sort_unstable();
    clusters[a] = Some(left);
    true
}

/// Share of a story's headline topic's texts that must also carry another story's headline
/// topic for the first to be told as part of the second (see [`attach_sub_stories`]).
const CARRIED: f64 = 0.8;

/// Moves each story that is a part of one other, larger story into it.
///
/// Average linkage keeps a few members apart when they are like some of a large story's members
/// and unlike the rest: `texas explosion`, carried by one retweeted post, shares its texts with
/// `texas` and `explosion` but not with `waco` or `reported`; the phrases of "authorities advise
/// West, Texas, residences to leave town immediately following explosion" all come from posts
/// that say `explosion`. Two signals are stronger than that average, and a story (best member
/// `h`) joins the one other, larger and better-ranked story (best member `d`) for which either
/// holds:
///
/// - **its words**: `h` is a phrase every word of which is among the words of that story's
///   member keys;
/// - **its posts**: at least [`CARRIED`] of `h`'s texts also carry `d`.
///
/// When two stories qualify (`boston explosion` beside a Boston story and a West story that alone
/// says `explosion`), the story stays where clustering put it. `stories` hold indices into
/// `members` (best-ranked first in each story, stories in the order of their best member); that
/// order is kept.
pub(crate) fn attach_sub_stories(stories: &mut Vec<Vec<usize>>, members: &[Member<'_>]) {
    let words = |key: &str| -> Vec<String> { key.trim_start_matches('#').split(' ').map(str::to_string).collect() };
    let vocabulary: Vec<FxHashSet<String>> =
        stories.iter().map(|s| s.iter().flat_map(|&m| words(members[m].key)).collect()).collect();
    let mut into: Vec<Option<usize>> = vec![None; stories.len()];
    for (c, story) in stories.iter().enumerate() {
        let head = &members[story[0]];
        let phrase = words(head.key);
        let part_of = |d: usize| {
            let other = &members[stories[d][0]];
            let carried = head.cooccurring.get(&other.hash).copied().unwrap_or(0);
            (phrase.len() > 1 && phrase.iter().all(|w| vocabulary[d].contains(w)))
                || carried as f64 >= CARRIED * head.texts.max(1) as f64
        };
        let mut holders = (0..stories.len())
            .filter(|&d| d != c && stories[d].len() > story.len() && stories[d][0] < story[0])
            .filter(|&d| part_of(d));
        if let (Some(d), None) = (holders.next(), holders.next()) {
            into[c] = Some(d);
        }
    }
    for c in 0..stories.len() {
        // A story that receives one is never moved itself (it is larger than what it receives).
        if let Some(d) = into[c].filter(|&d| into[d].is_none()) {
            let moved = std::mem::take(&mut stories[c]);
            stories[d].extend(moved);
            stories[d].sort_unstable();
        }
    }
    stories.retain(|s| !s.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member<'a>(key: &'a str, texts: u64, cooc: &'a FxHashMap<u64, u64>) -> Member<'a> {
        Member { hash: hash_key(key), key, posts: texts, texts, cooccurring: cooc, copied: &[] }
    }

    fn cooc(pairs: &[(&str, u64)]) -> FxHashMap<u64, u64> {
        pairs.iter().map(|(k, n)| (hash_key(k), *n)).collect()
    }

    fn keys(all: &[&'static str]) -> FxHashMap<u64, &'static str> {
        all.iter().map(|k| (hash_key(k), *k)).collect()
    }

    #[test]
    fn phrase_words_variants_and_shared_context_group_and_a_shared_word_does_not_chain() {
        let all = [
            "boston",
            "marathon",
            "explosion",
            "texas",
            "west",
            "fertilizer",
            "#prayforboston",
            "pray for boston",
            "victims",
        ];
        let keys = keys(&all);
        // Boston's posts: boston, marathon, explosion (some), prayers; West's: west, texas,
        // fertilizer, explosion (many). `victims` never shares a post with `marathon` but appears
        // with what Boston's topics appear with.
        let c_boston = cooc(&[("marathon", 30), ("explosion", 10), ("#prayforboston", 8), ("victims", 5)]);
        let c_marathon = cooc(&[("boston", 30), ("explosion", 8), ("#prayforboston", 5)]);
        let c_explosion = cooc(&[("boston", 10), ("marathon", 8), ("west", 25), ("texas", 25), ("fertilizer", 20)]);
        let c_texas = cooc(&[("west", 30), ("explosion", 25), ("fertilizer", 20)]);
        let c_west = cooc(&[("texas", 30), ("explosion", 25), ("fertilizer", 18)]);
        let c_fert = cooc(&[("west", 18), ("texas", 20), ("explosion", 20)]);
        let c_pray = cooc(&[("boston", 8), ("marathon", 5)]);
        let c_pray2 = cooc(&[("boston", 2)]);
        let c_victims = cooc(&[("boston", 5), ("#prayforboston", 2)]);
        let members = vec![
            member("explosion", 60, &c_explosion),
            member("boston", 40, &c_boston),
            member("texas", 35, &c_texas),
            member("west", 32, &c_west),
            member("marathon", 31, &c_marathon),
            member("fertilizer", 25, &c_fert),
            member("#prayforboston", 12, &c_pray),
            member("pray for boston", 3, &c_pray2),
            member("victims", 6, &c_victims),
        ];
        let (sim, _) = similarities(&members, &keys, members.len(), 0.3);
        let stories: Vec<Vec<&str>> =
            cluster(members.len(), sim, 0.3).iter().map(|c| c.iter().map(|&i| members[i].key).collect()).collect();
        let story_of = |k: &str| stories.iter().position(|s| s.contains(&k)).unwrap();
        assert_eq!(story_of("boston"), story_of("marathon"));
        assert_eq!(story_of("boston"), story_of("#prayforboston"));
        assert_eq!(story_of("#prayforboston"), story_of("pray for boston"));
        assert_eq!(story_of("boston"), story_of("victims"), "{stories:?}");
        assert_eq!(story_of("texas"), story_of("west"));
        assert_eq!(story_of("texas"), story_of("fertilizer"));
        assert_ne!(story_of("boston"), story_of("texas"), "{stories:?}");
    }

    #[test]
    fn a_story_joins_the_one_larger_story_that_holds_its_words_or_carries_its_posts() {
        let keys = [
            "explosion",        // 0
            "texas",            // 1
            "boston",           // 2
            "marathon",         // 3
            "texas explosion",  // 4
            "boston explosion", // 5
            "dramatic photo",   // 6
            "#westexplosion",   // 7
            "town",             // 8: its posts say `explosion`
            "bruins",           // 9: a few of its posts say `boston`
        ];
        let none = FxHashMap::default();
        let town = cooc(&[("explosion", 9)]);
        let bruins = cooc(&[("boston", 3)]);
        let members: Vec<Member<'_>> = keys
            .iter()
            .map(|k| match *k {
                "town" => member(k, 10, &town),
                "bruins" => member(k, 10, &bruins),
                _ => member(k, 10, &none),
            })
            .collect();
        let mut stories = vec![vec![0, 1], vec![2, 3], vec![4], vec![5], vec![6], vec![7], vec![8], vec![9]];
        attach_sub_stories(&mut stories, &members);
        assert_eq!(stories[0], vec![0, 1, 4, 8], "West holds texas and explosion, and carries town: {stories:?}");
        assert!(stories.contains(&vec![5]), "boston is Boston's, explosion West's: it stays alone");
        assert!(stories.contains(&vec![6]), "no story holds its words");
        assert!(stories.contains(&vec![7]), "a hashtag is one word, not a phrase");
        assert!(stories.contains(&vec![9]), "3 of 10 texts do not make bruins a part of Boston");
        assert_eq!(stories[1], vec![2, 3]);

        // A story as large as the one that holds its words is an event of its own.
        let mut even = vec![vec![0, 1], vec![4, 6]];
        attach_sub_stories(&mut even, &members);
        assert_eq!(even, vec![vec![0, 1], vec![4, 6]]);
    }

    /// The similarity of two members computed pair by pair from the definitions in the module
    /// docs: what the sums in [`similarities`] must equal.
    fn pairwise(a: &Member<'_>, b: &Member<'_>, pa: &Profile, pb: &Profile) -> f64 {
        if variant(a.key) == variant(b.key) {
            return 1.0;
        }
        let both =
            a.cooccurring.get(&b.hash).copied().unwrap_or(0).max(b.cooccurring.get(&a.hash).copied().unwrap_or(0));
        let cooc = both as f64 / a.texts.min(b.texts).max(1) as f64;
        let shared: u64 =
            a.copied.iter().filter_map(|(c, n)| b.copied.iter().find(|(o, _)| o == c).map(|(_, m)| (*n).min(*m))).sum();
        let copies = (shared as f64 / a.posts.min(b.posts).max(1) as f64).min(1.0);
        let excluded = |h: &u64| pa.related.binary_search(h).is_ok() || pb.related.binary_search(h).is_ok();
        let get = |p: &Profile, h: u64| p.entries.iter().find(|e| e.0 == h).map_or(0.0, |e| e.1 as f64);
        let dot: f64 = pa.entries.iter().filter(|(h, _)| !excluded(h)).map(|&(h, n)| n as f64 * get(pb, h)).sum();
        let without = |p: &Profile, q: &Profile| {
            let removed: f64 =
                q.related.iter().filter(|h| p.related.binary_search(h).is_err()).map(|&h| get(p, h).powi(2)).sum();
            p.norm2 as f64 - removed
        };
        let (na, nb) = (without(pa, pb), without(pb, pa));
        let context = if dot == 0.0 || na == 0.0 || nb == 0.0 { 0.0 } else { (dot / (na.sqrt() * nb.sqrt())).min(1.0) };
        cooc.min(1.0).max(copies).max(context)
    }

    /// Average-linkage clustering by a full scan of the matrix at every step (the same merge).
    fn cluster_by_scan(n: usize, mut sim: Vec<f64>, threshold: f64) -> Vec<Vec<usize>> {
        let mut clusters: Vec<Option<Vec<usize>>> = (0..n).map(|i| Some(vec![i])).collect();
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for a in (0..n).filter(|&a| clusters[a].is_some()) {
                for b in (a + 1..n).filter(|&b| clusters[b].is_some()) {
                    let s = sim[a * n + b];
                    if s >= threshold && best.is_none_or(|(x, _, _)| s > x) {
                        best = Some((s, a, b));
                    }
                }
            }
            let Some((_, a, b)) = best else { break };
            assert!(merge_clusters(&mut sim, n, &mut clusters, a, b));
        }
        clusters.into_iter().flatten().collect()
    }

    #[test]
    fn summed_similarities_and_the_clusters_equal_their_pair_by_pair_definitions() {
        // One member per key of a small vocabulary (words, two-word phrases of them and hashtags,
        // so that members are related to each other's keys), each co-occurring with some keys
        // and copying some texts, drawn from a fixed pseudo-random sequence.
        let words = ["boston", "marathon", "explosion", "west", "texas", "plant", "pray", "town"];
        let mut vocabulary: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..i + 5.min(words.len() - i)] {
                vocabulary.push(format!("{a} {b}"));
            }
            vocabulary.push(format!("#{a}"));
        }
        let mut next = {
            let mut state = 7u64;
            move |below: u64| {
                state = pulse_sketch::hash_u64(state);
                state % below
            }
        };
        let n_members = vocabulary.len();
        let cooc: Vec<FxHashMap<u64, u64>> = (0..n_members)
            .map(|_| {
                (0..next(12)).map(|_| (hash_key(&vocabulary[next(n_members as u64) as usize]), 1 + next(30))).collect()
            })
            .collect();
        let copied: Vec<Vec<(u64, u64)>> = (0..n_members)
            .map(|_| {
                let mut c: Vec<(u64, u64)> = (0..next(4)).map(|_| (next(6), 2 + next(20))).collect();
                c.sort_unstable();
                c.dedup_by_key(|e| e.0);
                c
            })
            .collect();
        let texts: Vec<u64> = (0..n_members).map(|_| 1 + next(50)).collect();
        let members: Vec<Member<'_>> = (0..n_members)
            .map(|i| Member {
                hash: hash_key(&vocabulary[i]),
                key: &vocabulary[i],
                posts: texts[i] + next(20),
                texts: texts[i],
                cooccurring: &cooc[i],
                copied: &copied[i],
            })
            .collect();
        let keys: FxHashMap<u64, &str> = vocabulary.iter().map(|k| (hash_key(k), k.as_str())).collect();
        let grouped = 20;
        let (sim, nearest) = similarities(&members, &keys, grouped, 0.25);

        let mut containing: FxHashMap<&str, Vec<u64>> = FxHashMap::default();
        let mut seen = FxHashSet::default();
        for m in &members {
            for &h in m.cooccurring.keys() {
                if seen.insert(h) {
                    for word in keys[&h].trim_start_matches('#').split(' ') {
                        containing.entry(word).or_default().push(h);
                    }
                }
            }
        }
        let profiles: Vec<Profile> = members.iter().map(|m| Profile::of(m, &keys, &containing)).collect();
        let pair = |a: usize, b: usize| pairwise(&members[a], &members[b], &profiles[a], &profiles[b]);
        let mut nonzero = 0;
        for a in 0..grouped {
            for b in a + 1..grouped {
                assert_eq!(
                    sim[a * grouped + b].to_bits(),
                    pair(a, b).to_bits(),
                    "{} ~ {}",
                    members[a].key,
                    members[b].key
                );
                assert_eq!(sim[b * grouped + a].to_bits(), pair(a, b).to_bits());
                nonzero += usize::from(pair(a, b) > 0.0);
            }
        }
        assert!(nonzero > 20, "the drawn members share too little to test the sums: {nonzero} pairs");
        // Every compared pair, the later members against the first `grouped` included; and the
        // draw must reach the context signal with keys left out of a norm.
        let mut pairs = Pairs::new(n_members, grouped);
        add_variants(&members, &mut pairs);
        add_cooccurrence(&members, &mut pairs);
        add_shared_copies(&members, &mut pairs);
        add_context(&profiles, &mut pairs);
        let mut context_with_removals = 0;
        for high in 1..n_members {
            for low in 0..high.min(grouped) {
                let sums = pairs.get(low, high);
                let summed = sums.similarity((&members[low], &profiles[low]), (&members[high], &profiles[high]));
                assert_eq!(summed.to_bits(), pair(low, high).to_bits(), "{} ~ {}", members[low].key, members[high].key);
                context_with_removals += usize::from(sums.dot > 0 && sums.removed_low + sums.removed_high > 0);
            }
        }
        assert!(context_with_removals >= 20, "{context_with_removals} pairs test the norms' removals");
        for (t, near) in (grouped..n_members).zip(&nearest) {
            let expected = (0..grouped)
                .map(|g| (pair(g, t), g))
                .filter(|(s, _)| *s >= 0.25)
                .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)))
                .map(|(_, g)| g);
            assert_eq!(*near, expected, "{}", members[t].key);
        }
        for threshold in [0.05, 0.15, 0.25, 0.5] {
            assert_eq!(cluster(grouped, sim.clone(), threshold), cluster_by_scan(grouped, sim.clone(), threshold));
        }
        // Ties: similarities from a few levels, so that many pairs are alike by the same amount.
        let n = 30;
        let mut tied = vec![0.0; n * n];
        for a in 0..n {
            for b in a + 1..n {
                let s = next(5) as f64 / 4.0;
                tied[a * n + b] = s;
                tied[b * n + a] = s;
            }
        }
        for threshold in [0.25, 0.5, 0.75] {
            assert_eq!(cluster(n, tied.clone(), threshold), cluster_by_scan(n, tied.clone(), threshold));
        }
    }

    #[test]
    fn sub_phrases_and_containment() {
        assert!(contains_phrase("leave town immediately", "town immediately"));
        assert!(contains_phrase("#westexplosion", "westexplosion"));
        assert!(!contains_phrase("leave town", "town immediately"));
        let subs = sub_phrases("leave town immediately");
        for k in ["leave", "town", "immediately", "leave town", "town immediately", "leave town immediately"] {
            assert!(subs.contains(&hash_key(k)), "{k}");
        }
        assert_eq!(variant("#PrayForBoston".to_lowercase().as_str()), variant("pray for boston"));
    }
}
