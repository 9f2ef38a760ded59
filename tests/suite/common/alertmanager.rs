//! A real Alertmanager 0.25 (Debian's `prometheus-alertmanager`) on a free
//! loopback port, clustering off, its state in a temp dir, routing every
//! alert to a webhook: a [`Scripted`] server that answers 200 and records
//! each notification with the moment it arrived; or loaded with a given
//! configuration ([`Alertmanager::with_config`]). Killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;
use super::prometheus::wait_ready;
use super::scripted::{Reply, Scripted};

pub const ALERTMANAGER: &str = "prometheus-alertmanager";

pub struct Alertmanager {
    child: Child,
    pub url: String,
    pub webhook: Scripted,
    pub dir: tempfile::TempDir,
}

/// One webhook notification: its status, its alerts, and when it arrived.
#[derive(Debug, Clone)]
pub struct Notification {
    pub body: Value,
    pub at: Instant,
}

impl Notification {
    /// `(status, labels)` of each alert in the notification.
    pub fn alerts(&self) -> Vec<(String, Value)> {
        self.body["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["status"].as_str().unwrap_or("").to_string(),
                    a["labels"].clone(),
                )
            })
            .collect()
    }
}

impl Alertmanager {
    /// Group per alert, job and user; wait and re-notify as little as the
    /// configuration allows (1s), so a test sees firing and resolved soon.
    pub fn start() -> Alertmanager {
        let webhook = Scripted::start(vec![Reply::Status(200, &[], "")]);
        let config = format!(
            "global:\n  resolve_timeout: 5s\nroute:\n  receiver: webhook\n  group_by: [alertname, job, user]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: webhook\n    webhook_configs:\n      - url: {}/alerts\n        send_resolved: true\n",
            webhook.url
        );
        Self::with_config(&config, webhook)
    }

    /// Start with `config` as alertmanager.yml (e.g. a generated one);
    /// `webhook` is the recorder its webhook receivers post to, which
    /// [`Self::notifications`] and [`Self::wait_for`] read.
    pub fn with_config(config: &str, webhook: Scripted) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alertmanager.yml"), config).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let log =
                std::fs::File::create(dir.path().join(format!("alertmanager-{port}.log"))).unwrap();
            let mut child = Command::new(ALERTMANAGER)
                .arg(format!(
                    "--config.file={}",
                    dir.path().join("alertmanager.yml").display()
                ))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--cluster.listen-address=")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {ALERTMANAGER} ({e}); `bash .ci/run` installs it")
                });
            let url = format!("http://127.0.0.1:{port}");
            if wait_ready(&mut child, &format!("{url}/-/ready")) {
                return Alertmanager {
                    child,
                    url,
                    webhook,
                    dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let logs: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        panic!("{ALERTMANAGER} did not become ready on any of 5 ports: {logs:#?}");
    }

    /// Every notification the webhook received so far.
    pub fn notifications(&self) -> Vec<Notification> {
        self.webhook
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .map(|r| Notification {
                body: serde_json::from_slice(&r.body).unwrap_or_default(),
                at: r.at,
            })
            .collect()
    }

    /// Wait (bounded: 90 s) for the first notification holding an alert
    /// with this status and labels, and return it.
    pub fn wait_for(&self, status: &str, labels: &[(&str, &str)]) -> Notification {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let all = self.notifications();
            let hit = all.iter().find(|n| {
                n.alerts().iter().any(|(s, l)| {
                    s == status && labels.iter().all(|(k, v)| l[*k].as_str() == Some(*v))
                })
            });
            if let Some(n) = hit {
                return n.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {status} notification for {labels:?}; received: {:#?}",
                all.iter().map(|n| &n.body).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
