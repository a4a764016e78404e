//! Stable story ids: a story keeps its id from report to report while its terms churn.
//!
//! At every bucket close the engine groups the trending topics into stories and matches each to
//! the stories it knew: a new group takes the id of a known story when they share at least
//! [`MIN_OVERLAP`] of the smaller one's weight (members weighted by their distinct authors). When
//! several groups could take one id, or one group several ids, the older story's id wins, then the
//! group sharing more with it: a merge keeps the older id, and of a split the larger part keeps it. A group
//! that matches nothing is a new story; its id is a hash of its headline topic and the close that
//! found it, so every engine that closes the same buckets (a `pulse serve`, each Kafka query node,
//! a rebuild after a late rollup) names it the same. A story not seen for a trend window is
//! forgotten.
//!
//! A query between two closes matches its groups against the same records without changing them;
//! a group that matches none gets the id the next close would give it.

use pulse_sketch::hash_key;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::track::Track;

/// Shared weight, over the smaller side's, for a group to take a known story's id.
pub const MIN_OVERLAP: f64 = 0.3;

/// A story the engine knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoryRecord {
    /// The id it is known by.
    pub(crate) id: String,
    /// Its member topics at the last close, with their weights.
    pub(crate) members: FxHashMap<u64, f64>,
    /// Its episode: started at its earliest member episode's start, scored at each close that saw
    /// it.
    pub(crate) track: Track,
}

/// A group of trending topics as matched against the known stories.
pub(crate) struct Group {
    /// Headline topic key (names a new story).
    pub(crate) headline: String,
    /// Member topic hashes with their weights.
    pub(crate) members: Vec<(u64, f64)>,
    /// Its score now.
    pub(crate) score: f64,
    /// Its earliest member episode's start.
    pub(crate) started_at: i64,
}

/// The stories an engine knows, with their ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Registry {
    records: Vec<StoryRecord>,
}

/// The id a new story found at `close` with `headline` gets.
fn new_id(headline: &str, close: i64) -> String {
    format!("{:012x}", hash_key(&format!("{headline}\u{1f}{close}")) >> 16)
}

impl Registry {
    /// For each group, the index of the record it matches, if any.
    fn matches(&self, groups: &[Group]) -> Vec<Option<usize>> {
        let mut pairs = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let total: f64 = group.members.iter().map(|(_, w)| w).sum();
            for (r, record) in self.records.iter().enumerate() {
                let shared: f64 =
                    group.members.iter().filter(|(h, _)| record.members.contains_key(h)).map(|(_, w)| w).sum();
                let known: f64 = record.members.values().sum();
                let overlap = shared / total.min(known).max(f64::MIN_POSITIVE);
                if shared > 0.0 && overlap >= MIN_OVERLAP {
                    pairs.push((record.track.started_at, shared, g, r));
                }
            }
        }
        // Older stories first, then more shared weight; ties by position, for determinism.
        pairs.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
        let mut by_group = vec![None; groups.len()];
        let mut taken = vec![false; self.records.len()];
        for (_, _, g, r) in pairs {
            if by_group[g].is_none() && !taken[r] {
                by_group[g] = Some(r);
                taken[r] = true;
            }
        }
        by_group
    }

    /// The ids of `groups` as of a query at `as_of`, without changing what is known.
    pub(crate) fn ids(&self, groups: &[Group], as_of: i64, bucket_secs: i64) -> Vec<(String, Option<&StoryRecord>)> {
        let next_close = as_of.div_euclid(bucket_secs) * bucket_secs
            + if as_of.rem_euclid(bucket_secs) == 0 { 0 } else { bucket_secs };
        self.matches(groups)
            .into_iter()
            .zip(groups)
            .map(|(m, g)| match m {
                Some(r) => (self.records[r].id.clone(), Some(&self.records[r])),
                None => (new_id(&g.headline, next_close), None),
            })
            .collect()
    }

    /// Records the groups found at the close at `close`, and forgets stories not seen for
    /// `memory` seconds.
    pub(crate) fn update(&mut self, groups: &[Group], close: i64, memory: i64) {
        let matches = self.matches(groups);
        for (m, g) in matches.into_iter().zip(groups) {
            let members: FxHashMap<u64, f64> = g.members.iter().copied().collect();
            match m {
                Some(r) => {
                    let record = &mut self.records[r];
                    record.members = members;
                    record.track.started_at = record.track.started_at.min(g.started_at);
                    record.track.record(g.score, close);
                }
                None => self.records.push(StoryRecord {
                    id: new_id(&g.headline, close),
                    members,
                    track: Track::new(g.started_at, g.score, close),
                }),
            }
        }
        self.records.retain(|r| close - r.track.last_at <= memory);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(headline: &str, members: &[&str], started_at: i64) -> Group {
        Group {
            headline: headline.to_owned(),
            members: members.iter().map(|m| (hash_key(m), 10.0)).collect(),
            score: 100.0,
            started_at,
        }
    }

    #[test]
    fn an_id_survives_churn_merges_keep_the_older_and_splits_the_larger_part() {
        let mut known = Registry::default();
        known.update(
            &[group("boston", &["boston", "marathon", "explosion"], 0), group("west", &["west", "texas"], 100)],
            600,
            3600,
        );
        let ids =
            |r: &Registry, groups: &[Group]| r.ids(groups, 1200, 600).into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        let boston = ids(&known, &[group("boston", &["boston", "marathon", "explosion"], 0)])[0].clone();
        let west = ids(&known, &[group("west", &["west", "texas"], 100)])[0].clone();
        assert_ne!(boston, west);
        // Terms churn: two of three members replaced, the headline changes: same story.
        assert_eq!(
            ids(&known, &[group("#prayforboston", &["#prayforboston", "marathon", "boston"], 0)]),
            std::slice::from_ref(&boston)
        );
        // A merge keeps the older id; a split keeps it for the larger part.
        assert_eq!(
            ids(&known, &[group("west", &["west", "texas", "boston", "marathon", "explosion"], 0)]),
            std::slice::from_ref(&boston)
        );
        let split = ids(&known, &[group("explosion", &["explosion"], 0), group("boston", &["boston", "marathon"], 0)]);
        assert_eq!(split[1], boston);
        assert_ne!(split[0], boston);
        // A new story's id is the one the next close gives it.
        let fresh = ids(&known, &[group("flood", &["flood", "#yycflood"], 1000)]);
        known.update(&[group("flood", &["flood", "#yycflood"], 1000)], 1200, 3600);
        assert_eq!(ids(&known, &[group("flood", &["flood", "#yycflood"], 1000)]), fresh);
        // Forgotten after a window without it.
        known.update(&[], 1200 + 3601, 3600);
        assert!(known.records.is_empty());
    }
}
