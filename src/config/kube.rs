//! `argo://` sources: where the Kubernetes API is and where the pod's
//! service account is mounted, from the variables every pod gets
//! (`KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`) and
//! `SIMPLEPIPE_SERVICE_ACCOUNT_DIR` (tests, or a token mounted elsewhere).

use std::path::PathBuf;

use anyhow::Result;
use reqwest::Url;

use super::env_nonempty;
use crate::cli::NetArgs;
use crate::error::{bail_with, Exit};
use crate::source::argo::{ArgoOptions, SERVICE_ACCOUNT_DIR};

/// The variable that moves the service account's directory.
pub const ACCOUNT_DIR_VAR: &str = "SIMPLEPIPE_SERVICE_ACCOUNT_DIR";

/// The options of an `argo://` read; the variables are looked at only when
/// a source is one (`from_argo`), so a stray one never fails a local push.
pub fn argo_options(net: &NetArgs, from_argo: bool) -> Result<ArgoOptions> {
    let account = env_nonempty(ACCOUNT_DIR_VAR).unwrap_or_else(|| SERVICE_ACCOUNT_DIR.to_string());
    Ok(ArgoOptions {
        api: if from_argo { api()? } else { None },
        account: PathBuf::from(account),
        timeout: net.timeout,
        retries: net.retries,
        retry_max_wait: net.retry_max_wait,
    })
}

/// `https://HOST:PORT/`, as client-go builds it in a pod; `None` outside
/// one (the read then says so, exit 3).
fn api() -> Result<Option<Url>> {
    let Some(host) = env_nonempty("KUBERNETES_SERVICE_HOST") else {
        return Ok(None);
    };
    let raw_port = env_nonempty("KUBERNETES_SERVICE_PORT").unwrap_or_else(|| "443".to_string());
    let Ok(port) = raw_port.parse::<u16>() else {
        bail_with!(
            Exit::Usage,
            "KUBERNETES_SERVICE_PORT={raw_port:?}: expected a port number"
        );
    };
    // An IPv6 address goes in brackets.
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    match Url::parse(&format!("https://{host}:{port}/")) {
        Ok(url) if url.path() == "/" && url.query().is_none() => Ok(Some(url)),
        _ => bail_with!(
            Exit::Usage,
            "KUBERNETES_SERVICE_HOST={host:?}: expected a host name or address"
        ),
    }
}
