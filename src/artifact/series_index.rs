//! The duplicate-series index of the family set: every series seen so far,
//! by a hash of its name and labels, with the pointer where it was given
//! (for "duplicate series … /metrics/3 has the same name and labels").
//!
//! Its own module because it is the family set's one data structure with
//! a memory budget: a hash match is confirmed by the caller against the
//! stored series (so the index holds no labels), the rare second series
//! with the same hash goes to `overflow`, and where a series was given is
//! kept as its entry's number (the pointer is written only for a message),
//! so 100,000 series cost no per-series allocation here.

use std::hash::{BuildHasher, Hash, Hasher};

use super::hashing::{ByHash, ContentHasher};
use super::place::At;

/// Where a stored series is: family and series index, and where it was
/// given (an entry's number, or with the `SHOWN` bit set a place in `shown`).
#[derive(Clone, Copy)]
pub struct SeriesSlot {
    pub family: u32,
    pub series: u32,
    at: u32,
}

/// The bit of [`SeriesSlot`]'s `at` that says it is not an entry's number.
const SHOWN: u32 = 1 << 31;

#[derive(Default)]
pub struct SeriesIndex {
    first: ByHash<SeriesSlot>,
    overflow: ByHash<Vec<SeriesSlot>>,
    /// The list every [`At::Item`] is in (one format per set).
    list: &'static str,
    /// Every [`At::Shown`].
    shown: Vec<String>,
    hasher: ContentHasher,
}

impl SeriesIndex {
    /// Make room for about `series` more series.
    pub fn reserve(&mut self, series: usize) {
        self.first.reserve(series);
    }

    /// The hash of a series' name and (sorted) labels.
    pub fn key<K: Hash, V: Hash>(&self, name: &str, labels: &[(K, V)]) -> u64 {
        let mut h = self.hasher.build_hasher();
        name.hash(&mut h);
        for (k, v) in labels {
            k.hash(&mut h);
            v.hash(&mut h);
        }
        h.finish()
    }

    /// The first slot under `key` that `is_it` confirms.
    pub fn find(&self, key: u64, is_it: impl Fn(&SeriesSlot) -> bool) -> Option<SeriesSlot> {
        let mut candidates = self
            .first
            .get(&key)
            .into_iter()
            .chain(self.overflow.get(&key).into_iter().flatten());
        candidates.find(|slot| is_it(slot)).copied()
    }

    /// An empty index hashing as this one does, so that its keys are
    /// this one's (for [`Self::absorb`]).
    pub fn sibling(&self) -> SeriesIndex {
        SeriesIndex {
            hasher: self.hasher.clone(),
            ..SeriesIndex::default()
        }
    }

    /// Every slot, with its key.
    pub fn slots(&self) -> impl Iterator<Item = (u64, &SeriesSlot)> {
        let first = self.first.iter().map(|(k, slot)| (*k, slot));
        let more = self.overflow.iter();
        first.chain(more.flat_map(|(k, slots)| slots.iter().map(move |slot| (*k, slot))))
    }

    /// Take in every slot of `other`, a [`Self::sibling`]'s, each moved
    /// to the family and series `to` gives for its own, and its entry's
    /// number `shift` more ([`At::shifted`]).
    pub fn absorb(
        &mut self,
        other: &SeriesIndex,
        shift: u32,
        to: impl Fn(&SeriesSlot) -> (usize, usize),
    ) {
        self.first.reserve(other.first.len());
        for (key, slot) in other.slots() {
            let (family, series) = to(slot);
            self.insert(key, family, series, other.at(slot).shifted(shift));
        }
    }

    /// Record a new series under `key`, given at `at`.
    pub fn insert(&mut self, key: u64, family: usize, series: usize, at: At) {
        let at = match at {
            At::Item { list, i } if i < SHOWN => {
                self.list = list;
                i
            }
            other => {
                self.shown.push(other.to_string());
                SHOWN | (self.shown.len() - 1) as u32
            }
        };
        let slot = SeriesSlot {
            family: family as u32,
            series: series as u32,
            at,
        };
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(slot);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.overflow.entry(key).or_default().push(slot)
            }
        }
    }

    /// Where the slot's series was given.
    pub fn at(&self, slot: &SeriesSlot) -> At {
        if slot.at & SHOWN == 0 {
            At::Item {
                list: self.list,
                i: slot.at,
            }
        } else {
            At::Shown(self.shown[(slot.at & !SHOWN) as usize].as_str().into())
        }
    }
}
