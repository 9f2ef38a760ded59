//! Stage 6, push: talk to the Pushgateway.
//!
//! Builds the group URL (`/metrics/job/<JOB>/user/<USER>/<k>/<v>…` below any
//! path prefix of the base URL), sends PUT, POST or DELETE, and turns the
//! answer into the exit-code contract: 200 and 202 are success, a 4xx is a
//! rejection (exit 5, with the gateway's own message), anything that keeps
//! the request from being answered, or a 5xx, is exit 6. Redirects are not
//! followed: a PUT that gets redirected would be replayed as a GET.

use std::time::Duration;

use anyhow::{anyhow, Result};
use base64::Engine;
use reqwest::blocking::Client;
use reqwest::{Method, StatusCode, Url};

use crate::config::Target;
use crate::error::{fail, Exit};
use crate::redact;

/// The path segments for a grouping key. A value that is empty, contains
/// `/`, is `.` or `..`, or is anything but plain URL-safe text goes as
/// `<name>@base64/<urlsafe base64>`, as the Pushgateway documents.
pub fn group_segments(grouping: &[(String, String)]) -> Vec<String> {
    let mut segs = vec!["metrics".to_string()];
    for (name, value) in grouping {
        if is_plain(value) {
            segs.push(name.clone());
            segs.push(value.clone());
        } else {
            segs.push(format!("{name}@base64"));
            let enc = base64::engine::general_purpose::URL_SAFE.encode(value.as_bytes());
            // An empty value is spelled as a lone padding character.
            segs.push(if enc.is_empty() { "=".to_string() } else { enc });
        }
    }
    segs
}

fn is_plain(v: &str) -> bool {
    !v.is_empty()
        && v != "."
        && v != ".."
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// The full URL of a group below `base` (which may have a path prefix).
///
/// ```
/// use reqwest::Url;
/// let base = Url::parse("http://pushgateway:9091/pgw").unwrap();
/// let grouping = [("job".to_string(), "train".to_string()), ("user".to_string(), "a/b".to_string())];
/// assert_eq!(
///     simplepipe::gateway::group_url(&base, &grouping).as_str(),
///     "http://pushgateway:9091/pgw/metrics/job/train/user@base64/YS9i"
/// );
/// ```
pub fn group_url(base: &Url, grouping: &[(String, String)]) -> Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("http(s) URLs have a path");
        path.pop_if_empty();
        path.extend(group_segments(grouping));
    }
    url
}

/// How a group URL is shown: redacted, or relative when no gateway was given
/// (dry run).
pub fn shown_url(target: &Target) -> String {
    match &target.gateway {
        Some(base) => redact::url(&group_url(base, &target.grouping)),
        None => format!("<gateway>/{}", group_segments(&target.grouping).join("/")),
    }
}

/// A request body and its content type.
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Send one request to the group's URL. `target.gateway` must be set.
pub fn send(target: &Target, method: Method, body: Option<Body>) -> Result<()> {
    let base = target.gateway.as_ref().ok_or_else(|| {
        fail(
            Exit::Usage,
            anyhow!("no Pushgateway given: pass --gateway URL"),
        )
    })?;
    let url = group_url(base, &target.grouping);
    let shown = redact::url(&url);
    let client = client(target.timeout)?;
    let mut req = client.request(method.clone(), url);
    if let Some(body) = body {
        req = req
            .header(reqwest::header::CONTENT_TYPE, body.content_type)
            .body(body.bytes);
    }
    let resp = match req.send() {
        Ok(r) => r,
        Err(e) => {
            return Err(fail(
                Exit::Unreachable,
                anyhow!("{method} {shown}: {}", transport_reason(&e, target.timeout)),
            ))
        }
    };
    let status = resp.status();
    if status == StatusCode::OK || status == StatusCode::ACCEPTED {
        return Ok(());
    }
    let text = one_line(&resp.text().unwrap_or_default());
    let said = if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    };
    if status.is_client_error() {
        Err(fail(
            Exit::Rejected,
            anyhow!("{method} {shown}: the gateway rejected it (HTTP {status}){said}"),
        ))
    } else if status.is_server_error() {
        Err(fail(
            Exit::Unreachable,
            anyhow!("{method} {shown}: the gateway failed (HTTP {status}){said}"),
        ))
    } else {
        Err(fail(
            Exit::Rejected,
            anyhow!("{method} {shown}: unexpected answer HTTP {status}{said}; is --gateway the Pushgateway's base URL?"),
        ))
    }
}

fn client(timeout: Duration) -> Result<Client> {
    Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("simplepipe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| anyhow!("cannot set up the HTTP client: {}", e.without_url()))
}

/// Why a request got no answer, in words, without the URL (which may carry
/// credentials and is shown redacted by the caller).
fn transport_reason(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "timed out after {}s (raise --timeout if the gateway is slow)",
            timeout.as_secs_f64()
        );
    }
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    let what = if e.is_connect() {
        "cannot connect to the gateway"
    } else {
        "the request failed"
    };
    format!("{what}: {root}")
}

/// Collapse a server's message to one line, cut short if long.
fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 500 {
        format!("{}…", s.chars().take(500).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_values_go_as_they_are() {
        let base = Url::parse("http://h:9091").unwrap();
        assert_eq!(
            group_url(&base, &g(&[("job", "train"), ("user", "alice")])).as_str(),
            "http://h:9091/metrics/job/train/user/alice"
        );
    }

    #[test]
    fn path_prefix_is_kept() {
        for base in ["http://h/pgw", "http://h/pgw/"] {
            let base = Url::parse(base).unwrap();
            assert_eq!(
                group_url(&base, &g(&[("job", "j")])).as_str(),
                "http://h/pgw/metrics/job/j"
            );
        }
    }

    #[test]
    fn awkward_values_use_base64() {
        let base = Url::parse("http://h").unwrap();
        let url = group_url(
            &base,
            &g(&[
                ("job", "a/b"),
                ("user", ""),
                ("x", "ü"),
                ("y", ".."),
                ("z", "a b"),
            ]),
        );
        assert_eq!(
            url.as_str(),
            "http://h/metrics/job@base64/YS9i/user@base64/=/x@base64/w7w=/y@base64/Li4=/z@base64/YSBi"
        );
    }
}
