//! Typed configuration, resolved from the raw command line before any I/O.
//!
//! Later stages never see a raw string: a source is a [`Source`], the
//! gateway is a parsed URL, grouping and extra labels are checked name/value
//! pairs. Every mistake found here is a usage error (exit 2) that names the
//! option at fault, so nothing is read or sent with a half-valid setup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Result};
use reqwest::Url;

use crate::bail_with;
use crate::cli::{
    ArtifactArgs, BestEffort, Compress, DeleteArgs, GroupArgs, Method, NetArgs, PushArgs,
    ValidateArgs, WireFormat,
};
use crate::error::{fail, Exit};
use crate::model::{is_label_name, is_metric_name, parse_number};
use crate::redact::Secret;
use crate::schema::SchemaChoice;
use percent_encoding::percent_decode_str;

/// Where the artifact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
    /// `s3://BUCKET/KEY`; the key is taken verbatim (it may hold `/`,
    /// spaces, `+` and unicode).
    S3 {
        bucket: String,
        key: String,
    },
}

impl Source {
    pub fn parse(raw: &str) -> Result<Source> {
        if raw == "-" {
            return Ok(Source::Stdin);
        }
        let Some(rest) = raw.strip_prefix("s3://") else {
            return Ok(Source::Path(PathBuf::from(raw)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Source::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            _ => bail_with!(Exit::Usage, "{raw:?}: expected s3://BUCKET/KEY"),
        }
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(p) => p.display().to_string(),
            Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// Where and how to reach S3, resolved from flags and the AWS variables.
/// Credentials are resolved when they are needed, in [`crate::s3`].
#[derive(Debug, Clone)]
pub struct S3Config {
    pub endpoint: Option<Url>,
    pub region: String,
    pub path_style: bool,
    pub timeout: Duration,
    pub retries: u32,
}

/// How to read and check an artifact.
#[derive(Debug, Clone)]
pub struct ArtifactConfig {
    pub schema: Option<SchemaChoice>,
    pub max_bytes: u64,
    pub max_series: usize,
    pub member: Option<String>,
    pub s3: S3Config,
}

/// A Pushgateway group: the base URL (absent only in a dry run; never
/// carrying credentials, which move to [`Http::auth`]) and the grouping
/// labels, `job` first.
#[derive(Debug, Clone)]
pub struct Target {
    pub gateway: Option<Url>,
    pub grouping: Vec<(String, String)>,
    pub http: Http,
    pub best_effort: Option<BestEffort>,
}

/// Where credentials embedded in `--gateway` are said to come from.
pub const URL_CREDENTIALS: &str = "the gateway URL";

/// How to talk to the gateway.
#[derive(Debug, Clone)]
pub struct Http {
    pub timeout: Duration,
    pub retries: u32,
    pub retry_max_wait: Duration,
    pub auth: Auth,
    pub tls: Tls,
    pub verbose: bool,
}

/// Credentials for the gateway, with where they came from (for messages;
/// never the value).
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Basic {
        username: String,
        password: Secret,
        from: String,
    },
    Bearer {
        token: Secret,
        from: String,
    },
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
        }
    }
}

/// TLS settings, already loaded and parsed.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca: Vec<reqwest::Certificate>,
    pub identity: Option<reqwest::Identity>,
    pub insecure: bool,
}

impl Target {
    /// The grouping label names, for clash checks against series labels.
    pub fn grouping_names(&self) -> impl Iterator<Item = &str> {
        self.grouping.iter().map(|(k, _)| k.as_str())
    }
}

/// `--remote-write`: the endpoint (credentials moved to [`Http::auth`])
/// and the request size.
#[derive(Debug, Clone)]
pub struct RemoteWrite {
    pub url: Url,
    pub max_samples: usize,
}

#[derive(Debug, Clone)]
pub struct PushConfig {
    pub source: Option<Source>,
    pub artifact: ArtifactConfig,
    /// With `remote_write`, `target.gateway` is `None` and the grouping
    /// labels become labels on every series.
    pub target: Target,
    pub remote_write: Option<RemoteWrite>,
    pub method: Method,
    pub labels: Vec<(String, String)>,
    pub inline: Vec<(String, f64)>,
    /// Resolved: protobuf on the wire, text for a dry run, unless --format.
    pub format: WireFormat,
    pub compress: Compress,
    pub dry_run: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub struct ValidateConfig {
    pub source: Source,
    pub artifact: ArtifactConfig,
}

pub fn push(args: PushArgs, verbose: bool) -> Result<PushConfig> {
    let job = match (args.job_positional.clone(), args.group.job.clone()) {
        (Some(p), Some(o)) if p != o => bail_with!(
            Exit::Usage,
            "the job is given twice, as {p:?} (positional JOB) and {o:?} (--job or SIMPLEPIPE_JOB); give one"
        ),
        (p, o) => p.or(o),
    };
    let mut remote_write = match &args.remote_write {
        Some(raw) => Some(remote_write_url(raw)?),
        None => None,
    };
    if remote_write.is_some() {
        gateway_only(&args)?;
    }
    let target = target(
        &args.group,
        &args.net,
        job,
        args.dry_run,
        verbose,
        remote_write.as_mut(),
    )?;
    let labels = pairs("--label", &args.labels)?;
    for (name, _) in &labels {
        if target.grouping_names().any(|g| g == name) {
            bail_with!(
                Exit::Usage,
                "--label {name}: `{name}` is also a grouping label, and the Pushgateway would overwrite it; drop one of them"
            );
        }
    }
    let inline = args
        .metrics
        .iter()
        .map(|raw| inline_metric(raw))
        .collect::<Result<Vec<_>>>()?;
    let source = args.source.as_deref().map(Source::parse).transpose()?;
    if source.is_none() && inline.is_empty() {
        bail_with!(
            Exit::Usage,
            "nothing to push: give a SOURCE (a path, or - for stdin) or at least one --metric NAME=VALUE"
        );
    }
    Ok(PushConfig {
        source,
        artifact: artifact(&args.artifact, &args.net)?,
        target,
        remote_write: remote_write.map(|url| RemoteWrite {
            url,
            max_samples: usize::try_from(args.max_samples_per_request).unwrap_or(usize::MAX),
        }),
        method: args.method,
        labels,
        inline,
        format: args.format.unwrap_or(if args.dry_run {
            WireFormat::Text
        } else {
            WireFormat::Protobuf
        }),
        compress: args.compress,
        dry_run: args.dry_run,
        quiet: args.quiet,
    })
}

pub fn validate(args: ValidateArgs) -> Result<ValidateConfig> {
    Ok(ValidateConfig {
        source: Source::parse(&args.source)?,
        artifact: artifact(&args.artifact, &args.net)?,
    })
}

pub fn delete(args: &DeleteArgs, verbose: bool) -> Result<Target> {
    target(
        &args.group,
        &args.net,
        args.group.job.clone(),
        args.dry_run,
        verbose,
        None,
    )
}

/// The remote-write endpoint, given in full (scheme, host and path).
fn remote_write_url(raw: &str) -> Result<Url> {
    let shown = crate::redact::url_str(raw);
    let url = Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    match url {
        Some(url) => Ok(url),
        None => bail_with!(
            Exit::Usage,
            "--remote-write {shown}: expected the receiver's full http:// or https:// endpoint, e.g. http://prometheus:9090/api/v1/write"
        ),
    }
}

/// With --remote-write, the Pushgateway's own options are mistakes: say so
/// rather than ignore them.
fn gateway_only(args: &PushArgs) -> Result<()> {
    let gateway = if args.group.gateway.is_some() {
        Some("--gateway (or SIMPLEPIPE_GATEWAY)")
    } else if env_nonempty("PUSH_GATEWAY_HOSTNAME").is_some() {
        Some("PUSH_GATEWAY_HOSTNAME")
    } else {
        None
    };
    if let Some(g) = gateway {
        bail_with!(
            Exit::Usage,
            "--remote-write and {g} are both given; give one destination"
        );
    }
    if args.method == Method::Post {
        bail_with!(
            Exit::Usage,
            "--method post applies to the Pushgateway; remote write appends samples and has no groups to replace"
        );
    }
    if args.format.is_some() || args.compress != Compress::None {
        bail_with!(
            Exit::Usage,
            "--format and --compress apply to the Pushgateway; remote write is always snappy-compressed protobuf"
        );
    }
    Ok(())
}

fn artifact(args: &ArtifactArgs, net: &NetArgs) -> Result<ArtifactConfig> {
    // The AWS tools' variables, in their order of precedence.
    let endpoint = args
        .s3_endpoint
        .clone()
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env_nonempty("AWS_ENDPOINT_URL"));
    let endpoint = match endpoint {
        None => None,
        Some(raw) => {
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
    Ok(ArtifactConfig {
        schema: args.schema.as_deref().map(SchemaChoice::parse),
        max_bytes: args.max_bytes,
        max_series: args.max_series,
        member: args.member.clone(),
        s3: S3Config {
            endpoint,
            region,
            path_style,
            timeout: seconds("--timeout", net.timeout)?,
            retries: net.retries,
        },
    })
}

/// An environment variable, with empty meaning unset (as everywhere here).
pub(crate) fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn target(
    args: &GroupArgs,
    net: &NetArgs,
    job: Option<String>,
    dry_run: bool,
    verbose: bool,
    remote_write: Option<&mut Url>,
) -> Result<Target> {
    // PUSH_GATEWAY_HOSTNAME is what the original Simplepipe read; clap can
    // only attach one variable to an option, so the fallback lives here.
    let raw = args
        .gateway
        .clone()
        .or_else(|| env_nonempty("PUSH_GATEWAY_HOSTNAME"));
    let mut gateway = match raw {
        Some(raw) => Some(gateway_url(&raw)?),
        None if dry_run || remote_write.is_some() => None,
        None => bail_with!(
            Exit::Usage,
            "no Pushgateway given: pass --gateway URL or set SIMPLEPIPE_GATEWAY (e.g. http://pushgateway:9091)"
        ),
    };
    let Some(job) = job.filter(|j| !j.is_empty()) else {
        bail_with!(
            Exit::Usage,
            "no job given: pass JOB, --job JOB or set SIMPLEPIPE_JOB (the grouping label `job` is required)"
        );
    };
    let mut grouping = vec![("job".to_string(), job)];
    if let Some(user) = &args.user {
        grouping.push(("user".to_string(), user.clone()));
    }
    for (name, value) in pairs("--group", &args.groups)? {
        if name.starts_with("__") {
            bail_with!(
                Exit::Usage,
                "--group {name}: names starting with `__` are reserved by Prometheus"
            );
        }
        if let Some((_, prev)) = grouping.iter().find(|(k, _)| *k == name) {
            let hint = match name.as_str() {
                "job" => " (use --job)",
                "user" => " (use --user)",
                _ => "",
            };
            bail_with!(
                Exit::Usage,
                "--group {name}={value}: `{name}` is already in the grouping key as {prev:?}{hint}"
            );
        }
        grouping.push((name, value));
    }
    let auth = auth(args, gateway.as_mut().or(remote_write))?;
    Ok(Target {
        gateway,
        grouping,
        http: Http {
            timeout: seconds("--timeout", net.timeout)?,
            retries: net.retries,
            retry_max_wait: seconds("--retry-max-wait", net.retry_max_wait)?,
            auth,
            tls: tls(args)?,
            verbose,
        },
        best_effort: args.best_effort,
    })
}

fn seconds(option: &str, v: f64) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v < 1e9) {
        bail_with!(
            Exit::Usage,
            "{option} {v}: expected a positive number of seconds"
        );
    }
    Ok(Duration::from_secs_f64(v))
}

/// Resolve credentials. URL userinfo is moved out of the URL, so that the
/// URL can be shown and logged freely from here on.
fn auth(args: &GroupArgs, gateway: Option<&mut Url>) -> Result<Auth> {
    let mut found = Vec::new();
    if let Some(url) = gateway {
        if !url.username().is_empty() || url.password().is_some() {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            found.push(Auth::Basic {
                username: decode(url.username()),
                password: Secret::new(decode(url.password().unwrap_or_default())),
                from: URL_CREDENTIALS.to_string(),
            });
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
    }
    let password = match (&args.password_file, env_secret("SIMPLEPIPE_PASSWORD")) {
        (Some(path), _) => Some((
            read_secret("--password-file", path)?,
            format!("--password-file {}", path.display()),
        )),
        (None, Some(p)) => Some((p, "SIMPLEPIPE_PASSWORD".to_string())),
        (None, None) => None,
    };
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
    match (
        &args.bearer_token_file,
        env_secret("SIMPLEPIPE_BEARER_TOKEN"),
    ) {
        (Some(path), _) => found.push(Auth::Bearer {
            token: read_secret("--bearer-token-file", path)?,
            from: format!("--bearer-token-file {}", path.display()),
        }),
        (None, Some(token)) => found.push(Auth::Bearer {
            token,
            from: "SIMPLEPIPE_BEARER_TOKEN".to_string(),
        }),
        (None, None) => {}
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

fn env_secret(name: &str) -> Option<Secret> {
    env_nonempty(name).map(Secret::new)
}

fn read_secret(option: &str, path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(
            Exit::Usage,
            anyhow!("cannot read {option} {}: {}", path.display(), e.kind()),
        )
    })?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        bail_with!(Exit::Usage, "{option} {} is empty", path.display());
    }
    Ok(Secret::new(value))
}

fn tls(args: &GroupArgs) -> Result<Tls> {
    let read = |option: &str, path: &Path| {
        std::fs::read(path).map_err(|e| {
            fail(
                Exit::Usage,
                anyhow!("cannot read {option} {}: {}", path.display(), e.kind()),
            )
        })
    };
    let mut ca = Vec::new();
    if let Some(path) = &args.cacert {
        let pem = read("--cacert", path)?;
        ca = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
            fail(
                Exit::Usage,
                anyhow!(
                    "--cacert {}: no PEM certificate found in it",
                    path.display()
                ),
            )
        })?;
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
            Some(reqwest::Identity::from_pem(&pem).map_err(|_| {
                fail(
                    Exit::Usage,
                    anyhow!(
                        "--cert {} / --key {}: expected a PEM certificate and its PEM private key",
                        cert.display(),
                        key.display()
                    ),
                )
            })?)
        }
        _ => None,
    };
    if args.insecure_skip_verify {
        eprintln!("simplepipe: WARNING: --insecure-skip-verify: the gateway's TLS certificate is NOT checked; anyone on the network path can read and alter what is pushed");
    }
    Ok(Tls {
        ca,
        identity,
        insecure: args.insecure_skip_verify,
    })
}

/// Parse a gateway base URL. `host:port` without a scheme is taken as
/// `http://host:port`, as the original Simplepipe (via prometheus_client) did.
pub fn gateway_url(raw: &str) -> Result<Url> {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        fail(
            Exit::Usage,
            anyhow!(
                "--gateway {}: not a valid URL ({e}); expected e.g. http://pushgateway:9091",
                crate::redact::url_str(raw)
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail_with!(
            Exit::Usage,
            "--gateway {}: expected an http:// or https:// URL with a host",
            crate::redact::url(&url)
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail_with!(
            Exit::Usage,
            "--gateway {}: a query or fragment is not allowed in the base URL",
            crate::redact::url(&url)
        );
    }
    Ok(url)
}

/// Parse repeated `NAME=VALUE` options into checked label pairs.
fn pairs(option: &str, raw: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for item in raw {
        let Some((name, value)) = item.split_once('=') else {
            bail_with!(Exit::Usage, "{option} {item:?}: expected NAME=VALUE");
        };
        if !is_label_name(name) {
            bail_with!(
                Exit::Usage,
                "{option} {item:?}: {name:?} is not a legal Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            );
        }
        if out.iter().any(|(k, _)| k == name) {
            bail_with!(Exit::Usage, "{option} {name}: given twice");
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

fn inline_metric(raw: &str) -> Result<(String, f64)> {
    let Some((name, value)) = raw.split_once('=') else {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: expected NAME=VALUE, e.g. --metric duration_seconds=12.5"
        );
    };
    if !is_metric_name(name) {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: {name:?} is not a legal Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
        );
    }
    let Some(v) = parse_number(value.trim()) else {
        bail_with!(
            Exit::Usage,
            "--metric {name}={value:?}: expected a number, NaN, +Inf or -Inf"
        );
    };
    Ok((name.to_string(), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_without_scheme_is_http() {
        assert_eq!(
            gateway_url("pushgateway:9091").unwrap().as_str(),
            "http://pushgateway:9091/"
        );
        assert_eq!(gateway_url("http://h/pgw").unwrap().path(), "/pgw");
    }

    #[test]
    fn gateway_rejects_other_schemes() {
        let e = gateway_url("ftp://h").unwrap_err();
        assert!(format!("{e:#}").contains("http://"), "{e:#}");
    }

    #[test]
    fn pairs_checked() {
        assert!(pairs("--group", &["a=b".into()]).is_ok());
        assert!(pairs("--group", &["a".into()]).is_err());
        assert!(pairs("--group", &["1a=b".into()]).is_err());
        assert!(pairs("--group", &["a=b".into(), "a=c".into()]).is_err());
        // A value may hold '=' itself.
        assert_eq!(pairs("--label", &["a=b=c".into()]).unwrap()[0].1, "b=c");
    }

    #[test]
    fn inline_values_accept_what_argo_substitutes() {
        assert_eq!(inline_metric("d=12.345678").unwrap().1, 12.345678);
        assert!(inline_metric("d=+Inf").unwrap().1.is_infinite());
        assert!(inline_metric("d=abc").is_err());
    }
}
