//! A real InfluxDB 1.6 (`influxd`, Debian package `influxdb`) on a free
//! loopback port, killed on drop. It runs from a config file written into a
//! temp dir: meta, data and WAL directories there too, usage reporting off,
//! and every listener it opens by default on loopback (HTTP and the RPC
//! `bind-address` used for backups, each on a free port) or switched off
//! (monitor store, subscriber, continuous queries, retention and shard
//! precreation services, pprof), so parallel tests never share anything.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::free_port;
use super::prometheus::wait_ready;

pub const INFLUXD: &str = "influxd";

pub struct Influx {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    /// Admin credentials when started with authentication.
    pub admin: Option<(String, String)>,
}

/// One row of an InfluxQL answer: column name → value (`time` in ms).
pub type Row = BTreeMap<String, Value>;

impl Influx {
    /// Without authentication.
    pub fn start() -> Influx {
        Self::start_inner(None)
    }

    /// With `auth-enabled = true` and one admin user; the password never
    /// leaves the test.
    pub fn start_with_auth(user: &str, password: &str) -> Influx {
        Self::start_inner(Some((user.to_string(), password.to_string())))
    }

    fn start_inner(admin: Option<(String, String)>) -> Influx {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let (http, rpc) = (free_port(), free_port());
            let config = config(dir.path(), http, rpc, admin.is_some());
            let conf = dir.path().join("influxdb.conf");
            std::fs::write(&conf, config).unwrap();
            let log =
                std::fs::File::create(dir.path().join(format!("influxd-{http}.log"))).unwrap();
            let mut child = Command::new(INFLUXD)
                .arg("run")
                .arg("-config")
                .arg(&conf)
                .env_clear()
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {INFLUXD} ({e}); `bash .ci/run` installs it")
                });
            let url = format!("http://127.0.0.1:{http}");
            if wait_ready(&mut child, &format!("{url}/ping")) {
                let influx = Influx {
                    child,
                    url,
                    dir,
                    admin,
                };
                if let Some((u, p)) = &influx.admin {
                    // Allowed without credentials while no user exists.
                    let q = format!("CREATE USER \"{u}\" WITH PASSWORD '{p}' WITH ALL PRIVILEGES");
                    influx.post_query(&q);
                }
                return influx;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{INFLUXD} did not become ready on any of 5 ports");
    }

    /// `CREATE DATABASE`.
    pub fn create_database(&self, db: &str) {
        self.post_query(&format!("CREATE DATABASE \"{db}\""));
    }

    fn post_query(&self, q: &str) {
        let mut req = reqwest::blocking::Client::new()
            .post(format!("{}/query", self.url))
            .form(&[("q", q)]);
        if let Some((u, p)) = &self.admin {
            req = req.basic_auth(u, Some(p));
        }
        let r = req.send().unwrap();
        let status = r.status();
        let body = r.text().unwrap();
        assert!(
            status.is_success() && !body.contains("\"error\""),
            "{q}: {status} {body}"
        );
    }

    /// Run one InfluxQL statement against `db` (times as epoch ms) and
    /// return its `results[0]` object.
    pub fn query_raw(&self, db: &str, influxql: &str) -> Value {
        let mut req = reqwest::blocking::Client::new()
            .get(format!("{}/query", self.url))
            .query(&[("db", db), ("q", influxql), ("epoch", "ms")]);
        if let Some((u, p)) = &self.admin {
            req = req.basic_auth(u, Some(p));
        }
        let body: Value = serde_json::from_str(&req.send().unwrap().text().unwrap()).unwrap();
        let result = body["results"][0].clone();
        assert!(result.get("error").is_none(), "{influxql}: {body}");
        result
    }

    /// Run one InfluxQL statement and return its rows, each tagged with
    /// the measurement it came from under the key `"_measurement"` (a tag
    /// key simplepipe never writes). Tag columns
    /// absent from a point come back as `null` and are dropped.
    pub fn query(&self, db: &str, influxql: &str) -> Vec<Row> {
        let result = self.query_raw(db, influxql);
        let mut rows = Vec::new();
        for series in result["series"].as_array().into_iter().flatten() {
            let columns: Vec<String> = series["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            for values in series["values"].as_array().unwrap() {
                let mut row: Row = columns
                    .iter()
                    .cloned()
                    .zip(values.as_array().unwrap().iter().cloned())
                    .filter(|(_, v)| !v.is_null())
                    .collect();
                row.insert("_measurement".into(), series["name"].clone());
                rows.push(row);
            }
        }
        rows
    }

    /// The measurements of `db`, sorted.
    pub fn measurements(&self, db: &str) -> Vec<String> {
        self.query(db, "SHOW MEASUREMENTS")
            .into_iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.dir.path()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "log") {
                out.push_str(&std::fs::read_to_string(p).unwrap_or_default());
            }
        }
        out
    }
}

/// The whole config: everything `influxd config` shows with a path, a port
/// or a background service, set for a throwaway instance.
fn config(dir: &std::path::Path, http: u16, rpc: u16, auth: bool) -> String {
    let d = dir.display();
    format!(
        r#"# Upstream's key, and the one Debian's build reads instead (it renamed
# it); influxd ignores keys it does not know.
reporting-disabled = true
reporting-enabled = false
bind-address = "127.0.0.1:{rpc}"

[meta]
  dir = "{d}/meta"

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http}"
  auth-enabled = {auth}
  log-enabled = false
  pprof-enabled = false
"#
    )
}

impl Drop for Influx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
