//! One request, sent with retries: exponential backoff with full jitter,
//! `Retry-After` honoured (seconds or an HTTP date) up to
//! `--retry-max-wait`, and only transient failures retried (connect errors,
//! timeouts, resets, 5xx, 429, 408; never another 4xx, and never a TLS
//! failure, which fails the same way every time).

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use reqwest::blocking::Client;
use reqwest::header::HeaderValue;

use super::answer::{fetched, read_answer, Fetched};
use super::failure::{connect_error, transport_failure, AttemptFailure};
use super::{Answer, Auth, Content, HttpOptions, Request};
use crate::error::fail;
use crate::report;

/// Send a request, retrying transient failures; the error is tagged with
/// its exit kind and names the method and the (redacted) URL.
pub fn send(client: &Client, http: &HttpOptions, req: &Request) -> Result<Answer> {
    send_within(client, http, req, |resp, t| {
        read_answer(resp, t, http, req, None)
    })
}

/// [`send`], reading at most `max_bytes` of a successful answer: a longer
/// one fails (not retried) rather than fill memory. For a source read over
/// HTTP (`argo://`), where the answer is the artifact.
pub fn send_limited(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    max_bytes: u64,
) -> Result<Answer> {
    send_within(client, http, req, |resp, t| {
        read_answer(resp, t, http, req, Some(max_bytes))
    })
}

/// [`send`] for an object store: the same retries, timeouts and bounds,
/// the body as bytes (an object may be an archive), and a refusal handed
/// back rather than put in the gateway's words.
pub fn fetch(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    max_bytes: u64,
) -> Result<Fetched> {
    send_within(client, http, req, |resp, t| {
        fetched(resp, t, http, req, max_bytes)
    })
}

fn send_within<T>(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    read: impl Fn(reqwest::blocking::Response, Duration) -> Result<T, AttemptFailure>,
) -> Result<T> {
    let attempts = http.retries.saturating_add(1);
    let (method, shown) = (&req.method, req.shown);
    report::debug(|| planned(http, req));
    for attempt in 1..=attempts {
        let started = Instant::now();
        let failure = match attempt_once(client, http, req, &read) {
            Ok((answer, status)) => {
                report::debug(|| {
                    format!(
                        "{method} {shown}: HTTP {status} after {:.0?}",
                        started.elapsed()
                    )
                });
                return Ok(answer);
            }
            Err(f) => f,
        };
        let tried = if attempt > 1 {
            format!(" (after {attempt} attempts)")
        } else {
            String::new()
        };
        if !failure.retry || attempt == attempts {
            return Err(fail(
                failure.exit,
                anyhow!("{method} {shown}: {}{tried}", failure.message),
            ));
        }
        let wait = match failure.retry_after {
            Some(after) if after > http.retry_max_wait => {
                return Err(fail(
                    failure.exit,
                    anyhow!(
                        "{method} {shown}: {}; {} asked to retry after {:.0}s, longer than --retry-max-wait ({:.0}s)",
                        failure.message,
                        req.peer,
                        after.as_secs_f64(),
                        http.retry_max_wait.as_secs_f64()
                    ),
                ))
            }
            Some(after) => after,
            None => backoff(attempt, http.retry_max_wait),
        };
        if http.deadline.is_some_and(|d| Instant::now() + wait >= d) {
            return Err(fail(
                failure.exit,
                anyhow!(
                    "{method} {shown}: {}{tried}; no time left to retry within --timeout ({:.0}s)",
                    failure.message,
                    http.timeout.as_secs_f64()
                ),
            ));
        }
        let why = if failure.retry_after.is_some() {
            " (Retry-After)"
        } else {
            ""
        };
        report::info(format!(
            "{method} {shown}: {}; retry {attempt}/{} in {:.1}s{why}",
            failure.message,
            http.retries,
            wait.as_secs_f64()
        ));
        std::thread::sleep(wait);
    }
    unreachable!("the last attempt returns")
}

/// What is about to be sent, for `--verbose` (never a secret).
fn planned(http: &HttpOptions, req: &Request) -> String {
    let size = req.body.map_or(String::new(), |b| {
        format!(
            ", {} of {}{}",
            b.content
                .known_len()
                .map_or("a streamed body".to_string(), |n| format!("{n} bytes")),
            b.content_type,
            b.content_encoding
                .map_or(String::new(), |e| format!(", {e}"))
        )
    });
    format!(
        "{} {}: {}{size}; timeout {:?}, up to {} attempts",
        req.method,
        req.shown,
        http.auth.describe(),
        http.timeout,
        http.retries.saturating_add(1)
    )
}

/// One attempt, its answer read by `read` (given the attempt's timeout);
/// with the answer's status.
fn attempt_once<T>(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    read: &impl Fn(reqwest::blocking::Response, Duration) -> Result<T, AttemptFailure>,
) -> Result<(T, reqwest::StatusCode), AttemptFailure> {
    let mut rb = client.request(req.method.clone(), req.url.clone());
    // Under a deadline an attempt gets only the time that is left.
    let timeout = match http.deadline {
        Some(d) => http
            .timeout
            .min(d.saturating_duration_since(Instant::now())),
        None => http.timeout,
    };
    if timeout < http.timeout {
        rb = rb.timeout(timeout);
    }
    match &http.auth {
        Auth::None => {}
        Auth::Basic {
            username, password, ..
        } => rb = rb.basic_auth(username, Some(password.expose())),
        Auth::Bearer { token, .. } => rb = rb.bearer_auth(token.expose()),
        Auth::Token { token, .. } => {
            // Marked sensitive, as reqwest does for bearer tokens; config
            // has checked that the token is a valid header value.
            if let Ok(mut v) = HeaderValue::from_str(&format!("Token {}", token.expose())) {
                v.set_sensitive(true);
                rb = rb.header(reqwest::header::AUTHORIZATION, v);
            }
        }
    }
    if let Some(body) = req.body {
        rb = rb
            .header(reqwest::header::CONTENT_TYPE, body.content_type)
            .body(match &body.content {
                Content::Bytes(bytes) => reqwest::blocking::Body::from(bytes.clone()),
                Content::Streamed {
                    len: Some(len),
                    open,
                } => reqwest::blocking::Body::sized(open(), *len),
                Content::Streamed { len: None, open } => reqwest::blocking::Body::new(open()),
            });
        if let Some(enc) = body.content_encoding {
            rb = rb.header(reqwest::header::CONTENT_ENCODING, enc);
        }
        for (name, value) in &body.headers {
            rb = rb.header(*name, *value);
        }
    }
    let resp = rb.send().map_err(|e| {
        // A streamed body's writer can lose the race with a failed connect:
        // reqwest then reports the writer's "receiver is gone" instead of
        // the connect error. Ask the network which it was.
        let streamed = req
            .body
            .is_some_and(|b| matches!(b.content, Content::Streamed { .. }));
        if streamed && !e.is_connect() && !e.is_timeout() {
            if let Some(refused) = connect_error(&req.url, timeout) {
                return AttemptFailure {
                    exit: crate::error::Exit::Unreachable,
                    message: format!("cannot connect to {}: {refused}", req.peer),
                    retry: true,
                    retry_after: None,
                };
            }
        }
        transport_failure(&e, timeout, req.peer)
    })?;
    let status = resp.status();
    read(resp, timeout).map(|answer| (answer, status))
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, 1s·2^(n-1))].
fn backoff(attempt: u32, cap: Duration) -> Duration {
    let ceiling = Duration::from_secs(1)
        .saturating_mul(1 << (attempt - 1).min(20))
        .min(cap);
    ceiling.mul_f64(random_fraction())
}

/// A random number in [0, 1). std's `RandomState` is seeded from the OS per
/// process; enough for jitter without a random-number crate.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_and_capped() {
        let cap = Duration::from_secs(10);
        for attempt in 1..40 {
            let w = backoff(attempt, cap);
            assert!(w <= cap.min(Duration::from_secs(1 << (attempt - 1).min(20))));
        }
        let waits: std::collections::HashSet<_> = (0..20).map(|_| backoff(5, cap)).collect();
        assert!(waits.len() > 1, "jitter varies");
    }
}
