//! What `run` and `watch` share: the state they fill, the send function
//! the push loop is handed (built from the configured [`Sink`], so another
//! destination plugs in without touching the loop), the bounded warning
//! reporter, and the closing summary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;

use super::forgive;
use crate::config::live::LiveConfig;
use crate::live::pusher::{self, Push, SendFn, Tally};
use crate::live::state::{Rules, State};
use crate::model::{Family, Kind, Sample, Series};
use crate::report;
use crate::sink::Sink;

/// The state `run` and `watch` update, with the `--label` labels, the
/// grouping names and the names simplepipe reserves for itself.
pub fn state(cfg: &LiveConfig, reserved: &[&str]) -> Arc<Mutex<State>> {
    Arc::new(Mutex::new(State::new(Rules {
        labels: cfg.labels.clone(),
        grouping: cfg.grouping.clone(),
        reserved: reserved.iter().map(|s| s.to_string()).collect(),
        max_series: cfg.max_series,
        label_check: cfg.label_check,
        finite_only: cfg.finite_only,
    })))
}

/// Send a snapshot to the sink. A periodic push is one attempt: the next
/// interval is its retry, with fresher values, and a retry loop would only
/// hold the final push up. The final push gets `push`'s retries, all
/// within `--timeout` from when it starts.
pub fn send_fn(sink: &Sink) -> SendFn {
    let final_sink = sink.clone();
    let mut periodic = sink.clone();
    periodic.http_mut().retries = 0;
    Box::new(move |families: &[Family], push: Push| match push {
        Push::Periodic => periodic.push(&families.into()),
        Push::Final => {
            let mut sink = final_sink.clone();
            let http = sink.http_mut();
            http.deadline = Some(Instant::now() + http.timeout);
            sink.push(&families.into())
        }
    })
}

/// Warnings about bad metric lines: the first [`SHOWN`] are printed, then
/// one line saying the rest are only counted. A script that prints a bad
/// line every step must not bury its own log.
#[derive(Default)]
pub struct Warnings {
    count: AtomicU64,
}

pub const SHOWN: u64 = 20;

impl Warnings {
    pub fn warn(&self, at: &str, message: &str) {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= SHOWN {
            report::warn(format!("{at}: {message}"));
        }
        if n == SHOWN {
            report::warn(format!("{SHOWN} warnings about metric lines so far; further ones are only counted (see the summary at the end)"));
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// For the push loop, which takes a plain function.
pub fn warn(line: &str) {
    report::warn(line);
}

/// A family of one series, labelled with the `--label` labels only.
pub fn scalar(name: &str, kind: Kind, help: &str, labels: &[(String, String)], v: f64) -> Family {
    let mut labels: Vec<_> = labels
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
        .collect();
    labels.sort();
    Family {
        name: name.to_string(),
        help: help.to_string(),
        kind,
        series: vec![Series {
            labels,
            sample: Sample::Scalar(v),
        }],
    }
}

/// The closing line: what went where, how often, and what was skipped
/// (`bad`: what a warned-about input is called, "metric line" or "record").
pub fn summary(
    cfg: &LiveConfig,
    state: &Mutex<State>,
    extra: usize,
    tally: Tally,
    (warnings, bad): (u64, &str),
) -> String {
    let (families, series) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        (s.families().len() + extra, s.series_count() + extra)
    };
    let mut line = format!(
        "pushed {families} famil{} ({series} series) to {} every {}, {} push{}",
        if families == 1 { "y" } else { "ies" },
        cfg.sink.describe_destination(),
        pusher::seconds(cfg.interval),
        tally.pushed,
        if tally.pushed == 1 { "" } else { "es" },
    );
    if tally.failed > 0 {
        line.push_str(&format!(" ({} failed)", tally.failed));
    }
    if warnings > 0 {
        line.push_str(&format!(
            "; {warnings} bad {bad}{} ignored",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    line
}

/// The final push's outcome, forgiven as `--best-effort` says.
pub fn forgive_push(cfg: &LiveConfig, result: Result<()>) -> Result<()> {
    forgive(cfg.best_effort, result)
}
