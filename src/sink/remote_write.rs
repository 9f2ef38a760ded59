//! The remote-write sink: Prometheus remote write 1.0 to a receiver
//! (Prometheus, Grafana Mimir, Thanos Receive, Cortex, VictoriaMetrics), in
//! requests of at most `max_samples` samples sent one after another over one
//! HTTP client (connections are reused), through [`crate::net`] like every
//! sink: the same retries, `Retry-After`, auth, TLS and exit codes.
//!
//! [`send`] is a function of families and labels, so every command that
//! produces families (`push`, and the long-running ones) sends them the
//! same way. Requests stop at the first one that fails for good; the error
//! then says how many samples had landed, since those are stored and the
//! rest are not. A retried request carries the same bytes (timestamps
//! included), so a receiver that had stored it after all takes the repeat
//! as the same samples; pushing everything again later adds one more sample
//! per series at the new time, which `last_over_time` reads the same.

use std::sync::Arc;

use anyhow::Result;
use reqwest::blocking::Client;
use reqwest::{Method, Url};

use super::{Effort, Sink};
use crate::encode::remote_write as encode;
use crate::model::Family;
use crate::net::{self, Body, Content, HttpOptions, LazyClient, Request};

/// A receiver and what every series sent to it carries.
#[derive(Debug, Clone)]
pub struct Target {
    /// The full endpoint, e.g. `http://prometheus:9090/api/v1/write`
    /// (credentials moved to [`HttpOptions::auth`]).
    pub url: Url,
    /// Labels on every series: `job`, `user`, `--group` (the model already
    /// carries `--label`).
    pub labels: Vec<(String, String)>,
    /// Most samples in one request (`--max-samples-per-request`).
    pub max_samples: usize,
    pub http: HttpOptions,
}

/// What was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub samples: usize,
    pub requests: usize,
}

impl Sent {
    /// What sending `families` in requests of `max_samples` amounts to.
    pub fn planned(families: &[Family], max_samples: usize) -> Sent {
        let samples = encode::sample_count(families);
        Sent {
            samples,
            requests: samples.div_ceil(max_samples.max(1)),
        }
    }
}

impl std::fmt::Display for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} sample{} in {} request{}",
            self.samples,
            s(self.samples),
            self.requests,
            s(self.requests)
        )
    }
}

/// A push that failed part-way: what had landed, of what. The context of
/// the failure's error, so that `--best-effort` can say it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partly {
    pub landed: Sent,
    pub of: Sent,
}

impl std::fmt::Display for Partly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} samples landed ({} of {} requests) before this failure; pushing again is safe",
            self.landed.samples, self.of.samples, self.landed.requests, self.of.requests
        )
    }
}

/// The endpoint as shown in messages: redacted, `***` where the URL
/// carried credentials.
pub fn shown_url(target: &Target) -> String {
    net::shown_url(target.url.clone(), &target.http.auth)
}

/// Remote write as a destination, with its client kept for the command.
#[derive(Debug)]
pub struct RemoteWriteSink {
    pub target: Target,
    client: LazyClient,
}

impl RemoteWriteSink {
    pub fn new(target: Target) -> RemoteWriteSink {
        RemoteWriteSink {
            target,
            client: LazyClient::default(),
        }
    }

    /// The target with one push's effort, and the command's client.
    fn prepared(&self, effort: Effort) -> Result<(Target, &Client)> {
        let target = Target {
            http: self.target.http.limited(effort.retries, effort.deadline),
            ..self.target.clone()
        };
        let client = self
            .client
            .get(&target.http, target.url.scheme() == "https")?;
        Ok((target, client))
    }
}

impl Sink for RemoteWriteSink {
    fn kind(&self) -> &'static str {
        "remote write"
    }

    fn destination(&self) -> String {
        format!("{} (remote write)", shown_url(&self.target))
    }

    fn request_line(&self) -> String {
        format!("POST {} (remote write)", shown_url(&self.target))
    }

    fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        Ok(dry_run_text(&self.target, families).into_bytes())
    }

    /// Every sample stamped with the time now.
    fn push(&self, families: &Arc<[Family]>, effort: Effort) -> Result<String> {
        let (target, client) = self.prepared(effort)?;
        let now = chrono::Utc::now().timestamp_millis();
        let sent = send(client, &target, families, now)?;
        Ok(format!("{} (remote write, {sent})", shown_url(&target)))
    }

    fn keeps_timestamps(&self) -> bool {
        true
    }

    /// One `send` per timestamp, oldest first: a receiver takes each
    /// series' samples in time order.
    fn push_history(&self, points: &[(i64, Vec<Family>)], effort: Effort) -> Result<String> {
        let (target, client) = self.prepared(effort)?;
        let mut samples = 0;
        for (i, (ts, families)) in points.iter().enumerate() {
            let sent = send(client, &target, families, *ts).map_err(|e| {
                let too_old = format!("{e:#}").contains("out of bounds");
                let at = chrono::DateTime::from_timestamp_millis(*ts)
                    .map_or_else(|| ts.to_string(), |t| t.to_rfc3339());
                e.context(format!(
                    "history point {} of {} ({at}){}: {samples} samples had landed",
                    i + 1,
                    points.len(),
                    if too_old { TOO_OLD } else { "" }
                ))
            })?;
            samples += sent.samples;
        }
        Ok(format!(
            "{} (remote write, {samples} samples at {} points in time)",
            shown_url(&target),
            points.len()
        ))
    }

    fn timeout(&self) -> std::time::Duration {
        self.target.http.timeout
    }

    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink> {
        Arc::new(RemoteWriteSink::new(Target {
            labels: grouping.to_vec(),
            ..self.target.clone()
        }))
    }
}

/// Said when a receiver refuses a history point as out of bounds
/// (measured: Prometheus 2.42 holding a current sample answers 400 "out of
/// bounds" to MLflow history 3 to 5 hours old; a fresh one takes it).
const TOO_OLD: &str = " is older than the receiver takes (Prometheus takes samples only within its head block, about the last hour or two, unless storage.tsdb.out_of_order_time_window is set); push the latest values to the Pushgateway instead, or the history to InfluxDB";

/// What `--dry-run` prints: the series as they would be sent now.
pub fn dry_run_text(target: &Target, families: &[Family]) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    encode::text(families, &target.labels, now, target.max_samples)
}

/// Send `families` to `target` over `client`, every sample at `timestamp_ms`.
pub fn send(
    client: &Client,
    target: &Target,
    families: &[Family],
    timestamp_ms: i64,
) -> Result<Sent> {
    let chunks = encode::requests(families, &target.labels, timestamp_ms, target.max_samples);
    let total = Sent {
        samples: chunks.iter().map(|c| c.samples).sum(),
        requests: chunks.len(),
    };
    let shown = shown_url(target);
    let mut landed = 0;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let body = Body {
            content: Content::Bytes(chunk.body.into()),
            content_type: encode::CONTENT_TYPE,
            content_encoding: Some(encode::CONTENT_ENCODING),
            headers: vec![("X-Prometheus-Remote-Write-Version", encode::VERSION)],
        };
        let req = Request {
            method: Method::POST,
            url: target.url.clone(),
            shown: &shown,
            peer: "the receiver",
            url_hint: "is --remote-write the receiver's write endpoint (e.g. …/api/v1/write)?",
            body: Some(&body),
            max_answer: net::ANSWER_LIMIT,
        };
        net::send(client, &target.http, &req).map_err(|e| {
            let partly = Partly {
                landed: Sent {
                    samples: landed,
                    requests: i,
                },
                of: total,
            };
            if i == 0 {
                e
            } else {
                e.context(partly)
            }
        })?;
        landed += chunk.samples;
    }
    Ok(total)
}
