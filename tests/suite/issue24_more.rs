//! Issue 24, items 6, 7, 8, 9, 12 and 13: each test runs the real binary
//! against real servers (InfluxDB, a Pushgateway, Prometheus) and asserts
//! what reached them or what the user saw.

use crate::common;

use common::influx::Influx;
use common::*;

fn push_influx(url: &str, path: &str, db: &str) -> Run {
    run(&[
        "push",
        path,
        "--job",
        "train",
        "--user",
        "alice",
        "--influx",
        url,
        "--influx-db",
        db,
    ])
}

/// Item 6: the summary counts the points InfluxDB was sent and the values
/// skipped, and an artifact whose every value is NaN or ±Inf is refused
/// (exit 4, nothing sent), with a server or without one, rather than
/// reported as pushed.
#[test]
fn influx_summary_counts_what_was_written() {
    let influx = Influx::start();
    influx.create_database("n");
    let (_dir, path) = artifact(
        r#"{"metrics": [
            {"name": "a", "type": "gauge", "value": "NaN"},
            {"name": "b", "type": "gauge", "value": "+Inf"},
            {"name": "c", "type": "gauge", "value": 3},
            {"name": "h", "type": "histogram", "buckets": [{"le": 1, "count": 2}, {"le": "+Inf", "count": 3}], "sum": 2.5, "count": 3}
        ]}"#,
    );
    let r = push_influx(&influx.url, &path, "n");
    assert_eq!(r.code, 0, "{r:?}");
    let summary = r.stderr.lines().find(|l| l.contains("pushed")).unwrap();
    assert!(
        summary.starts_with("simplepipe: pushed 4 families (4 series) to ")
            && summary.ends_with(
                "(InfluxDB 1.x line protocol): 5 points written, 2 skipped (NaN or ±Inf)"
            ),
        "{summary}"
    );
    assert_eq!(
        influx.measurements("n"),
        ["c", "h_bucket", "h_count", "h_sum"]
    );
    let points: usize = ["c", "h_bucket", "h_count", "h_sum"]
        .iter()
        .map(|m| influx.query("n", &format!("SELECT * FROM \"{m}\"")).len())
        .sum();
    assert_eq!(points, 5, "the summary's count is what InfluxDB holds");

    influx.create_database("empty");
    let (_dir, nan) = artifact(
        r#"{"metrics": [
            {"name": "loss", "type": "gauge", "value": "NaN"},
            {"name": "grad", "type": "gauge", "value": "-Inf"}
        ]}"#,
    );
    let dead = format!("http://127.0.0.1:{}", free_port());
    for url in [influx.url.as_str(), dead.as_str()] {
        let r = push_influx(url, &nan, "empty");
        assert_eq!(r.code, 4, "{url}: {r:?}");
        assert!(!r.stderr.contains("pushed"), "{url}: {}", r.stderr);
        assert_eq!(
            r.stderr.trim_end(),
            "simplepipe: error: nothing to write to InfluxDB: all 2 values are NaN or ±Inf, which InfluxDB cannot store (the first: loss); nothing was sent",
            "{url}"
        );
    }
    assert!(influx.measurements("empty").is_empty());
}

/// Item 13: `delete` of a group the gateway doesn't hold says so (exit 0:
/// the group is absent, as asked), and one it holds is deleted and said
/// to be, a value the URL has to encode (`team/etl`) included.
#[test]
fn delete_says_when_the_gateway_held_no_such_group() {
    let gw = Gateway::start();
    for user in ["alice", "team/etl"] {
        let r = run(&[
            "push",
            "--gateway",
            &gw.url,
            "--job",
            "train",
            "--user",
            user,
            "--group",
            "run=r1",
            "--metric",
            "m=1",
        ]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    let delete = |user: &str| {
        run(&[
            "delete",
            "--gateway",
            &gw.url,
            "--job",
            "train",
            "--user",
            user,
            "--group",
            "run=r1",
        ])
    };
    let r = delete("bob");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "simplepipe: the gateway held no group at {}/metrics/job/train/user/bob/run/r1; nothing was deleted",
            gw.url
        )
    );
    assert_eq!(gw.groups().len(), 2);
    for user in ["alice", "team/etl"] {
        let r = delete(user);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stderr.starts_with("simplepipe: deleted group "), "{r:?}");
        assert!(!r.stderr.contains("held no group"), "{r:?}");
    }
    assert!(gw.groups().is_empty());
}

/// Item 7: a standard that allows a label no artifact can carry (`job`,
/// `user`: the grouping labels; `le`, `quantile`: the buckets' and
/// quantiles') is broken: exit 2, with the pointer, from every command that
/// reads one.
#[test]
fn a_standard_allowing_an_uncarriable_label_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = repo().join("examples/standard/run-ok.json");
    let cases = [
        ("  metrics:\n    - {name: m, type: gauge, labels: [split, user]}\n", "/spec/metrics/0/labels/1: \"user\" is a grouping label"),
        ("  metrics:\n    - {name: m, type: gauge, labels: [job]}\n", "/spec/metrics/0/labels/0: \"job\" is a grouping label"),
        ("  metrics:\n    - {name: m, type: gauge}\n    - {name: h, type: histogram, labels: [le]}\n", "/spec/metrics/1/labels/0: \"le\" is reserved for histogram buckets"),
        ("  labels: {allowed: [model, user]}\n  metrics:\n    - {name: m, type: gauge}\n", "/spec/labels/allowed/1: \"user\" is a grouping label"),
    ];
    for (i, (spec, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("s{i}.yaml"));
        std::fs::write(
            &path,
            format!("apiVersion: simplepipe/v1\nkind: Standard\nmetadata: {{name: t}}\nspec:\n  jobs: [training]\n{spec}"),
        )
        .unwrap();
        let std = path.to_str().unwrap();
        for args in [
            vec!["rules", std],
            vec!["dashboard", std],
            vec!["validate", artifact.to_str().unwrap(), "--schema", std],
        ] {
            let r = run(&args);
            assert_eq!(r.code, 2, "{args:?}: {r:?}");
            assert!(r.stdout.is_empty(), "{args:?}: {r:?}");
            assert!(
                r.stderr.contains(&format!("standard {std}: {want}"))
                    && r.stderr.contains("so no artifact can carry it"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
}
