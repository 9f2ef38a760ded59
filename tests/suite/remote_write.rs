//! Remote write 1.0, end to end: the real binary pushes to real receivers on
//! loopback, Prometheus 2.42 (`--web.enable-remote-write-receiver`) and
//! VictoriaMetrics 1.79, and every series is read back through their PromQL
//! HTTP APIs: value, every label, the push time, and the histogram buckets
//! through `histogram_quantile`. Faults a real receiver can't produce on
//! demand (503, 400, 429 with Retry-After, a failure part-way) come from the
//! scripted server.

use crate::common;

use std::collections::BTreeMap;

use common::prometheus::Prometheus;
use common::scripted::{Reply, Scripted};
use common::victoria::Victoria;
use common::*;
use serde_json::{json, Value};
use simplepipe::encode::remote_write;

const EXAMPLES: [&str; 3] = [
    "examples/training-run.json",
    "examples/histogram.json",
    "examples/summary.json",
];

fn receiver() -> Prometheus {
    Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"])
}

/// `simplepipe push FILE training --user alice --remote-write URL EXTRA…`
fn push(file: &str, url: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "push",
        file,
        "training",
        "--user",
        "alice",
        "--remote-write",
        url,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every series an example flattens into, as full label sets with values:
/// what the receiver must hold afterwards. Taken from the library's own
/// model of the example (the encoding is what is under test, not this).
fn expected(file: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let path = repo().join(file);
    let bytes = std::fs::read(&path).unwrap();
    let extra = simplepipe::artifact::BuildOptions {
        grouping: vec!["job".into(), "user".into()],
        ..Default::default()
    };
    let src = simplepipe::source::Source::Path(path);
    let families = simplepipe::check(&bytes, &src, None, &extra)
        .unwrap()
        .0
        .families;
    let common = [
        ("job".to_string(), "training".to_string()),
        ("user".to_string(), "alice".to_string()),
    ];
    remote_write::requests(&families, &common, 0, usize::MAX)
        .iter()
        .flat_map(|c| remote_write::decode(&c.body).unwrap().timeseries)
        .map(|ts| {
            let labels = ts.labels.into_iter().map(|l| (l.name, l.value)).collect();
            (labels, ts.samples[0].value)
        })
        .collect()
}

/// A selector matching exactly these labels (`__name__` included).
fn selector(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", json!(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn labels_of(result: &Value) -> BTreeMap<String, String> {
    result["metric"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn value_of(result: &Value) -> f64 {
    result["value"][1].as_str().unwrap().parse().unwrap()
}

/// How a receiver treats a NaN sample: Prometheus stores and returns it;
/// VictoriaMetrics 1.79 stores nothing it will return (it reads NaN as
/// Prometheus' staleness marker).
#[derive(Clone, Copy, PartialEq)]
enum NaN {
    Kept,
    Dropped,
}

/// Read every expected series back: exactly one series with exactly these
/// labels and this value, stamped with a time in `window` (the pushes',
/// Unix ms). Returns how many there are.
fn read_back(
    query: &impl Fn(&str) -> Vec<Value>,
    file: &str,
    nan: NaN,
    (before, after): (i64, i64),
) -> usize {
    let (want, nans): (Vec<_>, Vec<_>) = expected(file)
        .into_iter()
        .partition(|(_, v)| nan == NaN::Kept || !v.is_nan());
    for (labels, value) in &want {
        let got = query(&selector(labels));
        assert_eq!(got.len(), 1, "{file}: {labels:?}: {got:?}");
        assert_eq!(&labels_of(&got[0]), labels, "{file}: every label, no more");
        let v = value_of(&got[0]);
        assert!(
            v == *value || (v.is_nan() && value.is_nan()),
            "{file}: {labels:?}: got {v}, want {value}"
        );
        let t = query(&format!("timestamp({})", selector(labels)));
        let ms = (value_of(&t[0]) * 1000.0).round() as i64;
        assert!(
            (before..=after).contains(&ms),
            "{labels:?}: stamped {ms}, pushed between {before} and {after}"
        );
    }
    for (labels, _) in &nans {
        let got = query_settled(query, &selector(labels));
        assert!(got.is_empty(), "{labels:?}: {got:?}");
    }
    want.len()
}

/// An instant query asked once the receiver has shown the other series
/// (which `read_back`'s polling ensures), so an empty answer means absent.
fn query_settled(query: &impl Fn(&str) -> Vec<Value>, q: &str) -> Vec<Value> {
    query(&format!("{q} or vector(-1)"))
        .into_iter()
        .filter(|r| r["metric"].as_object().is_some_and(|m| !m.is_empty()))
        .collect()
}

/// What both receivers must answer after the three examples were pushed
/// between `before` and `after` (Unix ms).
fn check_receiver(query: impl Fn(&str) -> Vec<Value>, nan: NaN, window: (i64, i64)) {
    let mut total = 0;
    for file in EXAMPLES {
        total += read_back(&query, file, nan, window);
    }
    let count = query(r#"count({job="training",user="alice"})"#);
    assert_eq!(value_of(&count[0]) as usize, total, "no extra series");

    // Spot checks written out by hand, independent of the encoder.
    let run = query("run_time_seconds");
    assert_eq!(value_of(&run[0]), 3912.4);
    assert_eq!(
        labels_of(&run[0]),
        BTreeMap::from(
            [
                ("__name__", "run_time_seconds"),
                ("dataset", "imagenet-subset"),
                ("job", "training"),
                ("model", "resnet50"),
                ("user", "alice"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        )
    );
    let inf = query(r#"image_decode_seconds_bucket{le="+Inf"}"#);
    assert_eq!(value_of(&inf[0]), 1200.0, "the +Inf bucket is the count");
    // The buckets work as a histogram: the median of 1,200 observations is
    // the 600th, in (0.005, 0.01] where 120 are below and 880 at or below:
    // 0.005 + (600 - 120) / (880 - 120) * 0.005.
    let median = query(r#"histogram_quantile(0.5, image_decode_seconds_bucket{job="training"})"#);
    assert_eq!(median.len(), 1, "{median:?}");
    let want = 0.005 + 480.0 / 760.0 * 0.005;
    assert!((value_of(&median[0]) - want).abs() < 1e-12, "{median:?}");
    assert_eq!(labels_of(&median[0])["pipeline"], "preprocess");
    let p99 = query(r#"batch_latency_seconds{quantile="0.99"}"#);
    assert_eq!(value_of(&p99[0]), 0.93);
    assert_eq!(
        value_of(&query(r#"epoch_duration_seconds_count{stage="train"}"#)[0]),
        10.0
    );
}

#[test]
fn prometheus_holds_every_series_with_its_labels_values_and_push_time() {
    let prom = receiver();
    let url = format!("{}/api/v1/write", prom.url);
    let before = now_ms();
    for file in EXAMPLES {
        let r = push(file, &url, &[]);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stderr.contains("samples") && r.stderr.contains("/api/v1/write"),
            "one summary line: {}",
            r.stderr
        );
    }
    check_receiver(|q| prom.query(q), NaN::Kept, (before, now_ms()));
}

#[test]
fn victoria_metrics_holds_every_series_with_its_labels_values_and_push_time() {
    let vm = Victoria::start();
    let before = now_ms();
    for file in EXAMPLES {
        let r = push(file, &vm.write_url(), &["--max-samples-per-request", "5"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    check_receiver(|q| vm.query(q), NaN::Dropped, (before, now_ms()));
}

/// The benchmark's artifact (benches/compare.py): n series, a quarter each
/// gauge, counter, histogram (3 buckets) and summary (2 quantiles).
fn big_artifact(n: usize) -> String {
    let metrics: Vec<Value> = (0..n)
        .map(|i| {
            let stage = ["train", "eval"][i % 2];
            let labels = json!({"shard": format!("shard-{i:06}"), "stage": stage,
                                "host": format!("node-{:02}.cluster.local", i % 37)});
            let name = format!("pipeline_{}_{}", ["gauge", "counter", "histogram", "summary"][i % 4], i % 25);
            match i % 4 {
                0 => json!({"name": name, "type": "gauge", "value": i as f64 * 0.5, "labels": labels}),
                1 => json!({"name": name + "_total", "type": "counter", "value": i, "labels": labels}),
                2 => json!({"name": name + "_seconds", "type": "histogram", "labels": labels,
                            "buckets": [{"le": 0.1, "count": 1}, {"le": 1, "count": 4}, {"le": 10, "count": 9}],
                            "sum": 31.5, "count": 10}),
                _ => json!({"name": name + "_latency", "type": "summary", "labels": labels,
                            "quantiles": [{"quantile": 0.5, "value": 0.2}, {"quantile": 0.99, "value": 0.9}],
                            "sum": 4.1, "count": 20}),
            }
        })
        .collect();
    json!({"labels": {"pipeline": "bench"}, "metrics": metrics}).to_string()
}

#[test]
fn the_100k_artifact_arrives_whole_in_both_receivers() {
    let (_dir, path) = artifact(&big_artifact(100_000));
    // A gauge and a counter are one series each, a histogram 3 buckets +
    // the +Inf bucket + _sum + _count = 6, a summary 2 quantiles + 2 = 4.
    let want = 25_000 * (1 + 1 + 6 + 4);
    let prom = receiver();
    let vm = Victoria::start();
    let r = push(&path, &format!("{}/api/v1/write", prom.url), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("{want} samples in 150 requests")),
        "{}",
        r.stderr
    );
    let r = push(&path, &vm.write_url(), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    for (who, count) in [
        ("prometheus", prom.query(r#"count({pipeline="bench"})"#)),
        ("victoria-metrics", vm.query(r#"count({pipeline="bench"})"#)),
    ] {
        assert_eq!(value_of(&count[0]) as usize, want, "{who}");
    }
    // The last series of the artifact, spot-checked in both.
    let last = r#"pipeline_summary_24_latency{shard="shard-099999",quantile="0.99"}"#;
    assert_eq!(value_of(&prom.query(last)[0]), 0.9);
    assert_eq!(value_of(&vm.query(last)[0]), 0.9);
}

#[test]
fn dry_run_prints_the_series_and_sends_nothing() {
    let s = Scripted::start(vec![Reply::Status(204, &[], "")]);
    let r = push(
        "examples/histogram.json",
        &s.url,
        &["--dry-run", "--max-samples-per-request", "7"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(s.requests().is_empty());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "# request 1/2: 7 samples");
    assert!(lines[1].starts_with(
        r#"image_decode_seconds_bucket{job="training",le="0.005",pipeline="preprocess",user="alice"} 120 "#
    ), "{}", r.stdout);
    assert!(r.stdout.contains("# request 2/2: 5 samples"));
    assert!(r.stderr.contains("dry run"), "{}", r.stderr);
}

#[test]
fn the_pushgateways_own_options_are_refused_next_to_remote_write_alone() {
    // The Pushgateway's own options are refused, not silently ignored; so
    // is an endpoint without a scheme.
    for (extra, said) in [
        (
            &["--method", "post"][..],
            "--method post is for the Pushgateway, which is not among the destinations",
        ),
        (
            &["--compress", "gzip"][..],
            "--compress is for the Pushgateway and InfluxDB",
        ),
        (&["--format", "text"][..], "--format is for the Pushgateway"),
    ] {
        let r = push(
            "examples/training-run.json",
            "http://127.0.0.1:1/api/v1/write",
            extra,
        );
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains(said), "{}", r.stderr);
    }
    let r = push(
        "examples/training-run.json",
        "prometheus:9090/api/v1/write",
        &[],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("full http:// or https:// endpoint"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_503_is_retried_with_the_same_bytes_and_the_protocol_headers() {
    let s = Scripted::start(vec![
        Reply::Status(503, &[], "overloaded"),
        Reply::Status(204, &[], ""),
    ]);
    let r = push(
        "examples/training-run.json",
        &s.url,
        &["--retry-max-wait", "0.2"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body, "the retry sends the same bytes");
    for q in &reqs {
        assert_eq!(q.method, "POST");
        assert_eq!(q.header("content-encoding"), Some("snappy"));
        assert_eq!(q.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(q.header("x-prometheus-remote-write-version"), Some("0.1.0"));
        assert!(q.header("user-agent").unwrap().starts_with("simplepipe/"));
    }
    let sent = remote_write::decode(&reqs[1].body).unwrap();
    assert_eq!(sent.timeseries.len(), 5);
    assert!(
        r.stderr
            .contains("HTTP 503 Service Unavailable): overloaded; retry 1/3"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_400_is_exit_5_after_one_request_with_the_receivers_message() {
    let s = Scripted::start(vec![Reply::Status(400, &[], "out of order sample")]);
    let r = push("examples/training-run.json", &s.url, &[]);
    assert_eq!(r.code, 5, "{r:?}");
    assert_eq!(s.requests().len(), 1);
    assert!(
        r.stderr
            .contains("(HTTP 400 Bad Request): out of order sample"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_429_waits_for_retry_after() {
    let s = Scripted::start(vec![
        Reply::Status(429, &[("Retry-After", "1")], "rate limited"),
        Reply::Status(204, &[], ""),
    ]);
    let r = push(
        "examples/training-run.json",
        &s.url,
        &["--retry-max-wait", "5"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("retry 1/3 in 1.0s (Retry-After)"),
        "{}",
        r.stderr
    );
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    // Ordering, not speed: the second request cannot come before the wait.
    assert!(reqs[1].at.duration_since(reqs[0].at) >= std::time::Duration::from_millis(950));
    assert_eq!(reqs[0].body, reqs[1].body);
}

/// Push examples/histogram.json (12 samples) in requests of 5, 5 and 2.
fn push_in_fives(script: Vec<Reply>, extra: &[&str]) -> (Scripted, Run) {
    let s = Scripted::start(script);
    let mut args = vec!["--max-samples-per-request", "5", "--retry-max-wait", "0.1"];
    args.extend_from_slice(extra);
    let r = push("examples/histogram.json", &s.url, &args);
    (s, r)
}

#[test]
fn a_failure_part_way_says_how_many_samples_landed() {
    const OK: Reply = Reply::Status(204, &[], "");
    const DOWN: Reply = Reply::Status(503, &[], "down");
    // The third request fails for good.
    let (s, r) = push_in_fives(vec![OK, OK, DOWN], &["--retries", "1"]);
    assert_eq!(r.code, 6, "{r:?}");
    assert_eq!(s.requests().len(), 4, "two landed, the third tried twice");
    assert!(
        r.stderr
            .contains("10 of 12 samples landed (2 of 3 requests) before this failure; pushing again is safe: POST "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the receiver failed (HTTP 503 Service Unavailable): down"),
        "{}",
        r.stderr
    );

    // With --best-effort, a warning that says what landed, and exit 0.
    let (_s, r) = push_in_fives(vec![OK, DOWN], &["--retries", "0", "--best-effort"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(
            "--best-effort: 5 of 12 samples were pushed, exiting 0 (would have been exit 6)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn best_effort_forgives_an_unreachable_receiver() {
    let r = push(
        "examples/training-run.json",
        "http://127.0.0.1:1/api/v1/write",
        &["--best-effort", "--retries", "0"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn run_pushes_a_commands_metrics_by_remote_write() {
    let prom = receiver();
    let url = format!("{}/api/v1/write", prom.url);
    let r = run(&[
        "run",
        "--remote-write",
        &url,
        "--job",
        "training",
        "--user",
        "alice",
        "--",
        "sh",
        "-c",
        "echo loss=0.25",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let got = prom.query(r#"loss{job="training",user="alice"}"#);
    assert_eq!(value_of(&got[0]), 0.25, "{got:?}");
}
