//! The two flat formats: `simple` (an object of name -> number, pushed as
//! gauges) and `simplepipe-v0`, the original Python Simplepipe's array of
//! `{name, description, value, metric_type}`, pushed exactly as its
//! prometheus_client calls pushed it.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::families::{Entry, FamilySet};
use super::number;
use super::parse::Document;
use crate::model::{escape_pointer, is_metric_name, parse_number, Kind, Sample};

/// The default buckets of the Python client the original Simplepipe used.
pub const PYTHON_DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Deserialize)]
struct V0Entry {
    name: String,
    description: String,
    value: Value,
    #[serde(deserialize_with = "super::strict::by_name")]
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

/// Add a `simple` document's gauges to the set; what its schema would
/// refuse is a [`FamilySet::mismatch`].
pub fn simple(set: &mut FamilySet, doc: &Value) {
    let Value::Object(map) = doc else {
        return set.mismatch("", "not an object");
    };
    if map.is_empty() {
        return set.mismatch("", "no keys");
    }
    for (name, v) in map {
        let at = format!("/{}", escape_pointer(name));
        if name == "$schema" {
            if !v.is_string() {
                set.mismatch(at, "not a string");
            }
            continue;
        }
        let Some(v) = number::of_value(v) else {
            set.mismatch(at, "not a number, \"NaN\", \"+Inf\" or \"-Inf\"");
            continue;
        };
        // The key is the name: point at the key, not at a `name` member
        // this format does not have.
        if !is_metric_name(name) {
            set.problem_of(
                "name",
                at,
                format!("{name:?} is not a legal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"),
            );
            continue;
        }
        set.add(at, Entry::scalar(name, Kind::Gauge, v));
    }
    if set.is_blank() {
        set.problem("", "must hold at least one metric");
    }
}

/// Add a `simplepipe-v0` document's metrics to the set; what its schema
/// would refuse is a [`FamilySet::mismatch`].
pub fn v0(set: &mut FamilySet, doc: &Document) {
    let Value::Array(items) = &doc.value else {
        return set.mismatch("", "not an array");
    };
    if items.is_empty() {
        return set.mismatch("", "no items");
    }
    doc.each_item(|i, item| v0_item(set, i, item));
}

/// One item of a `simplepipe-v0` document.
fn v0_item(set: &mut FamilySet, i: usize, item: &Value) {
    let at = format!("/{i}");
    v0_unknown_keys(set, &at, item);
    let Some(m) = v0_entry(set, &at, item) else {
        return;
    };
    let help = Cow::Owned(m.description);
    match m.metric_type {
        V0Type::Info => v0_info(set, at, &m.name, help, m.value),
        V0Type::Gauge => {
            let v = v0_number(set, &at, &m.value);
            let entry = Entry {
                help,
                ..Entry::scalar(&m.name, Kind::Gauge, v)
            };
            set.add(at, entry);
        }
        V0Type::Summary | V0Type::Histogram => {
            let summary = matches!(m.metric_type, V0Type::Summary);
            v0_observation(set, at, &m.name, help, &m.value, summary);
        }
    }
}

/// Warn of keys the v0 format does not have: the original Simplepipe
/// ignored them, so they are a warning here, not an error.
fn v0_unknown_keys(set: &mut FamilySet, at: &str, item: &Value) {
    if let Value::Object(map) = item {
        for key in map.keys() {
            if !["name", "description", "value", "metric_type"].contains(&key.as_str()) {
                set.warn(
                    format!("{at}/{}", escape_pointer(key)),
                    "unknown key ignored (the original Simplepipe ignored it too)",
                );
            }
        }
    }
}

/// The item read as a v0 entry whose value fits its type, or `None` after
/// recording the mismatch its schema would report.
fn v0_entry(set: &mut FamilySet, at: &str, item: &Value) -> Option<V0Entry> {
    // serde's derived reader would also take an array of the fields.
    if !item.is_object() {
        set.mismatch(at, "not an object");
        return None;
    }
    let m = match V0Entry::deserialize(item) {
        Ok(m) => m,
        Err(e) => {
            set.mismatch(at, e.to_string());
            return None;
        }
    };
    if let Some(why) = v0_value_problem(&m) {
        set.mismatch(format!("{at}/value"), why);
        return None;
    }
    Some(m)
}

/// An info metric: a `<name>_info` gauge of 1 whose labels are the value's
/// keys and strings.
fn v0_info(set: &mut FamilySet, at: String, name: &str, help: Cow<'static, str>, value: Value) {
    let Value::Object(kv) = value else { return };
    let mut labels = Vec::new();
    for (k, v) in kv {
        let lp = || format!("{at}/value/{}", escape_pointer(&k));
        let v = v.as_str().unwrap_or_default().to_string();
        set.check_label_name(lp, &k);
        set.check_label_value(lp, &k, &v);
        labels.push((Cow::Owned(k), Cow::Owned(v)));
    }
    let entry = Entry {
        help,
        labels,
        ..Entry::scalar(&format!("{name}_info"), Kind::Gauge, 1.0)
    };
    set.add(at, entry);
}

/// One observation, as prometheus_client's Summary.observe and
/// Histogram.observe (default buckets) recorded it, plus the client's
/// `<name>_created` gauge.
fn v0_observation(
    set: &mut FamilySet,
    at: String,
    name: &str,
    help: Cow<'static, str>,
    value: &Value,
    summary: bool,
) {
    let v = v0_number(set, &at, value);
    let created = Entry {
        help: help.clone(),
        ..Entry::scalar(&format!("{name}_created"), Kind::Gauge, set.opts.now)
    };
    let (kind, sample) = if summary {
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
        ..Entry::scalar(name, kind, v)
    };
    set.add(at.clone(), entry);
    set.add(at, created);
}

/// Why a v0 entry's value does not match its schema: an info's must be an
/// object of strings; any other's a number or a string of the schema's
/// pattern ([`v0_number_text`]).
fn v0_value_problem(m: &V0Entry) -> Option<&'static str> {
    match (&m.metric_type, &m.value) {
        (V0Type::Info, Value::Object(kv)) if kv.values().all(Value::is_string) => None,
        (V0Type::Info, _) => Some("not an object of strings"),
        (_, Value::Number(_)) => None,
        (_, Value::String(s)) if v0_number_text(s) => None,
        _ => Some("not a number"),
    }
}

/// The v0 schema's value pattern, `^\s*[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)
/// ([eE][+-]?[0-9]+)?|[Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)\s*$`,
/// for ASCII text. Text with anything else in it is refused here, so that
/// the schema's own regex (whose `\s` is Unicode's) decides.
pub fn v0_number_text(s: &str) -> bool {
    if !s.is_ascii() {
        return false;
    }
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        return true;
    }
    let b = t.as_bytes();
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_end = digits(0);
    let mantissa_end = if int_end > 0 {
        if b.get(int_end) == Some(&b'.') {
            digits(int_end + 1)
        } else {
            int_end
        }
    } else if b.first() == Some(&b'.') && digits(1) > 1 {
        digits(1)
    } else {
        return false;
    };
    let rest = &b[mantissa_end..];
    match rest {
        [] => true,
        [b'e' | b'E', exp @ ..] => {
            let exp = exp
                .strip_prefix(b"+")
                .or(exp.strip_prefix(b"-"))
                .unwrap_or(exp);
            !exp.is_empty() && exp.iter().all(u8::is_ascii_digit)
        }
        _ => false,
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
