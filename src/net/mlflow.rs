//! MLflow's REST API (`/api/2.0/mlflow/…`) over [`crate::net`]: the one
//! client the `--mlflow` sink and the `mlflow://` source share, so that
//! both get the same retries, auth, TLS and failure messages.
//!
//! Only the calls the two need are here; what a call means for the run
//! (creating it, reading it) is the caller's.

use anyhow::{Context, Result};
use reqwest::{Method, Url};
use serde_json::{json, Value};

use super::{Body, Content, HttpOptions, Request};
use crate::error::{bail_with, Exit};

/// One tracking server, as a client of its REST API.
pub struct Api<'a> {
    pub client: &'a reqwest::blocking::Client,
    pub http: HttpOptions,
    /// The server's base URL (credentials moved to `http.auth`).
    pub base: &'a Url,
    /// Said when the server can't be reached: which option named it.
    pub url_hint: &'static str,
}

impl Api<'_> {
    /// `BASE/api/2.0/mlflow/PATH`, with `query` (encoded).
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        {
            let mut segs = url.path_segments_mut().expect("http(s) URLs have a path");
            segs.pop_if_empty();
            segs.extend(["api", "2.0", "mlflow"]);
            segs.extend(path.split('/'));
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    fn exchange(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Value> {
        let shown = super::shown_url(url.clone(), &self.http.auth);
        let body = body.map(|b| Body {
            content: Content::Bytes(b.into()),
            content_type: "application/json",
            content_encoding: None,
            headers: Vec::new(),
        });
        let req = Request {
            method,
            url,
            shown: &shown,
            peer: "MLflow",
            url_hint: self.url_hint,
            body: body.as_ref(),
            max_answer: super::ANSWER_LIMIT,
        };
        let answer = super::send(self.client, &self.http, &req)?;
        Ok(serde_json::from_str(&answer.text).unwrap_or(Value::Null))
    }

    /// POST a JSON body already written.
    pub fn send(&self, path: &str, body: Vec<u8>) -> Result<Value> {
        self.exchange(Method::POST, self.url(path, &[]), Some(body))
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(
            path,
            serde_json::to_vec(body).expect("JSON values serialise"),
        )
    }

    /// GET with a query.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        self.exchange(Method::GET, self.url(path, query), None)
    }

    /// Set a run's status; any but RUNNING also ends it now.
    pub fn update(&self, run_id: &str, status: &str) -> Result<()> {
        let mut body = json!({"run_id": run_id, "status": status});
        if status != "RUNNING" {
            body["end_time"] = json!(chrono::Utc::now().timestamp_millis());
        }
        self.post("runs/update", &body).map(drop)
    }

    /// The experiment's id, creating it when missing. Looked up by
    /// `experiments/search` (a missing experiment is an empty answer, not
    /// an error); a create that loses a race with another client is looked
    /// up again.
    pub fn experiment(&self, name: &str) -> Result<String> {
        if let Some(id) = self.find(name)? {
            return Ok(id);
        }
        match self.post("experiments/create", &json!({ "name": name })) {
            Ok(v) => v["experiment_id"]
                .as_str()
                .map(str::to_string)
                .context("MLflow's experiments/create answer holds no id"),
            Err(e) => match self.find(name)? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    /// The experiment called `name`: its id, `None` when there is none, an
    /// error (exit 5) when it is deleted.
    pub fn find(&self, name: &str) -> Result<Option<String>> {
        let filter = format!("name = '{}'", name.replace('\'', "\\'"));
        let v = self.post(
            "experiments/search",
            &json!({"filter": filter, "max_results": 10, "view_type": "ALL"}),
        )?;
        let found = v["experiments"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name);
        let Some(e) = found else {
            return Ok(None);
        };
        if e["lifecycle_stage"] == "deleted" {
            bail_with!(
                Exit::Rejected,
                "the MLflow experiment {name:?} is deleted; restore it in MLflow or pick another name (--mlflow-experiment)"
            );
        }
        Ok(e["experiment_id"].as_str().map(str::to_string))
    }
}
