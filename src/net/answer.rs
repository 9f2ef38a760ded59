//! Reading an answer's body, always bounded: a success up to what its
//! caller parses (or `--max-bytes` for a source), an error's first
//! [`super::ERROR_KEEP`] bytes for its message (the rest is never read and
//! the connection is dropped, so an endless error body costs nothing).

use std::io::Read;
use std::time::Duration;

use reqwest::blocking::Response;

use super::failure::{answer_failure, transport_failure, AttemptFailure};
use super::{Answer, HttpOptions, Request};
use crate::error::Exit;

/// What [`super::fetch`] got: the body, or a refusal the caller explains itself.
#[derive(Debug)]
pub enum Fetched {
    /// A successful answer's body, at most `max_bytes + 1` bytes of it (one
    /// more than allowed says it is too large).
    Body(Vec<u8>),
    /// A 4xx answer (not 408 or 429, which are retried): its status and its
    /// first [`super::ERROR_KEEP`] bytes. For a store whose refusals have
    /// their own vocabulary (S3's `<Code>`).
    Refused { status: u16, text: String },
}

/// [`super::fetch`]'s reader: a success's body as bytes, at most
/// `max_bytes + 1` of them; a refusal (4xx but 408 and 429) handed back.
pub(super) fn fetched(
    mut resp: Response,
    timeout: Duration,
    http: &HttpOptions,
    req: &Request,
    max_bytes: u64,
) -> Result<Fetched, AttemptFailure> {
    let status = resp.status();
    let transient = matches!(status.as_u16(), 408 | 429);
    if status.is_client_error() && !transient {
        let text = kept_error_text(&mut resp);
        return Ok(Fetched::Refused {
            status: status.as_u16(),
            text,
        });
    }
    if !status.is_success() {
        return Err(not_success(resp, http, req));
    }
    let mut buf = Vec::new();
    resp.take(max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| cut_short(&e, timeout, req.peer))?;
    Ok(Fetched::Body(buf))
}

/// The answer's body, bounded: a success read up to `req.max_answer`, an
/// error's first [`super::ERROR_KEEP`] bytes for its message.
pub(super) fn read_answer(
    mut resp: Response,
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
        let (body, over) =
            read_bounded(&mut resp, limit.bytes).map_err(|e| cut_short(&e, timeout, req.peer))?;
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
    Err(not_success(resp, http, req))
}

/// Why an answer that is not 2xx failed, with its kept text.
fn not_success(mut resp: Response, http: &HttpOptions, req: &Request) -> AttemptFailure {
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    let text = kept_error_text(&mut resp);
    answer_failure(resp.status(), &text, retry_after, http, req)
}

/// An error answer's first [`super::ERROR_KEEP`] bytes, for its message;
/// the rest is never read (the connection is dropped with the response),
/// so a huge error body costs nothing.
fn kept_error_text(resp: &mut Response) -> String {
    match read_bounded(resp, super::ERROR_KEEP) {
        Ok((kept, over)) => {
            let mut text = String::from_utf8_lossy(&kept).into_owned();
            if over {
                text.push('…');
            }
            text
        }
        Err(_) => String::new(),
    }
}

/// A body that broke off while it was read.
fn cut_short(e: &std::io::Error, timeout: Duration, peer: &str) -> AttemptFailure {
    match e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
        Some(re) => transport_failure(re, timeout, peer),
        None => AttemptFailure {
            exit: Exit::Unreachable,
            message: format!("cannot read the answer of {peer}: {e}"),
            retry: true,
            retry_after: None,
        },
    }
}

/// At most `max` bytes of an answer, as UTF-8 text.
fn bounded_text(resp: Response, max: u64, peer: &str) -> Result<String, AttemptFailure> {
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
fn read_bounded(resp: &mut Response, limit: u64) -> std::io::Result<(Vec<u8>, bool)> {
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
}
