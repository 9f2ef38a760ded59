//! The two flat formats: `simple` (an object of name -> number, pushed as
//! gauges) and `simplepipe-v0`, the original Python Simplepipe's array of
//! `{name, description, value, metric_type}`, pushed exactly as its
//! prometheus_client calls pushed it.

use serde::Deserialize;
use serde_json::Value;

use super::families::{Entry, FamilySet};
use super::native::typed;
use super::number::{value, Num};
use crate::model::{escape_pointer, parse_number, Kind, Sample};

/// The default buckets of the Python client the original Simplepipe used.
pub const PYTHON_DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Deserialize)]
struct V0Entry {
    name: String,
    description: String,
    value: Value,
    metric_type: V0Type,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum V0Type {
    Gauge,
    Summary,
    Histogram,
    Info,
}

/// Add a schema-valid `simple` document's gauges to the set.
pub fn simple(set: &mut FamilySet, doc: Value) {
    let Value::Object(map) = doc else { return };
    for (name, v) in map {
        if name == "$schema" {
            continue;
        }
        let at = format!("/{}", escape_pointer(&name));
        let v = value(
            set,
            || at.clone(),
            serde_json::from_value::<Num>(v).ok().as_ref(),
        );
        set.add(at, Entry::scalar(&name, Kind::Gauge, v));
    }
    if set.is_blank() {
        set.problem("", "must hold at least one metric");
    }
}

/// Add a schema-valid `simplepipe-v0` document's metrics to the set.
pub fn v0(set: &mut FamilySet, doc: Value) {
    let Value::Array(items) = doc else { return };
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("/{i}");
        if let Value::Object(map) = &item {
            for key in map.keys() {
                if !["name", "description", "value", "metric_type"].contains(&key.as_str()) {
                    set.warn(
                        format!("{at}/{}", escape_pointer(key)),
                        "unknown key ignored (the original Simplepipe ignored it too)",
                    );
                }
            }
        }
        let Some(m) = typed::<V0Entry>(set, "", item) else {
            continue;
        };
        let help = m.description;
        match m.metric_type {
            V0Type::Info => {
                let Value::Object(kv) = m.value else { continue };
                let mut labels = Vec::new();
                for (k, v) in kv {
                    set.check_label_name(|| format!("{at}/value/{}", escape_pointer(&k)), &k);
                    labels.push((k, v.as_str().unwrap_or_default().to_string()));
                }
                let entry = Entry {
                    help,
                    labels,
                    ..Entry::scalar(&format!("{}_info", m.name), Kind::Gauge, 1.0)
                };
                set.add(at, entry);
            }
            V0Type::Gauge => {
                let v = v0_number(set, &at, &m.value);
                let entry = Entry {
                    help,
                    ..Entry::scalar(&m.name, Kind::Gauge, v)
                };
                set.add(at, entry);
            }
            // One observation, as prometheus_client's Summary.observe and
            // Histogram.observe (default buckets) recorded it, plus the
            // client's `<name>_created` gauge.
            V0Type::Summary | V0Type::Histogram => {
                let v = v0_number(set, &at, &m.value);
                let created = Entry {
                    help: help.clone(),
                    ..Entry::scalar(&format!("{}_created", m.name), Kind::Gauge, set.opts.now)
                };
                let (kind, sample) = if matches!(m.metric_type, V0Type::Summary) {
                    let sample = Sample::Summary {
                        quantiles: Vec::new(),
                        sum: v,
                        count: 1,
                    };
                    (Kind::Summary, sample)
                } else {
                    let buckets = PYTHON_DEFAULT_BUCKETS
                        .iter()
                        .map(|&le| (le, u64::from(v <= le)))
                        .collect();
                    let sample = Sample::Histogram {
                        buckets,
                        sum: v,
                        count: 1,
                    };
                    (Kind::Histogram, sample)
                };
                let entry = Entry {
                    help,
                    sample,
                    ..Entry::scalar(&m.name, kind, v)
                };
                set.add(at.clone(), entry);
                set.add(at, created);
            }
        }
    }
}

/// A v0 value: a number, or a string Python's float() reads.
fn v0_number(set: &mut FamilySet, at: &str, v: &Value) -> f64 {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s),
        _ => None,
    };
    n.unwrap_or_else(|| {
        set.problem(format!("{at}/value"), format!("{v} is not a number"));
        f64::NAN
    })
}
