//! The InfluxDB sink (`--influx`): line protocol, in batches, to the 1.x
//! (`/write?db=…`) or 2.x (`/api/v2/write?org=…&bucket=…`) write API.
//!
//! The exchange (retries, auth, TLS, exit codes) is [`crate::net`]'s, as for
//! every sink; the encoding is [`crate::encode::line_protocol`]'s. The push is
//! a function of the families and the target (which carries the grouping
//! tags), so `push`, `run` and `watch` can all use it. Batches go in order,
//! one request each; every line carries the same push timestamp, so a batch
//! sent twice (a retry after a lost answer) overwrites itself in InfluxDB
//! rather than adding points.

use std::sync::Arc;

use anyhow::{Context, Result};
use reqwest::blocking::Client;
use reqwest::{Method, Url};

use super::{Effort, LabelCheck, Sink};
use crate::encode::{self, line_protocol};
use crate::error::{bail_with, check, Exit};
use crate::model::Family;
use crate::net::{self, Body, Content, HttpOptions, LazyClient, Request};
use crate::report;

/// Where and how to write: the base URL (absent only in a dry run; never
/// carrying credentials, which move to [`HttpOptions::auth`]), the API and
/// the tags every line gets (`job`, `user`, `--group`).
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Option<Url>,
    pub api: Api,
    pub tags: Vec<(String, String)>,
    pub http: HttpOptions,
    /// Lines per request.
    pub batch_lines: usize,
    pub gzip: bool,
}

/// Which write API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 1.x: `POST /write?db=DB&precision=ms`.
    V1 { db: String },
    /// InfluxDB 2.x: `POST /api/v2/write?org=ORG&bucket=BUCKET&precision=ms`.
    V2 { org: String, bucket: String },
}

impl Api {
    fn path(&self) -> [&'static str; 2] {
        match self {
            Api::V1 { .. } => ["write", ""],
            Api::V2 { .. } => ["api", "v2/write"],
        }
    }

    fn query(&self) -> Vec<(&'static str, &str)> {
        match self {
            Api::V1 { db } => vec![("db", db), ("precision", "ms")],
            Api::V2 { org, bucket } => {
                vec![("org", org), ("bucket", bucket), ("precision", "ms")]
            }
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Api::V1 { .. } => "1.x",
            Api::V2 { .. } => "2.x",
        }
    }
}

/// The write URL below `base` (which may have a path prefix).
///
/// ```
/// use reqwest::Url;
/// use simplepipe::sink::influx::{write_url, Api};
/// let base = Url::parse("http://influx:8086/prefix").unwrap();
/// let v2 = Api::V2 { org: "my org".into(), bucket: "ml/runs".into() };
/// assert_eq!(
///     write_url(&base, &v2).as_str(),
///     "http://influx:8086/prefix/api/v2/write?org=my+org&bucket=ml%2Fruns&precision=ms"
/// );
/// ```
pub fn write_url(base: &Url, api: &Api) -> Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("http(s) URLs have a path");
        path.pop_if_empty();
        for seg in api.path().iter().flat_map(|s| s.split('/')) {
            if !seg.is_empty() {
                path.push(seg);
            }
        }
    }
    url.query_pairs_mut().extend_pairs(api.query());
    url
}

/// How the write URL is shown: redacted, or relative in a dry run without
/// `--influx`.
pub fn shown_url(target: &Target) -> String {
    match &target.url {
        Some(base) => net::shown_url(write_url(base, &target.api), &target.http.auth),
        None => {
            let url = write_url(
                &Url::parse("http://influx").expect("a valid URL"),
                &target.api,
            );
            format!("<influx>{}?{}", url.path(), url.query().unwrap_or_default())
        }
    }
}

/// The line-protocol batches for these families, stamped `timestamp_ms`.
/// A tag InfluxDB cannot carry is an invalid artifact (exit 4); NaN and
/// ±Inf values are skipped with one warning, and when every value is one
/// of them there is nothing to write: that is an invalid artifact too
/// (exit 4, nothing sent), not a push that claims to have landed.
pub fn encode(
    target: &Target,
    families: &[Family],
    timestamp_ms: i64,
) -> Result<line_protocol::Encoded> {
    let out = line_protocol::encode(families, &target.tags, timestamp_ms, target.batch_lines)
        .map_err(|problems| {
            check("InfluxDB line protocol", problems).expect_err("the list is never empty")
        })?;
    let first = out.first_skipped.as_deref().unwrap_or("?");
    if out.lines == 0 && out.skipped > 0 {
        bail_with!(
            Exit::Invalid,
            "nothing to write to InfluxDB: {} NaN or ±Inf, which InfluxDB cannot store (the first: {first}); nothing was sent",
            if out.skipped == 1 {
                "the only value is".to_string()
            } else {
                format!("all {} values are", out.skipped)
            }
        );
    }
    if out.skipped > 0 {
        report::warn(format!(
            "{} value{} NaN or ±Inf, which InfluxDB cannot store, so {} skipped (the first: {first})",
            out.skipped,
            if out.skipped == 1 { " is" } else { "s are" },
            if out.skipped == 1 {
                "it is"
            } else {
                "they are"
            },
        ));
    }
    report::debug(|| {
        format!(
            "{} line{} of line protocol in {} request{}",
            out.lines,
            if out.lines == 1 { "" } else { "s" },
            out.batches.len(),
            if out.batches.len() == 1 { "" } else { "s" }
        )
    });
    Ok(out)
}

/// What a push wrote, for the summary: `6 points written, 2 skipped (NaN
/// or ±Inf)`.
fn written(out: &line_protocol::Encoded) -> String {
    let mut text = format!(
        "{} point{} written",
        out.lines,
        if out.lines == 1 { "" } else { "s" }
    );
    if out.skipped > 0 {
        text.push_str(&format!(", {} skipped (NaN or ±Inf)", out.skipped));
    }
    text
}

/// What a dry run prints: the exact body (all batches, uncompressed).
pub fn dry_run_body(target: &Target, families: &[Family]) -> Result<Vec<u8>> {
    let now = chrono::Utc::now().timestamp_millis();
    Ok(encode(target, families, now)?.body().into_bytes())
}

/// InfluxDB as a destination, with its client kept for the command.
#[derive(Debug)]
pub struct InfluxSink {
    pub target: Target,
    client: LazyClient,
}

impl InfluxSink {
    pub fn new(target: Target) -> InfluxSink {
        InfluxSink {
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
        let https = target.url.as_ref().is_some_and(|u| u.scheme() == "https");
        let client = self.client.get(&target.http, https)?;
        Ok((target, client))
    }
}

impl Sink for InfluxSink {
    fn kind(&self) -> &'static str {
        "InfluxDB"
    }

    fn destination(&self) -> String {
        format!(
            "{} (InfluxDB {} line protocol)",
            shown_url(&self.target),
            self.target.api.version()
        )
    }

    fn request_line(&self) -> String {
        format!("POST {}", shown_url(&self.target))
    }

    fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        dry_run_body(&self.target, families)
    }

    fn push(&self, families: &Arc<[Family]>, effort: Effort) -> Result<String> {
        let (target, client) = self.prepared(effort)?;
        let out = push(client, &target, families)?;
        Ok(format!("{}: {}", self.destination(), written(&out)))
    }

    fn keeps_timestamps(&self) -> bool {
        true
    }

    /// One write (or more, by `--influx-batch`) per timestamp, oldest first.
    fn push_history(&self, points: &[(i64, Vec<Family>)], effort: Effort) -> Result<String> {
        let (target, client) = self.prepared(effort)?;
        let mut lines = 0;
        for (i, (ts, families)) in points.iter().enumerate() {
            let out = push_at(client, &target, families, *ts).with_context(|| {
                format!(
                    "history point {} of {}: {lines} points had been written",
                    i + 1,
                    points.len()
                )
            })?;
            lines += out.lines;
        }
        Ok(format!(
            "{}: {lines} points written, at {} times",
            self.destination(),
            points.len()
        ))
    }

    fn label_check(&self) -> Option<LabelCheck> {
        Some(line_protocol::tag_problem)
    }

    fn finite_only(&self) -> bool {
        true
    }

    fn timeout(&self) -> std::time::Duration {
        self.target.http.timeout
    }

    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink> {
        Arc::new(InfluxSink::new(Target {
            tags: grouping.to_vec(),
            ..self.target.clone()
        }))
    }
}

/// Write the families, one request per batch, in order; returns what was
/// written. When a batch fails after others were written, the error says
/// how many lines already are.
pub fn push(
    client: &Client,
    target: &Target,
    families: &[Family],
) -> Result<line_protocol::Encoded> {
    push_at(
        client,
        target,
        families,
        chrono::Utc::now().timestamp_millis(),
    )
}

/// [`push`], every line stamped `timestamp_ms`.
fn push_at(
    client: &Client,
    target: &Target,
    families: &[Family],
    timestamp_ms: i64,
) -> Result<line_protocol::Encoded> {
    let Some(base) = &target.url else {
        bail_with!(Exit::Usage, "no InfluxDB given: pass --influx URL");
    };
    let out = encode(target, families, timestamp_ms)?;
    let batches = &out.batches;
    let url = write_url(base, &target.api);
    let shown = shown_url(target);
    let total: usize = batches.iter().map(|b| b.lines().count()).sum();
    let mut written = 0;
    for (i, batch) in batches.iter().enumerate() {
        let lines = batch.lines().count();
        let body = body(batch, target.gzip);
        let req = Request {
            method: Method::POST,
            url: url.clone(),
            shown: &shown,
            peer: "InfluxDB",
            url_hint: "is --influx InfluxDB's base URL, e.g. http://influxdb:8086?",
            body: Some(&body),
            max_answer: net::ANSWER_LIMIT,
        };
        let sent = net::send(client, &target.http, &req);
        if batches.len() > 1 {
            sent.with_context(|| {
                format!(
                    "batch {}/{} ({written} of {total} lines were written before it)",
                    i + 1,
                    batches.len()
                )
            })?;
        } else {
            sent?;
        }
        written += lines;
    }
    Ok(out)
}

fn body(batch: &str, gzip: bool) -> Body {
    let (bytes, content_encoding) = if gzip {
        (encode::gzip(batch.as_bytes()), Some("gzip"))
    } else {
        (batch.as_bytes().to_vec(), None)
    };
    Body {
        content: Content::Bytes(bytes.into()),
        content_type: line_protocol::CONTENT_TYPE,
        content_encoding,
        headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_url_keeps_a_path_prefix_and_escapes_the_database() {
        for base in ["http://h:8086/influx", "http://h:8086/influx/"] {
            let url = write_url(
                &Url::parse(base).unwrap(),
                &Api::V1 {
                    db: "ml runs&x".into(),
                },
            );
            assert_eq!(
                url.as_str(),
                "http://h:8086/influx/write?db=ml+runs%26x&precision=ms"
            );
        }
    }

    #[test]
    fn v2_url() {
        let url = write_url(
            &Url::parse("https://h").unwrap(),
            &Api::V2 {
                org: "o".into(),
                bucket: "b".into(),
            },
        );
        assert_eq!(
            url.as_str(),
            "https://h/api/v2/write?org=o&bucket=b&precision=ms"
        );
    }
}
