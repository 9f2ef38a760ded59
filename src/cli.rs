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
mod standard;
pub use groups::{GroupsArgs, Output, PruneArgs, SelectArgs};
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

    /// put replaces the whole group; post replaces only the metric families
    /// with the same names.
    #[arg(long, value_enum, default_value_t = Method::Put, env = "SIMPLEPIPE_METHOD", value_name = "METHOD")]
    pub method: Method,

    /// Extra label added to every pushed series (repeatable).
    #[arg(
        long = "label",
        value_name = "NAME=VALUE",
        env = "SIMPLEPIPE_LABELS",
        value_delimiter = ','
    )]
    pub labels: Vec<String>,

    /// Inline gauge to push, with or without a SOURCE (repeatable). VALUE is a
    /// number, NaN, +Inf or -Inf.
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
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Metric artifact: a file path, - for stdin, or s3://BUCKET/KEY.
    #[arg(value_name = "SOURCE")]
    pub source: String,

    /// The grouping a push would use: its labels are reserved, as in a push.
    #[command(flatten)]
    pub grouping: GroupingArgs,

    /// Extra label a push would add to every series (repeatable).
    #[arg(
        long = "label",
        value_name = "NAME=VALUE",
        env = "SIMPLEPIPE_LABELS",
        value_delimiter = ','
    )]
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

/// Network behaviour shared by everything that talks to a server.
#[derive(Debug, Args)]
pub struct NetArgs {
    /// Seconds to wait for the gateway or S3 (connect plus request), per attempt.
    #[arg(
        long,
        default_value_t = 30.0,
        env = "SIMPLEPIPE_TIMEOUT",
        value_name = "SECS"
    )]
    pub timeout: f64,

    /// Retries after a connect error, timeout, 5xx, 429 or 408 (never after
    /// another 4xx), with exponential backoff and full jitter.
    #[arg(
        long,
        default_value_t = 3,
        env = "SIMPLEPIPE_RETRIES",
        value_name = "N"
    )]
    pub retries: u32,

    /// Longest wait between two attempts, in seconds; also the longest
    /// Retry-After honoured.
    #[arg(
        long,
        default_value_t = 10.0,
        env = "SIMPLEPIPE_RETRY_MAX_WAIT",
        value_name = "SECS"
    )]
    pub retry_max_wait: f64,
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

/// The Pushgateway and how to reach it: URL, credentials, TLS, best effort.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Pushgateway base URL, e.g. http://pushgateway:9091 (a path prefix such
    /// as http://host/pgw works). Also read from PUSH_GATEWAY_HOSTNAME, the
    /// original Simplepipe's variable.
    #[arg(long, env = "SIMPLEPIPE_GATEWAY", value_name = "URL")]
    pub gateway: Option<String>,

    /// Basic-auth user name. The password comes from --password-file or the
    /// SIMPLEPIPE_PASSWORD variable, never from a flag (flags show in process
    /// lists). Credentials in the gateway URL (http://user:pass@host) work too.
    #[arg(long, env = "SIMPLEPIPE_USERNAME", value_name = "USER")]
    pub username: Option<String>,

    /// File holding the basic-auth password (trailing newline ignored).
    #[arg(long, env = "SIMPLEPIPE_PASSWORD_FILE", value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// File holding a bearer token (or set SIMPLEPIPE_BEARER_TOKEN; never a flag).
    #[arg(long, env = "SIMPLEPIPE_BEARER_TOKEN_FILE", value_name = "PATH")]
    pub bearer_token_file: Option<PathBuf>,

    /// PEM file of the CA(s) that signed the gateway's certificate, trusted in
    /// addition to the system and built-in roots.
    #[arg(long, env = "SIMPLEPIPE_CACERT", value_name = "PEM")]
    pub cacert: Option<PathBuf>,

    /// PEM client certificate for mutual TLS (with --key).
    #[arg(long, env = "SIMPLEPIPE_CERT", value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,

    /// PEM private key of the client certificate (with --cert).
    #[arg(long, env = "SIMPLEPIPE_KEY", value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Do not verify the gateway's TLS certificate. Dangerous: anyone on the
    /// path can read and change what is pushed. For tests only.
    #[arg(long, env = "SIMPLEPIPE_INSECURE_SKIP_VERIFY")]
    pub insecure_skip_verify: bool,

    /// Never fail the pipeline because of monitoring: `unreachable` (the
    /// default when the flag is given) turns "gateway unreachable after the
    /// retries" into a warning and exit 0; `all` also forgives an unreadable
    /// or invalid artifact and a rejected push. Usage errors still fail.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "unreachable", env = "SIMPLEPIPE_BEST_EFFORT", value_name = "WHAT")]
    pub best_effort: Option<BestEffort>,
}

/// The grouping key: job, user and extra grouping labels.
#[derive(Debug, Args)]
pub struct GroupingArgs {
    /// Grouping label `job` (required).
    #[arg(long, env = "SIMPLEPIPE_JOB", value_name = "JOB")]
    pub job: Option<String>,

    /// Grouping label `user`.
    #[arg(long, env = "SIMPLEPIPE_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Extra grouping label (repeatable; the env variable takes k=v,k=v).
    #[arg(
        long = "group",
        value_name = "NAME=VALUE",
        env = "SIMPLEPIPE_GROUPING",
        value_delimiter = ','
    )]
    pub groups: Vec<String>,
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
    #[arg(long, env = "SIMPLEPIPE_S3_ENDPOINT", value_name = "URL")]
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
