//! The Pushgateway, as a destination and as a store of groups: a group's
//! URL, and PUT, POST or DELETE on it; the whole gateway's listing (`GET
//! /api/v1/metrics`) and what it means ([`listing`]), the `--match` /
//! `--older-than` / `--expired` selection ([`select`]), prune's plan
//! ([`prune`]), the deadline gauge ([`expiry`]) and one group read back
//! into the model for `delete --metric` ([`group`]).
//! `commands/groups` renders a listing; [`crate::sink::pushgateway`] is
//! the push as one destination among others.
//!
//! Its own module, not a sink's: `groups`, `prune` and `delete` work on
//! the gateway's groups, which no other destination has.
//!
//! The group URL is `/metrics/job/<JOB>/user/<USER>/<k>/<v>…` below any path
//! prefix of the base URL, with awkward values in the Pushgateway's
//! `@base64` form; pushes and prune's deletes share it. The exchange itself
//! (retries, auth, TLS, exit codes) is [`crate::net`]'s.

use std::sync::Arc;

use anyhow::Result;
use base64::Engine;
use reqwest::blocking::Client;
use reqwest::{Method, Url};

pub mod expiry;
pub mod group;
pub mod listing;
pub mod prune;
pub mod select;

use self::prune::Listing;
use crate::encode;
use crate::model::Family;
use crate::net::{self, Answer, Body, Content, HttpOptions, Request};

/// A Pushgateway group: the base URL (absent only in a dry run; never
/// carrying credentials, which move to [`HttpOptions::auth`]) and the
/// grouping labels, `job` first.
#[derive(Debug, Clone)]
pub struct Target {
    pub gateway: Option<Url>,
    pub grouping: Vec<(String, String)>,
    pub http: HttpOptions,
}

impl Target {
    /// Whether the gateway is reached over TLS (the CA store is loaded
    /// only then).
    pub fn is_https(&self) -> bool {
        self.gateway.as_ref().is_some_and(|u| u.scheme() == "https")
    }
}

/// The whole gateway, for the commands that work on all its groups: the
/// base URL (credentials moved to [`HttpOptions::auth`]) and how to reach it.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub base: Url,
    pub http: HttpOptions,
}

impl Gateway {
    /// One client for a whole run: `prune` sends one DELETE per group, and
    /// one connection pool (one TLS handshake, the CA store loaded once)
    /// serves them all.
    pub fn client(&self) -> Result<Client> {
        net::client(&self.http, self.base.scheme() == "https")
    }

    /// One of its groups.
    pub fn group(&self, grouping: Vec<(String, String)>) -> Target {
        Target {
            gateway: Some(self.base.clone()),
            grouping,
            http: self.http.clone(),
        }
    }
}

/// The default bound on the gateway's listing (`--max-listing-bytes`).
pub const DEFAULT_LISTING_BYTES: u64 = 64 << 20;

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
///     simplepipe::pushgateway::group_url(&base, &grouping).as_str(),
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
        Some(base) => net::shown_url(group_url(base, &target.grouping), &target.http.auth),
        None => format!("<gateway>/{}", group_segments(&target.grouping).join("/")),
    }
}

/// The most series a protobuf body is sized for before it is sent. Sizing
/// is a pass over every series before the first byte can go (about 8 ms
/// for 100,000 series); below this it costs under a millisecond, and
/// a `Content-Length` suits the rare proxy that dislikes a chunked request.
pub const SIZED: usize = 10_000;

impl PushOptions {
    pub fn method(&self) -> Method {
        if self.replace {
            Method::PUT
        } else {
            Method::POST
        }
    }

    /// The body as it goes on the wire, written while it is sent (see
    /// [`encode::stream`]). A plain protobuf body of up to [`SIZED`]
    /// series goes with its length; the others go chunked.
    pub fn body(&self, families: &Arc<[Family]>) -> Body {
        let (shared, format, gzip) = (families.clone(), self.format, self.gzip);
        let open = move || body_reader(shared.clone(), format, gzip);
        let len = (format == WireFormat::Protobuf
            && !gzip
            && crate::model::series_count(families) <= SIZED)
            .then(|| encode::protobuf::protobuf_len(families) as u64);
        Body {
            content: Content::Streamed {
                len,
                open: Box::new(open),
            },
            content_type: match format {
                WireFormat::Protobuf => encode::PROTOBUF_CONTENT_TYPE,
                WireFormat::Text => encode::TEXT_CONTENT_TYPE,
            },
            content_encoding: gzip.then_some("gzip"),
            headers: Vec::new(),
        }
    }

    /// The body's bytes (what a dry run prints).
    pub fn bytes(&self, families: &[Family]) -> Vec<u8> {
        let bytes = match self.format {
            WireFormat::Protobuf => encode::protobuf(families),
            WireFormat::Text => encode::text(families).into_bytes(),
        };
        if self.gzip {
            encode::gzip(&bytes)
        } else {
            bytes
        }
    }
}

/// A reader of the body [`PushOptions::body`] sends: the encoder's
/// output as it is read, gzipped as it is read with `--compress gzip`.
fn body_reader(
    families: Arc<[Family]>,
    format: WireFormat,
    gzip: bool,
) -> Box<dyn std::io::Read + Send> {
    use encode::stream::{self, Reader};
    let body: Box<dyn std::io::Read + Send> = match format {
        WireFormat::Protobuf => Box::new(Reader::<_, encode::protobuf::Protobuf>::new(families)),
        WireFormat::Text => Box::new(Reader::<_, encode::text::Text>::new(families)),
    };
    if gzip {
        Box::new(stream::gzip(body))
    } else {
        body
    }
}

/// Push families to the group over `client` (one kept for the command).
pub fn push_with(
    client: &Client,
    target: &Target,
    how: &PushOptions,
    families: &Arc<[Family]>,
) -> Result<()> {
    send_with(client, target, how.method(), Some(&how.body(families))).map(drop)
}

/// Delete the whole group.
pub fn delete(target: &Target) -> Result<()> {
    send(target, Method::DELETE, None).map(drop)
}

/// Delete a whole group over a client kept for many ([`Gateway::client`]).
pub fn delete_with(client: &Client, target: &Target) -> Result<()> {
    send_with(client, target, Method::DELETE, None).map(drop)
}

/// Every group the gateway holds (`GET /api/v1/metrics`), and the time of
/// the answer on the gateway's own clock: its `Date` header, whole
/// seconds, so ages read up to a second young, never old, and a runner's
/// clock skew can't make a fresh group look stale. This machine's clock
/// stands in when the header is missing.
pub fn list(gw: &Gateway, client: &Client, max_bytes: u64) -> Result<Listing> {
    let (answer, from) = get_api(gw, client, max_bytes)?;
    let now = answer
        .headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map_or_else(
            || chrono::Utc::now().timestamp_micros() as f64 / 1e6,
            |d| d.timestamp() as f64,
        );
    let groups = listing::parse(answer.text.as_bytes(), &from)?;
    Ok((groups, now))
}

/// Every group as the API's JSON (`data`), checked as [`list`] checks it:
/// what `delete --metric` rebuilds a group from ([`group`]).
pub fn list_json(gw: &Gateway, client: &Client, max_bytes: u64) -> Result<Vec<serde_json::Value>> {
    let (answer, from) = get_api(gw, client, max_bytes)?;
    listing::parse(answer.text.as_bytes(), &from)?;
    let mut doc: serde_json::Value = serde_json::from_str(&answer.text)?;
    Ok(match doc["data"].take() {
        serde_json::Value::Array(data) => data,
        _ => Vec::new(),
    })
}

/// `GET /api/v1/metrics`, and how to name it in messages.
fn get_api(gw: &Gateway, client: &Client, max_bytes: u64) -> Result<(Answer, String)> {
    let mut url = gw.base.clone();
    url.path_segments_mut()
        .expect("http(s) URLs have a path")
        .pop_if_empty()
        .extend(["api", "v1", "metrics"]);
    let shown = net::shown_url(url.clone(), &gw.http.auth);
    let req = Request {
        method: Method::GET,
        url,
        shown: &shown,
        peer: "the gateway",
        url_hint: "is --gateway the Pushgateway's base URL?",
        body: None,
        max_answer: net::AnswerLimit {
            bytes: max_bytes,
            option: Some("--max-listing-bytes"),
        },
    };
    let answer = net::send(client, &gw.http, &req)?;
    Ok((answer, format!("GET {shown}")))
}

/// Send one request to the group's URL, retrying transient failures.
fn send(target: &Target, method: Method, body: Option<&Body>) -> Result<Answer> {
    let client = net::client(&target.http, target.is_https())?;
    send_with(&client, target, method, body)
}

fn send_with(
    client: &Client,
    target: &Target,
    method: Method,
    body: Option<&Body>,
) -> Result<Answer> {
    let Some(base) = &target.gateway else {
        crate::error::bail_with!(
            crate::error::Exit::Usage,
            "no Pushgateway given: pass --gateway URL"
        );
    };
    let url = group_url(base, &target.grouping);
    let shown = shown_url(target);
    let req = Request {
        method,
        url,
        shown: &shown,
        peer: "the gateway",
        url_hint: "is --gateway the Pushgateway's base URL?",
        body,
        max_answer: net::ANSWER_LIMIT,
    };
    net::send(client, &target.http, &req)
}

#[cfg(test)]
mod tests {
    use super::listing::tests::{captured, find};
    use super::listing::Group;
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

    /// prune deletes on the very URLs pushes use: every group of a real
    /// gateway's listing, including the empty, `/`, `.` and unicode values
    /// and the explicit empty `instance`.
    #[test]
    fn delete_urls_use_the_push_encoding() {
        let groups = captured();
        let base = Url::parse("http://gw:9091").unwrap();
        let mut urls: Vec<String> = groups
            .iter()
            .map(|g| group_url(&base, &g.key().unwrap()).path().to_string())
            .collect();
        urls.sort();
        assert_eq!(
            urls,
            [
                "/metrics/job/etl/user@base64/dGVhbS9ldGw=",
                "/metrics/job/nightly",
                "/metrics/job/serve/instance/host-1/region/eu",
                "/metrics/job/train/instance@base64/=/user/alice",
                "/metrics/job/train/user/alice",
                "/metrics/job/train/user@base64/=",
                "/metrics/job/train/user@base64/WsO8cmljaA==",
                "/metrics/job@base64/Lg==",
            ]
        );
    }

    #[test]
    fn the_empty_instance_is_in_the_url_only_when_in_the_key() {
        let groups = captured();
        let alice = find(&groups, &[("job", "train"), ("user", "alice")]);
        let empty = find(
            &groups,
            &[("instance", ""), ("job", "train"), ("user", "alice")],
        );
        let base = Url::parse("http://gw:9091/pgw").unwrap();
        let url = |g: &Group| group_url(&base, &g.key().unwrap()).to_string();
        assert_eq!(
            url(alice),
            "http://gw:9091/pgw/metrics/job/train/user/alice"
        );
        assert_eq!(
            url(empty),
            "http://gw:9091/pgw/metrics/job/train/instance@base64/=/user/alice"
        );
    }
}
