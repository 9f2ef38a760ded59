//! The native format reader: `{"labels": {…}, "metrics": [{name, type,
//! help, labels, value | buckets/sum/count | quantiles/sum/count}]}`.
//!
//! Streamed: each entry is deserialized from its raw slice of the input only
//! when its turn comes, so the typed entries never exist all at once, and
//! names, help and labels stay borrowed from the input where they need no
//! unescaping. The one pass reads an entry by hand first (`direct`),
//! with these serde readers for what that one leaves.
//!
//! Strict: the typed entry refuses exactly what the format's JSON Schema
//! refuses (unknown keys, `null`s, a string that is not "NaN"/"+Inf"/"-Inf",
//! the keys a type forbids or requires), so that reading an entry is also
//! validating it (see [`super::fast`]). What does not fit is recorded with
//! [`FamilySet::mismatch`], never guessed at.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::families::{Entry, FamilySet};
use super::number::{Count, Le, Num};
use super::parse::Document;
use super::place::At;
use super::strict::{by_name, present, Object};
use crate::model::{escape_pointer, Kind, Sample};

pub(super) mod direct;
mod labels;

pub(super) use labels::Labels;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricEntry<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "type", deserialize_with = "by_name")]
    kind: Kind,
    #[serde(default, borrow)]
    help: Cow<'a, str>,
    #[serde(default, borrow)]
    labels: Labels<'a>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Num>,
    #[serde(default, deserialize_with = "present")]
    buckets: Option<Vec<Object<Bucket>>>,
    #[serde(default, deserialize_with = "present")]
    quantiles: Option<Vec<Object<Quantile>>>,
    #[serde(default, deserialize_with = "present")]
    sum: Option<Num>,
    #[serde(default, deserialize_with = "present")]
    count: Option<Count>,
}

/// An entry read as an [`Object`].
pub(super) fn from_object<'a, E>(
    r: Result<Object<MetricEntry<'a>>, E>,
) -> Result<MetricEntry<'a>, E> {
    r.map(|o| o.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bucket {
    le: Le,
    count: Count,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quantile {
    quantile: f64,
    value: Num,
}

/// The keys besides the native format's top level ones.
pub(super) const TOP_KEYS: [&str; 3] = ["$schema", "labels", "metrics"];

/// Add a native document's entries to the set.
pub fn read(set: &mut FamilySet, doc: &Document) {
    let Value::Object(top) = &doc.value else {
        set.mismatch("", "not an object");
        return;
    };
    top_keys(set, top);
    let top_labels: Labels = match top.get("labels").map(Labels::deserialize) {
        None => Labels::default(),
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            set.mismatch("/labels", e.to_string());
            return;
        }
    };
    check_top_labels(set, &top_labels);
    match (&doc.entries, top.get("metrics")) {
        (Some(raw), _) if !raw.is_empty() => {
            // One series an entry, for entries that can add one: the
            // shortest, `{"name":"a","type":"gauge","value":0}`, is 38
            // bytes; 16 MiB of `{},` reserved 400 MB for series never seen.
            set.reserve(raw.len().min(doc.text.len() / 38));
            for (i, r) in raw.iter().enumerate() {
                entry(
                    set,
                    &top_labels,
                    i,
                    from_object(serde_json::from_str(r.get())),
                );
            }
        }
        (None, Some(Value::Array(all))) if !all.is_empty() => {
            for (i, v) in all.iter().enumerate() {
                entry(set, &top_labels, i, from_object(Object::deserialize(v)));
            }
        }
        _ => set.mismatch("/metrics", "not an array of at least one metric"),
    }
}

/// The top level's keys, as the schema allows them.
pub(super) fn top_keys(set: &mut FamilySet, top: &serde_json::Map<String, Value>) {
    if let Some(k) = top.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
        set.mismatch("", format!("unknown key {k:?}"));
    }
    if top.get("$schema").is_some_and(|s| !s.is_string()) {
        set.mismatch("/$schema", "not a string");
    }
}

/// The top-level labels' names and values, before any entry.
pub(super) fn check_top_labels(set: &mut FamilySet, top_labels: &Labels) {
    for (name, value) in &top_labels.0 {
        let at = || format!("/labels/{}", escape_pointer(name));
        set.check_label_name(at, name);
        set.check_label_value(at, name, value);
    }
}

/// The keys a type requires and those it forbids, as the schema's `allOf`.
fn shape_problem(m: &MetricEntry) -> Option<&'static str> {
    let has = [
        m.value.is_some(),
        m.buckets.is_some(),
        m.quantiles.is_some(),
        m.sum.is_some(),
        m.count.is_some(),
    ];
    // value, buckets, quantiles, sum, count: Some(true) required,
    // Some(false) forbidden, None optional.
    let rule: [Option<bool>; 5] = match m.kind {
        Kind::Gauge | Kind::Counter | Kind::Untyped => [
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            Some(false),
        ],
        Kind::Histogram => [Some(false), Some(true), Some(false), Some(true), Some(true)],
        Kind::Summary => [Some(false), Some(false), None, Some(true), Some(true)],
    };
    let ok = has.iter().zip(rule).all(|(&h, r)| r.is_none_or(|r| r == h));
    (!ok).then_some("keys do not fit the type")
}

/// Add one entry (its place `i`) with the top-level labels; what its
/// schema would refuse is a [`FamilySet::mismatch`].
pub(super) fn entry(
    set: &mut FamilySet,
    top_labels: &Labels,
    i: usize,
    parsed: serde_json::Result<MetricEntry>,
) {
    let at = At::Item {
        list: "/metrics",
        i: i as u32,
    };
    let Some(mut m) = fitting(set, &at, parsed) else {
        return;
    };
    let labels = entry_labels(set, &at, top_labels, std::mem::take(&mut m.labels));
    let sample = sample(set, &at, &m);
    let entry = Entry {
        name: m.name,
        kind: m.kind,
        help: m.help,
        labels,
        sample,
    };
    set.add_sorted(at, entry);
}

/// The entry if its schema would take it; otherwise `None`, after the
/// mismatch (unreadable, keys unfit for the type, a quantile outside [0, 1]).
fn fitting<'a>(
    set: &mut FamilySet,
    at: &At,
    parsed: serde_json::Result<MetricEntry<'a>>,
) -> Option<MetricEntry<'a>> {
    let m = match parsed {
        Ok(m) => m,
        Err(e) => {
            set.mismatch(at, e.to_string());
            return None;
        }
    };
    if let Some(why) = shape_problem(&m) {
        set.mismatch(at, why);
        return None;
    }
    if let Some(q) = m
        .quantiles
        .iter()
        .flatten()
        .find(|q| !(0.0..=1.0).contains(&q.quantile))
    {
        set.mismatch(at, format!("quantile {} is not within [0, 1]", q.quantile));
        return None;
    }
    Some(m)
}

/// The entry's own labels (checked), with the top-level ones merged in:
/// a label set in both places is a problem, as the two could disagree.
/// Built in the entry's own vector and kept sorted by name, so no second
/// vector is allocated and [`FamilySet::add_sorted`] need not sort them.
fn entry_labels<'a>(
    set: &mut FamilySet,
    at: &At,
    top_labels: &'a Labels,
    own: Labels<'a>,
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let mut labels = own.0;
    labels.retain(|(k, v)| {
        let lp = || format!("{at}/labels/{}", escape_pointer(k));
        if top_labels.get(k).is_some() {
            set.problem(
                lp(),
                format!("label {k:?} is also set in the top-level \"labels\"; set it in one place"),
            );
            return false;
        }
        set.check_label_name(lp, k);
        set.check_label_value(lp, k, v);
        true
    });
    labels.reserve(top_labels.0.len());
    for (k, v) in &top_labels.0 {
        // Not found: the own labels that repeat a top-level one are gone.
        let i = labels.partition_point(|(own, _)| **own < **k);
        labels.insert(i, (Cow::Borrowed(&**k), Cow::Borrowed(&**v)));
    }
    labels
}

/// The entry's sample, with the problems its type rules out: a negative
/// counter, buckets out of order, a quantile given twice.
fn sample(set: &mut FamilySet, at: &At, m: &MetricEntry) -> Sample {
    let num = |n: Option<Num>| n.map_or(f64::NAN, |n| n.0);
    let count = m.count.map_or(0, |c| c.0);
    match m.kind {
        Kind::Gauge | Kind::Counter | Kind::Untyped => {
            let v = num(m.value);
            if m.kind == Kind::Counter && v < 0.0 {
                set.problem(
                    format!("{at}/value"),
                    format!("{v} is negative; a counter never goes below 0 (use a gauge)"),
                );
            }
            Sample::Scalar(v)
        }
        Kind::Histogram => Sample::Histogram {
            buckets: buckets(set, at, m.buckets.as_deref().unwrap_or_default(), count),
            sum: num(m.sum),
            count,
        },
        Kind::Summary => Sample::Summary {
            quantiles: quantiles(set, at, m.quantiles.as_deref().unwrap_or_default()),
            sum: num(m.sum),
            count,
        },
    }
}

/// A summary's (quantile, value) pairs: a quantile given twice is a
/// problem, and only its first value is kept.
fn quantiles(set: &mut FamilySet, at: &At, raw: &[Object<Quantile>]) -> Vec<(f64, f64)> {
    let mut quantiles = Vec::with_capacity(raw.len());
    for (j, q) in raw.iter().enumerate() {
        if quantiles.iter().any(|&(prev, _)| prev == q.quantile) {
            set.problem(
                format!("{at}/quantiles/{j}/quantile"),
                format!("quantile {} appears twice", q.quantile),
            );
            continue;
        }
        quantiles.push((q.quantile, q.value.0));
    }
    quantiles
}

/// Check a histogram's buckets: sorted, cumulative, `+Inf` last and equal to
/// `count`. Returns the finite buckets (the encoder writes `+Inf`).
fn buckets(set: &mut FamilySet, at: &At, raw: &[Object<Bucket>], count: u64) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = Vec::with_capacity(raw.len());
    let mut inf_seen = false;
    for (j, b) in raw.iter().enumerate() {
        let bp = || format!("{at}/buckets/{j}");
        let (le, bc) = (b.le.0, b.count.0);
        if inf_seen {
            set.problem(
                format!("{}/le", bp()),
                "no bucket may follow the \"+Inf\" bucket",
            );
            continue;
        }
        if let Some(&(prev_le, prev_count)) = out.last() {
            if le <= prev_le {
                set.problem(format!("{}/le", bp()), format!("{le} is not above the previous bucket's {prev_le}; buckets must be sorted by \"le\""));
            } else if bc < prev_count {
                set.problem(format!("{}/count", bp()), format!("{bc} is below the previous bucket's {prev_count}; bucket counts are cumulative and never go down"));
            }
        }
        if le == f64::INFINITY {
            inf_seen = true;
            if bc != count {
                set.problem(format!("{}/count", bp()), format!("the \"+Inf\" bucket counts {bc} but \"count\" is {count}; they must be equal"));
            }
        } else {
            if bc > count {
                set.problem(format!("{}/count", bp()), format!("{bc} is above \"count\" ({count}); no bucket can hold more than every observation"));
            }
            out.push((le, bc));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::artifact::{one_pass, BuildOptions, Origin};

    fn read(text: &str) -> anyhow::Result<crate::artifact::Model> {
        let opts = BuildOptions::default();
        let read = one_pass(text.as_bytes(), &Origin::named("a.json"), None, &opts);
        read.expect("the one pass applies").map(|(model, _)| model)
    }

    #[test]
    fn top_level_labels_merge_sorted_and_a_repeated_one_is_refused() {
        let top = r#"{"labels": {"b": "1", "z": "2"}, "metrics": ["#;
        let model = read(&format!(
            r#"{top}{{"name": "m", "type": "gauge", "value": 1, "labels": {{"c": "3", "a": "4"}}}}]}}"#
        ))
        .unwrap();
        let labels: Vec<(&str, &str)> = model.families[0].series[0]
            .labels
            .iter()
            .map(|(k, v)| (&**k, &**v))
            .collect();
        assert_eq!(labels, [("a", "4"), ("b", "1"), ("c", "3"), ("z", "2")]);
        let err = read(&format!(
            r#"{top}{{"name": "m", "type": "gauge", "value": 1, "labels": {{"c": "3", "b": "5"}}}}]}}"#
        ))
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("/metrics/0/labels/b")
                && text.contains("label \"b\" is also set in the top-level \"labels\""),
            "{text}"
        );
    }
}
