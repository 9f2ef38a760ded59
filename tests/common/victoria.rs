//! A real VictoriaMetrics 1.79 (single node) on a free loopback port with
//! its storage in a temp dir; killed on drop. It ingests remote write
//! (`/api/v1/write`) and InfluxDB line protocol (`/write`), and answers the
//! Prometheus query API, so a test can push either way and read back with
//! PromQL from a parser that is not ours.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;
use super::prometheus::wait_ready;

pub const VICTORIA: &str = "victoria-metrics";

pub struct Victoria {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Victoria {
    pub fn start() -> Victoria {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join(format!("vm-{port}.log"))).unwrap();
            let mut child = Command::new(VICTORIA)
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .arg(format!("-storageDataPath={}", dir.path().join("data").display()))
                // Points of any age (tests push fixed old timestamps too).
                .arg("-retentionPeriod=100y")
                // Answer with what was just written instead of hiding the
                // last 30 s (the default latency offset).
                .arg("-search.latencyOffset=0s")
                .arg("-search.disableCache")
                .env_clear()
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {VICTORIA} ({e}); `bash .ci/run` installs it")
                });
            let url = format!("http://127.0.0.1:{port}");
            if wait_ready(&mut child, &format!("{url}/health")) {
                return Victoria { child, url, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{VICTORIA} did not become ready on any of 5 ports");
    }

    /// Make everything ingested so far searchable.
    pub fn flush(&self) {
        reqwest::blocking::get(format!("{}/internal/force_flush", self.url)).unwrap();
    }

    /// One instant query, as the Prometheus API answers it (`data.result`).
    pub fn query_once(&self, promql: &str) -> Vec<Value> {
        self.flush();
        let body: Value = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .send()
            .and_then(|r| r.text())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        assert_ne!(body["status"], "error", "{promql}: {body}");
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Poll an instant query until it returns a series (ingestion is
    /// asynchronous; bounded at 30 s), then return the result vector.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let res = self.query_once(promql);
            if !res.is_empty() {
                return res;
            }
            assert!(Instant::now() < deadline, "no result for {promql}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every raw sample of the series matching `selector`, with its exact
    /// timestamp (`/api/v1/export`, one JSON object per series).
    pub fn export(&self, selector: &str) -> Vec<Value> {
        self.flush();
        let text = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/export", self.url))
            .form(&[("match[]", selector)])
            .send()
            .and_then(|r| r.text())
            .unwrap();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
