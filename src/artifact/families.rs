//! The family set: where entries from every format become families, with
//! the checks that need the whole artifact or the command line.
//!
//! Legal names, reserved and duplicate labels, one type and one help text
//! per name, duplicate series, `_bucket`/`_sum`/`_count` collisions, and
//! clashes with grouping labels (which the Pushgateway would silently
//! overwrite). Like schema violations, every problem is collected with its
//! pointer, and reported before anything is pushed.

use std::borrow::Cow;

use anyhow::Result;

pub use super::built::{BuildOptions, InlineMetric, Model, Proposed};
use super::limit::Limit;
use super::place::At;
use super::series_index::{SeriesIndex, SeriesSlot};
use crate::error::Problem;
use crate::model::{
    is_metric_name, label_name_problem, reserved_metric_problem, series_id, Family, Kind, Labels,
    Sample, Series,
};

mod by_name;
mod merge;
mod names;

/// A metric entry, whatever format it came from, before it joins a family.
/// Its strings are borrowed from the input where they can be.
pub struct Entry<'a> {
    pub name: Cow<'a, str>,
    pub kind: Kind,
    pub help: Cow<'a, str>,
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub sample: Sample,
}

impl Entry<'static> {
    pub fn scalar(name: &str, kind: Kind, v: f64) -> Entry<'static> {
        Entry {
            name: Cow::Owned(name.to_string()),
            kind,
            help: Cow::Borrowed(""),
            labels: Vec::new(),
            sample: Sample::Scalar(v),
        }
    }
}

/// Where a family was first declared (and its help text first given), for
/// messages that point at both places.
struct FirstSeen {
    family: usize,
    pointer: At,
    help_pointer: Option<At>,
}

/// The families being built, and what was found wrong on the way.
pub struct FamilySet<'a> {
    pub opts: &'a BuildOptions,
    families: Vec<Family>,
    by_name: by_name::ByName,
    index: SeriesIndex,
    /// A merged set's index, taken into `index` only if a series is added
    /// after the merge ([`merge::Later`]).
    later: Option<merge::Later>,
    /// Every label name and value, one shared copy each.
    strings: names::LabelStrings,
    problems: super::found::Found,
    warnings: Vec<Problem>,
    /// Where a reader met something its format's schema would refuse.
    mismatches: Vec<Problem>,
    /// The grouping the artifact proposes ([`Model::proposed`]).
    pub proposed: Proposed,
    /// `--max-series`: once passed, readers may stop; nothing more is
    /// stored, and [`Self::finish`] refuses.
    pub limit: Limit,
}

impl<'a> FamilySet<'a> {
    /// An empty set that refuses more than `max_series` series.
    pub fn new(opts: &'a BuildOptions, max_series: usize) -> Self {
        FamilySet {
            opts,
            families: Vec::new(),
            by_name: Default::default(),
            index: SeriesIndex::default(),
            later: None,
            strings: Default::default(),
            problems: Default::default(),
            warnings: Vec::new(),
            mismatches: Vec::new(),
            proposed: Proposed::default(),
            limit: Limit::new(max_series),
        }
    }

    pub fn problem(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(pointer, message));
    }

    /// A problem of a named kind (for counting and `--output json`).
    pub fn problem_of(
        &mut self,
        kind: &str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems
            .push(Problem::new(pointer, message).with_kind(kind));
    }

    pub fn warn(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem::new(pointer, message));
    }

    /// Make room for about `series` more series (saves the index's
    /// regrowth, and the copies it makes, on big artifacts).
    pub fn reserve(&mut self, series: usize) {
        self.index.reserve(series);
    }

    /// Record that the document does not match its format's schema here.
    /// The fast path then gives way to the schema, which says what is
    /// wrong in its own words (see [`super::fast`]).
    pub fn mismatch(&mut self, pointer: impl Into<String>, why: impl Into<String>) {
        if self.limit.passed() || self.mismatches.len() >= super::found::PER_ARRAY {
            return;
        }
        self.mismatches.push(Problem::new(pointer, why));
    }

    /// Whether a reader met anything its format's schema would refuse.
    pub fn mismatched(&self) -> bool {
        !self.mismatches.is_empty()
    }

    /// After the schema accepted the document, a reader that still refuses
    /// it is a bug: said so, rather than pushing a guess.
    pub fn mismatches_are_bugs(&mut self) {
        for m in std::mem::take(&mut self.mismatches) {
            let msg = format!(
                "cannot be read although it matches its schema ({}); please report this",
                m.message
            );
            self.problems.push(Problem::new(m.pointer, msg));
        }
    }

    /// Whether nothing has been added and nothing found wrong yet.
    pub fn is_blank(&self) -> bool {
        self.families.is_empty() && self.problems.is_empty()
    }

    /// The model, or every problem found (exit 4); past `--max-series`,
    /// that alone (what came after was not read).
    pub fn finish(mut self, origin: &str) -> Result<Model> {
        self.limit.check(origin)?;
        self.name_collisions();
        self.problems.check(origin)?;
        Ok(Model {
            families: self.families,
            warnings: self.warnings,
            proposed: self.proposed,
            history: Vec::new(),
        })
    }

    /// Check a label name; the pointer is only built when there is a problem
    /// (this runs once per label of every series, so a name that passed is
    /// remembered: the answer depends on nothing else).
    #[inline]
    pub fn check_label_name(&mut self, at: impl FnOnce() -> String, name: &str) {
        if self.strings.passed(name) {
            return;
        }
        if let Some(msg) = self.label_name_refusal(name) {
            self.problem_of("label", at(), msg);
        }
    }

    /// Why a label name can't be used in this set; one that can is
    /// remembered as passed.
    fn label_name_refusal(&mut self, name: &str) -> Option<String> {
        let msg = if let Some(msg) = label_name_problem(name) {
            msg
        } else if self.opts.grouping.iter().any(|g| g == name) {
            format!("{name:?} is also a grouping label; the Pushgateway would silently overwrite this value with the group's (rename the label)")
        } else if self.opts.labels.iter().any(|(k, _)| k == name) {
            format!("{name:?} is also given by --label; set it in one place")
        } else {
            self.strings.pass(name);
            return None;
        };
        Some(msg)
    }

    /// Check a label against the destination's limits ([`BuildOptions::label_check`]).
    #[inline]
    pub fn check_label_value(&mut self, at: impl FnOnce() -> String, name: &str, value: &str) {
        if let Some(msg) = self.opts.label_check.and_then(|check| check(name, value)) {
            self.problem(at(), msg);
        }
    }

    /// Histogram and summary families write `_bucket`, `_sum` and `_count`
    /// series; another family with one of those names would corrupt them.
    fn name_collisions(&mut self) {
        let mut found = Vec::new();
        for f in &self.families {
            let suffixes: &[&str] = match f.kind {
                Kind::Histogram => &["_bucket", "_sum", "_count"],
                Kind::Summary => &["_sum", "_count"],
                _ => &[],
            };
            for s in suffixes {
                let other = format!("{}{s}", f.name);
                if let Some(seen) = self.by_name.get(&self.families, &other) {
                    let first = (self.by_name.get(&self.families, &f.name))
                        .expect("every family is recorded by name");
                    let msg = format!(
                        "metric {other:?} collides with the {s} series of {} {:?} at {}; rename one of them",
                        f.kind.name(),
                        f.name,
                        first.pointer
                    );
                    found.push(Problem::new(&seen.pointer, msg).with_kind("name-collision"));
                }
            }
        }
        self.problems.extend(found);
    }

    /// Add an entry to its family, checking name, type, help and duplicates.
    pub fn add<'e>(&mut self, at: impl Into<At>, mut e: Entry<'e>)
    where
        'a: 'e,
    {
        e.labels.sort();
        self.add_sorted(at, e);
    }

    /// [`Self::add`] for an entry whose labels are sorted already (the
    /// native reader keeps them so): they are not sorted again.
    pub fn add_sorted<'e>(&mut self, at: impl Into<At>, mut e: Entry<'e>)
    where
        'a: 'e,
    {
        let at = at.into();
        if self.limit.passed() {
            return;
        }
        self.absorb_later();
        debug_assert!(e.labels.is_sorted(), "{:?}", e.labels);
        let opts = self.opts;
        for (k, v) in &opts.labels {
            // In its place, so the labels are as sorting them all would leave them.
            let pair = (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()));
            let i = e.labels.partition_point(|p| *p < pair);
            e.labels.insert(i, pair);
        }
        let Some(idx) = self.family_for(&at, &e) else {
            return;
        };
        let key = self.index.key(&e.name, &e.labels);
        if let Some(first) = self.find_series(key, &e) {
            let first = self.index.at(&first);
            let msg = format!(
                "duplicate series {}: {} has the same name and labels",
                series_id(&e.name, &e.labels),
                first
            );
            self.problem_of("duplicate-series", &at, msg);
            return;
        }
        if !self.limit.admit(&at) {
            return;
        }
        let series = self.families[idx].series.len();
        self.index.insert(key, idx, series, at);
        // Up to `INLINE_LABELS` pairs in the series itself; more in an
        // allocation of exactly their number.
        let mut labels = Labels::with_capacity(e.labels.len());
        for (k, v) in &e.labels {
            labels.push(self.strings.pair(k, v));
        }
        let all = &mut self.families[idx].series;
        if all.is_empty() {
            // Most families hold one series, and a first push reserves
            // four (288 bytes; massif: 28 MB of 100k simple gauges).
            all.reserve_exact(1);
        }
        all.push(Series {
            labels,
            sample: e.sample,
        });
    }

    /// The index of the entry's family, created on first sight; `None`
    /// (with a problem) when the entry's name, type or help is refused.
    /// The name of a family already there was checked when it was created.
    fn family_for(&mut self, at: &At, e: &Entry) -> Option<usize> {
        let Some(seen) = self.by_name.get_mut(&self.families, &e.name) else {
            if let Some((np, msg)) = name_problem(at, &e.name) {
                self.problem_of("name", np, msg);
                return None;
            }
            self.families.push(Family {
                name: e.name.to_string(),
                help: e.help.to_string(),
                kind: e.kind,
                series: Vec::new(),
            });
            let first = FirstSeen {
                family: self.families.len() - 1,
                pointer: at.clone(),
                help_pointer: (!e.help.is_empty()).then(|| at.clone()),
            };
            self.by_name.insert(&self.families, first);
            return Some(self.families.len() - 1);
        };
        let fam = &mut self.families[seen.family];
        let msg = if fam.kind != e.kind {
            format!(
                "{:?} is declared as a {} here but as a {} at {}; one name has one type",
                e.name,
                e.kind.name(),
                fam.kind.name(),
                seen.pointer
            )
        } else if !e.help.is_empty() && !fam.help.is_empty() && fam.help != e.help {
            format!(
                "help {:?} differs from {:?} given at {}; a family has one help text",
                e.help,
                fam.help,
                seen.help_pointer.as_ref().unwrap_or(&seen.pointer)
            )
        } else {
            if !e.help.is_empty() && fam.help.is_empty() {
                fam.help = e.help.to_string();
            }
            if seen.help_pointer.is_none() && !e.help.is_empty() {
                seen.help_pointer = Some(at.clone());
            }
            return Some(seen.family);
        };
        self.problem_of("family", at, msg);
        None
    }

    /// The stored series with the entry's name and labels, if any.
    fn find_series(&self, key: u64, e: &Entry) -> Option<SeriesSlot> {
        self.index.find(key, |slot| {
            let fam = &self.families[slot.family as usize];
            let stored = &fam.series[slot.series as usize].labels;
            fam.name == e.name
                && stored.len() == e.labels.len()
                && stored
                    .iter()
                    .zip(&e.labels)
                    .all(|((k1, v1), (k2, v2))| **k1 == *k2 && **v1 == *v2)
        })
    }
}

/// Why a metric name is refused, and where to point: only checked for a
/// name no family has yet, as every family's name passed.
fn name_problem(at: &At, name: &str) -> Option<(String, String)> {
    if !is_metric_name(name) {
        let pointer =
            matches!(at, At::Item { .. }) || matches!(at, At::Shown(s) if s.starts_with('/'));
        let np = if pointer && !name.ends_with("_info") && !name.ends_with("_created") {
            format!("{at}/name")
        } else {
            at.to_string()
        };
        let msg = format!("{name:?} is not a legal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
        return Some((np, msg));
    }
    reserved_metric_problem(name).map(|msg| (at.to_string(), msg))
}

#[cfg(test)]
mod tests {
    use crate::artifact::{one_pass, BuildOptions, Origin};

    #[test]
    fn a_metric_name_is_refused_in_every_entry_until_a_family_has_it() {
        let entry = |name: &str| format!(r#"{{"name": "{name}", "type": "gauge", "value": 1}}"#);
        let names = [
            "1bad",
            "1bad",
            "push_time_seconds",
            "push_time_seconds",
            "ok",
            "ok",
        ];
        let entries: Vec<String> = names.iter().map(|n| entry(n)).collect();
        let text = format!(r#"{{"metrics": [{}]}}"#, entries.join(","));
        let opts = BuildOptions::default();
        let read = one_pass(text.as_bytes(), &Origin::named("a.json"), None, &opts).unwrap();
        let err = format!("{:#}", read.unwrap_err());
        let said = |pointer: &str, words: &str| {
            let line = err.lines().find(|l| l.contains(&format!("{pointer}:")));
            assert!(
                line.is_some_and(|l| l.contains(words)),
                "{pointer} {words:?} in:\n{err}"
            );
        };
        said("/metrics/0/name", "is not a legal metric name");
        said("/metrics/1/name", "is not a legal metric name");
        said("/metrics/2", "is written by the Pushgateway itself");
        said("/metrics/3", "is written by the Pushgateway itself");
        said("/metrics/5", "duplicate series ok: /metrics/4");
        assert!(!err.contains("/metrics/4:"), "{err}");
    }
}
