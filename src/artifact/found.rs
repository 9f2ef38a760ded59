//! The problems found in one artifact, bounded as they are found: what
//! would never be shown is counted by kind, never kept, so that a million
//! problems (16 MiB of `[0,0,…]` is eight million) cost no more memory
//! than the few that are printed (3.6 GB of kept problems before).
//!
//! Without `--all-errors`, the first [`SHOWN_PROBLEMS`] are kept, as
//! [`Invalid`] shows them. With it, the first [`PER_ARRAY`] of one kind in
//! one array (the pointer up to its first index: `/metrics` for
//! `/metrics/7/name`) are kept, and the rest of that array's problems of
//! that kind counted: past a hundred, one more line of the same mistake
//! tells nothing new. A reader's mismatches (where the fast path gives
//! way to the schema) are kept to [`PER_ARRAY`] the same way: one is
//! enough to give way.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;

use crate::error::{all_problems, fail, Exit, Invalid, Problem, SHOWN_PROBLEMS};

/// With `--all-errors`, how many problems of one kind in one array are kept.
pub const PER_ARRAY: usize = 100;

#[derive(Debug, Default)]
pub struct Found {
    kept: Vec<Problem>,
    /// The problems not kept, by kind.
    more: BTreeMap<String, usize>,
    /// With `--all-errors`: by kind, then array, how many were seen.
    per_array: HashMap<String, HashMap<String, usize>>,
}

impl Found {
    /// Whether a problem of `kind` at `pointer` is to be kept; if not, it
    /// is counted now, and the caller need not even write its message.
    pub fn wants(&mut self, pointer: &str, kind: &str) -> bool {
        let keep = if all_problems() {
            let arrays = match self.per_array.get_mut(kind) {
                Some(arrays) => arrays,
                None => self.per_array.entry(kind.to_string()).or_default(),
            };
            let array = array_of(pointer);
            let seen = match arrays.get_mut(array) {
                Some(seen) => seen,
                None => arrays.entry(array.to_string()).or_insert(0),
            };
            *seen += 1;
            *seen <= PER_ARRAY
        } else {
            self.kept.len() < SHOWN_PROBLEMS
        };
        if !keep {
            match self.more.get_mut(kind) {
                Some(n) => *n += 1,
                None => {
                    self.more.insert(kind.to_string(), 1);
                }
            }
        }
        keep
    }

    /// Keep `problem` if [`Found::wants`] it (else it is counted).
    pub fn push(&mut self, problem: Problem) {
        if self.wants(&problem.pointer, &problem.kind) {
            self.kept.push(problem);
        }
    }

    /// [`Found::push`] each of `problems`.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for p in problems {
            self.push(p);
        }
    }

    /// Keep `problem`, which [`Found::wants`] said yes to.
    pub fn keep(&mut self, problem: Problem) {
        self.kept.push(problem);
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more.is_empty()
    }

    /// An `Invalid` failure (exit 4) when anything was found, else `Ok`.
    pub fn check(self, origin: &str) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut invalid = Invalid::new(origin, self.kept);
        for (kind, n) in self.more {
            *invalid.more.entry(kind).or_insert(0) += n;
        }
        Err(fail(Exit::Invalid, invalid))
    }
}

/// The array a pointer is in: up to its first index (`/metrics` for
/// `/metrics/7/labels/x`, `` for `/7`), or its parent when it has none.
fn array_of(pointer: &str) -> &str {
    let mut end = 0;
    for segment in pointer.split('/').skip(1) {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            return &pointer[..end];
        }
        end += 1 + segment.len();
    }
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_of_a_pointer() {
        assert_eq!(array_of("/metrics/7/labels/x"), "/metrics");
        assert_eq!(array_of("/7"), "");
        assert_eq!(array_of("/a"), "");
        assert_eq!(array_of("/a/b"), "/a");
        assert_eq!(array_of(""), "");
    }

    #[test]
    fn past_the_cap_problems_are_counted_not_kept() {
        let mut found = Found::default();
        for i in 0..1000 {
            found.push(Problem::new(format!("/{i}"), "bad").with_kind("type"));
        }
        assert_eq!(found.kept.len(), SHOWN_PROBLEMS);
        assert_eq!(found.more["type"], 1000 - SHOWN_PROBLEMS);
        let err = found.check("a.json").unwrap_err();
        let invalid = crate::error::invalid(&err).unwrap();
        assert_eq!(invalid.total(), 1000);
    }
}
