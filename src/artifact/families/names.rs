//! The family set's label strings: one shared copy of each label name and
//! value (the interner), and in front of it the few label names an
//! artifact repeats on every series ("host", "stage", …), each with its
//! values while it has only a few ("train" and "eval"; not a shard number).
//!
//! Why: every series' labels are interned, two strings a label, and most
//! of them are the same handful of names and a few values (a top-level
//! `pipeline=bench` on each of 100,000 series). Comparing a short name
//! against a few known ones is cheaper than hashing it and probing the
//! interner (callgrind, `validate` of 100,000 series: interning went from
//! 129 M to 114 M instructions, 59 M of them the interner taking the
//! 100,000 distinct shard values).
//!
//! A name's values are judged [`TRIAL`] lookups at a time: when one in
//! [`RARE`] of them or fewer was found in the interner, the next [`PAUSE`]
//! each get their own copy without a lookup, and then they are judged
//! again. A lookup that misses is a cache miss in a table as large as the
//! artifact, and the copy it keeps is never shared (`validate`, 100,000
//! series: 129 → 115 ms on one thread, 105 → 98 ms on two, for only 2%
//! fewer instructions). Judging again lets values that repeat only later
//! (the same 1,000 steps in each of 100 families) be shared after a
//! pause or two.
//!
//! The same list remembers which names passed
//! [`super::FamilySet::check_label_name`]: its answer depends only on the
//! name and the set's options, so a name that passed once passes again. A
//! refused name is never remembered; it is refused, with its own pointer,
//! every time it is given.

use std::cell::Cell;
use std::collections::HashSet;

use super::super::hashing::ContentHasher;
use crate::model::Label;

/// How many names are remembered; past that, names go to the interner
/// alone (a linear scan of a longer list would cost what it saves).
const NAMES: usize = 16;

/// How many values a name remembers: a name given more (a host, a shard
/// number) stops remembering them, and costs no comparison with them.
const VALUES: usize = 4;

/// How many of a name's values are looked up in the interner before they
/// are judged.
const TRIAL: u32 = 512;

/// One in this many of a trial's values found in the interner, or fewer:
/// the name's values are taken not to repeat.
const RARE: u32 = 16;

/// How many values are then copied without a lookup, before the next trial.
const PAUSE: u32 = 8_192;

/// A remembered label name.
struct Name {
    name: Label,
    /// The values interned with this name; `None` once there were more
    /// than [`VALUES`].
    values: Option<Vec<Label>>,
    /// Whether the name passed the set's label name check.
    passed: bool,
    /// This trial's lookups in the interner, and how many found the value.
    looked: u32,
    found: u32,
    /// Values still to be copied without a lookup (see [`PAUSE`]).
    pause: u32,
}

impl Name {
    fn new(name: Label, values: Vec<Label>, passed: bool) -> Name {
        let values = Some(values);
        Name {
            name,
            values,
            passed,
            looked: 0,
            found: 0,
            pause: 0,
        }
    }

    /// Count one lookup; at a trial's end, judge it.
    fn looked_up(&mut self, found: bool) {
        self.looked += 1;
        self.found += u32::from(found);
        if self.looked == TRIAL {
            if self.found * RARE <= TRIAL {
                self.pause = PAUSE;
            }
            (self.looked, self.found) = (0, 0);
        }
    }
}

/// The interner, and the names in front of it.
#[derive(Default)]
pub(super) struct LabelStrings {
    interner: HashSet<Label, ContentHasher>,
    names: Vec<Name>,
    /// Where to look first: after the last name found. Series give their
    /// names in the same order, so this is mostly the one asked for.
    next: Cell<usize>,
}

impl LabelStrings {
    /// The shared name and value of a label.
    pub(super) fn pair(&mut self, name: &str, value: &str) -> (Label, Label) {
        let Some(i) = self.find(name) else {
            let (name, value) = (self.intern(name), self.intern(value));
            self.remember(Name::new(name.clone(), vec![value.clone()], false));
            return (name, value);
        };
        let mut known = self.names[i].values.iter().flatten();
        if let Some(shared) = known.find(|v| ***v == *value) {
            return (self.names[i].name.clone(), shared.clone());
        }
        if self.names[i].pause > 0 {
            self.names[i].pause -= 1;
            return (self.names[i].name.clone(), value.into());
        }
        let before = self.interner.len();
        let shared = self.intern(value);
        let n = &mut self.names[i];
        n.looked_up(self.interner.len() == before);
        match &mut n.values {
            Some(values) if values.len() < VALUES => values.push(shared.clone()),
            values => *values = None,
        }
        (n.name.clone(), shared)
    }

    /// Whether `name` passed the set's label name check before.
    #[inline]
    pub(super) fn passed(&self, name: &str) -> bool {
        self.find(name).is_some_and(|i| self.names[i].passed)
    }

    /// Remember that `name` passed the set's label name check.
    pub(super) fn pass(&mut self, name: &str) {
        match self.find(name) {
            Some(i) => self.names[i].passed = true,
            None => {
                let name = self.intern(name);
                self.remember(Name::new(name, Vec::new(), true));
            }
        }
    }

    #[inline]
    fn find(&self, name: &str) -> Option<usize> {
        let start = self.next.get();
        let mut order = (start..self.names.len()).chain(0..start);
        let found = order.find(|&i| *self.names[i].name == *name)?;
        self.next.set(found + 1);
        Some(found)
    }

    fn remember(&mut self, name: Name) {
        if self.names.len() < NAMES {
            self.names.push(name);
        }
    }

    fn intern(&mut self, s: &str) -> Label {
        if let Some(shared) = self.interner.get(s) {
            return shared.clone();
        }
        let shared: Label = s.into();
        self.interner.insert(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_value_is_given_only_for_its_own_name_and_value() {
        let mut s = LabelStrings::default();
        let (k, v) = s.pair("stage", "train");
        assert_eq!((&*k, &*v), ("stage", "train"));
        // Same name, another value; another name, the same value.
        let (k, v) = s.pair("stage", "eval");
        assert_eq!((&*k, &*v), ("stage", "eval"));
        let (k, v) = s.pair("phase", "eval");
        assert_eq!((&*k, &*v), ("phase", "eval"));
        let (k, v) = s.pair("stage", "train");
        assert_eq!((&*k, &*v), ("stage", "train"));
        // One copy of each string, whichever way it came.
        let (_, again) = s.pair("phase", "train");
        assert!(Label::ptr_eq(&again, &v));
        assert_eq!(s.interner.len(), 4);
    }

    #[test]
    fn a_name_with_many_values_gives_each_its_own() {
        let mut s = LabelStrings::default();
        let values: Vec<String> = (0..3 * VALUES)
            .map(|i| format!("v{}", i % (VALUES + 2)))
            .collect();
        let shared: Vec<Label> = values.iter().map(|v| s.pair("shard", v).1).collect();
        assert_eq!(shared, values);
        assert!(
            s.names[0].values.is_none(),
            "past {VALUES} values, none kept"
        );
        assert!(Label::ptr_eq(&shared[0], &shared[VALUES + 2]));
    }

    #[test]
    fn values_that_never_repeat_pause_their_interning_and_repeating_ones_do_not() {
        let mut s = LabelStrings::default();
        for i in 0..20_000 {
            let (_, v) = s.pair("shard", &format!("shard-{i:06}"));
            assert_eq!(v, format!("shard-{i:06}"));
            let (_, h) = s.pair("host", &format!("node-{:02}", i % 37));
            assert_eq!(h, format!("node-{:02}", i % 37));
        }
        assert_eq!(s.names[s.find("host").unwrap()].pause, 0);
        // 2 names, 37 hosts, and of the shards the first (taken with its
        // new name) and three trials': after each a pause.
        assert_eq!(s.interner.len(), 2 + 37 + 1 + 3 * TRIAL as usize);
        let (_, a) = s.pair("host", "node-05");
        let (_, b) = s.pair("host", "node-05");
        assert!(
            Label::ptr_eq(&a, &b),
            "a repeating name's values are shared"
        );
    }

    #[test]
    fn values_that_repeat_only_later_are_shared_after_a_pause() {
        // The same 1,000 steps in each of 100 families.
        let mut s = LabelStrings::default();
        // Every value kept, as the series keep them: a copy dropped at
        // once would hand its address to the next.
        let kept: Vec<Label> = (0..100_000)
            .map(|i| s.pair("step", &format!("step-{:04}", i % 1000)).1)
            .collect();
        let at = |v: &[Label]| -> HashSet<usize> {
            v.iter().map(|l| l.as_str().as_ptr() as usize).collect()
        };
        let (copies, late) = (at(&kept), at(&kept[50_000..]));
        assert_eq!(late.len(), 1000, "once judged again, every value is shared");
        assert!(
            copies.len() <= 1000 + PAUSE as usize,
            "{} copies of 1,000 values",
            copies.len()
        );
    }

    #[test]
    fn only_a_name_that_passed_is_said_to_have() {
        let mut s = LabelStrings::default();
        s.pair("host", "a");
        assert!(!s.passed("host"), "interned is not checked");
        s.pass("host");
        assert!(s.passed("host") && !s.passed("hos") && !s.passed("hostx"));
        // Past the names remembered, a name is not said to have passed.
        for i in 0..NAMES {
            s.pass(&format!("n{i}"));
        }
        assert!(!s.passed(&format!("n{}", NAMES - 1)));
        assert_eq!(s.pair("n99", "1").0, "n99");
    }
}

/// Through the native reader: what the remembered names must not change.
#[cfg(test)]
mod read {
    use crate::artifact::{one_pass, BuildOptions, Origin};

    fn read(opts: &BuildOptions, top: &str, entries: &[&str]) -> Result<Vec<String>, String> {
        let metrics: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(i, labels)| {
                format!(r#"{{"name": "m", "type": "gauge", "value": {i}, "labels": {{{labels}}}}}"#)
            })
            .collect();
        let text = format!(
            r#"{{"labels": {{{top}}}, "metrics": [{}]}}"#,
            metrics.join(",")
        );
        let read = one_pass(text.as_bytes(), &Origin::named("a.json"), None, opts);
        match read.expect("the one pass applies") {
            Ok((model, _)) => Ok(model.families[0]
                .series
                .iter()
                .map(|s| {
                    let pairs = s.labels.iter().map(|(k, v)| format!("{k}={v}"));
                    pairs.collect::<Vec<_>>().join(",")
                })
                .collect()),
            Err(e) => Err(format!("{e:#}")),
        }
    }

    /// Each of `pointers` is said with `message`.
    fn refused_at(err: &str, message: &str, pointers: &[&str]) {
        for p in pointers {
            let line = err.lines().find(|l| l.contains(&format!("{p}:")));
            assert!(
                line.is_some_and(|l| l.contains(message)),
                "{p} not refused with {message:?} in:\n{err}"
            );
        }
    }

    #[test]
    fn a_refused_label_name_is_refused_in_every_entry_that_gives_it() {
        let opts = BuildOptions::default();
        // "ok" passes in entry 0 and is remembered; "le" and "__x" never are.
        let err = read(
            &opts,
            "",
            &[
                r#""ok": "1", "le": "1""#,
                r#""le": "2", "ok": "2""#,
                r#""__x": "1""#,
                r#""__x": "2", "le": "3""#,
            ],
        )
        .unwrap_err();
        let le = "reserved for histogram buckets";
        refused_at(
            &err,
            le,
            &[
                "/metrics/0/labels/le",
                "/metrics/1/labels/le",
                "/metrics/3/labels/le",
            ],
        );
        refused_at(
            &err,
            "reserved by Prometheus",
            &["/metrics/2/labels/__x", "/metrics/3/labels/__x"],
        );
        assert!(!err.contains("labels/ok"), "{err}");
    }

    #[test]
    fn a_grouping_or_option_label_is_refused_in_every_entry_that_gives_it() {
        let opts = BuildOptions {
            grouping: vec!["instance".into()],
            labels: vec![("team".into(), "x".into())],
            ..BuildOptions::default()
        };
        let entries = [
            r#""instance": "a", "team": "y""#,
            r#""team": "z", "instance": "b""#,
        ];
        let err = read(&opts, "", &entries).unwrap_err();
        let grouping = "is also a grouping label";
        refused_at(
            &err,
            grouping,
            &["/metrics/0/labels/instance", "/metrics/1/labels/instance"],
        );
        refused_at(
            &err,
            "is also given by --label",
            &["/metrics/0/labels/team", "/metrics/1/labels/team"],
        );
    }

    #[test]
    fn a_top_level_label_an_entry_repeats_is_refused_every_time() {
        let opts = BuildOptions::default();
        let entries = [r#""a": "1""#, r#""p": "2", "a": "2""#, r#""p": "3""#];
        let err = read(&opts, r#""p": "bench""#, &entries).unwrap_err();
        let twice = "is also set in the top-level";
        refused_at(&err, twice, &["/metrics/1/labels/p", "/metrics/2/labels/p"]);
        assert!(!err.contains("/metrics/0/"), "{err}");
    }

    #[test]
    fn every_series_keeps_its_own_values_sorted_with_the_top_and_option_labels() {
        let opts = BuildOptions {
            labels: vec![("team".into(), "x".into())],
            ..BuildOptions::default()
        };
        let entries = [
            r#""stage": "train", "host": "h1""#,
            r#""stage": "eval", "host": "h1""#,
            r#""host": "h2", "stage": "eval", "zone": "train""#,
            r#""host": "train""#,
        ];
        let series = read(&opts, r#""p": "bench""#, &entries).unwrap();
        assert_eq!(
            series,
            [
                "host=h1,p=bench,stage=train,team=x",
                "host=h1,p=bench,stage=eval,team=x",
                "host=h2,p=bench,stage=eval,team=x,zone=train",
                "host=train,p=bench,team=x",
            ]
        );
    }
}
