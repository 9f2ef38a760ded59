//! `run` and `watch` arguments → their typed configuration, before anything
//! starts: the destinations (the same options, variables and resolver as
//! `push`), the interval, the line format (a bad `--metrics-regex` is a usage error, not
//! a surprise an hour into training), the `--engine-names` map.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::destinations::{self, Mode};
use super::labels;
use crate::cli::{LiveArgs, MetricsFormat, MetricsFrom, RunArgs, WatchArgs, WatchFormat};
use crate::error::{fail, Exit};
use crate::live::state::Rules;
use crate::live::{child, lines::LineParser, modelop::ModelOp};
use crate::pushgateway::{PushOptions, WireFormat};
use crate::sink::Destinations;

/// What `run` and `watch` share.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Where the state goes, each destination on its own every interval
    /// (the gateway: one PUT of the whole group each time).
    pub dest: Destinations,
    pub interval: Duration,
    pub labels: Vec<(String, String)>,
    pub max_series: usize,
    pub quiet: bool,
}

impl LiveConfig {
    /// The rules the live state checks readings against: the `--label`
    /// labels, the grouping names, the names the command writes itself
    /// (`reserved`), and what the destinations can't store.
    pub fn rules(&self, reserved: &[&str]) -> Rules {
        Rules {
            labels: self.labels.clone(),
            grouping: self.dest.grouping_names(),
            reserved: reserved.iter().map(|s| s.to_string()).collect(),
            max_series: self.max_series,
            label_check: self.dest.label_check(),
            finite_only: self.dest.finite_only(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub live: LiveConfig,
    pub parser: LineParser,
    pub from: child::MetricsFrom,
    pub program: OsString,
    pub args: Vec<OsString>,
}

/// How `watch` reads its records.
#[derive(Debug, Clone)]
pub enum Records {
    Lines(LineParser),
    /// With the `--engine-names` map.
    ModelOp(HashMap<String, String>),
}

#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub live: LiveConfig,
    pub records: Records,
    /// `None`: stdin.
    pub path: Option<PathBuf>,
    pub follow: bool,
}

pub fn run(args: RunArgs) -> Result<RunConfig> {
    let mut command = args.command.into_iter();
    let program = command.next().ok_or_else(|| {
        fail(
            Exit::Usage,
            anyhow!("no command given: simplepipe run [OPTIONS] -- CMD [ARGS...]"),
        )
    })?;
    // An option run doesn't know starts the command (clap takes the rest
    // as CMD), and what follows it, --job included, goes with it: say so
    // rather than report a missing job or fail to run "--all-errors".
    if let Some(option) = program.to_str().filter(|p| p.starts_with('-')) {
        return Err(fail(
            Exit::Usage,
            anyhow!("{option:?} is not an option of run (`simplepipe run --help` lists them); the command to run goes last, after --: simplepipe run [OPTIONS] -- CMD [ARGS...]"),
        ));
    }
    Ok(RunConfig {
        live: live(&args.live)?,
        parser: parser(&args.live, args.print_metrics)?,
        from: match args.metrics_from {
            MetricsFrom::Stdout => child::MetricsFrom::Stdout,
            MetricsFrom::Stderr => child::MetricsFrom::Stderr,
            MetricsFrom::Both => child::MetricsFrom::Both,
        },
        program,
        args: command.collect(),
    })
}

pub fn watch(args: WatchArgs) -> Result<WatchConfig> {
    let path = match args.source.as_deref() {
        None | Some("-") => None,
        Some(p) => Some(PathBuf::from(p)),
    };
    if args.follow && path.is_none() {
        return Err(fail(
            Exit::Usage,
            anyhow!("--follow needs a file to follow (stdin is read until it ends anyway)"),
        ));
    }
    let records = match args.format {
        WatchFormat::Lines => {
            if args.engine_names.is_some() {
                return Err(fail(
                    Exit::Usage,
                    anyhow!("--engine-names is for --format modelop"),
                ));
            }
            Records::Lines(parser(&args.live, false)?)
        }
        WatchFormat::Modelop => {
            if args.live.metrics_regex.is_some() {
                return Err(fail(
                    Exit::Usage,
                    anyhow!("--metrics-regex is for --format lines"),
                ));
            }
            let names = match &args.engine_names {
                None => HashMap::new(),
                Some(p) => {
                    let text = std::fs::read_to_string(p).map_err(|e| {
                        fail(Exit::Usage, anyhow!("--engine-names {}: {e}", p.display()))
                    })?;
                    ModelOp::parse_names(&text).map_err(|e| {
                        fail(Exit::Usage, anyhow!("--engine-names {}: {e}", p.display()))
                    })?
                }
            };
            Records::ModelOp(names)
        }
    };
    Ok(WatchConfig {
        live: live(&args.live)?,
        records,
        path,
        follow: args.follow,
    })
}

fn live(args: &LiveArgs) -> Result<LiveConfig> {
    let job = args.grouping.job.clone();
    // Always a PUT of the whole group, as protobuf: each push is the whole
    // current state, so the group holds exactly the latest values.
    let mode = Mode {
        dry_run: false,
        gateway: PushOptions {
            replace: true,
            format: WireFormat::Protobuf,
            gzip: false,
        },
        influx_gzip: false,
    };
    let dest = destinations::resolve(&args.dest, &args.grouping, &args.net, job, mode)?;
    Ok(LiveConfig {
        labels: labels(&args.labels.labels, &dest)?,
        dest,
        interval: args.interval,
        max_series: args.max_series,
        quiet: args.quiet,
    })
}

fn parser(args: &LiveArgs, print: bool) -> Result<LineParser> {
    let builtins = args.metrics_format == MetricsFormat::Auto;
    let regex = args.metrics_regex.as_deref();
    LineParser::configured(builtins, regex, print).map_err(|e| fail(Exit::Usage, e))
}
