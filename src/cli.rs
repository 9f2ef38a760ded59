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

mod groups;
mod influx;
mod live;
mod net;
mod standard;
pub use groups::{GroupsArgs, ListOutput, PruneArgs, SelectArgs};
pub use influx::InfluxArgs;
pub use live::{
    InstallArgs, LiveArgs, MetricsFormat, MetricsFrom, RunArgs, WatchArgs, WatchFormat,
};
pub use net::{GatewayArgs, GroupingArgs, NetArgs};
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

    /// Print every problem found in an invalid artifact (default: the first
    /// 20, then a count of the rest by kind).
    #[arg(long, global = true, env = "SIMPLEPIPE_ALL_ERRORS")]
    pub all_errors: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate an artifact and push its metrics to the Pushgateway.
    Push(PushArgs),
    /// Validate an artifact without touching the network; print a summary.
    Validate(ValidateArgs),
    /// Delete a whole group (job, user and extra grouping labels) from the Pushgateway.
    Delete(DeleteArgs),
    /// List the built-in schemas, or print one (for editors and CI).
    Schemas(SchemasArgs),
    /// List the groups the Pushgateway holds: grouping labels, last push,
    /// whether it failed, size; oldest first.
    Groups(GroupsArgs),
    /// Delete the Pushgateway's groups nobody has pushed to for a while, one
    /// DELETE per group on its exact URL.
    Prune(PruneArgs),
    /// Print the Prometheus alert rules generated from a standard.
    Rules(RulesArgs),
    /// Print the Grafana dashboard generated from a standard.
    Dashboard(DashboardArgs),
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
    /// Metric artifact: a file path, - for stdin, or s3://BUCKET/KEY.
    #[arg(value_name = "SOURCE")]
    pub source: Option<String>,

    /// Same as --job (the original Simplepipe was called as `app.py FILE JOB`).
    #[arg(value_name = "JOB")]
    pub job_positional: Option<String>,

    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub grouping: GroupingArgs,

    #[command(flatten)]
    pub artifact: ArtifactArgs,

    #[command(flatten)]
    pub net: NetArgs,

    /// Push by Prometheus remote write 1.0 to this endpoint instead of a
    /// Pushgateway, e.g. http://prometheus:9090/api/v1/write (Mimir, Thanos
    /// Receive, VictoriaMetrics, Prometheus). Job, user, --group and --label
    /// become labels on every series; every sample is stamped with the push
    /// time.
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub remote_write: Option<String>,

    /// With --remote-write: the most samples in one request; bigger
    /// artifacts go as several requests.
    #[arg(
        long,
        default_value_t = 2000,
        env = "SIMPLEPIPE_MAX_SAMPLES_PER_REQUEST",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_samples_per_request: u64,

    /// put replaces the whole group; post replaces only the metric families
    /// with the same names.
    #[arg(long, value_enum, default_value_t = Method::Put, env = "SIMPLEPIPE_METHOD", value_name = "METHOD")]
    pub method: Method,

    /// Extra label added to every pushed series (repeatable; also
    /// k=v,k=v, with `\,` for a comma inside a value, or a JSON object).
    #[arg(long = "label", value_name = "NAME=VALUE", env = "SIMPLEPIPE_LABELS")]
    pub labels: Vec<String>,

    /// Inline metric to push, with or without a SOURCE (repeatable):
    /// `[TYPE:]NAME[{LABEL="VALUE",…}]=VALUE`, TYPE gauge (default), counter
    /// or untyped; VALUE a number, NaN, +Inf or -Inf.
    #[arg(long = "metric", value_name = "NAME=VALUE")]
    pub metrics: Vec<String>,

    /// Wire format of the body. Default: protobuf, which the Pushgateway
    /// parses about 3.5x faster; --dry-run shows text unless this is given.
    #[arg(long, value_enum, env = "SIMPLEPIPE_FORMAT", value_name = "FORMAT")]
    pub format: Option<WireFormat>,

    /// Compress the body (the Pushgateway accepts gzip from 1.5.0); worth it
    /// on slow links only.
    #[arg(long, value_enum, default_value_t = Compress::None, env = "SIMPLEPIPE_COMPRESS", value_name = "ALGO")]
    pub compress: Compress,

    /// Print the target URL (stderr) and the exact body (stdout); send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not print the one-line summary after a successful push.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,

    /// How to print the summary: text (stderr) or json (one object, stdout).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "SIMPLEPIPE_OUTPUT", value_name = "FORMAT")]
    pub output: Output,

    // Last: its help heading would otherwise carry over to what follows.
    #[command(flatten)]
    pub influx: InfluxArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Metric artifacts: file paths, - for stdin, or s3://BUCKET/KEY; each is
    /// reported, and the exit code is non-zero if any fails.
    #[arg(value_name = "SOURCE", required = true, num_args = 1..)]
    pub sources: Vec<String>,

    /// How to report: text, or json (one object per source, one per line).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "SIMPLEPIPE_OUTPUT", value_name = "FORMAT")]
    pub output: Output,

    /// The grouping a push would use: its labels are reserved, as in a push.
    #[command(flatten)]
    pub grouping: GroupingArgs,

    /// Extra label a push would add to every series (repeatable; as for push).
    #[arg(long = "label", value_name = "NAME=VALUE", env = "SIMPLEPIPE_LABELS")]
    pub labels: Vec<String>,

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

    /// Print the target URL (stderr) and send nothing.
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
    /// simple, simplepipe-v0) or the path of a custom JSON Schema. Default: the
    /// artifact's own "$schema" key, then detection by shape.
    #[arg(long, env = "SIMPLEPIPE_SCHEMA", value_name = "NAME|PATH")]
    pub schema: Option<String>,

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
