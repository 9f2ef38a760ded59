//! Issue 24, items 6, 7, 8, 9, 12 and 13: each test runs the real binary
//! against real servers (InfluxDB, a Pushgateway, Prometheus) and asserts
//! what reached them or what the user saw.

use crate::common;

use common::influx::Influx;
use common::*;

fn push_influx(url: &str, path: &str, db: &str) -> Run {
    crate::influx::push_influx(url, path, &["--influx-db", db])
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
    let group = |user: &'static str| {
        let key = ["--gateway", &gw.url, "--job", "train", "--user", user];
        [&key[..], &["--group", "run=r1"]].concat()
    };
    for user in ["alice", "team/etl"] {
        let r = run(&[&["push", "--metric", "m=1"][..], &group(user)].concat());
        assert_eq!(r.code, 0, "{r:?}");
    }
    let delete = |user: &'static str| run(&[&["delete"][..], &group(user)].concat());
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

/// Item 8: a metric the standard lets carry `split` is charted one series
/// per user and split, each named in its legend: every query of its
/// panels (both variants), run by a real Prometheus scraping a real
/// Pushgateway, returns alice's `train` and `validation` apart.
#[test]
fn dashboards_chart_a_metrics_labels_as_separate_series() {
    use common::prometheus::Prometheus;
    use serde_json::Value;
    const STANDARD: &str = "examples/standard/ml-training.yaml";
    let gw = Gateway::start();
    let prom = Prometheus::scraping(&gw.url);
    let text = std::fs::read_to_string(repo().join("examples/standard/run-ok.json"))
        .unwrap()
        .replace("\"ml-training.yaml\"", &format!("{:?}", repo().join(STANDARD)))
        .replace(
            r#""labels": {"split": "train"}}"#,
            r#""labels": {"split": "train"}},
    {"name": "images_processed_total", "type": "counter", "value": 5000, "labels": {"split": "validation"}}"#,
        );
    let (_dir, path) = artifact(&text);
    crate::standard::push_run(&gw, "alice", &path);
    prom.query(r#"images_processed_total{split="validation"}"#);

    let mut seen = 0;
    for variant in [
        &["dashboard", STANDARD][..],
        &["dashboard", STANDARD, "--remote-write"],
    ] {
        let r = run(variant);
        assert_eq!(r.code, 0, "{r:?}");
        let d: Value = serde_json::from_str(&r.stdout).unwrap();
        for panel in d["panels"].as_array().unwrap() {
            let title = panel["title"].as_str().unwrap_or_default();
            if !title.starts_with("images_processed_total") {
                continue;
            }
            let t = &panel["targets"][0];
            assert_eq!(t["legendFormat"], "{{user}} split={{split}}", "{title}");
            let q = t["expr"]
                .as_str()
                .unwrap()
                .replace("$job", "training")
                .replace("$user", "alice")
                .replace("$__interval", "1m");
            let result = if t["instant"] == true {
                prom.query(&q)
            } else {
                prom.query_range(&q, 5)
            };
            let mut series: Vec<(String, String, f64)> = result
                .iter()
                .map(|s| {
                    let last = s["value"].as_array().or_else(|| {
                        s["values"]
                            .as_array()
                            .and_then(|v| v.last())
                            .and_then(Value::as_array)
                    });
                    (
                        s["metric"]["user"].as_str().unwrap().to_string(),
                        s["metric"]["split"]
                            .as_str()
                            .unwrap_or("(none)")
                            .to_string(),
                        last.unwrap()[1].as_str().unwrap().parse().unwrap(),
                    )
                })
                .collect();
            series.sort_by(|a, b| a.1.cmp(&b.1));
            assert_eq!(
                series,
                [
                    ("alice".to_string(), "train".to_string(), 120000.0),
                    ("alice".to_string(), "validation".to_string(), 5000.0),
                ],
                "{title}: {q}"
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 4, "two panels in each variant");
}

/// The ModelOp stream of item 9: engine `e` running, then in a state
/// ModelOp's docs don't list, then reports without `delta_time`.
const MODELOP_ODD: &str = r#"{"type":"engine-state","src":"e","state":"running"}
{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":4}
{"type":"engine-state","src":"e","state":"finishing"}
{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":6}
{"type":"engine-state","src":"e","state":"finishing"}
"#;

/// Item 9: an engine state that is not init, running or error reaches the
/// gateway as -1 (unknown), not as the last known state; reports without
/// `delta_time` are counted and warned about once.
#[test]
fn modelop_unknown_state_and_missing_delta_time() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(MODELOP_ODD);
    let r = watch_modelop(&path, &gw.url);
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "scoring")]).unwrap();
    assert_eq!(g.value("modelop_engine_status"), "-1", "{r:?}");
    assert_eq!(g.value("modelop_records_total"), "10", "{r:?}");
    assert_eq!(g.value("simplepipe_records_ignored_total"), "0", "{r:?}");
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(
        warnings,
        [
            format!("simplepipe: warning: {path} line 2: sensor-report \"manifold.0.records.count\" from \"e\" has no \"delta_time\": its records are counted, and wait for a report with one to give modelop_records_per_second; said once"),
            format!("simplepipe: warning: {path} line 3: engine-state from \"e\": state \"finishing\" is not init, running or error, so modelop_engine_status is -1 (unknown); said once per state"),
        ],
        "{}",
        r.stderr
    );
}

/// Item 12: `watch` of a ModelOp stream without `--format modelop` says
/// that nothing was read and names the option; a file of plain text says
/// nothing was read (without the ModelOp hint); one with metrics says
/// neither. (`run`'s child that printed no metric:
/// live_lines::a_run_that_found_no_metric_says_so_and_what_it_saw.)
#[test]
fn watch_that_read_nothing_says_so_and_spots_modelop() {
    let gw = Gateway::start();
    let stream = repo().join("tests/data/modelop-stream.jsonl");
    let stream = stream.to_str().unwrap();
    let watch = |path: &str| run(&["watch", path, "--gateway", &gw.url, "--job", "w"]);
    let r = watch(stream);
    assert_eq!(r.code, 0, "{r:?}");
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "simplepipe: warning: nothing was read: no metric found in {stream}; it holds JSON log lines"
        )) && last.ends_with(
            "; its lines look like ModelOp Center stream messages (sensor-report, engine-state): read them with --format modelop"
        ),
        "{}",
        r.stderr
    );
    assert!(gw.groups().is_empty(), "nothing was pushed");

    let (_dir, text) = artifact("starting\nall done\n");
    let r = watch(&text);
    assert_eq!(r.code, 0, "{r:?}");
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "simplepipe: warning: nothing was read: no metric found in {text}; read are name=value pairs"
        )) && !last.contains("ModelOp"),
        "{}",
        r.stderr
    );

    let (_dir, metrics) = artifact("epoch=1 loss=0.5\n");
    let r = watch(&metrics);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("nothing was read"), "{}", r.stderr);
    assert_eq!(gw.group(&[("job", "w")]).unwrap().value("loss"), "0.5");
}
