//! A real MLflow tracking server (`mlflow server`, PyPI `mlflow` 3.17.2 in
//! the venv `.ci/run` makes, found through `SIMPLEPIPE_MLFLOW_VENV`) on a
//! free loopback port with a SQLite store in a temp dir, and MLflow's REST
//! API to read back what landed.
//!
//! The server takes 20–40 s to start, so a test binary starts it once
//! ([`shared`]) and every test works in its own experiment. Statics are never
//! dropped, so the server is started under a small shell that watches the
//! test process and kills the server's whole process group (it forks
//! workers) once the test process is gone.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::free_port;

pub struct Mlflow {
    pub url: String,
    pub dir: PathBuf,
}

/// The venv holding `mlflow` (its `bin/mlflow` and `bin/python`).
pub fn venv() -> PathBuf {
    match std::env::var_os("SIMPLEPIPE_MLFLOW_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/simplepipe/mlflow-venv"),
    }
}

/// The server of this test binary, started on first use.
pub fn shared() -> &'static Mlflow {
    static SERVER: OnceLock<Mlflow> = OnceLock::new();
    SERVER.get_or_init(Mlflow::start)
}

/// The admin password of [`Mlflow::with_basic_auth`].
pub const ADMIN_PASSWORD: &str = "pw-Ml7-do-not-print-this";

impl Mlflow {
    fn start() -> Mlflow {
        Mlflow::launch(&[], &[])
    }

    /// A server of its own with MLflow's basic-auth app (`--app-name
    /// basic-auth`, needs `mlflow[auth]`): user `admin`, [`ADMIN_PASSWORD`];
    /// anonymous requests are refused with 401. Lives as long as the test
    /// binary.
    pub fn with_basic_auth() -> Mlflow {
        let dir = tempfile::tempdir().unwrap().keep();
        let ini = dir.join("auth.ini");
        std::fs::write(
            &ini,
            format!(
                "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}/auth.db\n\
                 admin_username = admin\nadmin_password = {ADMIN_PASSWORD}\n\
                 authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
                dir.display()
            ),
        )
        .unwrap();
        let ini = ini.to_str().unwrap().to_string();
        Mlflow::launch(
            &["--app-name", "basic-auth"],
            &[
                ("MLFLOW_AUTH_CONFIG_PATH", &ini),
                ("MLFLOW_FLASK_SERVER_SECRET_KEY", "test-only-csrf-key"),
            ],
        )
    }

    fn launch(extra: &[&str], env: &[(&str, &str)]) -> Mlflow {
        let bin = venv().join("bin/mlflow");
        assert!(
            bin.exists(),
            "{} is missing; `bash .ci/run` installs MLflow there (or set SIMPLEPIPE_MLFLOW_VENV)",
            bin.display()
        );
        // Kept for the life of the test binary (and for post-mortems).
        let dir = tempfile::tempdir().unwrap().keep();
        for _ in 0..3 {
            let port = free_port();
            let url = format!("http://127.0.0.1:{port}");
            let log = std::fs::File::create(dir.join(format!("mlflow-{port}.log"))).unwrap();
            // `kill -TERM 0` ends the whole group: the server, its workers
            // and this shell.
            let watchdog =
                "\"$@\" & while kill -0 \"$WATCHED\" 2>/dev/null; do sleep 1; done; kill -TERM 0";
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(watchdog)
                .arg("sh")
                .arg(&bin)
                .args(["server", "--backend-store-uri"])
                .arg(format!("sqlite:///{}/ml-{port}.db", dir.display()))
                .args(["--default-artifact-root"])
                .arg(dir.join("artifacts"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--workers", "1"])
                .args(extra)
                .envs(env.iter().copied())
                .env("WATCHED", std::process::id().to_string())
                .env("MLFLOW_DISABLE_TELEMETRY", "true")
                .env("DO_NOT_TRACK", "1")
                .process_group(0)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .stdin(Stdio::null())
                .spawn()
                .expect("sh starts");
            let deadline = Instant::now() + Duration::from_secs(120);
            let client = reqwest::blocking::Client::new();
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if client
                    .get(format!("{url}/health"))
                    .send()
                    .is_ok_and(|r| r.status().is_success())
                {
                    return Mlflow { url, dir };
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            // The group's id is the shell's pid.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
        panic!(
            "mlflow server did not become ready on any of 3 ports; logs in {}",
            dir.display()
        );
    }

    fn api(&self, method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Value {
        let client = reqwest::blocking::Client::new();
        let url = format!("{}/api/2.0/mlflow/{path}", self.url);
        let rb = match method {
            "GET" => client.get(url).query(query),
            _ => client
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or(json!({})).to_string()),
        };
        let r = rb.send().unwrap();
        let status = r.status();
        let text = r.text().unwrap();
        assert!(
            status.is_success(),
            "{method} {path}: HTTP {status}: {text}"
        );
        serde_json::from_str(&text).unwrap()
    }

    /// The experiment's id, or `None` when there is no such experiment.
    pub fn experiment_id(&self, name: &str) -> Option<String> {
        let r = reqwest::blocking::Client::new()
            .get(format!(
                "{}/api/2.0/mlflow/experiments/get-by-name",
                self.url
            ))
            .query(&[("experiment_name", name)])
            .send()
            .unwrap();
        if r.status() == 404 {
            return None;
        }
        let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
        Some(v["experiment"]["experiment_id"].as_str()?.to_string())
    }

    /// Every run of the experiment (`runs/search`), newest first.
    pub fn runs(&self, experiment: &str) -> Vec<Value> {
        let Some(id) = self.experiment_id(experiment) else {
            return Vec::new();
        };
        let v = self.api(
            "POST",
            "runs/search",
            &[],
            Some(json!({"experiment_ids": [id], "max_results": 1000})),
        );
        v["runs"].as_array().cloned().unwrap_or_default()
    }

    /// One run (`runs/get`).
    pub fn run(&self, run_id: &str) -> Value {
        self.api("GET", "runs/get", &[("run_id", run_id)], None)["run"].clone()
    }

    /// A metric's whole history: (step, value) in logged order.
    pub fn history(&self, run_id: &str, key: &str) -> Vec<(i64, f64)> {
        let v = self.api(
            "GET",
            "metrics/get-history",
            &[
                ("run_id", run_id),
                ("metric_key", key),
                ("max_results", "25000"),
            ],
            None,
        );
        v["metrics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| {
                (
                    m["step"]
                        .as_str()
                        .map_or_else(|| m["step"].as_i64().unwrap_or(0), |s| s.parse().unwrap()),
                    m["value"].as_f64().unwrap(),
                )
            })
            .collect()
    }

    /// Run Python with the venv's `mlflow` installed, tracking to this
    /// server; panics unless it exits 0. Returns its stdout.
    pub fn python(&self, script: &str) -> String {
        let out = Command::new(venv().join("bin/python"))
            .arg("-c")
            .arg(script)
            .env("MLFLOW_TRACKING_URI", &self.url)
            .env("MLFLOW_DISABLE_TELEMETRY", "true")
            .env("DO_NOT_TRACK", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A run's tags as a map.
pub fn tags(run: &Value) -> std::collections::BTreeMap<String, String> {
    pairs(&run["data"]["tags"])
}

/// A run's latest metric values as a map.
pub fn metrics(run: &Value) -> std::collections::BTreeMap<String, f64> {
    run["data"]["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn pairs(v: &Value) -> std::collections::BTreeMap<String, String> {
    v.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_string(),
                t["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
