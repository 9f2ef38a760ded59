//! Where to send and how: the destinations of `push`, `run` and `watch`
//! ([`DestinationArgs`]: any of the Pushgateway, remote write, InfluxDB
//! and MLflow, together), the connection options (credentials and TLS,
//! [`ConnectionArgs`]), the grouping key ([`GroupingArgs`]), the extra
//! labels ([`LabelArgs`]) and the network behaviour every command that
//! talks to a server shares ([`NetArgs`]). Declared once, flattened into
//! each command that takes them.

// The doc comments are the --help text, where a bare URL reads better than
// rustdoc's `<http://…>`.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{seconds, BestEffort, InfluxArgs, MlflowArgs};

/// Network behaviour shared by everything that talks to a server.
#[derive(Debug, Args)]
pub struct NetArgs {
    /// How long to wait for a server or S3 (connect plus request), per
    /// attempt: a duration (30s, 1m30s, 500ms) or a number of seconds.
    #[arg(
        long,
        default_value = "30s",
        env = "SIMPLEPIPE_TIMEOUT",
        value_name = "DURATION",
        value_parser = seconds
    )]
    pub timeout: Duration,

    /// Retries after a connect error, timeout, 5xx, 429 or 408 (never after
    /// another 4xx), with exponential backoff and full jitter.
    #[arg(
        long,
        default_value_t = 3,
        env = "SIMPLEPIPE_RETRIES",
        value_name = "N"
    )]
    pub retries: u32,

    /// Longest wait between two attempts (a duration, or seconds); also the
    /// longest Retry-After honoured.
    #[arg(
        long,
        default_value = "10s",
        env = "SIMPLEPIPE_RETRY_MAX_WAIT",
        value_name = "DURATION",
        value_parser = seconds
    )]
    pub retry_max_wait: Duration,
}

/// Where `push`, `run` and `watch` send: any of these, together. Each
/// destination is tried even when another fails.
#[derive(Debug, Args)]
pub struct DestinationArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    /// The Pushgateway only: let `prune --expired` delete the group this
    /// long after the push (90m, 1d12h, 1.5h). Adds the gauge
    /// simplepipe_expires_at_seconds, the Unix time it may go; the next
    /// push replaces it.
    #[arg(long, env = "SIMPLEPIPE_EXPIRES_IN", value_name = "DURATION")]
    pub expires_in: Option<String>,

    #[command(flatten)]
    pub remote_write: RemoteWriteArgs,

    // Last: their help headings would otherwise carry over to what follows.
    #[command(flatten)]
    pub influx: InfluxArgs,

    #[command(flatten)]
    pub mlflow: MlflowArgs,
}

/// The Pushgateway and how to reach it: URL, credentials, TLS, best effort.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Pushgateway base URL, e.g. http://pushgateway:9091 (a path prefix such
    /// as http://host/pgw works). Also read from PUSH_GATEWAY_HOSTNAME, the
    /// original Simplepipe's variable.
    #[arg(
        long,
        env = "SIMPLEPIPE_GATEWAY",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub gateway: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Never fail the pipeline because of monitoring: `unreachable` (the
    /// default when the flag is given) turns "a destination unreachable
    /// after the retries" (and any failed destination when there are
    /// several) into a warning and exit 0; `all` also forgives a rejected
    /// push and, for `push`, an unreadable or invalid artifact. Usage
    /// errors still fail.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "unreachable", env = "SIMPLEPIPE_BEST_EFFORT", value_name = "WHAT")]
    pub best_effort: Option<BestEffort>,
}

/// Credentials and TLS. The credentials are the Pushgateway's, or those of
/// the only destination when there is one; remote write and InfluxDB next
/// to a gateway take their own (`--remote-write-…`, `--influx-…`). TLS
/// options apply to every destination.
#[derive(Debug, Args, Default)]
pub struct ConnectionArgs {
    /// Basic-auth user name. The password comes from --password-file or the
    /// SIMPLEPIPE_PASSWORD variable, never from a flag (flags show in process
    /// lists). Credentials in the gateway URL (http://user:pass@host) work too.
    #[arg(
        long,
        env = "SIMPLEPIPE_USERNAME",
        hide_env_values = true,
        value_name = "USER"
    )]
    pub username: Option<String>,

    /// File holding the basic-auth password (trailing newline ignored).
    #[arg(
        long,
        env = "SIMPLEPIPE_PASSWORD_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub password_file: Option<PathBuf>,

    /// File holding a bearer token (or set SIMPLEPIPE_BEARER_TOKEN; never a flag).
    #[arg(
        long,
        env = "SIMPLEPIPE_BEARER_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub bearer_token_file: Option<PathBuf>,

    /// PEM file of the CA(s) that signed the gateway's certificate, trusted in
    /// addition to the system and built-in roots.
    #[arg(
        long,
        env = "SIMPLEPIPE_CACERT",
        hide_env_values = true,
        value_name = "PEM"
    )]
    pub cacert: Option<PathBuf>,

    /// PEM client certificate for mutual TLS (with --key).
    #[arg(
        long,
        env = "SIMPLEPIPE_CERT",
        hide_env_values = true,
        value_name = "PEM",
        requires = "key"
    )]
    pub cert: Option<PathBuf>,

    /// PEM private key of the client certificate (with --cert).
    #[arg(
        long,
        env = "SIMPLEPIPE_KEY",
        hide_env_values = true,
        value_name = "PEM",
        requires = "cert"
    )]
    pub key: Option<PathBuf>,

    /// Do not verify the servers' TLS certificates. Dangerous: anyone on the
    /// path can read and change what is pushed. For tests only.
    #[arg(long, env = "SIMPLEPIPE_INSECURE_SKIP_VERIFY")]
    pub insecure_skip_verify: bool,
}

/// A remote-write receiver, with its own credentials.
#[derive(Debug, Args)]
#[command(next_help_heading = "Remote write")]
pub struct RemoteWriteArgs {
    /// Push by Prometheus remote write 1.0 to this endpoint, e.g.
    /// http://prometheus:9090/api/v1/write (Mimir, Thanos Receive,
    /// VictoriaMetrics, Prometheus). Job, user, --group and --label become
    /// labels on every series; every sample is stamped with the push time.
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub remote_write: Option<String>,

    /// The most samples in one remote-write request (default 2000); bigger
    /// artifacts go as several requests.
    #[arg(
        long,
        env = "SIMPLEPIPE_MAX_SAMPLES_PER_REQUEST",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_samples_per_request: Option<u64>,

    /// Basic-auth user of the receiver (the password from
    /// --remote-write-password-file or SIMPLEPIPE_REMOTE_WRITE_PASSWORD).
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE_USERNAME",
        hide_env_values = true,
        value_name = "USER"
    )]
    pub remote_write_username: Option<String>,

    /// File holding the receiver's basic-auth password.
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE_PASSWORD_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub remote_write_password_file: Option<PathBuf>,

    /// File holding the receiver's bearer token (or set
    /// SIMPLEPIPE_REMOTE_WRITE_BEARER_TOKEN).
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE_BEARER_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub remote_write_bearer_token_file: Option<PathBuf>,
}

/// Extra labels on every series.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// Extra label added to every pushed series (repeatable; also
    /// k=v,k=v, with `\,` for a comma inside a value, or a JSON object).
    #[arg(long = "label", value_name = "NAME=VALUE", env = "SIMPLEPIPE_LABELS")]
    pub labels: Vec<String>,
}

/// The grouping key: job, user and extra grouping labels.
#[derive(Debug, Args)]
pub struct GroupingArgs {
    /// Grouping label `job` (required; an Argo Workflow names its own: the
    /// WorkflowTemplate it came from, else its generateName).
    #[arg(long, env = "SIMPLEPIPE_JOB", value_name = "JOB")]
    pub job: Option<String>,

    /// Grouping label `user`.
    #[arg(long, env = "SIMPLEPIPE_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Extra grouping label (repeatable; also k=v,k=v, with `\,` for a
    /// comma inside a value, or a JSON object).
    #[arg(long = "group", value_name = "NAME=VALUE", env = "SIMPLEPIPE_GROUPING")]
    pub groups: Vec<String>,
}
