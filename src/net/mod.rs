//! The HTTP exchange every sink shares: client options, credentials, TLS,
//! and one request sent with retries ([`retry`]) and failures put in words
//! ([`failure`]).
//!
//! Written once so that every destination (the Pushgateway, InfluxDB, and
//! remote write next) gets the same timeouts, backoff, `Retry-After`,
//! auth and TLS behaviour, and the same exit codes: a 4xx is a rejection
//! (exit 5, with the server's own message), anything that keeps a request
//! from being answered, or a 5xx, is exit 6. Redirects are not followed: a
//! PUT that gets redirected would be replayed as a GET.

pub mod answer;
pub mod failure;
pub mod mlflow;
pub mod retry;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use reqwest::blocking::Client;
use reqwest::{Method, Url};

use crate::error::{Exit, ExitContext};
use crate::redact::Secret;

pub use answer::Fetched;
pub use failure::{describe, root_cause};
pub use retry::{fetch, send, send_limited};

/// How to talk to a server: the options every sink reads.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub retries: u32,
    pub retry_max_wait: Duration,
    pub auth: Auth,
    pub tls: Tls,
    /// When the whole exchange, retries and waits included, must be over
    /// (`run`'s final push spends at most `--timeout`); `None`: no limit
    /// but the per-attempt timeout and the retries.
    pub deadline: Option<std::time::Instant>,
}

/// Credentials, with where they came from (for messages; never the value).
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Basic {
        username: String,
        password: Secret,
        from: CredentialSource,
    },
    Bearer {
        token: Secret,
        from: CredentialSource,
    },
    /// `Authorization: Token …`, InfluxDB 2.x's scheme.
    Token {
        token: Secret,
        from: CredentialSource,
    },
}

/// Where credentials came from, as the user is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `user:password@` in the server's URL (moved out of the URL, which
    /// is then shown with `***`).
    Url,
    /// A file named by an option, e.g. `--password-file`.
    File { option: &'static str, path: PathBuf },
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Url => f.write_str("the URL"),
            CredentialSource::File { option, path } => write!(f, "{option} {}", path.display()),
            CredentialSource::Env(name) => f.write_str(name),
        }
    }
}

impl Auth {
    /// What the user is told about the credentials in use.
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials".to_string(),
            Auth::Basic { username, from, .. } => {
                format!("basic auth as {username:?} (password from {from})")
            }
            Auth::Bearer { from, .. } => format!("bearer token from {from}"),
            Auth::Token { from, .. } => format!("token from {from}"),
        }
    }

    /// Whether the credentials were taken out of the URL (so the URL is
    /// shown with `***` in their place).
    pub fn from_url(&self) -> bool {
        matches!(
            self,
            Auth::Basic {
                from: CredentialSource::Url,
                ..
            }
        )
    }
}

/// A URL as the user sees it: redacted, with `***` where credentials were
/// taken out of it (so the user can tell they were used).
pub fn shown_url(mut url: Url, auth: &Auth) -> String {
    if auth.from_url() {
        let _ = url.set_username("***");
    }
    crate::redact::url(&url)
}

/// TLS settings, already loaded and parsed.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca: Vec<reqwest::Certificate>,
    pub identity: Option<reqwest::Identity>,
    pub insecure: bool,
}

/// A blocking client with these options. `https` says whether the system
/// CA store is needed at all.
pub fn client(http: &HttpOptions, https: bool) -> Result<Client> {
    let mut b = Client::builder()
        .timeout(http.timeout)
        .connect_timeout(http.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("simplepipe/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(http.tls.insecure)
        // Loading the system CA store reads every file in /etc/ssl/certs:
        // about half the run time of a small push. Plain http needs none.
        .tls_built_in_root_certs(https);
    for ca in &http.tls.ca {
        b = b.add_root_certificate(ca.clone());
    }
    if let Some(id) = &http.tls.identity {
        b = b.identity(id.clone());
    }
    b.build().or_fail(Exit::Usage, |e| {
        format!(
            "cannot set up the HTTP client: {}",
            root_cause(&e.without_url())
        )
    })
}

/// One HTTP client for a destination, built on first use and kept for the
/// whole command: the live commands push every interval, and each push
/// reuses the connection (and the CA store loaded once) instead of a new
/// TCP and TLS handshake per push.
#[derive(Debug, Clone, Default)]
pub struct LazyClient(std::sync::OnceLock<Client>);

impl LazyClient {
    /// The client, built with `http`'s options the first time. The options
    /// a client is built with (timeout, TLS) don't change between pushes;
    /// retries and deadlines are per request.
    pub fn get(&self, http: &HttpOptions, https: bool) -> Result<&Client> {
        if let Some(c) = self.0.get() {
            return Ok(c);
        }
        let built = client(http, https)?;
        Ok(self.0.get_or_init(|| built))
    }
}

impl HttpOptions {
    /// These options with at most `retries` retries and a deadline for the
    /// whole exchange (a live push's limits).
    pub fn limited(
        &self,
        retries: Option<u32>,
        deadline: Option<std::time::Instant>,
    ) -> HttpOptions {
        let mut http = self.clone();
        if let Some(r) = retries {
            http.retries = http.retries.min(r);
        }
        if deadline.is_some() {
            http.deadline = deadline;
        }
        http
    }
}

/// A request body with its content type, optional content encoding and any
/// further headers a protocol requires.
pub struct Body {
    pub content: Content,
    pub content_type: &'static str,
    pub content_encoding: Option<&'static str>,
    pub headers: Vec<(&'static str, &'static str)>,
}

/// What a body holds.
pub enum Content {
    /// Bytes written beforehand, shared (not copied) by each attempt: a
    /// copy per attempt was 12.6 MB on 100,000 series.
    Bytes(bytes::Bytes),
    /// Bytes written while they are sent (the receiver parses the first
    /// while the rest is written), by a reader made anew for each attempt:
    /// `len` of them when known beforehand, else sent chunked (a gzipped
    /// body's length is known only once it is written).
    Streamed { len: Option<u64>, open: Box<Opener> },
}

/// What makes a streamed body's reader.
pub type Opener = dyn Fn() -> Box<dyn std::io::Read + Send> + Send + Sync;

impl Content {
    /// The length, when it is known before the body is sent.
    pub fn known_len(&self) -> Option<u64> {
        match self {
            Content::Bytes(b) => Some(b.len() as u64),
            Content::Streamed { len, .. } => *len,
        }
    }
}

/// One request: where, how it is shown (redacted), and to whom (for
/// messages, e.g. "the gateway").
pub struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub shown: &'a str,
    pub peer: &'a str,
    /// What to suggest when the server answers neither 2xx, 4xx nor 5xx
    /// (usually a redirect: the base URL is wrong).
    pub url_hint: &'a str,
    pub body: Option<&'a Body>,
    /// The most of a successful answer's body that is read; past it the
    /// request fails (no answer we parse is unbounded): [`ANSWER_LIMIT`],
    /// or `--max-listing-bytes` for the gateway's listing.
    pub max_answer: AnswerLimit,
}

/// A bound on a successful answer, and the option that sets it (named
/// when it is hit).
#[derive(Debug, Clone, Copy)]
pub struct AnswerLimit {
    pub bytes: u64,
    pub option: Option<&'static str>,
}

/// The bound on a successful answer that is parsed (a push's answer is
/// tiny; 4 MiB leaves room for any server's chatter).
pub const ANSWER_LIMIT: AnswerLimit = AnswerLimit {
    bytes: 4 << 20,
    option: None,
};

/// How much of an error answer is kept for the message; the rest is not
/// read, and the connection is dropped.
pub const ERROR_KEEP: u64 = 4 << 10;

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}
