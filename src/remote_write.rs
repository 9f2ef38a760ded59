//! Stage 6, push by Prometheus remote write 1.0: send the families to a
//! receiver (Prometheus, Mimir, Thanos Receive, Cortex, VictoriaMetrics) in
//! requests of at most `max_samples` samples, one after another, over one
//! HTTP client, with the same retries, auth, TLS and exit codes as the
//! Pushgateway.
//!
//! A function of families and labels, so that every command that produces
//! families (`push`, and the long-running ones) sends them the same way.
//! Requests go in order and stop at the first one that fails for good; the
//! error then says how many samples had landed, since those are stored and
//! the rest are not. Sending everything again is safe: a receiver treats a
//! sample with the same series and timestamp as the same sample.

use anyhow::Result;
use reqwest::{Method, StatusCode};

use crate::config::{Http, RemoteWrite};
use crate::encode::remote_write as encode;
use crate::gateway::{self, Body, Peer, To};
use crate::model::Family;

/// A remote-write receiver answers 200 or 204 (Prometheus), or another 2xx.
pub const RECEIVER: Peer = Peer {
    name: "the receiver",
    option: "--remote-write",
    accepts: |s: StatusCode| s.is_success(),
};

/// The protocol's headers besides `Content-Type` and `Content-Encoding`.
const HEADERS: &[(&str, &str)] = &[("X-Prometheus-Remote-Write-Version", encode::VERSION)];

/// What was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub samples: usize,
    pub requests: usize,
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

/// Send `families`, each series carrying `labels` (job, user, grouping) and
/// one sample at `timestamp_ms`.
pub fn send(
    families: &[Family],
    labels: &[(String, String)],
    timestamp_ms: i64,
    dest: &RemoteWrite,
    http: &Http,
) -> Result<Sent> {
    let chunks = encode::requests(families, labels, timestamp_ms, dest.max_samples);
    let total = Sent {
        samples: chunks.iter().map(|c| c.samples).sum(),
        requests: chunks.len(),
    };
    let client = gateway::client(http, dest.url.scheme() == "https")?;
    let shown = shown(dest, http);
    let to = To {
        url: &dest.url,
        shown: &shown,
        peer: &RECEIVER,
    };
    let mut landed = 0;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let body = Body {
            bytes: chunk.body,
            content_type: encode::CONTENT_TYPE,
            content_encoding: Some(encode::CONTENT_ENCODING),
            headers: HEADERS,
        };
        gateway::exchange(&client, http, &Method::POST, &to, Some(&body)).map_err(|e| {
            if i == 0 {
                e
            } else {
                e.context(format!(
                    "{landed} of {} samples landed ({i} of {} requests) before this failure; pushing again is safe",
                    total.samples,
                    total.requests
                ))
            }
        })?;
        landed += chunk.samples;
    }
    Ok(total)
}

/// The endpoint as shown in messages: credentials redacted.
pub fn shown(dest: &RemoteWrite, http: &Http) -> String {
    gateway::shown(&dest.url, &http.auth)
}
