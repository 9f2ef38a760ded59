//! `mlflow://runs/RUN_ID` and `mlflow://experiments/NAME`: runs read from
//! an MLflow tracking server's REST API, for `push` to carry into
//! Prometheus (MLflow's own `--expose-prometheus` exports only the
//! server's HTTP metrics, and its maintainers point alerting at the REST
//! API).
//!
//! This stage only reads: the run (`runs/get`), or an experiment
//! (`experiments/get-by-name`) and its FINISHED runs (`runs/search`,
//! newest first, paged), of which each user's newest is kept; and, when a
//! destination keeps timestamps, every metric's history
//! (`metrics/get-history`, paged). `artifact::mlflow` turns what was read
//! into families. Every failure, a run or experiment that doesn't exist
//! and a server that can't be reached included, is "the source can't be
//! read" (exit 3), naming the source and the server's URL, redacted.

use std::collections::HashSet;

use anyhow::{anyhow, Result};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{fail, Exit};
use crate::net::mlflow::Api;
use crate::net::{HttpOptions, LazyClient};

/// What an `mlflow://` source names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MlflowRef {
    /// `mlflow://runs/RUN_ID`
    Run(String),
    /// `mlflow://experiments/NAME`
    Experiment(String),
}

impl MlflowRef {
    /// `runs/ID` or `experiments/NAME`, the part after `mlflow://`.
    pub fn parse(raw: &str, rest: &str) -> Result<MlflowRef> {
        let usage = "expected mlflow://runs/RUN_ID or mlflow://experiments/NAME";
        let parsed = match rest.split_once('/') {
            Some(("runs", id))
                if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                MlflowRef::Run(id.to_string())
            }
            Some(("experiments", name)) if !name.trim().is_empty() => {
                MlflowRef::Experiment(name.to_string())
            }
            _ => crate::error::bail_with!(
                Exit::Usage,
                "{raw:?}: {usage} (a run id is letters and digits)"
            ),
        };
        Ok(parsed)
    }

    pub fn name(&self) -> String {
        match self {
            MlflowRef::Run(id) => format!("mlflow://runs/{id}"),
            MlflowRef::Experiment(name) => format!("mlflow://experiments/{name}"),
        }
    }
}

/// How to reach the tracking server: the stage's own options, built by
/// config (`--mlflow-tracking-uri` or `MLFLOW_TRACKING_URI`, MLflow's
/// credential and TLS variables).
#[derive(Debug, Clone)]
pub struct MlflowOptions {
    pub url: Url,
    pub http: HttpOptions,
    /// `--mlflow-labels`: the params or tags carried as labels.
    pub labels: Vec<String>,
    /// Read every metric's history too (a destination keeps timestamps).
    pub history: bool,
}

/// One metric point as MLflow keeps it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Point {
    pub key: String,
    #[serde(deserialize_with = "number")]
    pub value: f64,
    /// Unix milliseconds.
    #[serde(default)]
    pub timestamp: i64,
    #[serde(default)]
    pub step: i64,
}

/// One run, as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub id: String,
    pub experiment: String,
    pub user: String,
    /// Each metric's latest value.
    pub metrics: Vec<Point>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// Every point of every metric, when asked for.
    pub history: Vec<Point>,
}

/// What a source read: one run, or each user's newest finished run of an
/// experiment (`per_user`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub experiment: String,
    pub runs: Vec<Run>,
    pub per_user: bool,
}

/// Read `what` from the server, with every metric's history when the
/// options ask for it.
pub fn fetch(what: &MlflowRef, opts: &MlflowOptions) -> Result<Fetched> {
    let origin = what.name();
    let unreadable = |e: anyhow::Error| fail(Exit::Source, anyhow!("cannot read {origin}: {e:#}"));
    let lazy = LazyClient::default();
    let client = lazy
        .get(&opts.http, opts.url.scheme() == "https")
        .map_err(unreadable)?;
    let api = Api {
        client,
        http: opts.http.clone(),
        base: &opts.url,
        url_hint: "is --mlflow-tracking-uri (or MLFLOW_TRACKING_URI) the tracking server's base URL, e.g. http://mlflow:5000?",
    };
    let mut fetched = match what {
        MlflowRef::Run(id) => one_run(&api, id),
        MlflowRef::Experiment(name) => experiment(&api, name),
    }
    .map_err(unreadable)?;
    if fetched.runs.is_empty() {
        return Err(fail(
            Exit::Invalid,
            anyhow!("{origin}: the experiment has no FINISHED run with a user: nothing to push"),
        ));
    }
    if let Some(run) = fetched.runs.iter().find(|r| r.metrics.is_empty()) {
        return Err(fail(
            Exit::Invalid,
            anyhow!("{origin}: run {} has no metrics: nothing to push", run.id),
        ));
    }
    if opts.history {
        for run in &mut fetched.runs {
            run.history = run_history(&api, run).map_err(unreadable)?;
        }
    }
    Ok(fetched)
}

fn one_run(api: &Api, id: &str) -> Result<Fetched> {
    let v = api.get("runs/get", &[("run_id", id)])?;
    let mut run = run(&v["run"])?;
    let exp_id = v["run"]["info"]["experiment_id"].as_str().unwrap_or("");
    let e = api.get("experiments/get", &[("experiment_id", exp_id)])?;
    run.experiment = text(&e["experiment"]["name"]);
    Ok(Fetched {
        experiment: run.experiment.clone(),
        runs: vec![run],
        per_user: false,
    })
}

/// Each user's newest FINISHED run (runs without a user are left out,
/// with a warning).
fn experiment(api: &Api, name: &str) -> Result<Fetched> {
    let e = api.get("experiments/get-by-name", &[("experiment_name", name)])?;
    let exp_id = text(&e["experiment"]["experiment_id"]);
    let (mut runs, mut users, mut anonymous) = (Vec::new(), HashSet::new(), 0);
    let mut page: Option<String> = None;
    loop {
        let mut body = json!({
            "experiment_ids": [exp_id],
            "filter": "attributes.status = 'FINISHED'",
            "order_by": ["attributes.start_time DESC"],
            "max_results": 1000,
        });
        if let Some(token) = &page {
            body["page_token"] = json!(token);
        }
        let v = api.post("runs/search", &body)?;
        for raw in v["runs"].as_array().into_iter().flatten() {
            let mut r = run(raw)?;
            if r.user.is_empty() {
                anonymous += 1;
            } else if users.insert(r.user.clone()) {
                r.experiment = name.to_string();
                runs.push(r);
            }
        }
        page = v["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if page.is_none() {
            break;
        }
    }
    if anonymous > 0 {
        crate::report::warn(format!(
            "mlflow://experiments/{name}: {anonymous} finished run(s) have no user (user_id or mlflow.user) and were left out"
        ));
    }
    runs.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(Fetched {
        experiment: name.to_string(),
        runs,
        per_user: true,
    })
}

/// A run object of MLflow's answers: info, latest metrics, params, tags.
fn run(v: &Value) -> Result<Run> {
    let info = &v["info"];
    let pairs = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|p| (text(&p["key"]), text(&p["value"])))
            .collect()
    };
    let tags = pairs(&v["data"]["tags"]);
    let mut user = text(&info["user_id"]);
    if user.is_empty() {
        user = tags
            .iter()
            .find(|(k, _)| k == "mlflow.user")
            .map(|(_, u)| u.clone())
            .unwrap_or_default();
    }
    let metrics = match v["data"].get("metrics") {
        Some(m) => serde_json::from_value(m.clone()).map_err(|e| {
            anyhow!(
                "MLflow's run {} holds a metric that can't be read: {e}",
                text(&info["run_id"])
            )
        })?,
        None => Vec::new(),
    };
    Ok(Run {
        id: text(&info["run_id"]),
        experiment: String::new(),
        user,
        metrics,
        params: pairs(&v["data"]["params"]),
        tags,
        history: Vec::new(),
    })
}

/// Every point of every metric of `run`, oldest first.
fn run_history(api: &Api, run: &Run) -> Result<Vec<Point>> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        metrics: Vec<Point>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let mut all = Vec::new();
    for m in &run.metrics {
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("run_id", run.id.as_str()),
                ("metric_key", m.key.as_str()),
                ("max_results", "25000"),
            ];
            if let Some(t) = &token {
                query.push(("page_token", t.as_str()));
            }
            let v = api.get("metrics/get-history", &query)?;
            let page: Page = serde_json::from_value(v)
                .map_err(|e| anyhow!("MLflow's history of {:?} can't be read: {e}", m.key))?;
            all.extend(page.metrics);
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
    }
    all.sort_by_key(|p| (p.timestamp, p.step));
    Ok(all)
}

/// A metric value as MLflow's JSON writes it: a number, or `"NaN"`,
/// `"Infinity"` and `"-Infinity"` (protobuf's JSON for what JSON numbers
/// can't hold).
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| serde::de::Error::custom("a number out of range")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(serde::de::Error::custom(format!("{s:?} is not a number"))),
        },
        other => Err(serde::de::Error::custom(format!("{other} is not a number"))),
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_bad_ones_are_usage_errors() {
        let parse = |raw: &str| MlflowRef::parse(raw, raw.strip_prefix("mlflow://").unwrap());
        let run = parse("mlflow://runs/5d09ceeaab614d3d").unwrap();
        assert_eq!(run, MlflowRef::Run("5d09ceeaab614d3d".into()));
        assert_eq!(run.name(), "mlflow://runs/5d09ceeaab614d3d");
        let exp = parse("mlflow://experiments/ml training/v2").unwrap();
        assert_eq!(exp, MlflowRef::Experiment("ml training/v2".into()));
        for bad in [
            "mlflow://runs/",
            "mlflow://runs/../x",
            "mlflow://runs/a b",
            "mlflow://experiments/",
            "mlflow://models/m",
            "mlflow://abc",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), Exit::Usage, "{bad}");
            assert!(
                format!("{e:#}").contains("expected mlflow://runs/RUN_ID"),
                "{e:#}"
            );
        }
    }

    #[test]
    fn values_read_as_mlflow_writes_them() {
        let p: Point = serde_json::from_str(r#"{"key": "a", "value": "NaN"}"#).unwrap();
        assert!(p.value.is_nan());
        let p: Point =
            serde_json::from_str(r#"{"key": "a", "value": "-Infinity", "timestamp": 5}"#).unwrap();
        assert_eq!((p.value, p.timestamp, p.step), (f64::NEG_INFINITY, 5, 0));
        assert!(serde_json::from_str::<Point>(r#"{"key": "a", "value": "x"}"#).is_err());
    }
}
