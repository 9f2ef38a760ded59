//! The command line of `run`, `watch` and `install` (see [`super`]): the
//! options the live commands share with `push` (grouping, network, auth,
//! the remote-write and InfluxDB destinations) come in through the same
//! flattened argument groups and variables.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{GatewayArgs, GroupingArgs, InfluxArgs, NetArgs};

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub live: LiveArgs,

    /// Which of the command's streams metric lines are read from (both
    /// always pass through): tqdm, Lightning and Python's logging write to stderr.
    #[arg(long, value_enum, default_value_t = MetricsFrom::Both, env = "SIMPLEPIPE_METRICS_FROM", value_name = "STREAM")]
    pub metrics_from: MetricsFrom,

    /// Show, for each line that held metrics, what it became (also with -v).
    #[arg(long, env = "SIMPLEPIPE_PRINT_METRICS")]
    pub print_metrics: bool,

    /// The command and its arguments (after `--`, or after the last option).
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true
    )]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// A file of records, or - for stdin (the default).
    #[arg(value_name = "SOURCE")]
    pub source: Option<String>,

    #[command(flatten)]
    pub live: LiveArgs,

    /// Keep reading as the file grows, across rotation and truncation (like tail -F).
    #[arg(long, short = 'f', env = "SIMPLEPIPE_FOLLOW")]
    pub follow: bool,

    /// What the records are: metric lines (as `run` reads them) or ModelOp
    /// Center stream messages (sensor reports, engine states).
    #[arg(long, value_enum, default_value_t = WatchFormat::Lines, env = "SIMPLEPIPE_WATCH_FORMAT", value_name = "FORMAT")]
    pub format: WatchFormat,

    /// JSON object mapping ModelOp engine names (`src`) to model names,
    /// added as a `model` label.
    #[arg(long, env = "SIMPLEPIPE_ENGINE_NAMES", value_name = "FILE")]
    pub engine_names: Option<PathBuf>,
}

/// What `run` and `watch` share: where to push, how often, and how lines read.
#[derive(Debug, Args)]
pub struct LiveArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub grouping: GroupingArgs,

    #[command(flatten)]
    pub net: NetArgs,

    /// Push by Prometheus remote write 1.0 to this endpoint instead of a
    /// Pushgateway (e.g. http://prometheus:9090/api/v1/write); each push is
    /// one sample per series at the push time.
    #[arg(
        long,
        env = "SIMPLEPIPE_REMOTE_WRITE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub remote_write: Option<String>,

    #[command(flatten)]
    pub influx: InfluxArgs,

    /// With --remote-write: the most samples in one request.
    #[arg(
        long,
        default_value_t = 2000,
        env = "SIMPLEPIPE_MAX_SAMPLES_PER_REQUEST",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_samples_per_request: u64,

    /// How often the current values are pushed (15s, 500ms, 2m, 1h or seconds).
    #[arg(
        long,
        default_value = "15s",
        env = "SIMPLEPIPE_INTERVAL",
        value_name = "DURATION"
    )]
    pub interval: String,

    /// Extra label added to every pushed series (repeatable).
    #[arg(
        long = "label",
        value_name = "NAME=VALUE",
        env = "SIMPLEPIPE_LABELS",
        value_delimiter = ','
    )]
    pub labels: Vec<String>,

    /// Also read metrics with this regex, besides the built-in line formats:
    /// two groups, the name then the value (or groups named `name` and `value`).
    #[arg(long, env = "SIMPLEPIPE_METRICS_REGEX", value_name = "REGEX")]
    pub metrics_regex: Option<String>,

    /// The built-in line readers: auto (name=value, JSON, Python dicts,
    /// Keras, XGBoost, LightGBM, tqdm) or none (only --metrics-regex).
    #[arg(long, value_enum, default_value_t = MetricsFormat::Auto, env = "SIMPLEPIPE_METRICS_FORMAT", value_name = "FORMAT")]
    pub metrics_format: MetricsFormat,

    /// Refuse new series past this many (each one is a warning).
    #[arg(
        long,
        default_value_t = 100_000,
        env = "SIMPLEPIPE_MAX_SERIES",
        value_name = "N"
    )]
    pub max_series: usize,

    /// Do not print the one-line summary at the end.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Directory to copy the binary into (as DIR/simplepipe), e.g. an emptyDir.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Do not print the line saying where it went.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsFrom {
    Stdout,
    Stderr,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsFormat {
    /// The built-in readers (docs/frameworks.md).
    Auto,
    /// None: only --metrics-regex reads.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// Metric lines, as `run` reads them.
    Lines,
    /// ModelOp Center stream messages, one JSON object per line.
    Modelop,
}
