//! The command line as parsed: raw strings, exactly what the user typed.
//!
//! Doc comments here are the `--help` text. Every option that Argo or a
//! container may set has an `SIMPLEPIPE_*` environment variable. Nothing in
//! this module does I/O or checks meaning; [`crate::config`] turns these raw
//! values into each stage's typed, checked options before any work starts.

// The doc comments are the --help text, where a bare URL reads better than
// rustdoc's `<http://…>`.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod alertmanager;
mod destinations;
mod groups;
mod influx;
mod live;
mod mlflow;
pub mod parse;
mod standard;
pub use alertmanager::AlertmanagerArgs;
pub use destinations::{
    ConnectionArgs, DestinationArgs, GatewayArgs, GroupingArgs, LabelArgs, NetArgs, RemoteWriteArgs,
};
pub use groups::{GroupsArgs, ListOutput, PruneArgs, SelectArgs};
pub use influx::InfluxArgs;
pub use live::{
    InstallArgs, LiveArgs, MetricsFormat, MetricsFrom, RunArgs, WatchArgs, WatchFormat,
};
pub use mlflow::{MlflowArgs, MlflowSourceArgs};
pub use standard::{DashboardArgs, RulesArgs};

/// Validate metric JSON artifacts and push them to a Prometheus Pushgateway.
///
/// Exit codes: 0 done, 1 internal error, 2 usage error, 3 source unreadable,
/// 4 artifact invalid, 5 gateway rejected the push (4xx), 6 gateway
/// unreachable, timed out or answered 5xx.
#[derive(Debug, Parser)]
#[command(
    name = "simplepipe",
    version,
    max_term_width = 100,
    args_override_self = true
)]
pub struct Cli {
    /// Log each step to stderr (requests, answers, retries). Secrets are
    /// never logged.
    #[arg(long, short, global = true, env = "SIMPLEPIPE_VERBOSE")]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate an artifact and push its metrics to the Pushgateway, a
    /// remote-write receiver and/or InfluxDB.
    Push(PushArgs),
    /// Validate an artifact without touching the network; print a summary.
    Validate(ValidateArgs),
    /// Delete a whole group (job, user and extra grouping labels) from the
    /// Pushgateway, or only some of its metrics (--metric).
    Delete(DeleteArgs),
    /// List the built-in schemas, or print one (for editors and CI).
    Schemas(SchemasArgs),
    /// List the groups the Pushgateway holds: grouping labels, last push,
    /// whether it failed, deadline, size; oldest first.
    Groups(GroupsArgs),
    /// Delete the Pushgateway's groups nobody has pushed to for a while, or
    /// whose deadline (--expires-in) has passed, one DELETE per group on its
    /// exact URL.
    Prune(PruneArgs),
    /// Print the Prometheus alert rules generated from a standard.
    Rules(RulesArgs),
    /// Print the Grafana dashboard generated from a standard.
    Dashboard(DashboardArgs),
    /// Write the Alertmanager routing (alertmanager.yml or an
    /// AlertmanagerConfig) that tells the standard's receivers.
    Alertmanager(AlertmanagerArgs),
    /// Run a command, its output passed through untouched, and push the
    /// metric lines it prints while it runs (and its time, CPU and memory at the end).
    Run(RunArgs),
    /// Read metric lines or a ModelOp stream from a file or stdin, pushing as they come.
    Watch(WatchArgs),
    /// Copy this binary into DIR, for an init container to hand it to
    /// another image (the simplepipe image has no cp).
    Install(InstallArgs),
    /// Print a shell completion script: bash, zsh, fish or powershell.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `simplepipe man > simplepipe.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Metric artifact: a file path, - for stdin, s3://BUCKET/KEY, or
    /// argo://[NAMESPACE/]NAME (an Argo Workflow read from the Kubernetes
    /// API with the pod's service account).
    #[arg(value_name = "SOURCE")]
    pub source: Option<String>,

    /// Same as --job (the original Simplepipe was called as `app.py FILE JOB`).
    #[arg(value_name = "JOB")]
    pub job_positional: Option<String>,

    #[command(flatten)]
    pub grouping: GroupingArgs,

    #[command(flatten)]
    pub artifact: ArtifactArgs,

    #[command(flatten)]
    pub net: NetArgs,

    /// The Pushgateway: put replaces the whole group; post replaces only
    /// the metric families with the same names (default put).
    #[arg(long, value_enum, env = "SIMPLEPIPE_METHOD", value_name = "METHOD")]
    pub method: Option<Method>,

    #[command(flatten)]
    pub labels: LabelArgs,

    /// Inline metric to push, with or without a SOURCE (repeatable):
    /// `[TYPE:]NAME[{LABEL="VALUE",…}]=VALUE`, TYPE gauge (default), counter
    /// or untyped; VALUE a number, NaN, +Inf or -Inf.
    #[arg(long = "metric", value_name = "NAME=VALUE")]
    pub metrics: Vec<String>,

    /// When SOURCE can't be read (exit 3), push the --metric values alone,
    /// with a warning, instead of failing: an Argo exit handler's outcome
    /// still lands when its Workflow can't be read (argo:// refused).
    #[arg(long, env = "SIMPLEPIPE_METRICS_IF_UNREADABLE")]
    pub metrics_if_unreadable: bool,

    /// Wire format of the body. Default: protobuf, which the Pushgateway
    /// parses about 3.5x faster; --dry-run shows text unless this is given.
    #[arg(long, value_enum, env = "SIMPLEPIPE_FORMAT", value_name = "FORMAT")]
    pub format: Option<WireFormat>,

    /// Compress the body for the Pushgateway (gzip from 1.5.0) and InfluxDB;
    /// worth it on slow links only (default none).
    #[arg(long, value_enum, env = "SIMPLEPIPE_COMPRESS", value_name = "ALGO")]
    pub compress: Option<Compress>,

    /// Print each target URL (stderr) and the exact body (stdout); send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not print the summary lines after a successful push.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,

    /// How to print the summary: text (stderr) or json (one object, stdout,
    /// with each destination's outcome).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "SIMPLEPIPE_OUTPUT", value_name = "FORMAT")]
    pub output: Output,

    // Last: their help headings would otherwise carry over to what follows.
    #[command(flatten)]
    pub dest: DestinationArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Metric artifacts: file paths, - for stdin, s3://BUCKET/KEY or
    /// argo://[NAMESPACE/]NAME; each is
    /// reported, and the exit code is non-zero if any fails.
    #[arg(value_name = "SOURCE", required = true, num_args = 1..)]
    pub sources: Vec<String>,

    /// How to report: text, or json (one object per source, one per line).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "SIMPLEPIPE_OUTPUT", value_name = "FORMAT")]
    pub output: Output,

    /// The grouping a push would use: its labels are reserved, as in a push.
    #[command(flatten)]
    pub grouping: GroupingArgs,

    /// Extra labels a push would add to every series.
    #[command(flatten)]
    pub labels: LabelArgs,

    #[command(flatten)]
    pub artifact: ArtifactArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub grouping: GroupingArgs,

    #[command(flatten)]
    pub net: NetArgs,

    /// Delete only this metric family from the group, keeping the others
    /// as they are (repeatable). The group is read and PUT back without
    /// it; a push to the group in between is lost. Removing the last
    /// family deletes the group.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,

    /// Print the target URL (stderr) and send nothing; with --metric, also
    /// the body the PUT would send (stdout), read from the gateway.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not print the one-line summary after the delete.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Name of a built-in schema to print; without it, list them.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Print the JSON Schema a standard compiles to (what `--schema
    /// STANDARD` checks artifacts against).
    #[arg(long, value_name = "STANDARD", conflicts_with = "name")]
    pub from: Option<PathBuf>,
}

/// How to read and check the artifact.
#[derive(Debug, Args)]
pub struct ArtifactArgs {
    /// Schema the artifact is declared against: a built-in name (metrics,
    /// simple, simplepipe-v0, argo-workflow) or the path of a custom JSON
    /// Schema. Default: the artifact's own "$schema" key, then detection by
    /// shape.
    #[arg(long, env = "SIMPLEPIPE_SCHEMA", value_name = "NAME|PATH")]
    pub schema: Option<String>,

    /// Print every problem found in an invalid artifact, up to 100 of one
    /// kind in one array (default: the first 20), then a count of the rest
    /// by kind.
    #[arg(long, env = "SIMPLEPIPE_ALL_ERRORS")]
    pub all_errors: bool,

    /// Refuse artifacts larger than this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024, env = "SIMPLEPIPE_MAX_BYTES", value_name = "BYTES")]
    pub max_bytes: u64,

    /// The file to use when the artifact is a tar archive holding several
    /// (Argo archives outputs as .tgz unless told not to).
    #[arg(long, env = "SIMPLEPIPE_MEMBER", value_name = "PATH")]
    pub member: Option<String>,

    /// S3 endpoint, e.g. http://minio.argo:9000 (default: AWS). Also read
    /// from AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL.
    #[arg(
        long,
        env = "SIMPLEPIPE_S3_ENDPOINT",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub s3_endpoint: Option<String>,

    /// S3 region (default us-east-1, what MinIO expects). Also read from
    /// AWS_DEFAULT_REGION.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,

    /// Address buckets as ENDPOINT/BUCKET (the default when --s3-endpoint is given).
    #[arg(long, conflicts_with = "s3_virtual_host")]
    pub s3_path_style: bool,

    /// Address buckets as BUCKET.ENDPOINT (the default for AWS).
    #[arg(long)]
    pub s3_virtual_host: bool,

    /// Refuse artifacts with more series than this.
    #[arg(
        long,
        default_value_t = 100_000,
        env = "SIMPLEPIPE_MAX_SERIES",
        value_name = "N"
    )]
    pub max_series: usize,

    #[command(flatten)]
    pub mlflow: MlflowSourceArgs,
}

/// A duration in the one grammar ([`crate::duration`]), or a number of
/// seconds: `--timeout`, `--retry-max-wait`, `--interval`. Checked as the
/// line is parsed, so a mistake is a one-line usage error.
pub fn seconds(raw: &str) -> Result<std::time::Duration, String> {
    let grammar = crate::duration::Grammar {
        bare_seconds: true,
        ..Default::default()
    };
    crate::duration::parse(raw, grammar)
}

/// A duration with a unit: `--older-than` decides what is deleted, and a
/// bare `7` could mean days as easily as seconds.
pub fn age(raw: &str) -> Result<std::time::Duration, String> {
    crate::duration::parse(raw, crate::duration::Grammar::default())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WireFormat {
    /// Delimited protobuf (io.prometheus.client.MetricFamily).
    Protobuf,
    /// Text exposition format 0.0.4.
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Lines for people (also `table`, so one SIMPLEPIPE_OUTPUT serves every command).
    #[value(alias = "table")]
    Text,
    /// One JSON object per source (validate) or push, on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compress {
    None,
    Gzip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum BestEffort {
    /// Forgive only an unreachable gateway (exit 6).
    Unreachable,
    /// Also forgive an unreadable or invalid artifact and a rejected push (exits 3 to 6).
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    Put,
    Post,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
