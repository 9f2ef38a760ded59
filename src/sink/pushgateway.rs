//! The Pushgateway sink: a group's URL, and PUT, POST or DELETE on it.
//!
//! The group URL is `/metrics/job/<JOB>/user/<USER>/<k>/<v>…` below any path
//! prefix of the base URL, with awkward values in the Pushgateway's
//! `@base64` form. The exchange itself (retries, auth, TLS, exit codes) is
//! [`crate::net`]'s.

use anyhow::Result;
use base64::Engine;
use reqwest::{Method, Url};

use crate::encode;
use crate::model::Family;
use crate::net::{self, Answer, Body, HttpOptions, Request};
use crate::redact;

/// A Pushgateway group: the base URL (absent only in a dry run; never
/// carrying credentials, which move to [`HttpOptions::auth`]) and the
/// grouping labels, `job` first.
#[derive(Debug, Clone)]
pub struct Target {
    pub gateway: Option<Url>,
    pub grouping: Vec<(String, String)>,
    pub http: HttpOptions,
}

/// How a push is sent: method, wire format and compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOptions {
    /// PUT replaces the whole group; POST only the families pushed.
    pub replace: bool,
    pub format: WireFormat,
    pub gzip: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    Protobuf,
    Text,
}

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
///     simplepipe::sink::pushgateway::group_url(&base, &grouping).as_str(),
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
        Some(base) => {
            let mut url = group_url(base, &target.grouping);
            // Credentials were moved out of the URL into `auth`; show that
            // the URL carried some, as `***`.
            if target.http.auth.from_url() {
                let _ = url.set_username("***");
            }
            redact::url(&url)
        }
        None => format!("<gateway>/{}", group_segments(&target.grouping).join("/")),
    }
}

impl PushOptions {
    pub fn method(&self) -> Method {
        if self.replace {
            Method::PUT
        } else {
            Method::POST
        }
    }

    /// The body as it goes on the wire.
    pub fn body(&self, families: &[Family]) -> Body {
        let (bytes, content_type) = match self.format {
            WireFormat::Protobuf => (encode::protobuf(families), encode::PROTOBUF_CONTENT_TYPE),
            WireFormat::Text => (
                encode::text(families).into_bytes(),
                encode::TEXT_CONTENT_TYPE,
            ),
        };
        let (bytes, content_encoding) = if self.gzip {
            (encode::gzip(&bytes), Some("gzip"))
        } else {
            (bytes, None)
        };
        Body {
            bytes,
            content_type,
            content_encoding,
            headers: Vec::new(),
        }
    }
}

/// Push families to the group.
pub fn push(target: &Target, how: &PushOptions, families: &[Family]) -> Result<()> {
    send(target, how.method(), Some(&how.body(families))).map(drop)
}

/// Delete the whole group.
pub fn delete(target: &Target) -> Result<()> {
    send(target, Method::DELETE, None).map(drop)
}

/// Send one request to the group's URL, retrying transient failures.
fn send(target: &Target, method: Method, body: Option<&Body>) -> Result<Answer> {
    let Some(base) = &target.gateway else {
        crate::error::bail_with!(
            crate::error::Exit::Usage,
            "no Pushgateway given: pass --gateway URL"
        );
    };
    let url = group_url(base, &target.grouping);
    let shown = shown_url(target);
    let client = net::client(&target.http, url.scheme() == "https")?;
    let req = Request {
        method,
        url,
        shown: &shown,
        peer: "the gateway",
        url_hint: "is --gateway the Pushgateway's base URL?",
        body,
    };
    net::send(&client, &target.http, &req)
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
