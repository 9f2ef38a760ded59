//! The command line of `run`, `watch` and `install` (see [`super`]): the
//! options the live commands share with `push` (destinations, grouping,
//! labels, network) come in through the same flattened argument groups and
//! variables, so one Argo template's variables mean the same to each.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{DestinationArgs, GroupingArgs, LabelArgs, NetArgs};

/// The metric-line grammar, at the end of `run --help` (the whole of it:
/// docs/live-metrics.md).
const METRIC_LINES: &str = "\
Metric lines (read from stdout and stderr; --metrics-from for one) update the state that is pushed:
  name=value pairs, anywhere in a line, several per line, with labels as --metric takes them:
      epoch=3 loss=0.41 lr=1e-5 acc{split=\"val\"}=0.9
  a JSON object whose values are all numbers, or a Python dict (as Hugging Face's Trainer prints):
      {\"loss\": 0.38, \"epoch\": 4}
      {'learning_rate': 4.5e-05, 'grad_norm': 1.2, 'note': 'not a number, skipped'}
  a native-format entry:
      {\"name\": \"images_total\", \"type\": \"counter\", \"value\": 1200}
  Keras lines (and Epoch N/M), XGBoost's and LightGBM's [N]<TAB>... lines, a tqdm bar's postfix:
      5/5 - 0s - 544us/step - accuracy: 0.91 - val_loss: 0.25
      Epoch 0: 100%|##| 20/20 [00:01<00:00, 9.1it/s, train_loss=0.05]
A value is any number push accepts (1e-5, nan, +Inf); a name is made legal (val/acc: val_acc).
A name holds its latest value as a gauge; a name ending in _total as a counter, which never goes
down. --metrics-regex adds a format of your own. More: docs/live-metrics.md, docs/frameworks.md";

#[derive(Debug, Args)]
#[command(after_help = METRIC_LINES)]
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
    pub grouping: GroupingArgs,

    #[command(flatten)]
    pub net: NetArgs,

    /// How often the current values are pushed: a duration (15s, 500ms,
    /// 1m30s, 1h) or a number of seconds.
    #[arg(
        long,
        default_value = "15s",
        env = "SIMPLEPIPE_INTERVAL",
        value_name = "DURATION",
        value_parser = super::seconds
    )]
    pub interval: std::time::Duration,

    #[command(flatten)]
    pub labels: LabelArgs,

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

    /// Do not print the summary at the end.
    #[arg(long, short, env = "SIMPLEPIPE_QUIET")]
    pub quiet: bool,

    // Last: their help headings would otherwise carry over to what follows.
    #[command(flatten)]
    pub dest: DestinationArgs,
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
