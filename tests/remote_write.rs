//! Remote write 1.0 against real receivers on loopback: Prometheus 2.42
//! (`--web.enable-remote-write-receiver`) and VictoriaMetrics 1.79.

mod common;

use common::prometheus::Prometheus;
use common::victoria::Victoria;
use simplepipe::encode::remote_write;

fn families(path: &str) -> Vec<simplepipe::model::Family> {
    let p = common::repo().join(path);
    let bytes = std::fs::read(&p).unwrap();
    let extra = simplepipe::model::Extra {
        grouping: vec!["job".into(), "user".into()],
        ..Default::default()
    };
    let src = simplepipe::config::Source::Path(p);
    simplepipe::check(&bytes, &src, None, &extra).unwrap().0.families
}

fn post(url: &str, body: Vec<u8>) {
    let r = reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .body(body)
        .send()
        .unwrap();
    let s = r.status();
    assert!(s.is_success(), "{s}: {}", r.text().unwrap());
}

#[test]
fn scratch_encoder_reaches_both() {
    let prom = Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"]);
    let vm = Victoria::start();
    let now = chrono::Utc::now().timestamp_millis();
    let common = [("job".to_string(), "training".to_string()), ("user".to_string(), "alice".to_string())];
    for f in ["examples/training-run.json", "examples/histogram.json"] {
        for c in remote_write::requests(&families(f), &common, now, 3) {
            post(&format!("{}/api/v1/write", prom.url), c.body.clone());
            post(&vm.write_url(), c.body);
        }
    }
    for q in ["run_time_seconds", "histogram_quantile(0.5, image_decode_seconds_bucket)", "count({job=\"training\"})"] {
        eprintln!("prom {q}: {:?}", prom.query(q));
        eprintln!("vm   {q}: {:?}", vm.query(q));
    }
}
