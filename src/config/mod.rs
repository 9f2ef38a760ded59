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
//! - [`destinations`]: which destinations `push`, `run` and `watch` send to, each checked.
//! - [`target`]: the gateway URL and the grouping key.
//! - [`remote_write`]: the remote-write endpoint, its credentials and request size.
//! - [`influx`]: the InfluxDB target (`--influx`).
//! - [`mlflow`]: the MLflow target (`--mlflow`) and MLflow's client variables.
//! - [`credentials`]: auth, TLS and the HTTP options every sink shares.
//! - [`mod@groups`]: the whole gateway and the group selection, for `groups` and `prune`.
//! - [`standard`]: the options of the generators (`rules`, `dashboard`).
//! - [`alertmanager`]: `alertmanager`'s options and the secret values it writes in.
//! - [`live`]: `run` and `watch`: the destinations, the interval, the line format.
//! - [`mod@env`]: booleans and lists as ConfigMaps write them.
//! - [`inline`]: the `--metric` grammar.

pub mod alertmanager;
pub mod aws;
pub mod credentials;
pub mod destinations;
pub mod env;
pub mod groups;
pub mod influx;
pub mod inline;
pub mod kube;
pub mod live;
pub mod mlflow;
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
use crate::duration::Grammar;
use crate::error::{bail_with, Exit};
use crate::model::is_label_name;
use crate::pushgateway::{self, PushOptions, Target};
use crate::sink::Destinations;
use crate::source::mlflow::MlflowRef;
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
    pub dest: Destinations,
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
    /// `--metric`: only these families go.
    pub metrics: Vec<String>,
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
            "nothing to push: give a SOURCE (a path, - for stdin, s3://BUCKET/KEY, argo://NAME or mlflow://runs/RUN_ID) and a JOB, or at least one --metric NAME=VALUE"
        );
    }
    // An Argo Workflow names its own job: with a source and no job, the
    // job waits for the artifact (`target::settle`).
    let job = job.or_else(|| source.is_some().then(|| target::FROM_ARTIFACT.to_string()));
    let mode = push_mode(&args)?;
    let dest = destinations::resolve(&args.dest, &args.grouping, &args.net, job, mode)?;
    let labels = labels(&args.labels.labels, &dest)?;
    if let Some(Source::Mlflow(MlflowRef::Experiment(_))) = &source {
        if args.grouping.user.is_some() {
            bail_with!(
                Exit::Usage,
                "--user: an mlflow://experiments/ source pushes each user's latest run under its own user; drop --user, or push one run with mlflow://runs/RUN_ID --user NAME"
            );
        }
    }
    let history = dest.sinks.iter().any(|s| s.keeps_timestamps());
    let build = BuildOptions {
        labels,
        grouping: dest.grouping_names(),
        inline,
        now: now(),
        label_check: dest.label_check(),
    };
    Ok(PushConfig {
        artifact: artifact(&args.artifact, &args.net, source.as_slice(), build, history)?,
        source,
        dest,
        metrics_if_unreadable: metrics_if_unreadable(&args)?,
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

/// How `push` sends to the Pushgateway and InfluxDB: `--method`,
/// `--format` and `--compress`, each refused when no chosen destination
/// uses it.
fn push_mode(args: &PushArgs) -> Result<destinations::Mode> {
    let chosen = destinations::Chosen::from(&args.dest, args.dry_run);
    let for_gateway = |option: &str| -> Result<()> {
        if chosen.gateway {
            return Ok(());
        }
        bail_with!(
            Exit::Usage,
            "{option} is for the Pushgateway, which is not among the destinations (remote write and InfluxDB add samples and have no groups or wire formats to choose)"
        )
    };
    // `--method put` is what every destination does anyway (a template
    // may pass it always); `post` only means something to a gateway.
    if args.method == Some(Method::Post) {
        for_gateway("--method post")?;
    }
    if args.format.is_some() {
        for_gateway("--format")?;
    }
    let gzip = args.compress == Some(Compress::Gzip);
    if args.compress.is_some() && !(chosen.gateway || chosen.influx) {
        bail_with!(
            Exit::Usage,
            "--compress is for the Pushgateway and InfluxDB; remote write is always snappy-compressed protobuf"
        );
    }
    let format = args.format.unwrap_or(if args.dry_run {
        WireFormat::Text
    } else {
        WireFormat::Protobuf
    });
    Ok(destinations::Mode {
        dry_run: args.dry_run,
        gateway: PushOptions {
            replace: args.method != Some(Method::Post),
            format: match format {
                WireFormat::Protobuf => pushgateway::WireFormat::Protobuf,
                WireFormat::Text => pushgateway::WireFormat::Text,
            },
            gzip,
        },
        influx_gzip: gzip,
    })
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
        labels: checked_labels(&args.labels.labels, &grouping)?,
        grouping: grouping.into_iter().map(|(k, _)| k).collect(),
        inline: Vec::new(),
        now: now(),
        label_check: None,
    };
    Ok(ValidateConfig {
        artifact: artifact(&args.artifact, &args.net, &sources, build, false)?,
        sources,
        json: args.output == Output::Json,
    })
}

pub fn delete(args: &DeleteArgs) -> Result<DeleteConfig> {
    let job = target::required_job(args.grouping.job.clone())?;
    let grouping = target::grouping(&args.grouping, job)?;
    for name in &args.metrics {
        if pushgateway::group::BOOKKEEPING.contains(&name.as_str()) {
            bail_with!(
                Exit::Usage,
                "--metric {name}: the gateway keeps it for every group itself; delete the group instead"
            );
        }
    }
    // With --metric even a dry run reads the group from the gateway.
    let dry_run = args.dry_run && args.metrics.is_empty();
    Ok(DeleteConfig {
        target: target::target(&args.gateway, &args.net, grouping, dry_run)?,
        metrics: args.metrics.clone(),
        best_effort: args.gateway.best_effort,
        dry_run: args.dry_run,
        quiet: args.quiet,
    })
}

/// How to read `sources` (the network options only for the kinds among
/// them); `history`: a destination keeps timestamps, so an `mlflow://`
/// source reads its runs' history.
fn artifact(
    args: &ArtifactArgs,
    net: &NetArgs,
    sources: &[Source],
    build: BuildOptions,
    history: bool,
) -> Result<ArtifactConfig> {
    let from_s3 = sources.iter().any(|s| matches!(s, Source::S3 { .. }));
    let from_argo = sources.iter().any(|s| matches!(s, Source::Argo { .. }));
    let from_mlflow = sources.iter().any(|s| matches!(s, Source::Mlflow(_)));
    Ok(ArtifactConfig {
        read: ReadOptions {
            max_bytes: args.max_bytes,
            member: args.member.clone(),
            s3: aws::s3_options(args, net, from_s3)?,
            argo: kube::argo_options(net, from_argo)?,
            mlflow: mlflow::source_options(&args.mlflow, net, from_mlflow, history)?,
            two_threads: two_threads()?,
        },
        check: CheckOptions {
            schema: args.schema.as_deref().map(SchemaChoice::parse),
            max_series: args.max_series,
        },
        build,
    })
}

/// `--label` pairs for these destinations: checked against the grouping
/// and against what each destination can carry.
fn labels(raw: &[String], dest: &Destinations) -> Result<Vec<(String, String)>> {
    let labels = checked_labels(raw, &dest.grouping)?;
    if let Some(check) = dest.label_check() {
        for (k, v) in &labels {
            if let Some(why) = check(k, v) {
                bail_with!(Exit::Usage, "--label {k}: {why}");
            }
        }
    }
    Ok(labels)
}

/// `--label` pairs, which may not repeat a grouping label.
fn checked_labels(raw: &[String], grouping: &[(String, String)]) -> Result<Vec<(String, String)>> {
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

/// `SIMPLEPIPE_THREADS`: `1` reads every artifact on one thread; `2`, or
/// nothing, lets a big file be read on two ([`crate::artifact::split`]).
fn two_threads() -> Result<bool> {
    match env_nonempty("SIMPLEPIPE_THREADS").as_deref() {
        None | Some("2") => Ok(true),
        Some("1") => Ok(false),
        Some(other) => bail_with!(
            Exit::Usage,
            "SIMPLEPIPE_THREADS={other}: expected 1 (read artifacts on one thread) or 2 (the default: a big local file may be read on two)"
        ),
    }
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

/// A duration option in the one grammar, checked here rather than by
/// clap where the text is kept for messages (`--older-than`) ([`crate::duration`]).
fn duration(option: &str, raw: &str, grammar: Grammar) -> Result<Duration> {
    crate::duration::parse(raw, grammar).map_err(|why| {
        crate::error::fail(
            Exit::Usage,
            anyhow::anyhow!("{option} {:?}: {why}", raw.trim()),
        )
    })
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
