//! The command line as parsed: raw strings, exactly what the user typed.
//!
//! Doc comments here are the `--help` text. Every option that Argo or a
//! container may set has an `SIMPLEPIPE_*` environment variable. Nothing in
//! this module does I/O or checks meaning; [`crate::config`] turns these raw
//! values into typed, checked configuration before any work starts.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Validate metric JSON artifacts and push them to a Prometheus Pushgateway.
///
/// Exit codes: 0 done, 1 internal error, 2 usage error, 3 source unreadable,
/// 4 artifact invalid, 5 gateway rejected the push (4xx), 6 gateway
/// unreachable, timed out or answered 5xx.
#[derive(Debug, Parser)]
#[command(name = "simplepipe", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

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
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Metric artifact: a file path, or - for stdin.
    #[arg(value_name = "SOURCE")]
    pub source: Option<String>,

    /// Same as --job (the original Simplepipe was called as `app.py FILE JOB`).
    #[arg(value_name = "JOB")]
    pub job_positional: Option<String>,

    #[command(flatten)]
    pub group: GroupArgs,

    #[command(flatten)]
    pub artifact: ArtifactArgs,

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

    /// Print the target URL (stderr) and the exact body (stdout); send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not print the one-line summary after a successful push.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Metric artifact: a file path, or - for stdin.
    #[arg(value_name = "SOURCE")]
    pub source: String,

    #[command(flatten)]
    pub artifact: ArtifactArgs,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub group: GroupArgs,

    /// Print the target URL (stderr) and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not print the one-line summary after the delete.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Name of a built-in schema to print; without it, list them.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

/// Where to push: the gateway and the grouping key.
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// Pushgateway base URL, e.g. http://pushgateway:9091 (a path prefix such
    /// as http://host/pgw works). Also read from PUSH_GATEWAY_HOSTNAME, the
    /// original Simplepipe's variable.
    #[arg(long, env = "SIMPLEPIPE_GATEWAY", value_name = "URL")]
    pub gateway: Option<String>,

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

    /// Seconds to wait for the gateway (connect plus request).
    #[arg(
        long,
        default_value_t = 30.0,
        env = "SIMPLEPIPE_TIMEOUT",
        value_name = "SECS"
    )]
    pub timeout: f64,
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
