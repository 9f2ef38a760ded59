//! Test harness: the real `simplepipe` binary and a real
//! `prometheus-pushgateway`, started on a free loopback port with an empty
//! `--persistence.file=` so parallel tests never share state.
#![allow(dead_code)] // each test crate uses a different part of the harness

pub mod alertmanager;
pub mod argo;
pub mod influx;
pub mod kube;
pub mod live;
pub mod measured;
pub mod mlflow;
pub mod prometheus;
pub mod scripted;
pub mod secure;
pub mod victoria;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PUSHGATEWAY: &str = "prometheus-pushgateway";

/// A free TCP port on 127.0.0.1 (bound once, then released for the server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running Pushgateway, killed on drop.
pub struct Gateway {
    child: Child,
    pub url: String,
    pub log: PathBuf,
    /// Basic auth the gateway asks for on every endpoint, if any; the
    /// harness's own reads send it.
    auth: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Gateway {
    pub fn start() -> Gateway {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Gateway {
        Self::spawn(extra, None)
    }

    /// A gateway that asks for basic auth (`--web.config.file` with a
    /// bcrypt hash) on every endpoint, over plain http.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Gateway {
        Self::spawn(&[], Some((user.to_string(), password.to_string())))
    }

    fn spawn(extra: &[&str], auth: Option<(String, String)>) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let mut extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        if let Some((user, password)) = &auth {
            let web = dir.path().join("web.yml");
            let hash = bcrypt::hash(password, 4).unwrap();
            std::fs::write(&web, format!("basic_auth_users:\n  {user}: {hash}\n")).unwrap();
            extra.push(format!("--web.config.file={}", web.display()));
        }
        // A port taken between free_port() and the server's bind is rare but
        // possible under parallel tests: try a few ports.
        for _ in 0..5 {
            let port = free_port();
            let log = dir.path().join(format!("pushgateway-{port}.log"));
            let child = Command::new(PUSHGATEWAY)
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--persistence.file=")
                .args(&extra)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {PUSHGATEWAY} ({e}); `bash .ci/run` installs it")
                });
            let mut gw = Gateway {
                child,
                url: format!("http://127.0.0.1:{port}"),
                log,
                auth: auth.clone(),
                _dir: tempfile::tempdir().unwrap(),
            };
            let prefix = extra
                .iter()
                .find_map(|a| a.strip_prefix("--web.route-prefix="))
                .unwrap_or("");
            if gw.wait_ready(prefix) {
                gw._dir = dir;
                return gw;
            }
        }
        panic!("{PUSHGATEWAY} did not become ready on any of 5 ports");
    }

    fn wait_ready(&mut self, prefix: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(r) = self.request(&client, &format!("{prefix}/-/ready")).send() {
                if r.status().is_success() {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// A GET of `path`, with the gateway's basic auth if it asks for one.
    fn request(
        &self,
        client: &reqwest::blocking::Client,
        path: &str,
    ) -> reqwest::blocking::RequestBuilder {
        let req = client.get(format!("{}{path}", self.url));
        match &self.auth {
            Some((user, password)) => req.basic_auth(user, Some(password)),
            None => req,
        }
    }

    /// Every group the gateway holds, from its `/api/v1/metrics` JSON API.
    pub fn groups(&self) -> Vec<Group> {
        let client = reqwest::blocking::Client::new();
        let body: Value = self
            .request(&client, "/api/v1/metrics")
            .send()
            .unwrap()
            .text()
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap();
        assert_eq!(body["status"], "success", "{body}");
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let obj = g.as_object().unwrap();
                let labels = obj["labels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                let families = obj
                    .iter()
                    .filter(|(_, v)| v.get("metrics").is_some())
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "push_time_seconds" | "push_failure_time_seconds"
                        )
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Group { labels, families }
            })
            .collect()
    }

    /// The group with exactly these grouping labels.
    pub fn group(&self, labels: &[(&str, &str)]) -> Option<Group> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.groups().into_iter().find(|g| g.labels == want)
    }

    /// The exposition text the gateway serves on /metrics (what Prometheus scrapes).
    pub fn scrape(&self) -> String {
        self.request(&reqwest::blocking::Client::new(), "/metrics")
            .send()
            .unwrap()
            .text()
            .unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One group as the gateway's API shows it, without its bookkeeping metrics.
#[derive(Debug, Clone)]
pub struct Group {
    pub labels: BTreeMap<String, String>,
    pub families: BTreeMap<String, Value>,
}

impl Group {
    /// The series of a family, as (labels without the grouping ones, series JSON).
    pub fn series(&self, name: &str) -> Vec<(BTreeMap<String, String>, Value)> {
        let fam = self
            .families
            .get(name)
            .unwrap_or_else(|| panic!("no family {name} in {:#?}", self.families));
        fam["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let labels = m["labels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| !self.labels.contains_key(*k) && k.as_str() != "instance")
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (labels, m.clone())
            })
            .collect()
    }

    /// The value of the only series of a gauge/counter/untyped family.
    pub fn value(&self, name: &str) -> String {
        let s = self.series(name);
        assert_eq!(s.len(), 1, "{name}: {s:?}");
        s[0].1["value"].as_str().unwrap().to_string()
    }

    pub fn kind(&self, name: &str) -> String {
        self.families[name]["type"].as_str().unwrap().to_string()
    }

    pub fn help(&self, name: &str) -> String {
        self.families[name]["help"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("exited normally"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The binary under test, with a clean environment so that nothing from
/// the developer's shell (SIMPLEPIPE_*, PUSH_GATEWAY_HOSTNAME) leaks in.
pub fn simplepipe() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simplepipe"));
    cmd.env_clear().current_dir(repo());
    cmd
}

/// Run with arguments (and no stdin).
pub fn run(args: &[&str]) -> Run {
    simplepipe()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into()
}

/// Run with arguments and environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = simplepipe();
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap().into()
}

/// `watch FILE --format modelop` into `gateway` as job `scoring`: a
/// recorded ModelOp stream read once.
pub fn watch_modelop(path: &str, gateway: &str) -> Run {
    run(&[
        "watch",
        path,
        "--format",
        "modelop",
        "--gateway",
        gateway,
        "--job",
        "scoring",
    ])
}

/// Run with `input` on stdin.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = simplepipe()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out.into()
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Write a file into a temp dir and return (dir, path as string).
pub fn artifact(contents: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("metric.json");
    std::fs::write(&p, contents).unwrap();
    let s = p.to_str().unwrap().to_string();
    (dir, s)
}

pub const S3S_FS: &str = "s3s-fs";
pub const S3_ACCESS_KEY: &str = "simplepipe-test";
pub const S3_SECRET_KEY: &str = "s3-secret-Wq8-never-print";

/// A real S3-protocol server (s3s-fs, which checks signatures) on a free
/// loopback port, serving a temporary directory; killed on drop.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    pub root: tempfile::TempDir,
}

impl S3Server {
    pub fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(S3S_FS)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
                .arg(root.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {S3S_FS} ({e}); `bash .ci/run` installs it")
                });
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return S3Server {
                        child,
                        endpoint: format!("http://127.0.0.1:{port}"),
                        root,
                    };
                }
                if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("{S3S_FS} did not start on any of 5 ports");
    }

    /// Store an object (s3s-fs keeps objects as plain files under ROOT/BUCKET/KEY).
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let path = self.root.path().join(bucket).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn bucket(&self, bucket: &str) {
        std::fs::create_dir_all(self.root.path().join(bucket)).unwrap();
    }

    /// Environment for simplepipe: endpoint and the right credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SIMPLEPIPE_S3_ENDPOINT", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_string()),
        ]
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
