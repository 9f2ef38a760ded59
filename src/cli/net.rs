//! Where to send and how: the server URL, credentials and TLS
//! ([`GatewayArgs`]), the grouping key ([`GroupingArgs`]) and the network
//! behaviour every command that talks to a server shares ([`NetArgs`]).

// The doc comments are the --help text, where a bare URL reads better than
// rustdoc's `<http://…>`.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;

use clap::Args;

use super::BestEffort;

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
