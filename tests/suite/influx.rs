//! InfluxDB line protocol against real servers on loopback: InfluxDB 1.6
//! (read back with InfluxQL through `/query`) and VictoriaMetrics 1.79 (a
//! second, independent parser; read back through its Prometheus API, where
//! a line `m value=V` is the series `m_value`).

use crate::common;

use std::collections::BTreeMap;

use common::influx::Influx;
use common::scripted::{Reply, Scripted};
use common::victoria::Victoria;
use common::*;
use serde_json::{json, Value};
use simplepipe::encode::line_protocol;
use simplepipe::model::{Family, Kind, Sample, Series};

/// Label values that need every escape line protocol has, and some that
/// need none but are easy to mangle.
const TRICKY: [(&str, &str); 6] = [
    ("comma", "a,b"),
    ("equals", "k=v"),
    ("space", "two words"),
    ("unicode", "ü 日本 🚀"),
    ("quote", "\"quoted\" 'single'"),
    ("winpath", r"C:\data\run"),
];

fn families() -> Vec<Family> {
    let labels = TRICKY
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect::<simplepipe::model::Labels>();
    vec![
        Family {
            name: "tricky_gauge".into(),
            help: String::new(),
            kind: Kind::Gauge,
            series: vec![Series {
                labels: labels.clone(),
                sample: Sample::Scalar(0.5),
            }],
        },
        Family {
            name: "lat".into(),
            help: String::new(),
            kind: Kind::Histogram,
            series: vec![Series {
                labels: vec![("model".into(), "m 1".into())].into(),
                sample: Sample::Histogram {
                    buckets: vec![(0.1, 1), (1.0, 3)],
                    sum: 2.5,
                    count: 4,
                },
            }],
        },
        Family {
            name: "nan_gauge".into(),
            help: String::new(),
            kind: Kind::Gauge,
            series: vec![Series {
                labels: Default::default(),
                sample: Sample::Scalar(f64::NAN),
            }],
        },
    ]
}

fn grouping() -> Vec<(String, String)> {
    vec![
        ("job".into(), "train, eval".into()),
        ("user".into(), "alice".into()),
    ]
}

/// Every raw sample of the series matching `selector`, with its exact
/// timestamp (VictoriaMetrics' `/api/v1/export`, one JSON object a line).
fn vm_export(vm: &Victoria, selector: &str) -> Vec<Value> {
    let text = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/export", vm.url))
        .form(&[("match[]", selector)])
        .send()
        .and_then(|r| r.text())
        .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn post(url: &str, body: &str) {
    let r = reqwest::blocking::Client::new()
        .post(url)
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status();
    assert_eq!(status.as_u16(), 204, "{url}: {}", r.text().unwrap());
}

#[test]
fn encoder_output_reads_back_from_influxdb_1_6() {
    let influx = Influx::start();
    influx.create_database("lp");
    let ts = 1_700_000_000_123;
    let out = line_protocol::encode(&families(), &grouping(), ts, 2).unwrap();
    assert_eq!((out.lines, out.skipped, out.batches.len()), (6, 1, 3));
    for batch in &out.batches {
        post(&format!("{}/write?db=lp&precision=ms", influx.url), batch);
    }
    let rows = influx.query("lp", r#"SELECT * FROM "tricky_gauge" WHERE "user"='alice'"#);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let mut want: BTreeMap<String, Value> = TRICKY
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    want.extend([
        ("_measurement".into(), json!("tricky_gauge")),
        ("time".into(), json!(ts)),
        ("job".into(), json!("train, eval")),
        ("user".into(), json!("alice")),
        ("value".into(), json!(0.5)),
    ]);
    assert_eq!(rows[0], want);
    let buckets = influx.query(
        "lp",
        r#"SELECT "value" FROM "lat_bucket" WHERE "model"='m 1' GROUP BY "le""#,
    );
    assert_eq!(buckets.len(), 3, "{buckets:?}");
    let measurements = influx.measurements("lp");
    assert_eq!(
        measurements,
        ["lat_bucket", "lat_count", "lat_sum", "tricky_gauge"],
        "NaN line skipped"
    );
}

#[test]
fn encoder_output_reads_back_from_victoriametrics() {
    let vm = Victoria::start();
    let ts = chrono::Utc::now().timestamp_millis();
    let out = line_protocol::encode(&families(), &grouping(), ts, 5000).unwrap();
    post(&format!("{}/write?precision=ms", vm.url), &out.body());
    let res = vm.query(r#"tricky_gauge_value{user="alice"}"#);
    assert_eq!(res.len(), 1, "{res:?}");
    let metric = res[0]["metric"].as_object().unwrap();
    for (k, v) in TRICKY {
        assert_eq!(metric[k], v, "{metric:?}");
    }
    assert_eq!(metric["job"], "train, eval");
    assert_eq!(res[0]["value"][1], "0.5");
    let inf = vm.query(r#"lat_bucket_value{le="+Inf",model="m 1"}"#);
    assert_eq!(inf[0]["value"][1], "4");
    let exported = vm_export(&vm, r#"{__name__="lat_sum_value"}"#);
    assert_eq!(exported[0]["timestamps"][0], ts);
}

// ---------------------------------------------------------------------------
// The real binary: `simplepipe push --influx`.

const TOKEN: &str = "influx-T0ken-Zq9-never-print-me";
const PASSWORD: &str = "influx-pw-Zq9-never-print-me";

/// The example artifacts every read-back test pushes.
const EXAMPLES: [&str; 6] = [
    "examples/simple.json",
    "examples/training-run.json",
    "examples/histogram.json",
    "examples/summary.json",
    "examples/original-simplepipe.json",
    "examples/admin/run-ok.json",
];

/// One line of line protocol, split back into its parts (the test's own
/// small parser, used to compare what a server stored with what was sent).
#[derive(Debug, Clone, PartialEq)]
struct Point {
    measurement: String,
    tags: BTreeMap<String, String>,
    value: f64,
    time: i64,
}

/// Split on `sep` where it is not backslash-escaped, keeping the escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some(',' | ' ' | '=')) {
            parts.last_mut().unwrap().push(c);
            parts.last_mut().unwrap().push(chars.next().unwrap());
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().unwrap().push(c);
        }
    }
    parts
}

/// `\,`, `\ ` and `\=` back to the character; other backslashes are literal.
fn unescape(s: &str) -> String {
    s.replace("\\,", ",")
        .replace("\\ ", " ")
        .replace("\\=", "=")
}

fn parse_line(line: &str) -> Point {
    let mut sections = split_unescaped(line, ' ');
    assert_eq!(sections.len(), 3, "{line:?}");
    let time = sections.pop().unwrap().parse().unwrap();
    let field = sections.pop().unwrap();
    let value = field.strip_prefix("value=").expect(line).parse().unwrap();
    let mut head = split_unescaped(&sections.pop().unwrap(), ',').into_iter();
    let measurement = unescape(&head.next().unwrap());
    let tags = head
        .map(|kv| {
            let kv = split_unescaped(&kv, '=');
            assert_eq!(kv.len(), 2, "{line:?}");
            (unescape(&kv[0]), unescape(&kv[1]))
        })
        .collect();
    Point {
        measurement,
        tags,
        value,
        time,
    }
}

#[test]
fn the_test_parser_reads_escapes() {
    let p = parse_line(r"m\ x,a=b\,c,k\=1=v\ w\=z value=1.5 7");
    assert_eq!(p.measurement, "m x");
    assert_eq!(p.tags["a"], "b,c");
    assert_eq!(p.tags["k=1"], "v w=z");
    assert_eq!((p.value, p.time), (1.5, 7));
}

/// What `--dry-run` prints for an example: the exact body, parsed.
fn dry_run_points(example: &str, extra: &[&str]) -> (String, Vec<Point>) {
    let mut args = vec![
        "push",
        example,
        "--job",
        "examples",
        "--user",
        "alice",
        "--influx-db",
        "x",
        "--dry-run",
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    let points = r.stdout.lines().map(parse_line).collect();
    (r.stdout, points)
}

pub(crate) fn push_influx(url: &str, example: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "push", example, "--job", "examples", "--user", "alice", "--influx", url,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Every point of `db` as the same `Point` shape: tag columns are the
/// row's strings, the field is `value`.
fn stored_points(influx: &Influx, db: &str) -> Vec<Point> {
    let mut points: Vec<Point> = influx
        .query(db, r#"SELECT * FROM /.*/ WHERE "user"='alice'"#)
        .into_iter()
        .map(|row| {
            let mut tags = BTreeMap::new();
            let mut value = f64::NAN;
            let mut time = 0;
            let mut measurement = String::new();
            for (k, v) in row {
                match k.as_str() {
                    "_measurement" => measurement = v.as_str().unwrap().to_string(),
                    "time" => time = v.as_i64().unwrap(),
                    "value" => value = v.as_f64().unwrap(),
                    _ => {
                        tags.insert(k, v.as_str().unwrap().to_string());
                    }
                }
            }
            Point {
                measurement,
                tags,
                value,
                time,
            }
        })
        .collect();
    sort_points(&mut points);
    points
}

/// The original format's `_created` gauges hold the time of each run (the
/// dry run's and the push's differ): check they are the push's, to the
/// second, then compare the rest exactly.
fn same_created(got: &mut [Point], want: &mut [Point], push_ms: i64) {
    for p in got.iter_mut().chain(want.iter_mut()) {
        if p.measurement.ends_with("_created") {
            assert!((p.value - push_ms as f64 / 1e3).abs() < 60.0, "{p:?}");
            p.value = 0.0;
        }
    }
}

fn sort_points(points: &mut [Point]) {
    points.sort_by(|a, b| {
        (&a.measurement, &a.tags)
            .cmp(&(&b.measurement, &b.tags))
            .then(a.value.total_cmp(&b.value))
    });
}

#[test]
fn every_example_reads_back_from_influxdb_1_6_exactly_as_dry_run_shows_it() {
    let influx = Influx::start();
    let mut total = (0, 0);
    for (i, example) in EXAMPLES.iter().enumerate() {
        let db = format!("ex{i}");
        influx.create_database(&db);
        let (_, mut want) = dry_run_points(example, &[]);
        let before = chrono::Utc::now().timestamp_millis();
        let r = push_influx(&influx.url, example, &["--influx-db", &db]);
        let after = chrono::Utc::now().timestamp_millis();
        assert_eq!(r.code, 0, "{example}: {r:?}");
        let got = stored_points(&influx, &db);
        // One push time for every line, taken during the run.
        let t = got[0].time;
        assert!(
            (before..=after).contains(&t),
            "{example}: {t} not in {before}..{after}"
        );
        assert!(got.iter().all(|p| p.time == t), "{example}: {got:?}");
        for p in &mut want {
            p.time = t;
        }
        let mut got = got;
        same_created(&mut got, &mut want, t);
        sort_points(&mut want);
        assert_eq!(got, want, "{example}: stored != sent\n{}", influx.log());
        total.0 += want.len();
        total.1 += got.len();
    }
    eprintln!(
        "read back {} of {} lines from InfluxDB 1.6",
        total.1, total.0
    );
}

#[test]
fn examples_read_back_by_value_from_influxdb_1_6() {
    let influx = Influx::start();
    influx.create_database("v");
    for example in [
        "examples/training-run.json",
        "examples/histogram.json",
        "examples/summary.json",
    ] {
        let r = push_influx(&influx.url, example, &["--influx-db", "v"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    let q = |influxql: &str| influx.query("v", influxql);
    let rows = q(
        r#"SELECT "value" FROM "images_processed_total" WHERE "user"='alice' AND "split"='train'"#,
    );
    assert_eq!(rows[0]["value"], 1281167.0);
    let rows = q(r#"SELECT * FROM "memory_peak_bytes" WHERE "user"='alice'"#);
    assert_eq!(rows[0]["value"], 17179869184.0);
    for tag in ["job", "user", "model", "dataset"] {
        assert!(rows[0].contains_key(tag), "{tag} missing: {:?}", rows[0]);
    }
    assert_eq!(rows[0]["job"], "examples");
    assert_eq!(rows[0]["dataset"], "imagenet-subset");
    let rows = q(
        r#"SELECT "value" FROM "image_decode_seconds_bucket" WHERE "user"='alice' AND "le"='+Inf'"#,
    );
    assert_eq!(rows[0]["value"], 1200.0);
    let rows = q(
        r#"SELECT "value" FROM "image_decode_seconds_bucket" WHERE "user"='alice' AND "le"='0.05'"#,
    );
    assert_eq!(rows[0]["value"], 1190.0);
    let rows = q(r#"SELECT "value" FROM "epoch_duration_seconds_sum" WHERE "stage"='train'"#);
    assert_eq!(rows[0]["value"], 812.5);
    let rows = q(r#"SELECT "value" FROM "batch_latency_seconds" WHERE "quantile"='0.99'"#);
    assert_eq!(rows[0]["value"], 0.93);
    let rows = q(r#"SELECT "value" FROM "batch_latency_seconds_count" WHERE "model"='lstm'"#);
    assert_eq!(rows[0]["value"], 1875.0);
    // The NaN gauge of summary.json was skipped, not stored.
    assert!(!influx
        .measurements("v")
        .contains(&"gpu_temperature_celsius".to_string()));
}

#[test]
fn nan_and_inf_are_skipped_with_one_warning_that_counts_them() {
    let influx = Influx::start();
    influx.create_database("n");
    let (_dir, path) = artifact(
        r#"{"metrics": [
            {"name": "a", "type": "gauge", "value": "NaN"},
            {"name": "b", "type": "gauge", "value": "+Inf"},
            {"name": "c", "type": "gauge", "value": "-Inf"},
            {"name": "d", "type": "gauge", "value": 4}
        ]}"#,
    );
    let r = push_influx(&influx.url, &path, &["--influx-db", "n"]);
    assert_eq!(r.code, 0, "{r:?}");
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(warnings[0].contains("3 values"), "{}", warnings[0]);
    assert!(warnings[0].contains("NaN or ±Inf"), "{}", warnings[0]);
    assert!(warnings[0].contains("(the first: a)"), "{}", warnings[0]);
    assert_eq!(influx.measurements("n"), ["d"]);
}

/// Label values that need every escape, in the artifact, in --label and
/// in --group.
#[test]
fn tricky_label_values_round_trip_through_influxdb_1_6() {
    let influx = Influx::start();
    influx.create_database("t");
    let mut labels = serde_json::Map::new();
    for (k, v) in TRICKY {
        labels.insert(k.to_string(), json!(v));
    }
    labels.insert("empty".into(), json!(""));
    let doc =
        json!({"metrics": [{"name": "tricky", "type": "gauge", "value": 2.5, "labels": labels}]});
    let (_dir, path) = artifact(&doc.to_string());
    let r = push_influx(
        &influx.url,
        &path,
        &[
            "--influx-db",
            "t",
            "--label",
            "extra=x y=z",
            "--group",
            "stage=pré traitement=v1",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let rows = influx.query("t", r#"SELECT * FROM "tricky" WHERE "user"='alice'"#);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    for (k, v) in TRICKY {
        assert_eq!(row[k], v, "{k}: {row:?}");
    }
    assert_eq!(row["extra"], "x y=z");
    assert_eq!(row["stage"], "pré traitement=v1");
    assert_eq!(row["job"], "examples");
    assert_eq!(row["value"], 2.5);
    assert!(!row.contains_key("empty"), "empty tag left out: {row:?}");
    // A WHERE on the tricky values finds the point too.
    let rows = influx.query(
        "t",
        r#"SELECT "value" FROM "tricky" WHERE "comma"='a,b' AND "equals"='k=v' AND "space"='two words' AND "unicode"='ü 日本 🚀'"#,
    );
    assert_eq!(rows.len(), 1);
}

#[test]
fn newlines_are_refused_before_anything_is_sent() {
    let influx = Influx::start();
    influx.create_database("nl");
    let (_dir, path) = artifact(
        r#"{"metrics": [
            {"name": "ok", "type": "gauge", "value": 1},
            {"name": "bad", "type": "gauge", "value": 1, "labels": {"note": "two\nlines"}}
        ]}"#,
    );
    let r = push_influx(&influx.url, &path, &["--influx-db", "nl"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("metrics/1/labels/note"), "{}", r.stderr);
    assert!(r.stderr.contains("newline"), "{}", r.stderr);
    assert!(
        influx
            .query_raw("nl", "SHOW MEASUREMENTS")
            .get("series")
            .is_none(),
        "nothing written"
    );

    let r = push_influx(
        &influx.url,
        "examples/simple.json",
        &["--influx-db", "nl", "--label", "note=a\nb"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--label note"), "{}", r.stderr);
    assert!(r.stderr.contains("newline"), "{}", r.stderr);
}

#[test]
fn basic_auth_on_influxdb_1_6_and_its_own_message_on_a_bad_password() {
    let influx = Influx::start_with_auth("writer", PASSWORD);
    influx.create_database("a");
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("pw");
    std::fs::write(&good, format!("{PASSWORD}\n")).unwrap();
    let good = good.to_str().unwrap();
    let r = push_influx(
        &influx.url,
        "examples/simple.json",
        &[
            "--influx-db",
            "a",
            "--username",
            "writer",
            "--password-file",
            good,
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(influx.measurements("a").len(), 4);

    let r = run_env(
        &[
            "push",
            "examples/simple.json",
            "--job",
            "j",
            "--influx",
            &influx.url,
            "--influx-db",
            "a",
            "--username",
            "writer",
            "-v",
        ],
        &[("SIMPLEPIPE_PASSWORD", "wrong-Zq9-never-print")],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr.contains("authorization failed"),
        "InfluxDB's message: {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("wrong-Zq9") && !r.stdout.contains("wrong-Zq9"),
        "{r:?}"
    );
}

#[test]
fn every_example_reads_back_from_victoriametrics_as_measurement_field() {
    let vm = Victoria::start();
    // Push everything first, then read: one wait for ingestion, not one per example.
    let mut sent = Vec::new();
    for (i, example) in EXAMPLES.iter().enumerate() {
        let db = format!("ex{i}");
        let (_, want) = dry_run_points(example, &[]);
        let r = push_influx(&vm.url, example, &["--influx-db", &db]);
        assert_eq!(r.code, 0, "{example}: {r:?}");
        sent.extend(want.into_iter().map(|p| (db.clone(), p)));
    }
    for (db, p) in &sent {
        // VictoriaMetrics names the series measurement_field and adds the
        // database as the label `db`.
        let mut sel: Vec<String> = p
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap()))
            .collect();
        sel.push(format!("db=\"{db}\""));
        let q = format!("{}_value{{{}}}", p.measurement, sel.join(","));
        let res = vm.query(&q);
        assert_eq!(res.len(), 1, "{q}: {res:?}");
        let labels = res[0]["metric"].as_object().unwrap();
        assert_eq!(
            labels.len(),
            p.tags.len() + 2,
            "no extra labels: {labels:?}"
        );
        let got: f64 = res[0]["value"][1].as_str().unwrap().parse().unwrap();
        if p.measurement.ends_with("_created") {
            // The time of each run: the dry run's and the push's differ.
            assert!((got - p.value).abs() < 60.0, "{q}");
        } else {
            assert_eq!(got, p.value, "{q}");
        }
    }
    eprintln!("read back {} series from VictoriaMetrics", sent.len());
}

#[test]
fn dry_run_prints_the_exact_body_and_sends_nothing() {
    let (body, points) = dry_run_points("examples/histogram.json", &[]);
    assert_eq!(points.len(), 12);
    assert!(body.ends_with('\n'));
    let t = points[0].time;
    assert!(points.iter().all(|p| p.time == t));
    let line = body.lines().next().unwrap();
    assert!(
        line.starts_with("image_decode_seconds_bucket,job=examples,le=0.005,pipeline=preprocess,user=alice value=120 "),
        "{line}"
    );
}

// ---------------------------------------------------------------------------
// InfluxDB 2.x write API, against a scripted server (no 2.x server here).

const NO_CONTENT: Reply = Reply::Status(204, &[], "");

fn push_v2(server: &Scripted, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec![
        "push",
        "examples/training-run.json",
        "--job",
        "train",
        "--user",
        "alice",
        "--influx",
        &server.url,
        "--influx-org",
        "my org",
        "--influx-bucket",
        "ml/runs",
        "--retry-max-wait",
        "0.2",
    ];
    args.extend_from_slice(extra);
    run_env(&args, env)
}

fn assert_no_token(r: &Run) {
    assert!(
        !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
        "token leaked: {r:?}"
    );
}

#[test]
fn v2_write_carries_org_bucket_precision_and_the_token() {
    let s = Scripted::start(vec![NO_CONTENT]);
    let r = push_v2(&s, &["-v"], &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_no_token(&r);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 1);
    let q = &reqs[0];
    assert_eq!(q.method, "POST");
    assert_eq!(
        q.path,
        "/api/v2/write?org=my+org&bucket=ml%2Fruns&precision=ms"
    );
    assert_eq!(
        q.header("authorization"),
        Some(format!("Token {TOKEN}").as_str())
    );
    assert_eq!(q.header("content-type"), Some("text/plain; charset=utf-8"));
    let (body, _) = dry_run_points("examples/training-run.json", &[]);
    let sent = String::from_utf8(q.body.clone()).unwrap();
    // Same lines as the dry run (which used job=examples) up to job and time.
    assert_eq!(sent.lines().count(), body.lines().count());
    assert!(
        sent.lines()
            .all(|l| l.contains(",job=train,") && l.contains(",user=alice ")),
        "{sent}"
    );
}

#[test]
fn v2_token_from_a_file() {
    let s = Scripted::start(vec![NO_CONTENT]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let r = push_v2(&s, &["--influx-token-file", file.to_str().unwrap()], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.requests()[0].header("authorization"),
        Some(format!("Token {TOKEN}").as_str())
    );
}

#[test]
fn v2_401_is_exit_5_with_influxdbs_message_and_no_token() {
    let s = Scripted::start(vec![Reply::Status(
        401,
        &[("Content-Type", "application/json")],
        r#"{"code":"unauthorized","message":"unauthorized access"}"#,
    )]);
    let r = push_v2(&s, &["-v"], &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.stderr.contains("unauthorized access"), "{}", r.stderr);
    assert_no_token(&r);
    assert_eq!(s.requests().len(), 1, "a 4xx is not retried");
}

#[test]
fn v2_503_then_204_is_retried() {
    let s = Scripted::start(vec![Reply::Status(503, &[], "busy"), NO_CONTENT]);
    let r = push_v2(&s, &[], &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{r:?}");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body, "the same batch again");
    assert!(r.stderr.contains("HTTP 503"), "{}", r.stderr);
    assert_no_token(&r);
}

#[test]
fn batches_of_n_lines_each_in_its_own_request() {
    let s = Scripted::start(vec![NO_CONTENT]);
    let r = push_v2(
        &s,
        &["--influx-batch", "2"],
        &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let sizes: Vec<usize> = s
        .requests()
        .iter()
        .map(|q| String::from_utf8_lossy(&q.body).lines().count())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
}

#[test]
fn the_token_is_never_in_help() {
    for command in ["push", "run", "watch"] {
        let r = run_env(
            &[command, "--help"],
            &[
                ("SIMPLEPIPE_INFLUX_TOKEN", TOKEN),
                ("SIMPLEPIPE_INFLUX_TOKEN_FILE", TOKEN),
                ("SIMPLEPIPE_INFLUX", &format!("http://u:{TOKEN}@h")),
            ],
        );
        assert_eq!(r.code, 0, "{command}: {r:?}");
        assert!(r.stdout.contains("--influx-token-file"), "{}", r.stdout);
        assert_no_token(&r);
    }
}

#[test]
fn destinations_and_api_flags_are_checked() {
    let usage = |args: &[&str], env: &[(&str, &str)], want: &str| {
        let mut all = vec!["push", "examples/simple.json", "--job", "j"];
        all.extend_from_slice(args);
        let r = run_env(&all, env);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
        assert_no_token(&r);
    };
    let url = "http://127.0.0.1:9";
    usage(&["--influx", url], &[], "--influx-db");
    usage(
        &[
            "--influx",
            url,
            "--influx-db",
            "d",
            "--influx-org",
            "o",
            "--influx-bucket",
            "b",
        ],
        &[],
        "--influx-db",
    );
    usage(
        &["--influx", url, "--influx-org", "o"],
        &[],
        "--influx-bucket",
    );
    usage(
        &["--influx", url, "--influx-db", "d"],
        &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)],
        "token",
    );
    usage(&["--influx-db", "d"], &[], "--influx");
    usage(
        &["--influx", url, "--influx-db", "d", "--influx-batch", "0"],
        &[],
        "--influx-batch",
    );
}

#[test]
fn a_missing_database_is_exit_5_with_influxdbs_message() {
    let influx = Influx::start();
    let r = push_influx(
        &influx.url,
        "examples/simple.json",
        &["--influx-db", "nope"],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr
            .contains(r#"InfluxDB rejected it (HTTP 404 Not Found): database not found: "nope""#),
        "{}",
        r.stderr
    );
}

#[test]
fn gzip_bodies_land_in_influxdb_1_6() {
    let influx = Influx::start();
    influx.create_database("z");
    let r = push_influx(
        &influx.url,
        "examples/training-run.json",
        &["--influx-db", "z", "--compress", "gzip", "-v"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("gzip"), "{}", r.stderr);
    let rows = influx.query(
        "z",
        r#"SELECT "value" FROM "model_accuracy" WHERE "user"='alice'"#,
    );
    assert_eq!(rows[0]["value"], 0.7613);
}

#[test]
fn a_batch_rejected_after_others_says_how_much_was_written() {
    let s = Scripted::start(vec![
        NO_CONTENT,
        Reply::Status(
            400,
            &[],
            r#"{"code":"invalid","message":"field type conflict"}"#,
        ),
    ]);
    let r = push_v2(
        &s,
        &["--influx-batch", "2"],
        &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr
            .contains("batch 2/3 (2 of 5 lines were written before it)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("field type conflict"), "{}", r.stderr);
    assert_eq!(s.requests().len(), 2, "stops at the rejected batch");
}

#[test]
fn unreachable_influxdb_is_exit_6_and_best_effort_forgives_it() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let args = [
        "--influx-db",
        "d",
        "--retries",
        "1",
        "--retry-max-wait",
        "0.1",
    ];
    let r = push_influx(&url, "examples/simple.json", &args);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr.contains("cannot connect to InfluxDB"),
        "{}",
        r.stderr
    );
    let r = push_influx(
        &url,
        "examples/simple.json",
        &[&args[..], &["--best-effort"]].concat(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("--best-effort: nothing was pushed"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------
// `run --influx` and `watch --influx`: the live commands write to the same
// sink `push` does.

/// A training script: two epochs, a NaN (a warning; the last number stays),
/// a label value needing escapes, one label value line protocol cannot
/// carry (a warning, not a point), then exit 3.
const LIVE_TRAIN: &str = r#"
print("epoch=1 loss=0.90 images_total=1000")
print("epoch=2 loss=0.50 images_total=2000")
print("loss=NaN")
print('{"name": "accuracy", "value": 0.75, "labels": {"split": "val, test=1"}}')
print('{"name": "bad", "value": 1, "labels": {"note": "two\\nlines"}}')
raise SystemExit(3)
"#;

/// The value of every stored point, by measurement (one point each).
fn by_measurement(points: &[Point]) -> BTreeMap<&str, f64> {
    points
        .iter()
        .map(|p| (p.measurement.as_str(), p.value))
        .collect()
}

#[test]
fn run_influx_writes_the_childs_final_values_and_run_metrics_to_influxdb_1_6() {
    let influx = Influx::start_with_auth("writer", PASSWORD);
    influx.create_database("live");
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, PASSWORD).unwrap();
    let r = run(&[
        "run",
        "--influx",
        &influx.url,
        "--influx-db",
        "live",
        "--username",
        "writer",
        "--password-file",
        pw.to_str().unwrap(),
        "--job",
        "train",
        "--user",
        "alice",
        "--label",
        "run=r1",
        "--interval",
        "1h",
        "--",
        "python3",
        "-c",
        LIVE_TRAIN,
    ]);
    assert_eq!(r.code, 3, "the child's exit code passes through: {r:?}");
    assert!(
        r.stderr.contains(r#""note" holds a newline"#),
        "the bad label is a warning: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            r#"loss{run="r1"}: NaN cannot be stored in InfluxDB (line protocol has no NaN or ±Inf); the value is ignored"#
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "to {}/write?db=live&precision=ms (InfluxDB 1.x line protocol)",
            influx.url
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(PASSWORD) && !r.stdout.contains(PASSWORD));
    let points = stored_points(&influx, "live");
    let values = by_measurement(&points);
    assert_eq!(points.len(), values.len(), "one point each: {points:?}");
    assert_eq!(values["epoch"], 2.0);
    assert_eq!(values["loss"], 0.5);
    assert_eq!(values["images_total"], 2000.0);
    assert_eq!(values["accuracy"], 0.75);
    assert_eq!(values["run_exit_code"], 3.0);
    assert_eq!(values["run_succeeded"], 0.0);
    assert!(values["run_duration_seconds"] > 0.0, "{values:?}");
    assert!(values["run_cpu_seconds_total"] > 0.0, "{values:?}");
    // A Python interpreter is at least a few MB.
    assert!(values["run_peak_rss_bytes"] > 4e6, "{values:?}");
    assert!(!values.contains_key("bad"), "{values:?}");
    for p in &points {
        assert_eq!(p.tags["job"], "train", "{p:?}");
        assert_eq!(p.tags["user"], "alice", "{p:?}");
        assert_eq!(p.tags["run"], "r1", "{p:?}");
        assert_eq!(p.time, points[0].time, "one push, one timestamp: {p:?}");
    }
    let accuracy = points.iter().find(|p| p.measurement == "accuracy").unwrap();
    assert_eq!(accuracy.tags["split"], "val, test=1");
}

#[test]
fn watch_influx_writes_a_files_metric_lines_to_influxdb_1_6() {
    let influx = Influx::start();
    influx.create_database("w");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.log");
    std::fs::write(
        &file,
        "loss=0.9 step=1\nnoise\nloss=0.4 step=2 tokens_total=512\n{\"name\":\"lat\",\"value\":0.25,\"labels\":{\"model\":\"m 1\"}}\n",
    )
    .unwrap();
    let r = run(&[
        "watch",
        file.to_str().unwrap(),
        "--influx",
        &influx.url,
        "--influx-db",
        "w",
        "--job",
        "tail",
        "--user",
        "alice",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let points = stored_points(&influx, "w");
    let values = by_measurement(&points);
    assert_eq!(
        values,
        BTreeMap::from([
            ("lat", 0.25),
            ("loss", 0.4),
            ("step", 2.0),
            ("tokens_total", 512.0)
        ]),
        "{points:?}"
    );
    for p in &points {
        assert_eq!(p.tags["job"], "tail", "{p:?}");
        assert_eq!(p.tags["user"], "alice", "{p:?}");
    }
    let lat = points.iter().find(|p| p.measurement == "lat").unwrap();
    assert_eq!(lat.tags["model"], "m 1");
}

#[test]
fn run_influx_v2_sends_the_token_from_the_environment() {
    let s = Scripted::start(vec![NO_CONTENT]);
    let r = run_env(
        &[
            "run",
            "--influx",
            &s.url,
            "--influx-org",
            "o",
            "--influx-bucket",
            "b",
            "--job",
            "train",
            "--interval",
            "1h",
            "--",
            "sh",
            "-c",
            "echo loss=0.5",
        ],
        &[("SIMPLEPIPE_INFLUX_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_no_token(&r);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 1, "the final push only");
    let q = &reqs[0];
    assert_eq!(q.path, "/api/v2/write?org=o&bucket=b&precision=ms");
    assert_eq!(
        q.header("authorization"),
        Some(format!("Token {TOKEN}").as_str())
    );
    let sent = String::from_utf8(q.body.clone()).unwrap();
    assert!(
        sent.lines()
            .any(|l| l.starts_with("loss,job=train value=0.5 ")),
        "{sent}"
    );
    assert!(
        sent.lines()
            .any(|l| l.starts_with("run_exit_code,job=train value=0 ")),
        "{sent}"
    );
}

#[test]
fn run_and_watch_check_the_influx_options_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let touch = format!("touch {}", marker.display());
    let url = "http://127.0.0.1:9";
    let cases: [(&[&str], &str); 3] = [
        (
            &["--influx-db", "d", "--gateway", url],
            "--influx-db is given without --influx URL",
        ),
        (&["--influx", url], "--influx needs --influx-db DB"),
        (
            &["--influx", url, "--influx-db", "d", "--label", "time=x"],
            "--label time: the tag key \"time\" is reserved by InfluxDB",
        ),
    ];
    for (opts, want) in cases {
        let mut args = vec!["run", "--job", "j"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["--", "sh", "-c", &touch]);
        let r = run(&args);
        assert_eq!(r.code, 2, "{opts:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{opts:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{opts:?}: {}", r.stderr);
        assert!(!marker.exists(), "{opts:?}: the command must not start");

        let mut args = vec!["watch", "/dev/null", "--job", "j"];
        args.extend_from_slice(opts);
        let r = run(&args);
        assert_eq!(r.code, 2, "watch {opts:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "watch {opts:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "watch {opts:?}: {}", r.stderr);
    }
}
