//! Config: raw command line and environment -> each stage's own option
//! type, checked, before any artifact is read or any server contacted.
//!
//! The only reader of the environment. Later stages never see a raw string:
//! a source is a [`Source`], a server a parsed URL, grouping and extra
//! labels are checked name/value pairs. Every mistake found here is a usage
//! error (exit 2) that names the option at fault. Files named by options
//! (passwords, tokens, certificates) are read here too, so that a missing
//! one is also a usage error before anything is sent.
//!
//! - [`aws`]: S3 options from flags and the AWS variables.
//! - [`kube`]: `argo://` sources: the Kubernetes API and the service account.
//! - [`target`]: the gateway URL and the grouping key.
//! - [`remote_write`]: the remote-write endpoint, its labels and request size.
//! - [`influx`]: the InfluxDB target (`--influx`).
//! - [`credentials`]: auth, TLS and the HTTP options every sink shares.
//! - [`mod@groups`]: the whole gateway and the group selection, for `groups` and `prune`.
//! - [`standard`]: the options of the generators (`rules`, `dashboard`).
//! - [`live`]: `run` and `watch`: the sink, the interval, the line format.
//! - [`mod@env`]: booleans and lists as ConfigMaps write them.
//! - [`inline`]: the `--metric` grammar.

pub mod aws;
pub mod credentials;
pub mod env;
pub mod groups;
pub mod influx;
pub mod inline;
pub mod kube;
pub mod live;
pub mod remote_write;
pub mod standard;
pub mod target;

pub use groups::{groups, prune, GroupsConfig, PruneConfig};

use std::time::Duration;

use anyhow::Result;

use crate::artifact::{BuildOptions, CheckOptions, SchemaChoice};
use crate::cli::{
    ArtifactArgs, BestEffort, Compress, DeleteArgs, Method, NetArgs, Output, PushArgs,
    ValidateArgs, WireFormat,
};
use crate::encode::line_protocol;
use crate::error::{bail_with, Exit};
use crate::model::is_label_name;
use crate::sink::pushgateway::{self, PushOptions, Target};
use crate::sink::Sink;
use crate::source::{ReadOptions, Source};

/// How to read and check the artifact, and what the command line adds.
#[derive(Debug, Clone)]
pub struct ArtifactConfig {
    pub read: ReadOptions,
    pub check: CheckOptions,
    pub build: BuildOptions,
}

#[derive(Debug, Clone)]
pub struct PushConfig {
    pub source: Option<Source>,
    pub artifact: ArtifactConfig,
    pub sink: Sink,
    pub best_effort: Option<BestEffort>,
    /// `--metrics-if-unreadable`: an unreadable source leaves the inline
    /// metrics to push.
    pub metrics_if_unreadable: bool,
    pub dry_run: bool,
    pub quiet: bool,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct ValidateConfig {
    pub sources: Vec<Source>,
    pub artifact: ArtifactConfig,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct DeleteConfig {
    pub target: Target,
    pub best_effort: Option<BestEffort>,
    pub dry_run: bool,
    pub quiet: bool,
}

pub fn push(args: PushArgs) -> Result<PushConfig> {
    let job = match (args.job_positional.clone(), args.grouping.job.clone()) {
        (Some(p), Some(o)) if p != o => bail_with!(
            Exit::Usage,
            "the job is given twice, as {p:?} (positional JOB) and {o:?} (--job or SIMPLEPIPE_JOB); give one"
        ),
        (p, o) => p.or(o),
    };
    // What to push first, then where: a bare `simplepipe push` names the
    // missing source before the missing gateway.
    let inline = inline::metrics(&args.metrics)?;
    let source = args.source.as_deref().map(Source::parse).transpose()?;
    if source.is_none() && inline.is_empty() {
        bail_with!(
            Exit::Usage,
            "nothing to push: give a SOURCE (a path, - for stdin, s3://BUCKET/KEY or argo://NAME) and a JOB, or at least one --metric NAME=VALUE"
        );
    }
    // An Argo Workflow names its own job: with a source and no job, the
    // job waits for the artifact (`target::settle`).
    let job = job.or_else(|| source.is_some().then(|| target::FROM_ARTIFACT.to_string()));
    let influx = influx::wanted(&args.influx, args.dry_run);
    let (sink, label_check) = match (&args.remote_write, influx) {
        (Some(_), true) => bail_with!(
            Exit::Usage,
            "--remote-write and --influx are both given; give exactly one destination"
        ),
        (Some(raw), false) => {
            influx::unused(&args.influx)?;
            remote_write::push_options_unused(&args)?;
            let max = args.max_samples_per_request;
            let target =
                remote_write::target(raw, &args.gateway, &args.grouping, &args.net, job, max)?;
            (Sink::RemoteWrite(target), None)
        }
        (None, true) => {
            let check: fn(&str, &str) -> Option<String> = line_protocol::tag_problem;
            let gzip = args.compress == Compress::Gzip;
            let ia = &args.influx;
            let target = influx::target(ia, &args.gateway, &args.grouping, &args.net, job, gzip)?;
            influx::push_options_unused(&args)?;
            (Sink::Influx(target), Some(check))
        }
        (None, false) => {
            influx::unused(&args.influx)?;
            (gateway_sink(&args, job)?, None)
        }
    };
    let grouping = match &sink {
        Sink::Pushgateway { target, .. } => &target.grouping,
        Sink::RemoteWrite(target) => &target.labels,
        Sink::Influx(target) => &target.tags,
    };
    let labels = labels(&args.labels, grouping)?;
    if label_check.is_some() {
        for (k, v) in &labels {
            influx::tag_ok(&format!("--label {k}"), k, v)?;
        }
    }
    let build = BuildOptions {
        labels,
        grouping: grouping.iter().map(|(k, _)| k.clone()).collect(),
        inline,
        now: now(),
        label_check,
    };
    Ok(PushConfig {
        artifact: artifact(&args.artifact, &args.net, source.as_slice(), build)?,
        source,
        best_effort: args.gateway.best_effort,
        metrics_if_unreadable: metrics_if_unreadable(&args)?,
        sink,
        dry_run: args.dry_run,
        quiet: args.quiet,
        json: args.output == Output::Json,
    })
}

/// `--metrics-if-unreadable`, which needs both a source and a `--metric`.
fn metrics_if_unreadable(args: &PushArgs) -> Result<bool> {
    if args.metrics_if_unreadable && (args.source.is_none() || args.metrics.is_empty()) {
        bail_with!(
            Exit::Usage,
            "--metrics-if-unreadable needs a SOURCE and at least one --metric (pushed alone if the SOURCE can't be read)"
        );
    }
    Ok(args.metrics_if_unreadable)
}

/// The Pushgateway: group, method, wire format and compression.
fn gateway_sink(args: &PushArgs, job: Option<String>) -> Result<Sink> {
    let target = target::target(&args.gateway, &args.grouping, &args.net, job, args.dry_run)?;
    let format = args.format.unwrap_or(if args.dry_run {
        WireFormat::Text
    } else {
        WireFormat::Protobuf
    });
    let how = PushOptions {
        replace: args.method == Method::Put,
        format: match format {
            WireFormat::Protobuf => pushgateway::WireFormat::Protobuf,
            WireFormat::Text => pushgateway::WireFormat::Text,
        },
        gzip: args.compress == Compress::Gzip,
    };
    Ok(Sink::Pushgateway { target, how })
}

pub fn validate(args: ValidateArgs) -> Result<ValidateConfig> {
    let sources = args
        .sources
        .iter()
        .map(|s| Source::parse(s))
        .collect::<Result<Vec<_>>>()?;
    // The same grouping as a push would use, so that validate and push
    // agree on which labels are reserved; `job` always is.
    let job = args.grouping.job.clone().unwrap_or_default();
    let grouping = target::grouping(&args.grouping, job)?;
    let build = BuildOptions {
        labels: labels(&args.labels, &grouping)?,
        grouping: grouping.into_iter().map(|(k, _)| k).collect(),
        inline: Vec::new(),
        now: now(),
        label_check: None,
    };
    Ok(ValidateConfig {
        artifact: artifact(&args.artifact, &args.net, &sources, build)?,
        sources,
        json: args.output == Output::Json,
    })
}

pub fn delete(args: &DeleteArgs) -> Result<DeleteConfig> {
    let job = args.grouping.job.clone();
    Ok(DeleteConfig {
        target: target::target(&args.gateway, &args.grouping, &args.net, job, args.dry_run)?,
        best_effort: args.gateway.best_effort,
        dry_run: args.dry_run,
        quiet: args.quiet,
    })
}

/// How to read `sources` (the network options only for the kinds among them).
fn artifact(
    args: &ArtifactArgs,
    net: &NetArgs,
    sources: &[Source],
    build: BuildOptions,
) -> Result<ArtifactConfig> {
    let from_s3 = sources.iter().any(|s| matches!(s, Source::S3 { .. }));
    let from_argo = sources.iter().any(|s| matches!(s, Source::Argo { .. }));
    Ok(ArtifactConfig {
        read: ReadOptions {
            max_bytes: args.max_bytes,
            member: args.member.clone(),
            s3: aws::s3_options(args, net, from_s3)?,
            argo: kube::argo_options(net, from_argo)?,
        },
        check: CheckOptions {
            schema: args.schema.as_deref().map(SchemaChoice::parse),
            max_series: args.max_series,
        },
        build,
    })
}

/// `--label` pairs, which may not repeat a grouping label.
fn labels(raw: &[String], grouping: &[(String, String)]) -> Result<Vec<(String, String)>> {
    let labels = pairs("--label", raw)?;
    for (name, _) in &labels {
        if grouping.iter().any(|(g, _)| g == name) {
            bail_with!(
                Exit::Usage,
                "--label {name}: `{name}` is also a grouping label, and the Pushgateway would overwrite it; drop one of them"
            );
        }
    }
    Ok(labels)
}

/// An environment variable, with empty meaning unset (as everywhere here:
/// Argo passes empty parameters as empty variables).
pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Unix time now, in seconds.
fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
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

/// Parse repeated `NAME=VALUE` options into checked label pairs.
fn pairs(option: &str, raw: &[String]) -> Result<Vec<(String, String)>> {
    let mut items = Vec::new();
    for r in raw {
        items.extend(env::split_list(option, r)?);
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for item in &items {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(inline::metric("d=12.345678").unwrap().value, 12.345678);
        assert!(inline::metric("d=+Inf").unwrap().value.is_infinite());
        assert!(inline::metric("d=abc").is_err());
    }

    #[test]
    fn list_values_may_hold_commas() {
        let p = pairs("--label", &[r"a=x\,y,b=2".into()]).unwrap();
        assert_eq!(p[0], ("a".to_string(), "x,y".to_string()));
        let p = pairs("--group", &[r#"{"a": "x,y"}"#.into()]).unwrap();
        assert_eq!(p[0], ("a".to_string(), "x,y".to_string()));
    }
}
