//! `argo://NAME` and `argo://NAMESPACE/NAME`: an Argo Workflow object read
//! from the Kubernetes API, for an exit handler to push the status of the
//! workflow it runs in.
//!
//! It reads the way every in-cluster client does: the API server from
//! `KUBERNETES_SERVICE_HOST` and `_PORT`, the pod's service account from
//! its mounted `token`, `ca.crt` and `namespace` (the namespace when the
//! source names none). Only that CA is trusted, as client-go does: the
//! system's store has nothing to say about the cluster's API server, and
//! loading it costs half a small push. The request goes through
//! [`crate::net`] (timeouts, retries, redaction); every failure, including
//! the API's own refusal with its `Status` message, is exit 3.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Result};
use reqwest::{Method, Url};

use crate::error::{fail, io_reason, Exit};
use crate::net::{self, Auth, CredentialSource, HttpOptions, Request, Tls};
use crate::redact::Secret;

/// Where the pod's service account is mounted.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

const CA_HINT: &str = " (the service account's ca.crt did not sign the API server's certificate)";
const FORBIDDEN_HINT: &str = "; the pod's service account needs `get` on workflows (the simplepipe-workflow-reader Role and RoleBinding in argo/base)";

/// How to reach the API server: the stage's own options, built by config.
#[derive(Debug, Clone)]
pub struct ArgoOptions {
    /// `https://HOST:PORT/` from `KUBERNETES_SERVICE_HOST` and `_PORT`;
    /// `None` outside a pod.
    pub api: Option<Url>,
    /// The service account's directory ([`SERVICE_ACCOUNT_DIR`] unless
    /// `SIMPLEPIPE_SERVICE_ACCOUNT_DIR` says otherwise).
    pub account: PathBuf,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_max_wait: Duration,
}

/// The Workflow `name` in `namespace` (default: the service account's), as
/// the API returns it, at most `max_bytes` of it.
/// `origin` names the source in messages.
pub fn fetch(
    origin: &str,
    namespace: Option<&str>,
    name: &str,
    opts: &ArgoOptions,
    max_bytes: u64,
) -> Result<Vec<u8>> {
    let unreadable = |e: anyhow::Error| fail(Exit::Source, anyhow!("cannot read {origin}: {e:#}"));
    let Some(api) = &opts.api else {
        return Err(unreadable(anyhow!(
            "KUBERNETES_SERVICE_HOST is not set: argo:// reads the Workflow from the Kubernetes API, from inside a pod"
        )));
    };
    let namespace = match namespace {
        Some(ns) => ns.to_string(),
        None => mounted(&opts.account, "namespace").map_err(unreadable)?,
    };
    let http = http(opts).map_err(unreadable)?;
    // Both names were checked by `Source::parse` (a namespace file's
    // content is checked here): the path can't be bent.
    if !super::is_dns_label(&namespace) {
        let file = opts.account.join("namespace");
        return Err(unreadable(anyhow!(
            "{}: {namespace:?} is not a namespace name",
            file.display()
        )));
    }
    let path = format!("apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}");
    let url = api.join(&path).map_err(|e| unreadable(anyhow!("{e}")))?;
    let shown = crate::redact::url(&url);
    let req = Request {
        method: Method::GET,
        url,
        shown: &shown,
        peer: "the Kubernetes API",
        url_hint: "is KUBERNETES_SERVICE_HOST the API server?",
        body: None,
        // Bounded by --max-bytes (send_limited), as every source is.
        max_answer: net::ANSWER_LIMIT,
    };
    let client = net::client(&http, false).map_err(unreadable)?;
    let answer = net::send_limited(&client, &http, &req, max_bytes).map_err(|e| {
        // net's words are for a server named by options; here the CA and
        // the permission come from the pod.
        let said = format!("{e:#}").replace(net::failure::CA_HINT, CA_HINT);
        let hint = if said.contains("(HTTP 403") {
            FORBIDDEN_HINT
        } else {
            ""
        };
        unreadable(anyhow!("{said}{hint}"))
    })?;
    Ok(answer.text.into_bytes())
}

/// Bearer token and CA from the service account, and the usual timeouts.
fn http(opts: &ArgoOptions) -> Result<HttpOptions> {
    let token_path = opts.account.join("token");
    let token = mounted(&opts.account, "token")?;
    let ca_path = opts.account.join("ca.crt");
    let pem = std::fs::read(&ca_path).map_err(|e| {
        anyhow!(
            "cannot read the cluster's CA {}: {}",
            ca_path.display(),
            io_reason(&e)
        )
    })?;
    let ca = reqwest::Certificate::from_pem_bundle(&pem)
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| anyhow!("{}: no PEM certificate in it", ca_path.display()))?;
    Ok(HttpOptions {
        timeout: opts.timeout,
        retries: opts.retries,
        retry_max_wait: opts.retry_max_wait,
        auth: Auth::Bearer {
            token: Secret::new(token),
            from: CredentialSource::File {
                option: "the service account's",
                path: token_path,
            },
        },
        tls: Tls {
            ca,
            identity: None,
            insecure: false,
        },
        deadline: None,
    })
}

/// One file of the mounted service account, trimmed.
fn mounted(dir: &Path, file: &str) -> Result<String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow!(
            "cannot read the service account's {file} {}: {} (is a service account token mounted in this pod?)",
            path.display(),
            io_reason(&e)
        )
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(anyhow!("{}: is empty", path.display()));
    }
    Ok(text.to_string())
}
