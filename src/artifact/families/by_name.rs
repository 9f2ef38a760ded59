//! The family set's families by name: where each was first seen, found by
//! its name without a copy of it.
//!
//! Why: a map keyed by a `String` holds a second copy of every family's
//! name, and a 24-byte key beside each entry. An artifact of one family
//! per gauge has as many families as series (75,000 in a 1 MiB simple
//! object): keyed by the family's index and hashed by its name, the set
//! takes 5 MB less there (60.3 → 55.3 MB peak).

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::super::hashing::ContentHasher;
use super::FirstSeen;
use crate::model::Family;

/// Each family's [`FirstSeen`], found by the name of `families[family]`.
#[derive(Default)]
pub(super) struct ByName {
    table: HashTable<FirstSeen>,
    hasher: ContentHasher,
}

impl ByName {
    /// Where the family called `name` was first seen, if there is one.
    pub(super) fn get(&self, families: &[Family], name: &str) -> Option<&FirstSeen> {
        let hash = self.hasher.hash_one(name);
        self.table
            .find(hash, |seen| families[seen.family].name == name)
    }

    /// [`Self::get`], to change.
    pub(super) fn get_mut(&mut self, families: &[Family], name: &str) -> Option<&mut FirstSeen> {
        let hash = self.hasher.hash_one(name);
        self.table
            .find_mut(hash, |seen| families[seen.family].name == name)
    }

    /// Record `first`, whose family is `families[first.family]` and is not
    /// recorded yet.
    pub(super) fn insert(&mut self, families: &[Family], first: FirstSeen) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(&families[first.family].name);
        self.table.insert_unique(hash, first, |seen| {
            hasher.hash_one(&families[seen.family].name)
        });
    }

    /// Every family's first sighting, by the family's index (`None` for a
    /// family not recorded), `n` families in all.
    pub(super) fn into_by_family(self, n: usize) -> Vec<Option<FirstSeen>> {
        let mut by_family: Vec<Option<FirstSeen>> = (0..n).map(|_| None).collect();
        for seen in self.table {
            let family = seen.family;
            by_family[family] = Some(seen);
        }
        by_family
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::place::At;
    use crate::model::Kind;

    fn family(name: &str) -> Family {
        Family {
            name: name.into(),
            help: String::new(),
            kind: Kind::Gauge,
            series: Vec::new(),
        }
    }

    fn seen(family: usize) -> FirstSeen {
        FirstSeen {
            family,
            pointer: At::Item {
                list: "/metrics",
                i: family as u32,
            },
            help_pointer: None,
        }
    }

    #[test]
    fn a_family_is_found_by_its_own_name_only() {
        let families: Vec<Family> = (0..1000).map(|i| family(&format!("m{i}"))).collect();
        let mut by_name = ByName::default();
        for i in 0..1000 {
            by_name.insert(&families, seen(i));
        }
        for i in 0..1000 {
            let name = format!("m{i}");
            assert_eq!(by_name.get(&families, &name).unwrap().family, i);
        }
        assert!(by_name.get(&families, "m1000").is_none());
        by_name.get_mut(&families, "m7").unwrap().help_pointer = Some(At::Shown("x".into()));
        let all = by_name.into_by_family(1001);
        assert_eq!(all.len(), 1001);
        assert!(all[1000].is_none());
        assert!(all[..1000]
            .iter()
            .enumerate()
            .all(|(i, s)| s.as_ref().unwrap().family == i));
        assert_eq!(
            all[7].as_ref().unwrap().help_pointer,
            Some(At::Shown("x".into()))
        );
    }
}
