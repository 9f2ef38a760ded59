//! Several destinations in one command, end to end against real servers on
//! loopback: a Pushgateway 1.5.1, a Prometheus 2.42 remote-write receiver
//! and an InfluxDB 1.6, all fed by one `push` or one `run`. A destination
//! that refuses connections is a closed port; one that accepts and never
//! answers is the scripted server (no real server hangs on demand).

use crate::common;

use std::time::{Duration, Instant};

use common::influx::Influx;
use common::live::{eventually, Live};
use common::prometheus::Prometheus;
use common::scripted::{Reply, Scripted};
use common::*;

const DB: &str = "ml";

fn receiver() -> Prometheus {
    Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"])
}

fn influx() -> Influx {
    let i = Influx::start();
    i.create_database(DB);
    i
}

/// A URL nothing listens on.
fn refused() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// `push examples/simple.json` with `--job train --user alice` and the given
/// destination options.
fn push(dest: &[&str], extra: &[&str]) -> Run {
    let mut args = vec![
        "push",
        "examples/simple.json",
        "--job",
        "train",
        "--user",
        "alice",
        "--label",
        r"team=a\,b",
        "--timeout",
        "2s",
        "--retries",
        "0",
    ];
    args.extend_from_slice(dest);
    args.extend_from_slice(extra);
    run_env(&args, &[])
}

/// The value of `name{job="train",user="alice",team="a,b"}` in the receiver.
fn prom_value(prom: &Prometheus, name: &str) -> Option<f64> {
    let q = format!(r#"{name}{{job="train",user="alice",team="a,b"}}"#);
    prom.query_once(&q)
        .first()
        .map(|r| r["value"][1].as_str().unwrap().parse().unwrap())
}

/// The value of measurement `name` tagged job=train, user=alice, team="a,b".
fn influx_value(i: &Influx, name: &str) -> Option<f64> {
    let q = format!(
        r#"SELECT "value" FROM "{name}" WHERE "job"='train' AND "user"='alice' AND "team"='a,b'"#
    );
    i.query(DB, &q).last().map(|r| r["value"].as_f64().unwrap())
}

fn gateway_value(gw: &Gateway, name: &str) -> Option<f64> {
    let g = gw.group(&[("job", "train"), ("user", "alice")])?;
    let s = g.series(name);
    let (labels, series) = s.first()?;
    assert_eq!(labels.get("team").map(String::as_str), Some("a,b"), "{s:?}");
    Some(series["value"].as_str().unwrap().parse().unwrap())
}

/// The metric names and values of examples/simple.json.
fn simple_values() -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(repo().join("examples/simple.json")).unwrap();
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    map.into_iter()
        .map(|(k, v)| (k, v.as_f64().unwrap()))
        .collect()
}

#[test]
fn one_push_lands_alike_in_the_gateway_prometheus_and_influxdb() {
    let (gw, prom, db) = (Gateway::start(), receiver(), influx());
    let rw = format!("{}/api/v1/write", prom.url);
    let dest = [
        "--gateway",
        &gw.url,
        "--remote-write",
        &rw,
        "--influx",
        &db.url,
        "--influx-db",
        DB,
    ];
    let r = push(&dest, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one summary line per destination: {r:?}");
    assert!(
        lines[0].contains("/metrics/job/train/user/alice (PUT)"),
        "{r:?}"
    );
    assert!(lines[1].contains("(remote write, "), "{r:?}");
    assert!(lines[2].contains("(InfluxDB 1.x line protocol)"), "{r:?}");
    let values = simple_values();
    assert!(!values.is_empty());
    for (name, v) in &values {
        assert_eq!(gateway_value(&gw, name), Some(*v), "gateway {name}");
        let p = eventually(&format!("{name} in Prometheus"), || prom_value(&prom, name));
        assert_eq!(p, *v, "prometheus {name}");
        assert_eq!(influx_value(&db, name), Some(*v), "influxdb {name}");
    }
}

#[test]
fn a_refused_or_hanging_destination_fails_alone_and_is_named() {
    let (gw, db) = (Gateway::start(), influx());
    let hang = Scripted::start(vec![Reply::Hang; 4]);
    for (bad, what) in [
        (refused(), "refused"),
        (format!("{}/api/v1/write", hang.url), "hanging"),
    ] {
        let dest = [
            "--gateway",
            &gw.url,
            "--remote-write",
            &bad,
            "--influx",
            &db.url,
            "--influx-db",
            DB,
        ];
        let started = Instant::now();
        let r = push(&dest, &[]);
        assert!(started.elapsed() < Duration::from_secs(15), "{what}: {r:?}");
        assert_eq!(r.code, 6, "{what}: {r:?}");
        let last = r.stderr.lines().last().unwrap();
        assert!(
            last.starts_with(
                "simplepipe: error: 1 of 3 destinations failed: remote write (exit 6): POST "
            ),
            "{what}: {r:?}"
        );
        for (name, v) in simple_values() {
            assert_eq!(gateway_value(&gw, &name), Some(v), "{what}: gateway {name}");
            assert_eq!(influx_value(&db, &name), Some(v), "{what}: influxdb {name}");
        }
        let r = push(&dest, &["--best-effort"]);
        assert_eq!(r.code, 0, "{what}: {r:?}");
        assert!(
            r.stderr
                .contains("--best-effort: 2 of 3 destinations took the push"),
            "{r:?}"
        );
    }
}

#[test]
fn each_outcome_is_in_the_json_summary() {
    let gw = Gateway::start();
    let bad = refused();
    let r = push(
        &["--gateway", &gw.url, "--influx", &bad, "--influx-db", DB],
        &["--output", "json"],
    );
    assert_eq!(r.code, 6, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["pushed"], false);
    let each = v["destinations"].as_array().unwrap();
    assert_eq!(each.len(), 2);
    assert_eq!(each[0]["pushed"], true);
    assert_eq!(each[1]["pushed"], false);
    assert_eq!(each[1]["exit"], 6);
    assert!(
        each[1]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{v}"
    );
}

#[test]
fn an_invalid_artifact_goes_nowhere() {
    let (gw, prom, db) = (Gateway::start(), receiver(), influx());
    let rw = format!("{}/api/v1/write", prom.url);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"metrics": [{"name": "ok", "value": 1}, {"name": "x", "value": "high"}]}"#,
    )
    .unwrap();
    let r = run(&[
        "push",
        bad.to_str().unwrap(),
        "--job",
        "train",
        "--gateway",
        &gw.url,
        "--remote-write",
        &rw,
        "--influx",
        &db.url,
        "--influx-db",
        DB,
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(gw.groups().is_empty());
    assert!(prom.query_once(r#"{job="train"}"#).is_empty());
    assert!(db.measurements(DB).is_empty());
}

#[test]
fn credentials_go_only_to_the_destination_they_are_for() {
    let (gw, rw) = (
        Scripted::start(vec![Reply::Status(200, &[], "")]),
        Scripted::start(vec![Reply::Status(204, &[], "")]),
    );
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "rw-token-123\n").unwrap();
    let r = run_env(
        &[
            "push",
            "--metric",
            "x=1",
            "--job",
            "j",
            "--gateway",
            &gw.url,
            "--username",
            "bob",
            "--remote-write",
            &format!("{}/api/v1/write", rw.url),
            "--remote-write-bearer-token-file",
            token.to_str().unwrap(),
        ],
        &[("SIMPLEPIPE_PASSWORD", "gw-secret-456")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (g, w) = (&gw.requests()[0], &rw.requests()[0]);
    assert_eq!(
        g.header("authorization"),
        Some("Basic Ym9iOmd3LXNlY3JldC00NTY=")
    );
    assert_eq!(w.header("authorization"), Some("Bearer rw-token-123"));
    for secret in ["gw-secret-456", "rw-token-123"] {
        assert!(
            !r.stderr.contains(secret) && !r.stdout.contains(secret),
            "{r:?}"
        );
    }
    // Without a gateway, the unprefixed credentials belong to nobody.
    let r = run_env(
        &[
            "push",
            "--metric",
            "x=1",
            "--job",
            "j",
            "--username",
            "bob",
            "--remote-write",
            &format!("{}/api/v1/write", rw.url),
            "--influx",
            &refused(),
            "--influx-db",
            DB,
        ],
        &[("SIMPLEPIPE_PASSWORD", "gw-secret-456")],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("give each its own"), "{r:?}");
    assert_eq!(rw.requests().len(), 1, "nothing more was sent");
}

#[test]
fn options_no_chosen_destination_uses_are_refused() {
    for (args, says) in [
        (
            &[
                "--remote-write",
                "http://127.0.0.1:9/api/v1/write",
                "--method",
                "post",
            ][..],
            "--method post is for the Pushgateway",
        ),
        (
            &[
                "--influx",
                "http://127.0.0.1:9",
                "--influx-db",
                "x",
                "--format",
                "text",
            ],
            "--format is for the Pushgateway",
        ),
        (
            &[
                "--gateway",
                "http://127.0.0.1:9",
                "--max-samples-per-request",
                "5",
            ],
            "--max-samples-per-request is given without --remote-write",
        ),
        (
            &["--gateway", "http://127.0.0.1:9", "--influx-batch", "5"],
            "--influx-batch is given without --influx",
        ),
    ] {
        let mut all = vec!["push", "--metric", "x=1", "--job", "j"];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {r:?}");
    }
}

const TRAIN: &str = "echo 'loss=0.5'; sleep 0.3; echo 'loss=0.25 acc=0.9'";

#[test]
fn run_feeds_the_gateway_and_influxdb_at_once() {
    let (gw, db) = (Gateway::start(), influx());
    let r = Live::spawn(
        &[
            "run",
            "--job",
            "train",
            "--user",
            "alice",
            "--interval",
            "100ms",
            "--gateway",
            &gw.url,
            "--influx",
            &db.url,
            "--influx-db",
            DB,
            "--",
            "sh",
            "-c",
            TRAIN,
        ],
        &[("SIMPLEPIPE_LABELS", r#"{"team": "a,b"}"#)],
    )
    .wait();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "loss=0.5\nloss=0.25 acc=0.9\n");
    for (name, v) in [("loss", 0.25), ("acc", 0.9), ("run_exit_code", 0.0)] {
        assert_eq!(gateway_value(&gw, name), Some(v), "gateway {name}");
        assert_eq!(influx_value(&db, name), Some(v), "influxdb {name}");
    }
    assert_eq!(
        r.stderr
            .lines()
            .filter(|l| l.contains("every 0.1s"))
            .count(),
        2,
        "{r:?}"
    );
}

#[test]
fn run_with_a_hanging_destination_keeps_the_child_and_the_others_going() {
    let gw = Gateway::start();
    let hang = Scripted::start(vec![Reply::Hang; 20]);
    let started = Instant::now();
    let r = Live::spawn(
        &[
            "run",
            "--job",
            "train",
            "--user",
            "alice",
            "--interval",
            "100ms",
            "--timeout",
            "2s",
            "--label",
            "team=a\\,b",
            "--gateway",
            &gw.url,
            "--influx",
            &hang.url,
            "--influx-db",
            DB,
            "--",
            "sh",
            "-c",
            TRAIN,
        ],
        &[],
    )
    .wait();
    let took = started.elapsed();
    assert_eq!(r.stdout, "loss=0.5\nloss=0.25 acc=0.9\n", "{r:?}");
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr.contains("1 of 2 destinations failed: InfluxDB"),
        "{r:?}"
    );
    assert_eq!(gateway_value(&gw, "loss"), Some(0.25));
    assert_eq!(gateway_value(&gw, "run_exit_code"), Some(0.0));
    // The final push waits for at most one push in flight and its own
    // --timeout: well under the child's time plus three timeouts.
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn watch_takes_labels_as_json_and_durations_in_the_common_grammar() {
    let gw = Gateway::start();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("metrics.log");
    std::fs::write(&f, "loss=0.5\n").unwrap();
    let r = run_env(
        &[
            "watch",
            f.to_str().unwrap(),
            "--job",
            "train",
            "--user",
            "alice",
            "--gateway",
            &gw.url,
            "--interval",
            "1m30s",
            "--timeout",
            "1.5s",
        ],
        &[("SIMPLEPIPE_LABELS", r#"{"team": "a,b"}"#)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("every 90s"), "{r:?}");
    assert_eq!(gateway_value(&gw, "loss"), Some(0.5));
    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1.5h",
        "--dry-run",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1.5x",
        "--dry-run",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains(r#"--older-than "1.5x": unknown unit "x""#),
        "{r:?}"
    );
}
