//! The [`Mergeable`] trait: summaries that combine like a commutative monoid.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use crate::error::Result;

/// A summary that can absorb another summary of the same shape, so that state built on different
/// threads, processes, machines or time buckets combines at query time.
///
/// `a.merge(&b)` must leave `a` answering (within the type's stated bounds) like a summary built
/// over both inputs. Merging is commutative and associative within those bounds. It fails, leaving
/// `self` unchanged, only when the two are of incompatible shapes (e.g. count-min sketches of
/// different widths); that is a configuration error, never a data-dependent one.
///
/// Implemented for the sketches of this crate, for [`crate::Window`], for numbers (addition: counts,
/// sentiment sums), for tuples, and for maps of mergeable values (entry-wise, e.g. one HLL per
/// tracked topic), so a trend bucket can be a plain struct of these.
pub trait Mergeable {
    /// Folds `other` into `self`.
    fn merge(&mut self, other: &Self) -> Result<()>;
}

macro_rules! additive {
    ($how:literal, $add:ident: $($t:ty),*) => {$(
        impl Mergeable for $t {
            #[doc = $how]
            #[inline]
            fn merge(&mut self, other: &Self) -> Result<()> {
                *self = $add(*self, *other);
                Ok(())
            }
        }
    )*};
}

#[inline]
fn sat<T: SaturatingAdd>(a: T, b: T) -> T {
    a.sat_add(b)
}

#[inline]
fn plus<T: std::ops::Add<Output = T>>(a: T, b: T) -> T {
    a + b
}

trait SaturatingAdd {
    fn sat_add(self, other: Self) -> Self;
}

macro_rules! saturating {
    ($($t:ty),*) => {$(
        impl SaturatingAdd for $t {
            #[inline]
            fn sat_add(self, other: Self) -> Self {
                self.saturating_add(other)
            }
        }
    )*};
}
saturating!(u32, u64, usize, i32, i64);
additive!("Saturating addition.", sat: u32, u64, usize, i32, i64);
additive!("Addition.", plus: f32, f64);

macro_rules! tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Mergeable),+> Mergeable for ($($name,)+) {
            /// Component-wise. A failure part-way leaves earlier components merged; compatibility
            /// of shapes is a configuration property, so callers treat it as fatal.
            fn merge(&mut self, other: &Self) -> Result<()> {
                $(self.$idx.merge(&other.$idx)?;)+
                Ok(())
            }
        }
    };
}
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);

impl<K, V, S> Mergeable for HashMap<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Mergeable + Clone,
    S: BuildHasher,
{
    /// Entry-wise: values under the same key merge, keys only in `other` are copied.
    fn merge(&mut self, other: &Self) -> Result<()> {
        for (k, v) in other {
            match self.get_mut(k) {
                Some(mine) => mine.merge(v)?,
                None => {
                    self.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }
}

impl<K, V> Mergeable for BTreeMap<K, V>
where
    K: Ord + Clone,
    V: Mergeable + Clone,
{
    /// Entry-wise: values under the same key merge, keys only in `other` are copied.
    ///
    /// Call it as `Mergeable::merge(&mut map, &other)`: std has an unstable inherent
    /// `BTreeMap::merge` that method syntax would collide with.
    fn merge(&mut self, other: &Self) -> Result<()> {
        for (k, v) in other {
            match self.get_mut(k) {
                Some(mine) => mine.merge(v)?,
                None => {
                    self.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_tuples_and_maps_merge_entrywise() {
        let mut a: HashMap<u64, (u64, f64)> = HashMap::from([(1, (2, 0.5)), (2, (1, -1.0))]);
        let b: HashMap<u64, (u64, f64)> = HashMap::from([(2, (3, 0.25)), (3, (4, 1.0))]);
        a.merge(&b).unwrap();
        assert_eq!(a[&1], (2, 0.5));
        assert_eq!(a[&2], (4, -0.75));
        assert_eq!(a[&3], (4, 1.0));

        let mut m = BTreeMap::from([("x", 1u32)]);
        // `BTreeMap` has an unstable inherent `merge`; call the trait explicitly.
        Mergeable::merge(&mut m, &BTreeMap::from([("x", 2), ("y", 5)])).unwrap();
        assert_eq!(m, BTreeMap::from([("x", 3), ("y", 5)]));

        let mut n = u64::MAX - 1;
        n.merge(&5).unwrap();
        assert_eq!(n, u64::MAX, "integer sums saturate instead of wrapping");
    }
}
