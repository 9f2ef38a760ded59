//! InfluxDB line protocol against real servers on loopback: InfluxDB 1.6
//! (read back with InfluxQL through `/query`) and VictoriaMetrics 1.79 (a
//! second, independent parser; read back through its Prometheus API, where
//! a line `m value=V` is the series `m_value`).

mod common;

use std::collections::BTreeMap;

use common::influx::Influx;
use common::victoria::Victoria;
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
        .collect::<Vec<_>>();
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
                labels: vec![("model".into(), "m 1".into())],
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
                labels: vec![],
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
