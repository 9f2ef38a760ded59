//! Remote source: stream an object from MinIO or any S3-compatible store,
//! stopping past `--max-bytes`.
//!
//! Configuration follows the AWS tools' conventions; config resolves them
//! into [`S3Options`] (which credentials: the environment's keys, a profile
//! of the shared credentials file, or none). Errors say which credential
//! source was used, never a value: rust-s3's own `Credentials` derives
//! `Debug` with the secret in it, so it is never formatted here.
//!
//! rust-s3 is async; one current-thread tokio runtime is built for the
//! download only, since the rest of simplepipe is a straight line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use futures_util::StreamExt;
use reqwest::Url;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};

use crate::error::{fail, Exit, ExitContext};
use crate::net;
use crate::redact::{self, Secret};

/// Where and how to reach S3, resolved from flags and the AWS variables.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub endpoint: Option<Url>,
    pub region: String,
    pub path_style: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub credentials: S3Credentials,
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
    let bucket_handle = Bucket::new(bucket, region, credentials).or_fail(Exit::Usage, setup)?;
    let bucket_handle = if cfg.path_style {
        bucket_handle.with_path_style()
    } else {
        bucket_handle
    };
    let bucket_handle = bucket_handle
        .with_request_timeout(cfg.timeout)
        .or_fail(Exit::Usage, setup)?;
    s3::set_retries(cfg.retries.min(u8::MAX as u32) as u8);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the S3 client runtime: {e}"))?;
    let describe = |e: &S3Error| explain(e, &origin, &where_, &cred_source, cfg);
    runtime.block_on(async {
        let mut stream = match bucket_handle.get_object_stream(key).await {
            Ok(s) => s,
            Err(e) => {
                // Some stores answer a missing bucket with NoSuchKey; a
                // one-key listing tells the two apart.
                let e = match &e {
                    S3Error::HttpFailWithBody(404, _) => match bucket_handle
                        .list_page(String::new(), None, None, None, Some(1))
                        .await
                    {
                        Err(list_err @ S3Error::HttpFailWithBody(404, _)) => list_err,
                        _ => e,
                    },
                    _ => e,
                };
                return Err(fail(Exit::Source, anyhow!(describe(&e))));
            }
        };
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.bytes().next().await {
            let chunk = chunk.or_fail(Exit::Source, |e| describe(&e))?;
            if (buf.len() + chunk.len()) as u64 > max_bytes {
                return Err(super::too_large(
                    &format!("{origin} is larger than"),
                    max_bytes,
                    "; the download was stopped there",
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    })
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
fn explain(e: &S3Error, origin: &str, where_: &str, cred_source: &str, cfg: &S3Options) -> String {
    match e {
        S3Error::HttpFailWithBody(status, body) => {
            let code = xml_tag(body, "Code").unwrap_or_default();
            match (*status, code.as_str()) {
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
        S3Error::Reqwest(re) => {
            let (reason, _) = net::describe(re, cfg.timeout, "S3");
            format!("{origin}: {reason} (endpoint {where_})")
        }
        other => format!("{origin}: {}", s3_reason(other)),
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
