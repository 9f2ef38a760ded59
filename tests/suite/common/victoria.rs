//! A real VictoriaMetrics (single node, the Debian `victoria-metrics`
//! package) on a free loopback port, its storage in a temp dir; killed on
//! drop. It receives remote write at `/api/v1/write` and answers PromQL
//! (MetricsQL) at its Prometheus-compatible `/api/v1/query`.

use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::free_port;
use super::prometheus::{self, wait_ready};

pub const VICTORIA_METRICS: &str = "victoria-metrics";

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
            let mut child = Command::new(VICTORIA_METRICS)
                .arg(format!(
                    "-storageDataPath={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                // Answer queries about samples written a moment ago: by
                // default the newest 30 s are hidden and results cached.
                .arg("-search.latencyOffset=0s")
                .arg("-search.disableCache")
                // The 100k-series artifact flattens into ~300k series.
                .arg("-search.maxUniqueTimeseries=2000000")
                .arg("-loggerLevel=WARN")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {VICTORIA_METRICS} ({e}); `bash .ci/run` installs it")
                });
            let url = format!("http://127.0.0.1:{port}");
            if wait_ready(&mut child, &format!("{url}/health")) {
                return Victoria { child, url, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{VICTORIA_METRICS} did not become ready on any of 5 ports");
    }

    /// The remote write endpoint.
    pub fn write_url(&self) -> String {
        format!("{}/api/v1/write", self.url)
    }

    /// One instant query (`data.result`).
    pub fn query_once(&self, promql: &str) -> Vec<Value> {
        prometheus::query_once(&self.url, promql)
    }

    /// A query over everything written so far. Written data becomes
    /// searchable only after VictoriaMetrics' in-memory flush (about a
    /// second), so a `count` polled until non-empty could see part of a
    /// big write: force the flush first, then poll.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        let flushed = reqwest::blocking::get(format!("{}/internal/force_flush", self.url))
            .map(|r| r.status().is_success());
        assert!(matches!(flushed, Ok(true)), "force_flush: {flushed:?}");
        prometheus::query(&self.url, promql)
    }
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
