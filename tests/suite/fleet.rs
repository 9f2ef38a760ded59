//! A fleet of concurrent pushes to one real Pushgateway loses nothing: an
//! Argo cluster ends many steps at the same moment, each pushing its own
//! group, and several steps of one workflow may POST different families to
//! the same group at once. These tests assert what the gateway holds
//! afterwards, never how long it took (`benches/fleet.py` measures that).

use crate::common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{artifact, run, Gateway};

/// Run `jobs` closures on `workers` threads, each closure spawning the
/// binary: at most `workers` processes are alive at once.
fn in_parallel(jobs: usize, workers: usize, job: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                job(i);
            });
        }
    });
}

/// A 10-series artifact: all four types, labels per series.
const TEN_SERIES: &str = r#"{"labels": {"team": "fleet"}, "metrics": [
  {"name": "step_gauge", "type": "gauge", "help": "g", "value": 1.5, "labels": {"i": "0"}},
  {"name": "step_gauge", "type": "gauge", "help": "g", "value": 2.5, "labels": {"i": "1"}},
  {"name": "step_gauge", "type": "gauge", "help": "g", "value": 3.5, "labels": {"i": "2"}},
  {"name": "step_total", "type": "counter", "value": 10, "labels": {"i": "0"}},
  {"name": "step_total", "type": "counter", "value": 11, "labels": {"i": "1"}},
  {"name": "step_total", "type": "counter", "value": 12, "labels": {"i": "2"}},
  {"name": "step_seconds", "type": "histogram", "buckets": [{"le": 1, "count": 2}], "sum": 3, "count": 4, "labels": {"i": "0"}},
  {"name": "step_seconds", "type": "histogram", "buckets": [{"le": 1, "count": 1}], "sum": 2, "count": 2, "labels": {"i": "1"}},
  {"name": "step_latency", "type": "summary", "quantiles": [{"quantile": 0.5, "value": 0.1}], "sum": 1, "count": 5, "labels": {"i": "0"}},
  {"name": "step_untyped", "type": "untyped", "value": 7}
]}"#;

/// Every (family, series count) the 10-series artifact lands as.
const LANDED: [(&str, usize); 5] = [
    ("step_gauge", 3),
    ("step_total", 3),
    ("step_seconds", 2),
    ("step_latency", 1),
    ("step_untyped", 1),
];

#[test]
fn a_thousand_concurrent_pushes_all_land_whole() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(TEN_SERIES);
    let pushes = 1000;
    let failures = AtomicUsize::new(0);
    in_parallel(pushes, 50, |i| {
        let user = format!("u{i:04}");
        let r = run(&[
            "push",
            &path,
            "fleet",
            "--user",
            &user,
            "--gateway",
            &gw.url,
            "--quiet",
        ]);
        if r.code != 0 {
            eprintln!("push {i} failed: {r:?}");
            failures.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(failures.load(Ordering::Relaxed), 0, "some pushes failed");

    let groups = gw.groups();
    let users: BTreeSet<String> = groups
        .iter()
        .filter(|g| g.labels.get("job").map(String::as_str) == Some("fleet"))
        .map(|g| g.labels["user"].clone())
        .collect();
    let expected: BTreeSet<String> = (0..pushes).map(|i| format!("u{i:04}")).collect();
    assert_eq!(users, expected, "groups missing or extra");
    for g in &groups {
        for (family, count) in LANDED {
            let series = g.series(family);
            assert_eq!(series.len(), count, "{family} in {:?}", g.labels);
            assert!(
                series.iter().all(|(l, _)| l["team"] == "fleet"),
                "{family} in {:?}: {series:?}",
                g.labels
            );
        }
        assert_eq!(g.families.len(), LANDED.len(), "{:?}", g.labels);
    }
    let (_, h) = &groups[0].series("step_seconds")[0];
    assert_eq!(h["buckets"]["1"], "2", "{h}");
}

#[test]
fn fifty_concurrent_posts_of_different_families_to_one_group_all_land() {
    let gw = Gateway::start();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..50)
        .map(|i| {
            let p = dir.path().join(format!("step{i}.json"));
            let doc = format!(
                r#"{{"metrics": [{{"name": "step_{i}_done", "type": "gauge", "value": {i}, "labels": {{"step": "s{i}"}}}}]}}"#
            );
            std::fs::write(&p, doc).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect();
    let failures = AtomicUsize::new(0);
    in_parallel(paths.len(), 50, |i| {
        let r = run(&[
            "push",
            &paths[i],
            "wf",
            "--user",
            "shared",
            "--gateway",
            &gw.url,
            "--method",
            "post",
            "--quiet",
        ]);
        if r.code != 0 {
            eprintln!("post {i} failed: {r:?}");
            failures.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(failures.load(Ordering::Relaxed), 0, "some posts failed");

    let g = gw
        .group(&[("job", "wf"), ("user", "shared")])
        .expect("the shared group exists");
    assert_eq!(g.families.len(), 50, "{:?}", g.families.keys());
    for i in 0..50 {
        let series = g.series(&format!("step_{i}_done"));
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].0["step"], format!("s{i}"));
        assert_eq!(series[0].1["value"], i.to_string());
    }
}
