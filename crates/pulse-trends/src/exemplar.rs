//! What a story is told with: each watched topic's most-copied texts in a bucket ([`Exemplars`]),
//! and those texts themselves ([`PostText`], kept once per bucket however many topics name them).
//!
//! A story's headline and summary are the most central of its posts, and on a real stream the
//! posts that carry an event are the ones copied most (retweets, the same headline shared by many
//! accounts). Keeping every text would cost as much as the search index; keeping the few most
//! copied per topic and bucket costs a few kilobytes and, measured against the full post set on
//! CrisisLex, picks the same headlines. The lists merge (copies add), so a Kafka query node tells
//! the same story as `pulse serve`.

use serde::{Deserialize, Serialize};

/// Texts kept per watched topic and bucket.
pub const EXEMPLARS: usize = 8;
/// Topic hashes kept per text (to know which of a story's terms a text carries).
pub const TEXT_KEYS: usize = 32;

/// One text and how many posts in the bucket carried it (the original and its copies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exemplar {
    /// The text's content hash ([`crate::AnalyzedPost::content_hash`]).
    pub content: u64,
    /// Posts with this text.
    pub copies: u32,
}

/// A topic's most-copied texts in one bucket, at most [`EXEMPLARS`], in fixed arrays: every post
/// of a watched topic asks this list about its text, so the contents are compared side by side
/// and a topic's detail needs no allocation for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemplars {
    len: u8,
    contents: [u64; EXEMPLARS],
    copies: [u32; EXEMPLARS],
}

impl Exemplars {
    /// The texts and their copies.
    pub fn iter(&self) -> impl Iterator<Item = Exemplar> + '_ {
        let n = usize::from(self.len);
        self.contents[..n].iter().zip(&self.copies[..n]).map(|(&content, &copies)| Exemplar { content, copies })
    }

    fn push(&mut self, e: Exemplar) {
        let n = usize::from(self.len);
        self.contents[n] = e.content;
        self.copies[n] = e.copies;
        self.len += 1;
    }

    /// Counts one more post with `content`; `seen` is how many posts with it the caller has seen
    /// in the bucket so far (this one included), which decides whether a new text may replace the
    /// least-copied one when the list is full. Returns whether `content` joined the list.
    #[inline]
    pub fn add(&mut self, content: u64, seen: u32) -> bool {
        let n = usize::from(self.len);
        if let Some(i) = self.contents[..n].iter().position(|&c| c == content) {
            self.copies[i] += 1;
            return false;
        }
        if n < EXEMPLARS {
            self.push(Exemplar { content, copies: 1 });
            return true;
        }
        if seen < 2 {
            // A text seen once cannot have more copies than anything in the list.
            return false;
        }
        // The last of the least copied makes room.
        let (least, copies) =
            self.copies.iter().enumerate().fold((0, u32::MAX), |best, (i, &c)| if c <= best.1 { (i, c) } else { best });
        if seen > copies {
            self.contents[least] = content;
            self.copies[least] = 1;
            return true;
        }
        false
    }

    /// Adds `other`'s copies; keeps the [`EXEMPLARS`] most copied (ties: the smaller hash, so the
    /// result does not depend on the order of merges).
    pub fn merge(&mut self, other: &Exemplars) {
        let mut all = [Exemplar { content: 0, copies: 0 }; 2 * EXEMPLARS];
        let mut n = 0;
        for e in self.iter() {
            all[n] = e;
            n += 1;
        }
        for o in other.iter() {
            match all[..n].iter_mut().find(|e| e.content == o.content) {
                Some(e) => e.copies += o.copies,
                None => {
                    all[n] = o;
                    n += 1;
                }
            }
        }
        let all = &mut all[..n];
        if n > EXEMPLARS {
            all.sort_unstable_by(|a, b| b.copies.cmp(&a.copies).then(a.content.cmp(&b.content)));
        }
        *self = Exemplars::default();
        for e in all.iter().take(EXEMPLARS) {
            self.push(*e);
        }
    }
}

/// A text as a story shows it: the first post that carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostText {
    /// Post id.
    pub id: String,
    /// Author (as the source names them).
    pub author: String,
    /// Event time, Unix seconds.
    pub created_at: i64,
    /// The text, without a leading `RT @user:`.
    pub text: String,
    /// Hashes of the post's topic keys (at most [`TEXT_KEYS`]).
    pub keys: Vec<u64>,
}

impl PostText {
    /// Whether `self` should be kept over `other` for the same text: the earlier post (then the
    /// smaller id), so that every merge order keeps the same one.
    pub fn precedes(&self, other: &PostText) -> bool {
        (self.created_at, &self.id) < (other.created_at, &other.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(u64, u32)]) -> Exemplars {
        let mut list = Exemplars::default();
        for &(content, copies) in items {
            list.push(Exemplar { content, copies });
        }
        list
    }

    #[test]
    fn the_most_copied_texts_stay_and_a_repeated_newcomer_replaces_a_single() {
        let mut list = Exemplars::default();
        for content in 0..EXEMPLARS as u64 {
            assert!(list.add(content, 1));
        }
        assert!(!list.add(3, 2) && list.iter().nth(3).unwrap().copies == 2);
        // A text seen once elsewhere does not push out anything.
        assert!(!list.add(100, 1));
        // A text seen a second time replaces one seen once (the last of the least copied).
        assert!(list.add(100, 2));
        assert_eq!(list.iter().map(|e| e.content).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 100]);
    }

    #[test]
    fn merging_adds_copies_and_keeps_the_heaviest_whatever_the_order() {
        let a = list(&(0..8).map(|c| (c, 1)).collect::<Vec<_>>());
        let b = list(&[(3, 4), (42, 2)]);
        let mut ab = a;
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        let mut x: Vec<Exemplar> = ab.iter().collect();
        let mut y: Vec<Exemplar> = ba.iter().collect();
        x.sort_by_key(|e| e.content);
        y.sort_by_key(|e| e.content);
        assert_eq!(x, y);
        assert_eq!(x.len(), EXEMPLARS);
        assert!(x.contains(&Exemplar { content: 3, copies: 5 }) && x.contains(&Exemplar { content: 42, copies: 2 }));
        // Of the seven single copies, the six with the smallest hashes stay.
        assert!(!x.iter().any(|e| e.content == 7));
    }
}
