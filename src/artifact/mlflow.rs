//! MLflow runs read by an `mlflow://` source ([`crate::source::mlflow`]) as
//! families: each metric's latest value a gauge, under a legal name.
//!
//! - A name is made legal by turning every character Prometheus doesn't
//!   allow into `_` (`val/accuracy` → `val_accuracy`, `loss-1` →
//!   `loss_1`), with a `_` in front of a leading digit. Two keys of one run
//!   that become the same name are refused (exit 4) rather than one
//!   silently replacing the other.
//! - `--mlflow-labels KEY,…` carries those params (else tags) of each run
//!   as labels, their names made legal the same way (no `:`); a run
//!   without the key has no such label.
//! - An experiment's runs (one per user) carry a `user` label; a single
//!   run proposes its user for the grouping instead, and every source
//!   proposes the experiment as the job.
//! - The history, for destinations that keep timestamps, is the same
//!   series at each timestamp MLflow recorded, oldest first; when one
//!   metric was logged twice in the same millisecond the later step wins.
//!
//! Pure: what was read in, families out; snapshot-free because each rule
//! is a one-line assertion in the tests below.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use anyhow::Result;

use super::families::{BuildOptions, Entry, FamilySet, Model, Proposed};
use crate::model::{escape_pointer, Family, Kind};
use crate::source::mlflow::{Fetched, Point, Run};

/// `key` as a metric name: characters outside `[a-zA-Z0-9_:]` become `_`,
/// and a leading digit gets a `_` before it.
pub fn legal_name(key: &str) -> String {
    legal(key, |c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `key` as a label name: as [`legal_name`], without `:`.
pub fn legal_label(key: &str) -> String {
    legal(key, |c| c.is_ascii_alphanumeric() || c == '_')
}

fn legal(key: &str, ok: impl Fn(char) -> bool) -> String {
    let mut out: String = key.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The families of what was read (latest values), with the job and user
/// it proposes, and its history when it was read; refused past
/// `max_series` series (each timestamp of the history too).
pub fn build(
    fetched: &Fetched,
    labels: &[String],
    origin: &str,
    opts: &BuildOptions,
    max_series: usize,
) -> Result<Model> {
    let mut set = FamilySet::new(opts, max_series);
    for run in &fetched.runs {
        add_points(&mut set, fetched, run, &run.metrics, labels);
    }
    set.proposed = Proposed {
        job: Some(fetched.experiment.clone()),
        user: match fetched.runs.as_slice() {
            [one] if !fetched.per_user && !one.user.is_empty() => Some(one.user.clone()),
            _ => None,
        },
    };
    let mut model = set.finish(origin)?;
    model.history = history(fetched, labels, origin, opts, max_series)?;
    Ok(model)
}

/// The runs' history as one family list per timestamp, oldest first.
fn history(
    fetched: &Fetched,
    labels: &[String],
    origin: &str,
    opts: &BuildOptions,
    max_series: usize,
) -> Result<Vec<(i64, Vec<Family>)>> {
    // timestamp -> run -> key -> the point (the later step wins).
    let mut at: BTreeMap<i64, Vec<HashMap<&str, &Point>>> = BTreeMap::new();
    for (i, run) in fetched.runs.iter().enumerate() {
        for p in &run.history {
            let runs = at
                .entry(p.timestamp)
                .or_insert_with(|| vec![HashMap::new(); fetched.runs.len()]);
            runs[i].insert(p.key.as_str(), p);
        }
    }
    let mut out = Vec::with_capacity(at.len());
    for (ts, runs) in at {
        let mut set = FamilySet::new(opts, max_series);
        for (run, points) in fetched.runs.iter().zip(runs) {
            let mut points: Vec<Point> = points.into_values().cloned().collect();
            points.sort_by(|a, b| a.key.cmp(&b.key));
            add_points(&mut set, fetched, run, &points, labels);
        }
        out.push((ts, set.finish(origin)?.families));
    }
    Ok(out)
}

/// One gauge per point of `run`, with its labels; names checked for
/// collisions within the run.
fn add_points(
    set: &mut FamilySet,
    fetched: &Fetched,
    run: &Run,
    points: &[Point],
    picks: &[String],
) {
    let at = |key: &str| {
        if fetched.per_user {
            format!("/runs/{}/metrics/{}", run.id, escape_pointer(key))
        } else {
            format!("/metrics/{}", escape_pointer(key))
        }
    };
    let mut labels: Vec<(Cow<str>, Cow<str>)> = Vec::new();
    if fetched.per_user {
        set.check_label_name(|| at(""), "user");
        labels.push((Cow::Borrowed("user"), Cow::Borrowed(run.user.as_str())));
    }
    for key in picks {
        let found = run.params.iter().chain(&run.tags).find(|(k, _)| k == key);
        if let Some((_, value)) = found {
            let name = legal_label(key);
            set.check_label_name(|| format!("--mlflow-labels {key}"), &name);
            set.check_label_value(|| format!("--mlflow-labels {key}"), &name, value);
            labels.push((Cow::Owned(name), Cow::Borrowed(value.as_str())));
        }
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for p in points {
        let name = legal_name(&p.key);
        if let Some(first) = seen.insert(name.clone(), &p.key) {
            set.problem(
                at(&p.key),
                format!(
                    "MLflow metrics {first:?} and {:?} both become {name:?} (every character outside [a-zA-Z0-9_:] becomes _); rename one of them in MLflow",
                    p.key
                ),
            );
            continue;
        }
        set.add(
            at(&p.key),
            Entry {
                labels: labels.clone(),
                ..Entry::scalar(&name, Kind::Gauge, p.value)
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(key: &str, value: f64, timestamp: i64) -> Point {
        Point {
            key: key.into(),
            value,
            timestamp,
            step: 0,
        }
    }

    /// A run whose latest values are the last point of each key.
    fn run(id: &str, user: &str, history: Vec<Point>) -> Run {
        let mut metrics: Vec<Point> = Vec::new();
        for p in &history {
            metrics.retain(|m| m.key != p.key);
            metrics.push(p.clone());
        }
        Run {
            id: id.into(),
            experiment: "exp".into(),
            user: user.into(),
            history,
            metrics,
            params: vec![("lr".into(), "0.1".into())],
            tags: vec![("mlflow.source.git.commit".into(), "abc".into())],
        }
    }

    fn series(families: &[Family]) -> Vec<String> {
        let mut out = Vec::new();
        for f in families {
            for s in &f.series {
                let labels: Vec<String> =
                    s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let crate::model::Sample::Scalar(v) = s.sample else {
                    panic!()
                };
                out.push(format!("{}{{{}}} {v}", f.name, labels.join(",")));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn names_are_made_legal() {
        assert_eq!(legal_name("val/accuracy"), "val_accuracy");
        assert_eq!(legal_name("loss-1.x"), "loss_1_x");
        assert_eq!(legal_name("1st"), "_1st");
        assert_eq!(legal_name("a:b"), "a:b");
        assert_eq!(legal_label("a:b.c"), "a_b_c");
    }

    #[test]
    fn one_run_proposes_job_and_user_and_picks_labels() {
        let fetched = Fetched {
            experiment: "exp".into(),
            runs: vec![run("r1", "alice", vec![point("val/acc", 0.9, 5)])],
            per_user: false,
        };
        let opts = BuildOptions::default();
        let picks = [
            "lr".to_string(),
            "mlflow.source.git.commit".into(),
            "absent".into(),
        ];
        let m = build(&fetched, &picks, "mlflow://runs/r1", &opts, usize::MAX).unwrap();
        assert_eq!(m.proposed.job.as_deref(), Some("exp"));
        assert_eq!(m.proposed.user.as_deref(), Some("alice"));
        assert_eq!(
            series(&m.families),
            ["val_acc{lr=0.1,mlflow_source_git_commit=abc} 0.9"]
        );
        assert_eq!(m.history.len(), 1);
    }

    #[test]
    fn experiments_label_each_user_and_history_keeps_timestamps() {
        let fetched = Fetched {
            experiment: "exp".into(),
            runs: vec![
                run(
                    "a",
                    "alice",
                    vec![point("loss", 1.0, 10), point("loss", 0.5, 20)],
                ),
                run("b", "bob", vec![point("loss", 2.0, 10)]),
            ],
            per_user: true,
        };
        let m = build(
            &fetched,
            &[],
            "mlflow://experiments/exp",
            &BuildOptions::default(),
            usize::MAX,
        )
        .unwrap();
        assert_eq!(m.proposed.user, None);
        let stamps: Vec<i64> = m.history.iter().map(|(t, _)| *t).collect();
        assert_eq!(stamps, [10, 20]);
        assert_eq!(
            series(&m.history[0].1),
            ["loss{user=alice} 1", "loss{user=bob} 2"]
        );
        assert_eq!(series(&m.history[1].1), ["loss{user=alice} 0.5"]);
    }

    #[test]
    fn colliding_names_are_refused_with_the_pointer() {
        let fetched = Fetched {
            experiment: "exp".into(),
            runs: vec![run(
                "r1",
                "alice",
                vec![point("val/acc", 1.0, 1), point("val.acc", 2.0, 1)],
            )],
            per_user: false,
        };
        let e = build(
            &fetched,
            &[],
            "mlflow://runs/r1",
            &BuildOptions::default(),
            usize::MAX,
        )
        .unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Invalid);
        let said = format!("{e:#}");
        assert!(said.contains("/metrics/val.acc"), "{said}");
        assert!(said.contains("both become \"val_acc\""), "{said}");
    }
}
