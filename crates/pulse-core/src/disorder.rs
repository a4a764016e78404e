//! How far out of order a sequence of times is: the reorder buffer a replay input needs.
//!
//! A reorder buffer of `capacity` posts that is read full, then emits its earliest post before
//! reading the next, puts a post `i` in place exactly when at most `capacity − 1` posts read before
//! it are later than it (more, and one of those has already been emitted). So the buffer an
//! input needs is one more than the largest number of earlier, later-timed posts any post has —
//! one post for a sorted file, however long, and the whole file for one in reverse. Any larger
//! buffer gives the same output; this one holds no more than the input's disorder requires.

/// The least reorder buffer (at least 1) that emits `times`, in the order read, in time order.
/// Equal times are in order (they keep the order they were read in).
pub fn reorder_depth<T: Ord + Copy>(times: &[T]) -> usize {
    let mut ranks: Vec<T> = times.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    // A Fenwick tree of how many posts read so far have each rank.
    let mut tree = vec![0u32; ranks.len() + 1];
    let mut deepest = 0;
    for (read, t) in times.iter().enumerate() {
        let rank = ranks.partition_point(|r| r <= t); // 1-based rank of `t`
        let mut at_or_before = 0;
        let mut i = rank;
        while i > 0 {
            at_or_before += tree[i] as usize;
            i &= i - 1;
        }
        deepest = deepest.max(read - at_or_before);
        let mut i = rank;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    deepest + 1
}

#[cfg(test)]
mod tests {
    use super::reorder_depth;

    /// The depth by brute force: the largest number of earlier, later-timed entries, plus one.
    fn brute(times: &[i64]) -> usize {
        (0..times.len()).map(|i| times[..i].iter().filter(|t| **t > times[i]).count()).max().unwrap_or(0) + 1
    }

    #[test]
    fn sorted_input_needs_one_post_and_reversed_input_all() {
        assert_eq!(reorder_depth::<i64>(&[]), 1);
        assert_eq!(reorder_depth(&(0..10_000).collect::<Vec<_>>()), 1);
        assert_eq!(reorder_depth(&[5, 5, 5, 6]), 1);
        assert_eq!(reorder_depth(&(0..1_000).rev().collect::<Vec<_>>()), 1_000);
        assert_eq!(reorder_depth(&[1, 2, 9, 3, 4, 5]), 2);
        assert_eq!(reorder_depth(&[7, 8, 9, 1]), 4);
    }

    #[test]
    fn agrees_with_brute_force_on_shuffled_times() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in [2, 10, 100, 500] {
            for _ in 0..20 {
                let times: Vec<i64> = (0..len)
                    .map(|i| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        i + (state % 40) as i64 - 20
                    })
                    .collect();
                assert_eq!(reorder_depth(&times), brute(&times), "{times:?}");
            }
        }
    }
}
