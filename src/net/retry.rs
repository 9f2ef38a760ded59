//! One request, sent with retries: exponential backoff with full jitter,
//! `Retry-After` honoured (seconds or an HTTP date) up to
//! `--retry-max-wait`, and only transient failures retried (connect errors,
//! timeouts, resets, 5xx, 429, 408; never another 4xx, and never a TLS
//! failure, which fails the same way every time).

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use reqwest::blocking::Client;
use reqwest::header::HeaderValue;

use super::failure::{answer_failure, connect_error, transport_failure, AttemptFailure};
use super::{Answer, Auth, Content, HttpOptions, Request};
use crate::error::{fail, Exit};
use crate::report;

/// Send a request, retrying transient failures; the error is tagged with
/// its exit kind and names the method and the (redacted) URL.
pub fn send(client: &Client, http: &HttpOptions, req: &Request) -> Result<Answer> {
    send_within(client, http, req, None)
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
    send_within(client, http, req, Some(max_bytes))
}

fn send_within(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    max_bytes: Option<u64>,
) -> Result<Answer> {
    let attempts = http.retries.saturating_add(1);
    let (method, shown) = (&req.method, req.shown);
    report::debug(|| planned(http, req));
    for attempt in 1..=attempts {
        let started = Instant::now();
        let failure = match attempt_once(client, http, req, max_bytes) {
            Ok(answer) => {
                report::debug(|| {
                    format!(
                        "{method} {shown}: HTTP {} after {:.0?}",
                        answer.status,
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

fn attempt_once(
    client: &Client,
    http: &HttpOptions,
    req: &Request,
    max_bytes: Option<u64>,
) -> Result<Answer, AttemptFailure> {
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
    read_answer(resp, timeout, http, req, max_bytes)
}

/// The answer's body, bounded: a success read up to `req.max_answer`, an
/// error's first [`super::ERROR_KEEP`] bytes for its message.
fn read_answer(
    mut resp: reqwest::blocking::Response,
    timeout: Duration,
    http: &HttpOptions,
    req: &Request,
    max_bytes: Option<u64>,
) -> Result<Answer, AttemptFailure> {
    let status = resp.status();
    if status.is_success() {
        let headers = resp.headers().clone();
        if let Some(max) = max_bytes {
            let text = bounded_text(resp, max, req.peer)?;
            return Ok(Answer {
                status,
                headers,
                text,
            });
        }
        let limit = req.max_answer;
        let (body, over) = read_bounded(&mut resp, limit.bytes).map_err(|e| {
            match e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
                Some(re) => transport_failure(re, timeout, req.peer),
                None => AttemptFailure {
                    exit: crate::error::Exit::Unreachable,
                    message: format!("cannot read the answer of {}: {e}", req.peer),
                    retry: true,
                    retry_after: None,
                },
            }
        })?;
        if over {
            return Err(AttemptFailure {
                exit: crate::error::Exit::Unreachable,
                message: format!(
                    "the answer of {} is larger than {} bytes{}; it was not read further",
                    req.peer,
                    limit.bytes,
                    limit
                        .option
                        .map_or(String::new(), |o| format!(" ({o}; raise it to read more)"))
                ),
                retry: false,
                retry_after: None,
            });
        }
        return Ok(Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    // A few KB for the message; the rest is never read (the connection is
    // dropped with the response), so a huge error body costs nothing.
    let text = match read_bounded(&mut resp, super::ERROR_KEEP) {
        Ok((kept, over)) => {
            let mut text = String::from_utf8_lossy(&kept).into_owned();
            if over {
                text.push('…');
            }
            text
        }
        Err(_) => String::new(),
    };
    Err(answer_failure(status, &text, retry_after, http, req))
}

/// At most `max` bytes of an answer, as UTF-8 text.
fn bounded_text(
    resp: reqwest::blocking::Response,
    max: u64,
    peer: &str,
) -> Result<String, AttemptFailure> {
    use std::io::Read;
    let failure = |message: String, retry| AttemptFailure {
        exit: Exit::Source,
        message,
        retry,
        retry_after: None,
    };
    let mut buf = Vec::new();
    if let Err(e) = resp.take(max.saturating_add(1)).read_to_end(&mut buf) {
        let cut = format!("the answer from {peer} was cut short: {e}");
        return Err(AttemptFailure {
            exit: Exit::Unreachable,
            ..failure(cut, true)
        });
    }
    if buf.len() as u64 > max {
        let msg = format!("the answer from {peer} is larger than --max-bytes ({max} bytes); the download was stopped there");
        return Err(failure(msg, false));
    }
    String::from_utf8(buf)
        .map_err(|_| failure(format!("the answer from {peer} is not UTF-8 text"), false))
}

/// At most `limit` bytes of a body, and whether there was more.
fn read_bounded(
    resp: &mut reqwest::blocking::Response,
    limit: u64,
) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let mut buf = Vec::new();
    resp.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    let over = buf.len() as u64 > limit;
    buf.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((buf, over))
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(ms as u64))
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
    fn retry_after_forms() {
        assert_eq!(retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }

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
