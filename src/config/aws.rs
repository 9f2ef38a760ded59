//! S3 options from flags and the AWS tools' variables, in their order of
//! precedence: endpoint (`--s3-endpoint`, `AWS_ENDPOINT_URL_S3`,
//! `AWS_ENDPOINT_URL`), region, addressing style, which credentials
//! (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else a profile of the
//! shared credentials file, else none), and `AWS_CA_BUNDLE`.

use std::path::PathBuf;

use anyhow::Result;
use reqwest::Url;

use super::env_nonempty;
use crate::cli::{ArtifactArgs, NetArgs};
use crate::error::{bail_with, Exit};
use crate::redact::Secret;
use crate::source::s3::{S3Credentials, S3Options};

/// The S3 options; credentials are resolved only when the source is S3
/// (`from_s3`), so a stray AWS variable never fails a local push.
pub fn s3_options(args: &ArtifactArgs, net: &NetArgs, from_s3: bool) -> Result<S3Options> {
    let endpoint = args
        .s3_endpoint
        .clone()
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL"));
    let endpoint = match endpoint {
        None => None,
        Some(raw) => {
            super::target::refuse_mistyped("--s3-endpoint", &raw, "http://minio.argo:9000")?;
            let url = Url::parse(&raw)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            match url {
                Some(u) => Some(u),
                None => bail_with!(
                    Exit::Usage,
                    "--s3-endpoint {}: expected an http:// or https:// URL, e.g. http://minio.argo:9000",
                    crate::redact::url_str(&raw)
                ),
            }
        }
    };
    let region = args
        .s3_region
        .clone()
        .or_else(|| env_nonempty("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_string());
    let path_style = if endpoint.is_some() {
        !args.s3_virtual_host
    } else {
        args.s3_path_style
    };
    Ok(S3Options {
        endpoint,
        region,
        path_style,
        timeout: net.timeout,
        retries: net.retries,
        retry_max_wait: net.retry_max_wait,
        credentials: if from_s3 {
            credentials()?
        } else {
            S3Credentials::Anonymous
        },
        ca: match env_nonempty("AWS_CA_BUNDLE") {
            Some(path) if from_s3 => super::credentials::ca_bundle("AWS_CA_BUNDLE", path.as_ref())?,
            _ => Vec::new(),
        },
    })
}

/// Which credentials, the way the AWS tools choose them.
fn credentials() -> Result<S3Credentials> {
    if let Some(access_key) = env_nonempty("AWS_ACCESS_KEY_ID") {
        let Some(secret_key) = env_nonempty("AWS_SECRET_ACCESS_KEY") else {
            bail_with!(
                Exit::Usage,
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
            );
        };
        return Ok(S3Credentials::Keys {
            access_key,
            secret_key: Secret::new(secret_key),
            session_token: env_nonempty("AWS_SESSION_TOKEN").map(Secret::new),
        });
    }
    let file = env_nonempty("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")));
    let profile = env_nonempty("AWS_PROFILE");
    match (file.filter(|f| f.is_file()), profile) {
        (Some(file), profile) => Ok(S3Credentials::Profile {
            file,
            explicit: profile.is_some(),
            name: profile.unwrap_or_else(|| "default".to_string()),
        }),
        (None, Some(name)) => bail_with!(
            Exit::Usage,
            "AWS_PROFILE={name} is set but there is no shared credentials file"
        ),
        (None, None) => Ok(S3Credentials::Anonymous),
    }
}
