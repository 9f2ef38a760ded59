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

    /// A Prometheus scraping `gateway` every second with honor_labels (as
    /// the ServiceMonitor in argo/ sets it), evaluating `rules` every
    /// second and sending alerts to `alertmanager`.
    pub fn alerting(gateway: &str, rules: &str, alertmanager: &str) -> Prometheus {
        let target = gateway.trim_start_matches("http://");
        let am = alertmanager.trim_start_matches("http://");
        let cfg = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [rules.yaml]\nalerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{am}']}}]\nscrape_configs:\n  - job_name: pgw\n    honor_labels: true\n    static_configs: [{{targets: ['{target}']}}]\n"
        );
        // The resend delay (default 1m) also paces the first send after a
        // restart of the rule; keep it at the evaluation interval.
        Self::start_with(
            &cfg,
            &[("rules.yaml", rules)],
            &["--rules.alert.resend-delay=1s"],
        )
    }

    /// GET an HTTP API path; the answer's JSON (null if none came).
    fn api(&self, path: &str, query: &[(&str, String)]) -> Value {
        api(&self.url, path, query)
    }

    /// Wait (bounded) until Prometheus has discovered its Alertmanager: its
    /// discovery manager passes targets on at most every 5 s, so alerts
    /// evaluated before that wait for it.
    pub fn wait_for_alertmanager(&self) {
        poll("/api/v1/alertmanagers", || {
            let body = self.api("/api/v1/alertmanagers", &[]);
            body["data"]["activeAlertmanagers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        });
    }

    /// One instant query, as the HTTP API answers it (`data.result`).
    pub fn query_once(&self, promql: &str) -> Vec<Value> {
        query_once(&self.url, promql)
    }

    /// One range query over the last `minutes`, 15 s steps.
    pub fn query_range_once(&self, promql: &str, minutes: i64) -> Vec<Value> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let body = self.api(
            "/api/v1/query_range",
            &[
                ("query", promql.to_string()),
                ("start", (now - minutes * 60).to_string()),
                ("end", now.to_string()),
                ("step", "15".to_string()),
            ],
        );
        assert_eq!(body["status"], "success", "{promql}: {body}");
        result(&body)
    }

    /// Poll a PromQL query until it returns a series (bounded: Prometheus
    /// needs a scrape or two), then return the result vector.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        poll(promql, || self.query_once(promql))
    }

    /// The same for a range query over the last `minutes` (a sample scraped
    /// after the range's end shows on the next try).
    pub fn query_range(&self, promql: &str, minutes: i64) -> Vec<Value> {
        poll(promql, || self.query_range_once(promql, minutes))
    }

    /// The values of a label on series matching `selector` (what Grafana's
    /// `label_values(selector, label)` asks).
    pub fn label_values(&self, label: &str, selector: &str) -> Vec<String> {
        let body = self.api(
            &format!("/api/v1/label/{label}/values"),
            &[("match[]", selector.to_string())],
        );
        assert_eq!(body["status"], "success", "{selector}: {body}");
        body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        Path::new(self.dir.path()).join(name)
    }
}

/// GET a path of the HTTP API at `base`; the answer's JSON (null if none
/// came). Any Prometheus-compatible API: VictoriaMetrics' too.
fn api(base: &str, path: &str, query: &[(&str, String)]) -> Value {
    reqwest::blocking::Client::new()
        .get(format!("{base}{path}"))
        .query(query)
        .send()
        .and_then(|r| r.text())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// One instant query against the Prometheus-compatible API at `base`
/// (`data.result`).
pub fn query_once(base: &str, promql: &str) -> Vec<Value> {
    let body = api(base, "/api/v1/query", &[("query", promql.to_string())]);
    assert_ne!(body["status"], "error", "{promql}: {body}");
    result(&body)
}

/// Poll [`query_once`] at `base` until it returns a series.
pub fn query(base: &str, promql: &str) -> Vec<Value> {
    poll(promql, || query_once(base, promql))
}

fn result(body: &Value) -> Vec<Value> {
    body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Retry `once` until it returns something (90 s at most: a subquery
/// aligned to whole minutes may need one).
fn poll(what: &str, once: impl Fn() -> Vec<Value>) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let res = once();
        if !res.is_empty() {
            return res;
        }
        assert!(Instant::now() < deadline, "no result for {what}");
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
