//! Credentials and TLS for a server, and the HTTP options every sink shares.
//!
//! Passwords and tokens come from files or variables, never from flags
//! (flags show in process lists). URL userinfo is moved out of the URL, so
//! the URL can be shown and logged freely from here on. Secrets are wrapped
//! in [`Secret`] as soon as they are read. Each destination names where its
//! own credentials come from ([`AuthFrom`]); the unprefixed options are the
//! gateway's, or the only destination's.

use std::path::Path;

use anyhow::Result;
use percent_encoding::percent_decode_str;
use reqwest::Url;

use super::env_nonempty;
use crate::cli::{ConnectionArgs, NetArgs};
use crate::error::{bail_with, Exit, ExitContext};
use crate::net::{Auth, CredentialSource, HttpOptions, Tls};
use crate::redact::Secret;
use crate::report;

/// Where one set of a destination's credentials may come from: a user
/// name with a password (file option or variable), and a bearer token
/// (file option or variable).
#[derive(Debug, Clone, Copy)]
pub struct AuthFrom<'a> {
    pub username: Option<&'a str>,
    pub username_option: &'static str,
    pub password_file: Option<&'a Path>,
    pub password_option: &'static str,
    pub password_var: &'static str,
    /// Absent where the destination takes no bearer token.
    pub bearer: Option<(Option<&'a Path>, &'static str, &'static str)>,
}

impl<'a> AuthFrom<'a> {
    /// The unprefixed options: the Pushgateway's, or the only destination's.
    pub fn shared(conn: &'a ConnectionArgs) -> AuthFrom<'a> {
        AuthFrom {
            username: conn.username.as_deref(),
            username_option: "--username",
            password_file: conn.password_file.as_deref(),
            password_option: "--password-file",
            password_var: "SIMPLEPIPE_PASSWORD",
            bearer: Some((
                conn.bearer_token_file.as_deref(),
                "--bearer-token-file",
                "SIMPLEPIPE_BEARER_TOKEN",
            )),
        }
    }
}

/// Whether any of the unprefixed credentials is given.
pub fn shared_given(conn: &ConnectionArgs) -> bool {
    conn.username.is_some()
        || conn.password_file.is_some()
        || conn.bearer_token_file.is_some()
        || env_nonempty("SIMPLEPIPE_PASSWORD").is_some()
        || env_nonempty("SIMPLEPIPE_BEARER_TOKEN").is_some()
}

/// Timeouts, retries, credentials (from the URL and each of `from`) and TLS
/// for one server. Credentials in `url` are moved out of it.
pub fn http(
    conn: &ConnectionArgs,
    net: &NetArgs,
    url: Option<&mut Url>,
    from: &[AuthFrom],
) -> Result<HttpOptions> {
    let auth = auth(url, from)?;
    Ok(HttpOptions {
        timeout: net.timeout,
        retries: net.retries,
        retry_max_wait: net.retry_max_wait,
        auth,
        tls: tls(conn)?,
        deadline: None,
    })
}

fn auth(url: Option<&mut Url>, from: &[AuthFrom]) -> Result<Auth> {
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
    for f in from {
        found.extend(one_set(f)?);
    }
    if found.len() > 1 {
        let all: Vec<String> = found.iter().map(Auth::describe).collect();
        bail_with!(
            Exit::Usage,
            "more than one set of credentials for one server: {}; keep one",
            all.join(", ")
        );
    }
    Ok(found.pop().unwrap_or(Auth::None))
}

/// The credentials one [`AuthFrom`] gives: none, basic, bearer or both.
fn one_set(f: &AuthFrom) -> Result<Vec<Auth>> {
    let mut found = Vec::new();
    let password = secret(f.password_option, f.password_file, f.password_var)?;
    match (f.username, password) {
        (Some(username), Some((password, from))) => found.push(Auth::Basic {
            username: username.to_string(),
            password,
            from,
        }),
        (Some(_), None) => bail_with!(
            Exit::Usage,
            "{} is set but no password: use {} PATH or set {} (passwords are never taken as flags)",
            f.username_option,
            f.password_option,
            f.password_var
        ),
        (None, Some((_, from))) => {
            bail_with!(
                Exit::Usage,
                "a password is set ({from}) but no {}",
                f.username_option
            )
        }
        (None, None) => {}
    }
    if let Some((file, option, var)) = f.bearer {
        if let Some((token, from)) = secret(option, file, var)? {
            found.push(Auth::Bearer { token, from });
        }
    }
    Ok(found)
}

/// A secret from the file named by `option`, else from the variable `var`.
pub(super) fn secret(
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

/// The certificates of a PEM bundle named by `what` (`--cacert`,
/// `AWS_CA_BUNDLE`…): exit 2 when it can't be read or holds none.
pub fn ca_bundle(what: &str, path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let pem = std::fs::read(path).or_fail(Exit::Usage, |e| {
        format!("cannot read {what} {}: {}", path.display(), e.kind())
    })?;
    let ca = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
    if ca.is_empty() {
        bail_with!(
            Exit::Usage,
            "{what} {}: no PEM certificate found in it",
            path.display()
        );
    }
    Ok(ca)
}

fn tls(args: &ConnectionArgs) -> Result<Tls> {
    let read = |option: &str, path: &Path| {
        std::fs::read(path).or_fail(Exit::Usage, |e| {
            format!("cannot read {option} {}: {}", path.display(), e.kind())
        })
    };
    let ca = match &args.cacert {
        Some(path) => ca_bundle("--cacert", path)?,
        None => Vec::new(),
    };
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
    // Said once, however many destinations share the option.
    static WARNED: std::sync::Once = std::sync::Once::new();
    if args.insecure_skip_verify {
        WARNED.call_once(|| report::info("WARNING: --insecure-skip-verify: the servers' TLS certificates are NOT checked; anyone on the network path can read and alter what is pushed"));
    }
    Ok(Tls {
        ca,
        identity,
        insecure: args.insecure_skip_verify,
    })
}
