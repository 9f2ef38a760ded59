//! Stage 6, push: talk to the Pushgateway.
//!
//! Builds the group URL (`/metrics/job/<JOB>/user/<USER>/<k>/<v>…` below any
//! path prefix of the base URL), sends PUT, POST or DELETE, and turns the
//! answer into the exit-code contract: 200 and 202 are success, a 4xx is a
//! rejection (exit 5, with the gateway's own message), anything that keeps
//! the request from being answered, or a 5xx, is exit 6. Redirects are not
//! followed: a PUT that gets redirected would be replayed as a GET.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use base64::Engine;
use reqwest::blocking::Client;
use reqwest::{Method, StatusCode, Url};

use crate::config::{self, Auth, Http, Target};
use crate::error::{fail, Exit};
use crate::{net, redact};

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
        Some(base) => shown(&group_url(base, &target.grouping), &target.http.auth),
        None => format!("<gateway>/{}", group_segments(&target.grouping).join("/")),
    }
}

/// How a URL is shown: redacted. Credentials were moved out of the URL into
/// `auth`; show that the URL carried some, as `***`.
pub fn shown(url: &Url, auth: &Auth) -> String {
    let mut url = url.clone();
    if matches!(auth, Auth::Basic { from, .. } if from == config::URL_CREDENTIALS) {
        let _ = url.set_username("***");
    }
    redact::url(&url)
}

/// A request body with its content type, optional content encoding and any
/// protocol headers.
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub content_encoding: Option<&'static str>,
    pub headers: &'static [(&'static str, &'static str)],
}

/// Send one request to the group's URL, retrying transient failures.
/// `target.gateway` must be set.
pub fn send(target: &Target, method: Method, body: Option<Body>) -> Result<()> {
    let base = target.gateway.as_ref().ok_or_else(|| {
        fail(
            Exit::Usage,
            anyhow!("no Pushgateway given: pass --gateway URL"),
        )
    })?;
    let url = group_url(base, &target.grouping);
    let client = client(&target.http, url.scheme() == "https")?;
    let to = To {
        url: &url,
        shown: &shown_url(target),
        peer: &GATEWAY,
    };
    exchange(&client, &target.http, &method, &to, body.as_ref())
}

/// Who answers, for messages and for what counts as success.
pub struct Peer {
    /// "the gateway", "the receiver".
    pub name: &'static str,
    /// The option that names it, for hints.
    pub option: &'static str,
    /// Which statuses mean the request was taken.
    pub accepts: fn(StatusCode) -> bool,
}

/// The Pushgateway answers 200 (PUT, POST, DELETE) or 202 (a POST queued).
pub const GATEWAY: Peer = Peer {
    name: "the gateway",
    option: "--gateway",
    accepts: |s| s == StatusCode::OK || s == StatusCode::ACCEPTED,
};

/// Where one request goes: the URL, how it is shown, and who answers.
pub struct To<'a> {
    pub url: &'a Url,
    pub shown: &'a str,
    pub peer: &'a Peer,
}

/// Send one request, retrying transient failures with backoff (or the
/// server's `Retry-After`) up to `http.retries` times.
pub fn exchange(
    client: &Client,
    http: &Http,
    method: &Method,
    to: &To,
    body: Option<&Body>,
) -> Result<()> {
    let shown = to.shown;
    let attempts = http.retries + 1;
    if http.verbose {
        let size = body.map_or(String::new(), |b| {
            format!(
                ", {} bytes of {}{}",
                b.bytes.len(),
                b.content_type,
                b.content_encoding
                    .map_or(String::new(), |e| format!(", {e}"))
            )
        });
        debug(format!(
            "{method} {shown}: {}{size}; timeout {:?}, up to {attempts} attempts",
            http.auth.describe(),
            http.timeout
        ));
    }
    for attempt in 1..=attempts {
        let started = Instant::now();
        let failure = match once(client, method, to, http, body) {
            Ok(status) => {
                if http.verbose {
                    debug(format!(
                        "{method} {shown}: HTTP {status} after {:.0?}",
                        started.elapsed()
                    ));
                }
                return Ok(());
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
                        to.peer.name,
                        after.as_secs_f64(),
                        http.retry_max_wait.as_secs_f64()
                    ),
                ))
            }
            Some(after) => after,
            None => backoff(attempt, http.retry_max_wait),
        };
        let why = if failure.retry_after.is_some() {
            " (Retry-After)"
        } else {
            ""
        };
        eprintln!(
            "simplepipe: {method} {shown}: {}; retry {attempt}/{} in {:.1}s{why}",
            failure.message,
            http.retries,
            wait.as_secs_f64()
        );
        std::thread::sleep(wait);
    }
    unreachable!("the last attempt returns")
}

/// Why one attempt failed, and whether another may succeed.
struct AttemptFailure {
    exit: Exit,
    message: String,
    retry: bool,
    retry_after: Option<Duration>,
}

fn once(
    client: &Client,
    method: &Method,
    to: &To,
    http: &Http,
    body: Option<&Body>,
) -> Result<StatusCode, AttemptFailure> {
    let peer = to.peer;
    let mut req = client.request(method.clone(), to.url.clone());
    match &http.auth {
        Auth::None => {}
        Auth::Basic {
            username, password, ..
        } => req = req.basic_auth(username, Some(password.expose())),
        Auth::Bearer { token, .. } => req = req.bearer_auth(token.expose()),
    }
    if let Some(body) = body {
        req = req
            .header(reqwest::header::CONTENT_TYPE, body.content_type)
            .body(body.bytes.clone());
        if let Some(enc) = body.content_encoding {
            req = req.header(reqwest::header::CONTENT_ENCODING, enc);
        }
        for (name, value) in body.headers {
            req = req.header(*name, *value);
        }
    }
    let resp = req
        .send()
        .map_err(|e| transport_failure(&e, http.timeout, peer.name))?;
    let status = resp.status();
    if (peer.accepts)(status) {
        return Ok(status);
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    let text = one_line(&resp.text().unwrap_or_default());
    let said = if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    };
    let transient = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    let (exit, message) = if transient {
        let what = if status.is_server_error() {
            "failed"
        } else {
            "is busy"
        };
        (
            Exit::Unreachable,
            format!("{} {what} (HTTP {status}){said}", peer.name),
        )
    } else if status.is_client_error() {
        let hint = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                format!(" [sent {}]", http.auth.describe())
            }
            StatusCode::NOT_FOUND => format!(" (is {} the right URL?)", peer.option),
            _ => String::new(),
        };
        (
            Exit::Rejected,
            format!("{} rejected it (HTTP {status}){said}{hint}", peer.name),
        )
    } else {
        (
            Exit::Rejected,
            format!(
                "unexpected answer HTTP {status}{said}; is {} the right URL?",
                peer.option
            ),
        )
    };
    Err(AttemptFailure {
        exit,
        message,
        retry: transient,
        retry_after,
    })
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

/// One HTTP client per push: connections are reused across requests.
pub fn client(http: &Http, tls: bool) -> Result<Client> {
    let mut b = Client::builder()
        .timeout(http.timeout)
        .connect_timeout(http.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("simplepipe/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(http.tls.insecure)
        // Loading the system CA store reads every file in /etc/ssl/certs:
        // about half the run time of a small push. Plain http needs none.
        .tls_built_in_root_certs(tls);
    for ca in &http.tls.ca {
        b = b.add_root_certificate(ca.clone());
    }
    if let Some(id) = &http.tls.identity {
        b = b.identity(id.clone());
    }
    b.build().map_err(|e| {
        fail(
            Exit::Usage,
            anyhow!(
                "cannot set up the HTTP client: {}",
                net::root_cause(&e.without_url())
            ),
        )
    })
}

fn debug(line: String) {
    eprintln!("simplepipe: debug: {line}");
}

fn transport_failure(e: &reqwest::Error, timeout: Duration, peer: &str) -> AttemptFailure {
    let (message, retry) = net::describe(e, timeout, peer);
    AttemptFailure {
        exit: Exit::Unreachable,
        message,
        retry,
        retry_after: None,
    }
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
