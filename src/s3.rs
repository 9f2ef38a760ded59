//! Stage 1, remote source: stream an object from MinIO or any S3-compatible
//! store, stopping past `--max-bytes`.
//!
//! Configuration follows the AWS tools' conventions (see
//! [`crate::config::S3Config`]): credentials come from `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the shared
//! credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`,
//! profile `AWS_PROFILE` or `default`), else an anonymous request. Errors
//! say which credential source was used, never a value: rust-s3's own
//! `Credentials` derives `Debug` with the secret in it, so it is never
//! formatted here.
//!
//! rust-s3 is async; one current-thread tokio runtime is built for the
//! download only, since the rest of simplepipe is a straight line.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use futures_util::StreamExt;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};

use crate::bail_with;
use crate::config::S3Config;
use crate::error::{fail, Exit};
use crate::{net, redact};

/// Download `s3://bucket/key`, at most `max_bytes` of it.
pub fn fetch(bucket: &str, key: &str, cfg: &S3Config, max_bytes: u64) -> Result<Vec<u8>> {
    let origin = format!("s3://{bucket}/{key}");
    let (credentials, cred_source) = credentials()?;
    let region = match &cfg.endpoint {
        Some(ep) => Region::Custom {
            region: cfg.region.clone(),
            endpoint: ep.as_str().trim_end_matches('/').to_string(),
        },
        None => cfg.region.parse().map_err(|_| {
            fail(
                Exit::Usage,
                anyhow!("--s3-region {:?}: not a known region", cfg.region),
            )
        })?,
    };
    let where_ = cfg.endpoint.as_ref().map_or_else(
        || format!("AWS region {}", cfg.region),
        |u| redact::url(u).trim_end_matches('/').to_string(),
    );
    let bucket_handle = Bucket::new(bucket, region, credentials).map_err(|e| {
        fail(
            Exit::Usage,
            anyhow!("{origin}: cannot set up the S3 client: {}", s3_reason(&e)),
        )
    })?;
    let bucket_handle = if cfg.path_style {
        bucket_handle.with_path_style()
    } else {
        bucket_handle
    };
    let bucket_handle = bucket_handle
        .with_request_timeout(cfg.timeout)
        .map_err(|e| {
            fail(
                Exit::Usage,
                anyhow!("{origin}: cannot set up the S3 client: {}", s3_reason(&e)),
            )
        })?;
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
                    S3Error::HttpFailWithBody(404, _) => match bucket_handle.list_page(String::new(), None, None, None, Some(1)).await {
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
            let chunk = chunk.map_err(|e| fail(Exit::Source, anyhow!(describe(&e))))?;
            if (buf.len() + chunk.len()) as u64 > max_bytes {
                bail_with!(
                    Exit::Source,
                    "{origin} is larger than --max-bytes ({max_bytes} bytes); the download was stopped there (raise --max-bytes if the artifact really is that big)"
                );
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    })
}

/// Resolve credentials the way the AWS tools do, and say where they came from.
fn credentials() -> Result<(Credentials, String)> {
    let set = crate::config::env_nonempty;
    if set("AWS_ACCESS_KEY_ID").is_some() {
        if set("AWS_SECRET_ACCESS_KEY").is_none() {
            bail_with!(
                Exit::Usage,
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
            );
        }
        let c = Credentials::from_env().map_err(|_| {
            fail(
                Exit::Usage,
                anyhow!("cannot read AWS credentials from the environment"),
            )
        })?;
        return Ok((
            c,
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment".to_string(),
        ));
    }
    let file = set("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")));
    let profile = set("AWS_PROFILE");
    if let Some(file) = file.filter(|f| f.is_file()) {
        let name = profile.clone().unwrap_or_else(|| "default".to_string());
        match Credentials::from_credentials_file(&file, Some(&name)) {
            Ok(c) => return Ok((c, format!("profile {name:?} of {}", file.display()))),
            // Only an explicitly chosen profile must exist.
            Err(_) if profile.is_some() => bail_with!(
                Exit::Usage,
                "AWS_PROFILE={name}: no usable profile {name:?} (aws_access_key_id and aws_secret_access_key) in {}",
                file.display()
            ),
            Err(_) => {}
        }
    } else if let Some(name) = profile {
        bail_with!(
            Exit::Usage,
            "AWS_PROFILE={name} is set but there is no shared credentials file"
        );
    }
    let c =
        Credentials::anonymous().map_err(|_| anyhow!("cannot build anonymous S3 credentials"))?;
    Ok((c, "no credentials (an anonymous request)".to_string()))
}

/// One line for an S3 failure: what went wrong and what to do.
fn explain(e: &S3Error, origin: &str, where_: &str, cred_source: &str, cfg: &S3Config) -> String {
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
