//! Two family sets made one, for the read on two threads
//! ([`crate::artifact::split`]): each thread adds its part of the entries
//! to its own set, and the second part's set is then merged into the
//! first's, as if its entries had been added there after the first part's.
//!
//! Only a clean merge is made: where either set found a problem, or the
//! merge would (a family given another type or help text, a series given
//! in both parts, more than `--max-series` in all), nothing changes and
//! the caller reads the second part again into the first set, which then
//! says what the one-thread read says. The messages, which point at both
//! places and count what was not shown, are thus never rebuilt here.
//!
//! The later set's duplicate index is kept beside this one's, not taken
//! in: a merge ends the read, so it is taken in only if a series is added
//! after it (an inline `--metric`). Taken in at once, this set's index
//! had to hold every series at the merge, with the later one's still
//! alive: 1.6 MB more at the peak for 100k series, and 15 M instructions.

use super::{FamilySet, FirstSeen, SeriesIndex};

/// A merged set's index, where each of its families went here (the
/// family, and the number of series before its own), and the number of
/// entries before its own.
pub(super) struct Later {
    index: SeriesIndex,
    moved: Vec<(usize, usize)>,
    base: u32,
}

impl<'a> FamilySet<'a> {
    /// An empty set like this one (options, `--max-series`, and the
    /// duplicate index's hashing, so that [`Self::merge`] needs no rehash).
    pub fn sibling(&self) -> FamilySet<'a> {
        FamilySet {
            index: self.index.sibling(),
            limit: self.limit.sibling(),
            ..FamilySet::new(self.opts, 0)
        }
    }

    /// Whether nothing was found wrong, the reader met nothing its schema
    /// would refuse, and `--max-series` was not passed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.mismatches.is_empty() && !self.limit.passed()
    }

    /// Add `later`'s families (a [`Self::sibling`]'s, its entries all
    /// given after this set's, numbered from 0 where they are entry
    /// `base` on) to these, as if its entries had been added here: its new
    /// families after these, a family's series after its series here.
    /// `false`, with nothing changed, where either set is not
    /// [clean](Self::is_clean), `later` warned (its pointers would need
    /// renumbering; the native format never warns), or adding them here
    /// would find a problem.
    pub fn merge(&mut self, later: FamilySet, base: usize) -> bool {
        self.absorb_later();
        // One merge a read: a set is never merged twice, so `later` holds
        // no index of its own left to take in (it would be dropped here).
        debug_assert!(later.later.is_none());
        if !self.is_clean() || !later.is_clean() || !self.limit.fits_with(&later.limit) {
            return false;
        }
        let Ok(base) = u32::try_from(base) else {
            return false;
        };
        if !later.warnings.is_empty() {
            return false;
        }
        if !self.agrees_with(&later) || self.shares_a_series_with(&later) {
            return false;
        }
        let FamilySet {
            families,
            by_name,
            index,
            limit,
            ..
        } = later;
        // For each of `later`'s families: where it goes here, and how many
        // series are before its own.
        let mut moved = Vec::with_capacity(families.len());
        let firsts = by_name.into_by_family(families.len());
        for (family, first) in families.into_iter().zip(firsts) {
            let first = first.map(|first| FirstSeen {
                pointer: first.pointer.shifted(base),
                help_pointer: first.help_pointer.map(|at| at.shifted(base)),
                ..first
            });
            moved.push(self.take_family(family, first));
        }
        self.later = Some(Later { index, moved, base });
        self.limit.absorb(&limit);
        true
    }

    /// Take a merged set's index into this one's, so that a series added
    /// from now on is found in either part.
    pub(super) fn absorb_later(&mut self) {
        let Some(Later { index, moved, base }) = self.later.take() else {
            return;
        };
        self.index.absorb(&index, base, |slot| {
            let (family, before) = moved[slot.family as usize];
            (family, before + slot.series as usize)
        });
    }

    /// Whether each of `later`'s families that is also here has the same
    /// type, and no other help text, as it has here.
    fn agrees_with(&self, later: &FamilySet) -> bool {
        later.families.iter().all(|f| {
            let Some(seen) = self.by_name.get(&self.families, &f.name) else {
                return true;
            };
            let here = &self.families[seen.family];
            here.kind == f.kind
                && (here.help.is_empty() || f.help.is_empty() || here.help == f.help)
        })
    }

    /// Whether a series of `later` is also here.
    fn shares_a_series_with(&self, later: &FamilySet) -> bool {
        later.index.slots().any(|(key, slot)| {
            let family = &later.families[slot.family as usize];
            let series = &family.series[slot.series as usize];
            self.index
                .find(key, |here| {
                    let f = &self.families[here.family as usize];
                    f.name == family.name && f.series[here.series as usize].labels == series.labels
                })
                .is_some()
        })
    }

    /// `family` (from a later set, first seen there as `first`) added to
    /// its namesake here, or as a new one; where it went, and the number
    /// of series before its own.
    fn take_family(
        &mut self,
        mut family: crate::model::Family,
        first: Option<FirstSeen>,
    ) -> (usize, usize) {
        let Some(seen) = self.by_name.get_mut(&self.families, &family.name) else {
            let at = self.families.len();
            self.families.push(family);
            if let Some(first) = first {
                let first = FirstSeen {
                    family: at,
                    ..first
                };
                self.by_name.insert(&self.families, first);
            }
            return (at, 0);
        };
        let here = &mut self.families[seen.family];
        if here.help.is_empty() && !family.help.is_empty() {
            here.help = std::mem::take(&mut family.help);
            seen.help_pointer = first.and_then(|f| f.help_pointer);
        }
        let before = here.series.len();
        here.series.append(&mut family.series);
        (seen.family, before)
    }
}
