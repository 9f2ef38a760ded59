//! A real Prometheus 2.42 on a free loopback port, with a config written by
//! the test and its TSDB in a temp dir; killed on drop. Shared by every test
//! that needs one: scraping the gateway, evaluating generated rules, or
//! receiving remote write (`--web.enable-remote-write-receiver`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;

pub struct Prometheus {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Prometheus {
    /// Start with `config` as prometheus.yml (files it names may be written
    /// into `dir` first by `files`) and extra flags; waits until ready.
    pub fn start_with(config: &str, files: &[(&str, &str)], flags: &[&str]) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let log =
                std::fs::File::create(dir.path().join(format!("prometheus-{port}.log"))).unwrap();
            let mut child = Command::new("prometheus")
                .arg(format!(
                    "--config.file={}",
                    dir.path().join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(flags)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("prometheus runs (bash .ci/run installs it)");
            let url = format!("http://127.0.0.1:{port}");
            if wait_ready(&mut child, &format!("{url}/-/ready")) {
                return Prometheus { child, url, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("prometheus did not become ready on any of 5 ports");
    }

    /// A Prometheus scraping `gateway` every second, once with
    /// honor_labels (as the ServiceMonitor sets it) and once without.
    pub fn scraping(gateway: &str) -> Prometheus {
        let target = gateway.trim_start_matches("http://");
        let cfg = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: pgw-honor\n    honor_labels: true\n    static_configs: [{{targets: ['{target}']}}]\n  - job_name: pgw-plain\n    honor_labels: false\n    static_configs: [{{targets: ['{target}']}}]\n"
        );
        Self::start_with(&cfg, &[], &[])
    }

    /// One instant query, as the HTTP API answers it (`data.result`).
    pub fn query_once(&self, promql: &str) -> Vec<Value> {
        query_once(&self.url, promql)
    }

    /// Poll a PromQL query until it returns a series (bounded: Prometheus
    /// needs a scrape or two), then return the result vector.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        query(&self.url, promql)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        Path::new(self.dir.path()).join(name)
    }
}

/// One instant query against any Prometheus-compatible query API at
/// `base` (`{base}/api/v1/query`), as it answers it (`data.result`).
pub fn query_once(base: &str, promql: &str) -> Vec<Value> {
    let body: Value = reqwest::blocking::Client::new()
        .get(format!("{base}/api/v1/query"))
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

/// Poll [`query_once`] until it returns a series (60 s at most), then
/// return the result vector.
pub fn query(base: &str, promql: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let res = query_once(base, promql);
        if !res.is_empty() {
            return res;
        }
        assert!(
            Instant::now() < deadline,
            "no result for {promql} at {base}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Poll a readiness URL until it answers 2xx (15 s at most).
pub fn wait_ready(child: &mut Child, ready: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    let client = reqwest::blocking::Client::new();
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(r) = client.get(ready).send() {
            if r.status().is_success() {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
