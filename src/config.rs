//! Typed configuration, resolved from the raw command line before any I/O.
//!
//! Later stages never see a raw string: a source is a [`Source`], the
//! gateway is a parsed URL, grouping and extra labels are checked name/value
//! pairs. Every mistake found here is a usage error (exit 2) that names the
//! option at fault, so nothing is read or sent with a half-valid setup.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use reqwest::Url;

use crate::bail_with;
use crate::cli::{ArtifactArgs, GroupArgs, Method, PushArgs, ValidateArgs};
use crate::error::{fail, Exit};
use crate::model::{is_label_name, is_metric_name, parse_number};
use crate::schema::SchemaChoice;

/// Where the artifact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
}

impl Source {
    pub fn parse(raw: &str) -> Source {
        if raw == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(raw))
        }
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(p) => p.display().to_string(),
        }
    }
}

/// How to read and check an artifact.
#[derive(Debug, Clone)]
pub struct ArtifactConfig {
    pub schema: Option<SchemaChoice>,
    pub max_bytes: u64,
}

/// A Pushgateway group: the base URL (absent only in a dry run) and the
/// grouping labels, `job` first.
#[derive(Debug, Clone)]
pub struct Target {
    pub gateway: Option<Url>,
    pub grouping: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Target {
    /// The grouping label names, for clash checks against series labels.
    pub fn grouping_names(&self) -> impl Iterator<Item = &str> {
        self.grouping.iter().map(|(k, _)| k.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct PushConfig {
    pub source: Option<Source>,
    pub artifact: ArtifactConfig,
    pub target: Target,
    pub method: Method,
    pub labels: Vec<(String, String)>,
    pub inline: Vec<(String, f64)>,
    pub dry_run: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub struct ValidateConfig {
    pub source: Source,
    pub artifact: ArtifactConfig,
}

pub fn push(args: PushArgs) -> Result<PushConfig> {
    let job = match (args.job_positional, args.group.job.clone()) {
        (Some(p), Some(o)) if p != o => bail_with!(
            Exit::Usage,
            "the job is given twice, as {p:?} (positional JOB) and {o:?} (--job or SIMPLEPIPE_JOB); give one"
        ),
        (p, o) => p.or(o),
    };
    let target = target(&args.group, job, args.dry_run)?;
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
    let source = args.source.as_deref().map(Source::parse);
    if source.is_none() && inline.is_empty() {
        bail_with!(
            Exit::Usage,
            "nothing to push: give a SOURCE (a path, or - for stdin) or at least one --metric NAME=VALUE"
        );
    }
    Ok(PushConfig {
        source,
        artifact: artifact(&args.artifact),
        target,
        method: args.method,
        labels,
        inline,
        dry_run: args.dry_run,
        quiet: args.quiet,
    })
}

pub fn validate(args: ValidateArgs) -> Result<ValidateConfig> {
    Ok(ValidateConfig {
        source: Source::parse(&args.source),
        artifact: artifact(&args.artifact),
    })
}

pub fn delete(group: &GroupArgs, dry_run: bool) -> Result<Target> {
    target(group, group.job.clone(), dry_run)
}

fn artifact(args: &ArtifactArgs) -> ArtifactConfig {
    ArtifactConfig {
        schema: args.schema.as_deref().map(SchemaChoice::parse),
        max_bytes: args.max_bytes,
    }
}

fn target(args: &GroupArgs, job: Option<String>, dry_run: bool) -> Result<Target> {
    // PUSH_GATEWAY_HOSTNAME is what the original Simplepipe read; clap can
    // only attach one variable to an option, so the fallback lives here.
    let raw = args.gateway.clone().or_else(|| {
        std::env::var("PUSH_GATEWAY_HOSTNAME")
            .ok()
            .filter(|v| !v.is_empty())
    });
    let gateway = match raw {
        Some(raw) => Some(gateway_url(&raw)?),
        None if dry_run => None,
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
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail_with!(
            Exit::Usage,
            "--timeout {}: expected a positive number of seconds",
            args.timeout
        );
    }
    Ok(Target {
        gateway,
        grouping,
        timeout: Duration::from_secs_f64(args.timeout),
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
