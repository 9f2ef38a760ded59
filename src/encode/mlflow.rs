//! Families → MLflow `runs/log-batch` bodies (the `--mlflow` sink).
//!
//! Pure and snapshot-tested, like the other encoders. MLflow stores a run's
//! metrics as `key → (value, timestamp, step)` with no labels, so a series
//! becomes one metric key:
//!
//! | series                                  | MLflow metric key                          |
//! |-----------------------------------------|--------------------------------------------|
//! | `loss` (no labels)                      | `loss`                                     |
//! | `images_processed_total{split="train"}` | `images_processed_total.split.train`       |
//! | `m{a="1",b="x"}`                        | `m.a.1.b.x` (labels sorted by name)        |
//! | histogram `h`, each bucket              | `h_bucket.le.0.5`, …, `h_bucket.le.Inf`    |
//! | histogram or summary `x`                | `x_sum`, `x_count`                         |
//! | summary `s`, each quantile              | `s.quantile.0.9`                           |
//!
//! Histograms and summaries flatten as for remote write ([`super::flat`]);
//! `le`/`quantile` come last in the key, and `+Inf` is spelt `Inf` (MLflow
//! keys cannot hold `+`). A label with an empty value is left out, as
//! Prometheus treats it as absent. Labels that every series carries with
//! the same value (an artifact's labels, `--label`) say nothing about one
//! metric: they become run tags ([`common_labels`]) and stay out of keys.
//!
//! MLflow's rules, checked before anything is sent (exit 4, with the series
//! named): keys of at most 250 characters made of letters, digits, `_`,
//! `-`, `.`, ` `, `/` and `:`, with no empty, `.` or `..` path segment
//! between slashes; tag values of at most 8,000 characters. NaN and ±Inf go
//! as `"NaN"`, `"Infinity"` and `"-Infinity"`: MLflow 3.17 keeps NaN, and
//! stores ±Inf as ±1.7976931348623157e308 (the largest double; measured).
//!
//! A log-batch request holds at most 1,000 metrics, 100 params, 100 tags
//! and 1,000 items in all, in at most 1 MB ([`batches`] splits to that).

use serde::Serialize;

use crate::encode::float;
use crate::error::Problem;
use crate::model::{series_id, Family, Label};

/// log-batch's limits (MLflow's `MAX_METRICS_PER_BATCH` and friends).
pub const MAX_METRICS: usize = 1000;
pub const MAX_TAGS: usize = 100;
pub const MAX_ITEMS: usize = 1000;
/// The request size limit, 1 MB, less room for the envelope.
pub const MAX_BYTES: usize = 1_000_000 - 1_000;
/// Longest metric, param or tag key.
pub const MAX_KEY: usize = 250;
/// Longest tag value.
pub const MAX_TAG_VALUE: usize = 8000;

/// One metric point as log-batch takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub key: String,
    #[serde(serialize_with = "number")]
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
}

/// A run tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A value as MLflow's JSON API takes it: NaN and ±Inf spelt as protobuf's
/// JSON mapping spells them (`"NaN"`, `"Infinity"`, `"-Infinity"`).
fn number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    match *v {
        v if v.is_nan() => s.serialize_str("NaN"),
        f64::INFINITY => s.serialize_str("Infinity"),
        f64::NEG_INFINITY => s.serialize_str("-Infinity"),
        v => s.serialize_f64(v),
    }
}

/// Why `key` is not a valid MLflow metric, param or tag key, or `None`.
pub fn key_problem(key: &str) -> Option<String> {
    let bad = key
        .chars()
        .find(|&c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '/' | ':')));
    if let Some(c) = bad {
        return Some(format!(
            "the MLflow key {key:?} holds {c:?}; MLflow keys hold only letters, digits, _, -, ., space, / and :"
        ));
    }
    if key.is_empty() {
        return Some("an MLflow key cannot be empty".into());
    }
    if key.chars().count() > MAX_KEY {
        return Some(format!(
            "the MLflow key {:?}… is longer than MLflow's {MAX_KEY} characters; shorten the name or its labels",
            key.chars().take(40).collect::<String>()
        ));
    }
    // MLflow refuses a key that `posixpath.normpath` would change.
    if key
        .split('/')
        .any(|seg| seg.is_empty() || seg == ".." || seg == ".")
    {
        return Some(format!(
            "the MLflow key {key:?} starts or ends with /, or holds //, /./ or /../, which MLflow refuses (keys may be paths)"
        ));
    }
    None
}

/// Why a tag (`key`, `value`) cannot be stored, or `None`.
pub fn tag_problem(key: &str, value: &str) -> Option<String> {
    key_problem(key).or_else(|| {
        (value.chars().count() > MAX_TAG_VALUE).then(|| {
            format!("the value of the MLflow tag {key:?} is longer than MLflow's {MAX_TAG_VALUE} characters")
        })
    })
}

/// The labels every series of every family carries with the same value,
/// sorted by name (empty when there are no series).
pub fn common_labels(families: &[Family]) -> Vec<(Label, Label)> {
    let mut all = families.iter().flat_map(|f| &f.series);
    let Some(first) = all.next() else {
        return Vec::new();
    };
    let mut common: Vec<(Label, Label)> = first
        .labels
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    for s in all {
        common.retain(|pair| s.labels.contains(pair));
    }
    common.sort();
    common
}

/// The step of this push: the value of an unlabelled `step`, else `epoch`,
/// series when there is one and it is a whole number; else 0.
pub fn step(families: &[Family]) -> i64 {
    ["step", "epoch"]
        .iter()
        .find_map(|name| {
            let f = families.iter().find(|f| f.name == *name)?;
            let s = f.series.iter().find(|s| s.labels.is_empty())?;
            match s.sample {
                crate::model::Sample::Scalar(v) if v.fract() == 0.0 && v.abs() < 9e15 => {
                    Some(v as i64)
                }
                _ => None,
            }
        })
        .unwrap_or(0)
}

/// The metric key of one flattened series: the family name and suffix,
/// then `.name.value` for each label not in `common` (sorted by name), then
/// the `le`/`quantile` label.
pub fn metric_key(
    name: &str,
    suffix: &str,
    labels: &[(Label, Label)],
    common: &[(Label, Label)],
    extra: Option<(&str, f64)>,
) -> String {
    let mut key = format!("{name}{suffix}");
    let mut own: Vec<&(Label, Label)> = labels
        .iter()
        .filter(|p| !p.1.is_empty() && !common.contains(p))
        .collect();
    own.sort();
    for (k, v) in own {
        key.push('.');
        key.push_str(k);
        key.push('.');
        key.push_str(v);
    }
    if let Some((k, bound)) = extra {
        let bound = float(bound);
        key.push('.');
        key.push_str(k);
        key.push('.');
        key.push_str(bound.strip_prefix('+').unwrap_or(&bound));
    }
    key
}

/// Every series as MLflow metrics at `timestamp_ms` and `step`, labels in
/// `common` left out of the keys. Every key MLflow would refuse is reported,
/// one problem per series, named by `name{labels}`.
pub fn encode(
    families: &[Family],
    common: &[(Label, Label)],
    timestamp_ms: i64,
    step: i64,
) -> Result<Vec<Metric>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for f in families {
        for s in &f.series {
            let mut bad = None;
            super::flat::flatten(&s.sample, |suffix, extra, value| {
                let key = metric_key(&f.name, suffix, &s.labels, common, extra);
                if let Some(p) = key_problem(&key) {
                    bad.get_or_insert(p);
                } else {
                    out.push(Metric {
                        key,
                        value,
                        timestamp: timestamp_ms,
                        step,
                    });
                }
            });
            if let Some(p) = bad {
                problems.push(Problem::new(series_id(&f.name, &s.labels), p));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One log-batch request body, as sent.
#[derive(Debug, Serialize)]
struct Body<'a> {
    run_id: &'a str,
    metrics: &'a [Metric],
    tags: &'a [Tag],
}

/// The log-batch bodies for `run_id`: the tags first (at most 100 a
/// request), then the metrics, each body within log-batch's limits (1,000
/// metrics, 1,000 items, 1 MB). Returns (body, metrics in it).
pub fn batches(run_id: &str, metrics: &[Metric], tags: &[Tag]) -> Vec<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for chunk in tags.chunks(MAX_TAGS) {
        out.push((json(run_id, &[], chunk), 0));
    }
    let envelope = json(run_id, &[], &[]).len();
    let (mut start, mut size) = (0, envelope);
    for (i, m) in metrics.iter().enumerate() {
        let one = serde_json::to_vec(m).map_or(0, |v| v.len()) + 1;
        let n = i - start;
        if n > 0 && (n == MAX_METRICS.min(MAX_ITEMS) || size + one > MAX_BYTES) {
            out.push((json(run_id, &metrics[start..i], &[]), n));
            (start, size) = (i, envelope);
        }
        size += one;
    }
    if start < metrics.len() {
        out.push((json(run_id, &metrics[start..], &[]), metrics.len() - start));
    }
    out
}

fn json(run_id: &str, metrics: &[Metric], tags: &[Tag]) -> Vec<u8> {
    serde_json::to_vec(&Body {
        run_id,
        metrics,
        tags,
    })
    .expect("plain structs serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Sample, Series};

    fn fam(name: &str, kind: Kind, series: Vec<Series>) -> Family {
        Family {
            name: name.into(),
            help: String::new(),
            kind,
            series,
        }
    }

    fn series(labels: &[(&str, &str)], sample: Sample) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            sample,
        }
    }

    fn artifact() -> Vec<Family> {
        let team = ("team", "vision");
        vec![
            fam(
                "images_processed_total",
                Kind::Counter,
                vec![
                    series(&[("split", "train"), team], Sample::Scalar(100.0)),
                    series(&[("split", "val"), team], Sample::Scalar(20.0)),
                ],
            ),
            fam(
                "loss",
                Kind::Gauge,
                vec![series(&[team, ("empty", "")], Sample::Scalar(f64::NAN))],
            ),
            fam(
                "step",
                Kind::Gauge,
                vec![series(&[team], Sample::Scalar(f64::INFINITY))],
            ),
            fam(
                "latency_seconds",
                Kind::Histogram,
                vec![series(
                    &[team],
                    Sample::Histogram {
                        buckets: vec![(0.5, 3)],
                        sum: 6.5,
                        count: 10,
                    },
                )],
            ),
            fam(
                "q",
                Kind::Summary,
                vec![series(
                    &[("m", "a/b"), team],
                    Sample::Summary {
                        quantiles: vec![(0.9, 1.5)],
                        sum: 2.0,
                        count: 4,
                    },
                )],
            ),
        ]
    }

    #[test]
    fn keys_values_and_common_labels() {
        let f = artifact();
        let common = common_labels(&f);
        assert_eq!(common, vec![("team".into(), "vision".into())]);
        let metrics = encode(&f, &common, 1_700_000_000_000, 7).unwrap();
        let body = batches("r1", &metrics, &[]);
        assert_eq!(body.len(), 1);
        insta::assert_snapshot!(String::from_utf8(body[0].0.clone()).unwrap());
    }

    #[test]
    fn step_comes_from_an_unlabelled_step_or_epoch() {
        let g = |name: &str, v: f64| fam(name, Kind::Gauge, vec![series(&[], Sample::Scalar(v))]);
        assert_eq!(step(&[g("epoch", 3.0)]), 3);
        assert_eq!(step(&[g("epoch", 3.0), g("step", 120.0)]), 120);
        assert_eq!(step(&[g("step", 1.5)]), 0);
        assert_eq!(step(&[g("loss", 1.0)]), 0);
    }

    #[test]
    fn keys_mlflow_refuses_are_problems_with_the_series() {
        let f = vec![fam(
            "m",
            Kind::Gauge,
            vec![
                series(&[("path", "a//b")], Sample::Scalar(1.0)),
                series(&[("path", "a+b")], Sample::Scalar(1.0)),
                series(&[("path", "ok")], Sample::Scalar(1.0)),
            ],
        )];
        let problems = encode(&f, &[], 0, 0).unwrap_err();
        assert_eq!(problems.len(), 2);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text[0].contains("m{path=\"a//b\"}") && text[0].contains("//"),
            "{text:?}"
        );
        assert!(text[1].contains("holds '+'"), "{text:?}");
        assert!(key_problem(&"x".repeat(251)).is_some());
        assert!(key_problem(&"x".repeat(250)).is_none());
        assert!(key_problem("val/accuracy").is_none());
        assert!(key_problem("/abs").is_some() && key_problem("a/../b").is_some());
        assert!(tag_problem("k", &"v".repeat(8001)).is_some());
    }

    #[test]
    fn batches_keep_to_log_batch_limits() {
        let metrics: Vec<Metric> = (0..2500)
            .map(|i| Metric {
                key: format!("m.i.{i}"),
                value: 1.0,
                timestamp: 0,
                step: 0,
            })
            .collect();
        let tags: Vec<Tag> = (0..150)
            .map(|i| Tag {
                key: format!("t{i}"),
                value: "v".into(),
            })
            .collect();
        let out = batches("r", &metrics, &tags);
        let counts: Vec<usize> = out.iter().map(|b| b.1).collect();
        assert_eq!(counts, [0, 0, 1000, 1000, 500]);
        for (body, _) in &out {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            let (m, t) = (
                v["metrics"].as_array().unwrap(),
                v["tags"].as_array().unwrap(),
            );
            assert!(
                m.len() <= MAX_METRICS && t.len() <= MAX_TAGS && m.len() + t.len() <= MAX_ITEMS
            );
        }
        // The longest keys MLflow takes (250 characters) and the longest
        // tag values (8,000): still within 1 MB a request.
        let long: Vec<Metric> = (0..1000)
            .map(|i| Metric {
                key: format!("{i:0>250}"),
                ..metrics[0].clone()
            })
            .collect();
        let tags: Vec<Tag> = (0..100)
            .map(|i| Tag {
                key: format!("{i:0>250}"),
                value: "v".repeat(MAX_TAG_VALUE),
            })
            .collect();
        let out = batches("r", &long, &tags);
        assert!(out.iter().all(|(b, _)| b.len() <= MAX_BYTES));
        assert_eq!(out.iter().map(|b| b.1).sum::<usize>(), 1000);
    }
}
