//! The native format reader: `{"labels": {…}, "metrics": [{name, type,
//! help, labels, value | buckets/sum/count | quantiles/sum/count}]}`.
//!
//! Streamed: each entry is deserialized from its raw slice of the input only
//! when its turn comes, so the typed entries never exist all at once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::families::{Entry, FamilySet};
use super::number::{value, Num};
use super::parse::Document;
use crate::model::{escape_pointer, Kind, Sample};

#[derive(Deserialize)]
struct MetricEntry {
    name: String,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    help: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    value: Option<Num>,
    #[serde(default)]
    buckets: Vec<Bucket>,
    #[serde(default)]
    quantiles: Vec<Quantile>,
    sum: Option<Num>,
    count: Option<u64>,
}

#[derive(Deserialize)]
struct Bucket {
    le: Num,
    count: u64,
}

#[derive(Deserialize)]
struct Quantile {
    quantile: f64,
    value: Num,
}

/// Add a schema-valid native document's entries to the set.
pub fn read(set: &mut FamilySet, doc: Document) {
    let top_labels = doc
        .value
        .get("labels")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    let Some(top_labels) = typed::<BTreeMap<String, String>>(set, "", top_labels) else {
        return;
    };
    let entries: Box<dyn Iterator<Item = serde_json::Result<MetricEntry>>> = match doc.entries {
        Some(raw) => Box::new(raw.into_iter().map(|r| serde_json::from_str(r.get()))),
        None => {
            let all = doc
                .value
                .get("metrics")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Box::new(all.into_iter().map(serde_json::from_value))
        }
    };
    for name in top_labels.keys() {
        set.check_label_name(|| format!("/labels/{}", escape_pointer(name)), name);
    }
    for (i, m) in entries.enumerate() {
        let at = format!("/metrics/{i}");
        let m: MetricEntry = match m {
            Ok(m) => m,
            Err(e) => {
                set.problem(at, unreadable(&e));
                continue;
            }
        };
        let mut labels: Vec<(String, String)> = top_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in m.labels {
            let lp = || format!("{at}/labels/{}", escape_pointer(&k));
            if top_labels.contains_key(&k) {
                set.problem(
                    lp(),
                    format!(
                        "label {k:?} is also set in the top-level \"labels\"; set it in one place"
                    ),
                );
                continue;
            }
            set.check_label_name(lp, &k);
            labels.push((k, v));
        }
        let sample = match m.kind {
            Kind::Gauge | Kind::Counter | Kind::Untyped => {
                let v = value(set, || format!("{at}/value"), m.value.as_ref());
                if m.kind == Kind::Counter && v < 0.0 {
                    set.problem(
                        format!("{at}/value"),
                        format!("{v} is negative; a counter never goes below 0 (use a gauge)"),
                    );
                }
                Sample::Scalar(v)
            }
            Kind::Histogram => {
                let count = m.count.unwrap_or(0);
                let buckets = buckets(set, &at, &m.buckets, count);
                Sample::Histogram {
                    buckets,
                    sum: value(set, || format!("{at}/sum"), m.sum.as_ref()),
                    count,
                }
            }
            Kind::Summary => {
                let mut quantiles = Vec::with_capacity(m.quantiles.len());
                for (j, q) in m.quantiles.iter().enumerate() {
                    let qp = format!("{at}/quantiles/{j}/quantile");
                    if quantiles.iter().any(|&(prev, _)| prev == q.quantile) {
                        set.problem(qp, format!("quantile {} appears twice", q.quantile));
                        continue;
                    }
                    let v = value(set, || format!("{at}/quantiles/{j}/value"), Some(&q.value));
                    quantiles.push((q.quantile, v));
                }
                Sample::Summary {
                    quantiles,
                    sum: value(set, || format!("{at}/sum"), m.sum.as_ref()),
                    count: m.count.unwrap_or(0),
                }
            }
        };
        let entry = Entry {
            name: m.name,
            kind: m.kind,
            help: m.help,
            labels,
            sample,
        };
        set.add(at, entry);
    }
}

/// Deserialize a schema-valid value; a failure here means the schema and
/// this code disagree, which is reported rather than panicking.
pub fn typed<T: for<'de> Deserialize<'de>>(set: &mut FamilySet, at: &str, v: Value) -> Option<T> {
    match serde_json::from_value(v) {
        Ok(t) => Some(t),
        Err(e) => {
            set.problem(at, unreadable(&e));
            None
        }
    }
}

fn unreadable(e: &serde_json::Error) -> String {
    format!("cannot be read although it matches its schema ({e}); please report this")
}

/// Check a histogram's buckets: sorted, cumulative, `+Inf` last and equal to
/// `count`. Returns the finite buckets (the encoder writes `+Inf`).
fn buckets(set: &mut FamilySet, at: &str, raw: &[Bucket], count: u64) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = Vec::with_capacity(raw.len());
    let mut inf_seen = false;
    for (j, b) in raw.iter().enumerate() {
        let bp = format!("{at}/buckets/{j}");
        if inf_seen {
            set.problem(
                format!("{bp}/le"),
                "no bucket may follow the \"+Inf\" bucket",
            );
            continue;
        }
        let le = match &b.le {
            Num::Number(f) => *f,
            Num::Text(_) => f64::INFINITY,
        };
        if let Some(&(prev_le, prev_count)) = out.last() {
            if le <= prev_le {
                set.problem(format!("{bp}/le"), format!("{le} is not above the previous bucket's {prev_le}; buckets must be sorted by \"le\""));
            } else if b.count < prev_count {
                set.problem(format!("{bp}/count"), format!("{} is below the previous bucket's {prev_count}; bucket counts are cumulative and never go down", b.count));
            }
        }
        if le == f64::INFINITY {
            inf_seen = true;
            if b.count != count {
                set.problem(format!("{bp}/count"), format!("the \"+Inf\" bucket counts {} but \"count\" is {count}; they must be equal", b.count));
            }
        } else {
            if b.count > count {
                set.problem(format!("{bp}/count"), format!("{} is above \"count\" ({count}); no bucket can hold more than every observation", b.count));
            }
            out.push((le, b.count));
        }
    }
    out
}
