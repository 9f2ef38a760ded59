//! Credentials and TLS for a server, and the HTTP options every sink shares.
//!
//! Passwords and tokens come from files or variables, never from flags
//! (flags show in process lists). URL userinfo is moved out of the URL, so
//! the URL can be shown and logged freely from here on. Secrets are wrapped
//! in [`Secret`] as soon as they are read.

use std::path::Path;

use anyhow::Result;
use percent_encoding::percent_decode_str;
use reqwest::Url;

use super::{env_nonempty, seconds};
use crate::cli::{GatewayArgs, NetArgs};
use crate::error::{bail_with, Exit, ExitContext};
use crate::net::{Auth, CredentialSource, HttpOptions, Tls};
use crate::redact::Secret;
use crate::report;

/// Timeouts, retries, credentials and TLS for one server. Credentials in
/// `url` are moved out of it.
pub fn http(args: &GatewayArgs, net: &NetArgs, url: Option<&mut Url>) -> Result<HttpOptions> {
    let auth = auth(args, url)?;
    Ok(HttpOptions {
        timeout: seconds("--timeout", net.timeout)?,
        retries: net.retries,
        retry_max_wait: seconds("--retry-max-wait", net.retry_max_wait)?,
        auth,
        tls: tls(args)?,
    })
}

fn auth(args: &GatewayArgs, url: Option<&mut Url>) -> Result<Auth> {
    let mut found = Vec::new();
    if let Some(url) = url {
        if !url.username().is_empty() || url.password().is_some() {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            found.push(Auth::Basic {
                username: decode(url.username()),
                password: Secret::new(decode(url.password().unwrap_or_default())),
                from: CredentialSource::Url,
            });
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
    }
    let password = secret(
        "--password-file",
        args.password_file.as_deref(),
        "SIMPLEPIPE_PASSWORD",
    )?;
    match (&args.username, password) {
        (Some(username), Some((password, from))) => found.push(Auth::Basic {
            username: username.clone(),
            password,
            from,
        }),
        (Some(_), None) => bail_with!(
            Exit::Usage,
            "--username is set but no password: use --password-file PATH or set SIMPLEPIPE_PASSWORD (passwords are never taken as flags)"
        ),
        (None, Some((_, from))) => bail_with!(Exit::Usage, "a password is set ({from}) but no --username"),
        (None, None) => {}
    }
    if let Some((token, from)) = secret(
        "--bearer-token-file",
        args.bearer_token_file.as_deref(),
        "SIMPLEPIPE_BEARER_TOKEN",
    )? {
        found.push(Auth::Bearer { token, from });
    }
    if found.len() > 1 {
        let all: Vec<String> = found.iter().map(Auth::describe).collect();
        bail_with!(
            Exit::Usage,
            "more than one set of gateway credentials: {}; keep one",
            all.join(", ")
        );
    }
    Ok(found.pop().unwrap_or(Auth::None))
}

/// A secret from the file named by `option`, else from the variable `var`.
fn secret(
    option: &'static str,
    file: Option<&Path>,
    var: &'static str,
) -> Result<Option<(Secret, CredentialSource)>> {
    if let Some(path) = file {
        let from = CredentialSource::File {
            option,
            path: path.to_path_buf(),
        };
        return Ok(Some((read_secret(option, path)?, from)));
    }
    Ok(env_nonempty(var).map(|v| (Secret::new(v), CredentialSource::Env(var))))
}

fn read_secret(option: &str, path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path).or_fail(Exit::Usage, |e| {
        format!("cannot read {option} {}: {}", path.display(), e.kind())
    })?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        bail_with!(Exit::Usage, "{option} {} is empty", path.display());
    }
    Ok(Secret::new(value))
}

fn tls(args: &GatewayArgs) -> Result<Tls> {
    let read = |option: &str, path: &Path| {
        std::fs::read(path).or_fail(Exit::Usage, |e| {
            format!("cannot read {option} {}: {}", path.display(), e.kind())
        })
    };
    let mut ca = Vec::new();
    if let Some(path) = &args.cacert {
        let pem = read("--cacert", path)?;
        ca = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
        if ca.is_empty() {
            bail_with!(
                Exit::Usage,
                "--cacert {}: no PEM certificate found in it",
                path.display()
            );
        }
    }
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let mut pem = read("--cert", cert)?;
            pem.push(b'\n');
            pem.extend(read("--key", key)?);
            Some(reqwest::Identity::from_pem(&pem).or_fail(Exit::Usage, |_| {
                format!(
                    "--cert {} / --key {}: expected a PEM certificate and its PEM private key",
                    cert.display(),
                    key.display()
                )
            })?)
        }
        _ => None,
    };
    if args.insecure_skip_verify {
        report::info("WARNING: --insecure-skip-verify: the gateway's TLS certificate is NOT checked; anyone on the network path can read and alter what is pushed");
    }
    Ok(Tls {
        ca,
        identity,
        insecure: args.insecure_skip_verify,
    })
}
