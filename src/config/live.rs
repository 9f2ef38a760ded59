//! `run` and `watch` arguments → their typed configuration, before anything
//! starts: the push target (the same options and variables as `push`:
//! exactly one of a Pushgateway, remote write or InfluxDB), the
//! interval, the line format (a bad `--metrics-regex` is a usage error, not
//! a surprise an hour into training), the `--engine-names` map.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::{influx, labels, remote_write, target};
use crate::cli::{
    BestEffort, LiveArgs, MetricsFormat, MetricsFrom, RunArgs, WatchArgs, WatchFormat,
};
use crate::encode::line_protocol;
use crate::error::{fail, Exit};
use crate::live::{child, lines::LineParser, modelop::ModelOp};
use crate::sink::pushgateway::{PushOptions, WireFormat};
use crate::sink::Sink;

/// What `run` and `watch` share.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Where the state goes: one PUT of the whole group each time.
    pub sink: Sink,
    /// The grouping label names, which series labels may not reuse.
    pub grouping: Vec<String>,
    /// What the destination cannot carry in a label (InfluxDB's tag rule,
    /// as `push` applies it); `None` when it carries anything.
    pub label_check: Option<fn(&str, &str) -> Option<String>>,
    /// Whether NaN and ±Inf are refused as they are read (InfluxDB cannot
    /// store them; skipping them at every push would warn every interval).
    pub finite_only: bool,
    pub best_effort: Option<BestEffort>,
    pub interval: Duration,
    pub labels: Vec<(String, String)>,
    pub max_series: usize,
    pub quiet: bool,
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
    let influx = influx::wanted(&args.influx, false);
    let sink = match (&args.remote_write, influx) {
        (Some(_), true) => {
            return Err(fail(
                Exit::Usage,
                anyhow!("--remote-write and --influx are both given; give exactly one destination"),
            ))
        }
        (Some(raw), false) => {
            influx::unused(&args.influx)?;
            let max = args.max_samples_per_request;
            let target =
                remote_write::target(raw, &args.gateway, &args.grouping, &args.net, job, max)?;
            Sink::RemoteWrite(target)
        }
        (None, true) => {
            let (ia, gw, net) = (&args.influx, &args.gateway, &args.net);
            Sink::Influx(influx::target(ia, gw, &args.grouping, net, job, false)?)
        }
        (None, false) => {
            influx::unused(&args.influx)?;
            let target = target::target(&args.gateway, &args.grouping, &args.net, job, false)?;
            // Always a PUT of the whole group, as protobuf: each push is the
            // whole current state, so the group holds exactly the latest values.
            let how = PushOptions {
                replace: true,
                format: WireFormat::Protobuf,
                gzip: false,
            };
            Sink::Pushgateway { target, how }
        }
    };
    let grouping_pairs = match &sink {
        Sink::Pushgateway { target, .. } => &target.grouping,
        Sink::RemoteWrite(target) => &target.labels,
        Sink::Influx(target) => &target.tags,
    };
    let labels = labels(&args.labels, grouping_pairs)?;
    // InfluxDB tags: the same rule `push` applies to its labels, for
    // `--label` here and for every series label the state records.
    let label_check: Option<fn(&str, &str) -> Option<String>> = match &sink {
        Sink::Influx(_) => {
            for (k, v) in &labels {
                influx::tag_ok(&format!("--label {k}"), k, v)?;
            }
            Some(line_protocol::tag_problem)
        }
        _ => None,
    };
    let grouping = grouping_pairs.iter().map(|(k, _)| k.clone()).collect();
    Ok(LiveConfig {
        finite_only: matches!(sink, Sink::Influx(_)),
        sink,
        grouping,
        label_check,
        best_effort: args.gateway.best_effort,
        interval: duration("--interval", &args.interval)?,
        labels,
        max_series: args.max_series,
        quiet: args.quiet,
    })
}

fn parser(args: &LiveArgs, print: bool) -> Result<LineParser> {
    let builtins = args.metrics_format == MetricsFormat::Auto;
    let regex = args.metrics_regex.as_deref();
    LineParser::configured(builtins, regex, print).map_err(|e| fail(Exit::Usage, e))
}

/// `15s`, `500ms`, `2m`, `1h`, or a number of seconds.
pub fn duration(option: &str, raw: &str) -> Result<Duration> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    match number.parse::<f64>() {
        Ok(n) if (n * scale).is_finite() && n * scale >= 0.001 && n * scale < 1e9 => {
            Ok(Duration::from_secs_f64(n * scale))
        }
        _ => Err(fail(
            Exit::Usage,
            anyhow!("{option} {raw:?}: expected a duration such as 15s, 500ms, 2m or 1h"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| duration("--interval", s).map_err(|e| e.to_string());
        assert_eq!(d("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(d("15"), Ok(Duration::from_secs(15)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(d("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "0", "-1s", "15 s", "1d", "1e3"] {
            assert_eq!(
                d(bad),
                Err(format!(
                    "--interval {bad:?}: expected a duration such as 15s, 500ms, 2m or 1h"
                )),
                "{bad}"
            );
        }
    }
}
