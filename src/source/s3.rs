//! Remote source: read an object from MinIO or any S3-compatible store,
//! stopping past `--max-bytes`.
//!
//! Configuration follows the AWS tools' conventions; config resolves them
//! into [`S3Options`] (which credentials: the environment's keys, a profile
//! of the shared credentials file, or none). Errors say which credential
//! source was used, never a value: rust-s3's own `Credentials` derives
//! `Debug` with the secret in it, so it is never formatted here.
//!
//! rust-s3 signs the request (a presigned GET, or none when anonymous) and
//! [`net`] sends it: the same client as every other server, so S3 gets the
//! same `--retries`/`--retry-max-wait` backoff, never follows a redirect
//! (rust-s3's own client follows them to any host and retries on its own
//! schedule, and exposes neither), and keeps only the first few KB of an
//! error answer. rust-s3's signing is async (a tokio lock around the
//! credentials); a current-thread runtime runs it, no I/O in it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use reqwest::{Method, Url};
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};

use crate::error::{fail, Exit, ExitContext};
use crate::net::{self, Fetched};
use crate::redact::{self, Secret};

/// Where and how to reach S3, resolved from flags and the AWS variables.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub endpoint: Option<Url>,
    pub region: String,
    pub path_style: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_max_wait: Duration,
    pub credentials: S3Credentials,
    /// `AWS_CA_BUNDLE`: certificates trusted besides the system's, for an
    /// `https://` endpoint signed by a private CA (MinIO in a cluster).
    pub ca: Vec<reqwest::Certificate>,
}

/// Which credentials to sign with, in the AWS tools' order of precedence.
#[derive(Debug, Clone)]
pub enum S3Credentials {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`).
    Keys {
        access_key: String,
        secret_key: Secret,
        session_token: Option<Secret>,
    },
    /// A profile of the shared credentials file; `explicit` when named by
    /// `AWS_PROFILE` (then it must exist), else `default` (else anonymous).
    Profile {
        file: PathBuf,
        name: String,
        explicit: bool,
    },
    Anonymous,
}

/// Download `s3://bucket/key`, at most `max_bytes` of it.
pub fn fetch(bucket: &str, key: &str, cfg: &S3Options, max_bytes: u64) -> Result<Vec<u8>> {
    let origin = format!("s3://{bucket}/{key}");
    let (credentials, cred_source) = credentials(&cfg.credentials)?;
    let anonymous = credentials.secret_key.is_none();
    let region = match &cfg.endpoint {
        Some(ep) => Region::Custom {
            region: cfg.region.clone(),
            endpoint: ep.as_str().trim_end_matches('/').to_string(),
        },
        None => cfg.region.parse().or_fail(Exit::Usage, |_| {
            format!("--s3-region {:?}: not a known region", cfg.region)
        })?,
    };
    let where_ = cfg.endpoint.as_ref().map_or_else(
        || format!("AWS region {}", cfg.region),
        |u| redact::url(u).trim_end_matches('/').to_string(),
    );
    let setup = |e: S3Error| format!("{origin}: cannot set up the S3 client: {}", s3_reason(&e));
    let handle = Bucket::new(bucket, region, credentials).or_fail(Exit::Usage, setup)?;
    let handle = if cfg.path_style {
        handle.with_path_style()
    } else {
        handle
    };
    let http = net::HttpOptions {
        timeout: cfg.timeout,
        retries: cfg.retries,
        retry_max_wait: cfg.retry_max_wait,
        // The signature is in the URL's query.
        auth: net::Auth::None,
        tls: net::Tls {
            ca: cfg.ca.clone(),
            ..net::Tls::default()
        },
        deadline: None,
    };
    let object = signed_url(&handle, anonymous, &format!("/{key}"), None, cfg)
        .or_fail(Exit::Usage, setup)?;
    let client = net::client(&http, object.scheme() == "https")?;
    let get = |url: Url| {
        let req = net::Request {
            method: Method::GET,
            url,
            shown: &origin,
            peer: "S3",
            url_hint: "S3 redirects elsewhere, which is not followed: point --s3-endpoint and --s3-region at where the bucket lives",
            body: None,
            max_answer: net::ANSWER_LIMIT,
        };
        // Every way S3 can fail to give the object is "source unreadable".
        net::fetch(&client, &http, &req, max_bytes)
            .map_err(|e| fail(Exit::Source, anyhow!("{e:#} (endpoint {where_})")))
    };
    let describe = |status, body: &str| explain(status, body, &origin, &where_, &cred_source);
    match get(object)? {
        Fetched::Body(bytes) if bytes.len() as u64 > max_bytes => Err(super::too_large(
            &format!("{origin} is larger than"),
            max_bytes,
            "; the download was stopped there",
        )),
        Fetched::Body(bytes) => Ok(bytes),
        Fetched::Refused { status: 404, text } => {
            // Some stores answer a missing bucket with NoSuchKey; a
            // one-key listing tells the two apart.
            let listing = signed_url(&handle, anonymous, "/", Some(("max-keys", "1")), cfg)
                .or_fail(Exit::Usage, setup)?;
            let text = match get(listing) {
                Ok(Fetched::Refused { status: 404, text }) => text,
                _ => text,
            };
            Err(fail(Exit::Source, anyhow!(describe(404, &text))))
        }
        Fetched::Refused { status, text } => {
            Err(fail(Exit::Source, anyhow!(describe(status, &text))))
        }
    }
}

/// The URL of a GET of `path` in the bucket with `query`: presigned, valid
/// for as long as every attempt and wait may take, or plain when anonymous.
fn signed_url(
    handle: &Bucket,
    anonymous: bool,
    path: &str,
    query: Option<(&str, &str)>,
    cfg: &S3Options,
) -> Result<Url, S3Error> {
    let raw = if anonymous {
        let mut url = format!(
            "{}/{}",
            handle.url(),
            s3::signing::uri_encode(&path[1..], false)
        );
        if let Some((k, v)) = query {
            url.push_str(&format!("?{k}={v}"));
        }
        url
    } else {
        let attempts = cfg.retries.saturating_add(1);
        let longest = cfg.timeout.saturating_mul(attempts)
            + cfg.retry_max_wait.saturating_mul(cfg.retries)
            + Duration::from_secs(60);
        let expiry = u32::try_from(longest.as_secs())
            .unwrap_or(u32::MAX)
            .min(604_800);
        let query = query.map(|(k, v)| [(k.to_string(), v.to_string())].into_iter().collect());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(S3Error::Io)?;
        runtime.block_on(handle.presign_get(path, expiry, query))?
    };
    Ok(Url::parse(&raw)?)
}

/// Build the resolved credentials, and say where they came from.
fn credentials(which: &S3Credentials) -> Result<(Credentials, String)> {
    let built = match which {
        S3Credentials::Keys {
            access_key,
            secret_key,
            session_token,
        } => Credentials::new(
            Some(access_key),
            Some(secret_key.expose()),
            None,
            session_token.as_ref().map(Secret::expose),
            None,
        )
        .map(|c| {
            (
                c,
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment".to_string(),
            )
        }),
        S3Credentials::Profile {
            file,
            name,
            explicit,
        } => match Credentials::from_credentials_file(file, Some(name)) {
            Ok(c) => Ok((c, format!("profile {name:?} of {}", file.display()))),
            // Only an explicitly chosen profile must exist.
            Err(_) if *explicit => {
                return Err(fail(
                    Exit::Usage,
                    anyhow!(
                        "AWS_PROFILE={name}: no usable profile {name:?} (aws_access_key_id and aws_secret_access_key) in {}",
                        file.display()
                    ),
                ))
            }
            Err(_) => return credentials(&S3Credentials::Anonymous),
        },
        S3Credentials::Anonymous => Credentials::anonymous()
            .map(|c| (c, "no credentials (an anonymous request)".to_string())),
    };
    built.map_err(|_| anyhow!("cannot build the S3 credentials"))
}

/// One line for an S3 failure: what went wrong and what to do.
fn explain(status: u16, body: &str, origin: &str, where_: &str, cred_source: &str) -> String {
    let code = xml_tag(body, "Code").unwrap_or_default();
    match (status, code.as_str()) {
        (_, "NoSuchBucket") => {
            let bucket = origin.trim_start_matches("s3://").split('/').next().unwrap_or_default();
            format!("{origin}: no such bucket {bucket:?} at {where_}")
        }
        (_, "InvalidBucketName") => {
            let bucket = origin.trim_start_matches("s3://").split('/').next().unwrap_or_default();
            format!("{origin}: {bucket:?} is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)")
        }
        (_, "NoSuchKey") | (404, "") => format!("{origin}: no such key at {where_}"),
        (_, "SignatureDoesNotMatch") => format!(
            "{origin}: the request signature was rejected (SignatureDoesNotMatch): the secret key does not match the access key; credentials used: {cred_source}"
        ),
        (_, "InvalidAccessKeyId") => format!("{origin}: the access key is not known to {where_} (InvalidAccessKeyId); credentials used: {cred_source}"),
        (401 | 403, c) => format!(
            "{origin}: access denied ({}HTTP {status}); credentials used: {cred_source}{}",
            if c.is_empty() { String::new() } else { format!("{c}, ") },
            if cred_source.starts_with("no credentials") {
                " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            } else {
                ""
            }
        ),
        (_, c) => {
            let msg = xml_tag(body, "Message").unwrap_or_default();
            format!("{origin}: S3 answered HTTP {status} {c} {msg}").trim_end().to_string()
        }
    }
}

/// rust-s3's message for an error, with any URL query (which could carry a
/// presigned signature) cut off.
fn s3_reason(e: &S3Error) -> String {
    let s = e.to_string();
    match s.find('?') {
        Some(i) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_codes() {
        let body =
            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
        assert_eq!(xml_tag(body, "Code").as_deref(), Some("NoSuchKey"));
        assert_eq!(xml_tag(body, "Message").as_deref(), Some("gone"));
        assert_eq!(xml_tag("nope", "Code"), None);
    }
}
