//! The MLflow sink (`--mlflow`): a run in an MLflow tracking server, over
//! its REST API (`/api/2.0/mlflow/…`), through [`crate::net`] like every
//! sink (retries, auth, TLS, exit codes).
//!
//! A push logs every series as a metric ([`crate::encode::mlflow`]) into a
//! run of the experiment, which is created when missing (another client
//! creating it at the same moment is not an error):
//! - `push`: a new run per push, set FINISHED once every batch landed; or,
//!   with `MLFLOW_RUN_ID`, the run a training step already started, left as
//!   it is.
//! - `run`/`watch`: [`Sink::start`] opens the run (RUNNING), each push adds
//!   a point to every metric's history, and [`Sink::finish`] sets how it
//!   ended (FINISHED, FAILED or KILLED).
//!
//! The run's user is `--user` (`user_id` and the `mlflow.user` tag); the
//! grouping labels and the labels every series shares become tags.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use reqwest::Url;
use serde_json::json;

use super::{Effort, End, Sink};
use crate::encode::mlflow::{self as encode, Tag};
use crate::error::check;
use crate::model::Family;
use crate::net::mlflow::Api;
use crate::net::{self, HttpOptions, LazyClient};

/// Where and how to log.
#[derive(Debug, Clone)]
pub struct Target {
    /// The tracking server's base URL (credentials moved to `http.auth`).
    pub url: Url,
    pub experiment: String,
    /// `MLFLOW_RUN_ID`: log into this run rather than a new one.
    pub run_id: Option<String>,
    /// `--user`: the run's `user_id`.
    pub user: Option<String>,
    /// The grouping labels (job first), as tags.
    pub grouping: Vec<(String, String)>,
    pub http: HttpOptions,
}

/// MLflow as a destination: its client, and the run a live session keeps
/// open.
#[derive(Debug)]
pub struct MlflowSink {
    pub target: Target,
    client: LazyClient,
    live: Mutex<Live>,
}

/// Whether pushes belong to a live session's run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Live {
    /// `push`: each push is a run of its own (or `MLFLOW_RUN_ID`'s).
    No,
    /// A live session whose run could not be opened yet: the next push
    /// opens it.
    Pending,
    /// The live session's run.
    Open(String),
}

impl MlflowSink {
    pub fn new(target: Target) -> MlflowSink {
        MlflowSink {
            target,
            client: LazyClient::default(),
            live: Mutex::new(Live::No),
        }
    }

    fn api(&self, http: &HttpOptions) -> Result<Api<'_>> {
        let client = self.client.get(http, self.target.url.scheme() == "https")?;
        Ok(Api {
            client,
            http: http.clone(),
            base: &self.target.url,
            url_hint: "is --mlflow the tracking server's base URL, e.g. http://mlflow:5000?",
        })
    }

    /// The run's name: the job, and the user when there is one.
    fn run_name(&self) -> String {
        let job = self.target.grouping.first().map_or("", |(_, v)| v.as_str());
        match &self.target.user {
            Some(u) => format!("{job}-{u}"),
            None => job.to_string(),
        }
    }

    /// Open the live session's run (RUNNING): `MLFLOW_RUN_ID`'s, or a new
    /// one.
    fn open(&self, api: &Api) -> Result<String> {
        let id = match &self.target.run_id {
            Some(id) => {
                api.update(id, "RUNNING")?;
                log(api, id, &[], &self.tags(&[]))?;
                id.clone()
            }
            None => self.create_run(api, &self.tags(&[]))?,
        };
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Live::Open(id.clone());
        Ok(id)
    }

    /// A new run in the experiment (RUNNING until updated).
    fn create_run(&self, api: &Api, tags: &[Tag]) -> Result<String> {
        let experiment_id = api.experiment(&self.target.experiment)?;
        let mut body = json!({
            "experiment_id": experiment_id,
            "start_time": chrono::Utc::now().timestamp_millis(),
            "run_name": self.run_name(),
            "tags": tags,
        });
        if let Some(u) = &self.target.user {
            body["user_id"] = json!(u);
        }
        let v = api.post("runs/create", &body)?;
        v["run"]["info"]["run_id"]
            .as_str()
            .map(str::to_string)
            .context("MLflow's runs/create answer holds no run id")
    }

    /// The run's tags: grouping labels, `mlflow.user`, and the labels
    /// every series shares.
    fn tags(&self, families: &[Family]) -> Vec<Tag> {
        let mut tags: Vec<Tag> = self
            .target
            .grouping
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        if let Some(u) = &self.target.user {
            tags.push(Tag {
                key: "mlflow.user".into(),
                value: u.clone(),
            });
        }
        for (k, v) in encode::common_labels(families) {
            tags.push(Tag {
                key: k.to_string(),
                value: v.to_string(),
            });
        }
        tags
    }
}

impl Sink for MlflowSink {
    fn kind(&self) -> &'static str {
        "MLflow"
    }

    fn destination(&self) -> String {
        format!(
            "{} (MLflow, experiment {:?})",
            net::shown_url(self.target.url.clone(), &self.target.http.auth),
            self.target.experiment
        )
    }

    fn request_line(&self) -> String {
        format!(
            "POST {}/api/2.0/mlflow/runs/log-batch",
            net::shown_url(self.target.url.clone(), &self.target.http.auth).trim_end_matches('/')
        )
    }

    fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        let (metrics, _) = metrics(families, chrono::Utc::now().timestamp_millis())?;
        let run = self.target.run_id.as_deref().unwrap_or("<new run>");
        let mut out = Vec::new();
        for (body, _) in encode::batches(run, &metrics, &self.tags(families)) {
            out.extend(body);
            out.push(b'\n');
        }
        Ok(out)
    }

    fn push(&self, families: &Arc<[Family]>, effort: Effort) -> Result<String> {
        let now = chrono::Utc::now().timestamp_millis();
        let (metrics, n) = metrics(families, now)?;
        let http = self.target.http.limited(effort.retries, effort.deadline);
        let api = self.api(&http)?;
        let tags = self.tags(families);
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (run_id, created) = match (live, &self.target.run_id) {
            (Live::Open(id), _) => (id, false),
            (Live::Pending, _) => (self.open(&api)?, false),
            (Live::No, Some(id)) => (id.clone(), false),
            (Live::No, None) => (self.create_run(&api, &tags)?, true),
        };
        // A new run got its tags when it was made.
        let tags = if created { Vec::new() } else { tags };
        log(&api, &run_id, &metrics, &tags)?;
        if created {
            api.update(&run_id, "FINISHED")?;
        }
        Ok(format!(
            "{} (MLflow run {run_id}, {n} metric{})",
            net::shown_url(self.target.url.clone(), &self.target.http.auth),
            if n == 1 { "" } else { "s" }
        ))
    }

    fn start(&self) -> Result<()> {
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Live::Pending;
        let api = self.api(&self.target.http)?;
        self.open(&api).map(drop)
    }

    fn finish(&self, end: End) -> Result<()> {
        let live = std::mem::replace(
            &mut *self.live.lock().unwrap_or_else(|e| e.into_inner()),
            Live::No,
        );
        let Live::Open(id) = live else {
            return Ok(());
        };
        let status = match end {
            End::Succeeded => "FINISHED",
            End::Failed => "FAILED",
            End::Killed => "KILLED",
        };
        let http = self.target.http.limited(None, None);
        self.api(&http)?.update(&id, status)
    }

    fn finite_only(&self) -> bool {
        false
    }

    fn timeout(&self) -> std::time::Duration {
        self.target.http.timeout
    }

    /// The experiment follows the job when it was the job's; the run's
    /// user follows the grouping's `user`.
    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink> {
        let mut target = self.target.clone();
        let old_job = target.grouping.first().map(|(_, j)| j.as_str());
        if old_job == Some(target.experiment.as_str()) {
            if let Some((_, job)) = grouping.first() {
                target.experiment = job.clone();
            }
        }
        if let Some((_, user)) = grouping.iter().find(|(k, _)| k == "user") {
            target.user = Some(user.clone());
        }
        target.grouping = grouping.to_vec();
        Arc::new(MlflowSink::new(target))
    }
}

/// The metrics of one push, checked (exit 4); and how many there are.
fn metrics(families: &[Family], now: i64) -> Result<(Vec<encode::Metric>, usize)> {
    let common = encode::common_labels(families);
    let step = encode::step(families);
    let metrics = encode::encode(families, &common, now, step)
        .map_err(|p| check("MLflow metrics", p).expect_err("the list is never empty"))?;
    let n = metrics.len();
    Ok((metrics, n))
}

/// Log the tags and metrics in as many log-batch requests as the limits
/// take; a failure part-way says how many metrics had landed.
fn log(api: &Api, run_id: &str, metrics: &[encode::Metric], tags: &[Tag]) -> Result<()> {
    let bodies = encode::batches(run_id, metrics, tags);
    let (total, mut landed) = (metrics.len(), 0);
    for (i, (body, n)) in bodies.iter().enumerate() {
        let sent = api.send("runs/log-batch", body.clone());
        if i > 0 {
            sent.with_context(|| {
                format!(
                    "batch {}/{}: {landed} of {total} metrics had landed in run {run_id} before it",
                    i + 1,
                    bodies.len()
                )
            })?;
        } else {
            sent?;
        }
        landed += n;
    }
    Ok(())
}
