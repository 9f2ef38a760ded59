//! What `run` and `watch` share: the sink the push loop is handed, the
//! bounded warning reporter, and the closing summary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use reqwest::Method;

use crate::config::live::LiveConfig;
use crate::config::Target;
use crate::encode;
use crate::gateway::{self, Body};
use crate::live::pusher::{self, Push, SendFn, Tally};
use crate::live::state::{Rules, State};
use crate::model::{Family, Kind, Sample, Series};

/// The state `run` and `watch` update, with the `--label` labels, the
/// grouping names and the names simplepipe reserves for itself.
pub fn state(cfg: &LiveConfig, reserved: &[&str]) -> Arc<Mutex<State>> {
    Arc::new(Mutex::new(State::new(Rules {
        labels: cfg.labels.clone(),
        grouping: cfg.target.grouping_names().map(String::from).collect(),
        reserved: reserved.iter().map(|s| s.to_string()).collect(),
        max_series: cfg.max_series,
    })))
}

/// One PUT of the whole group to the Pushgateway. A periodic push is one
/// attempt (the next interval is the retry, with fresher values); the
/// final one gets `push`'s retries.
pub fn pushgateway(target: &Target) -> SendFn {
    let target = target.clone();
    let mut periodic = target.clone();
    periodic.http.retries = 0;
    Box::new(move |families: &[Family], push: Push| {
        let body = Body {
            bytes: encode::protobuf(families),
            content_type: encode::PROTOBUF_CONTENT_TYPE,
            content_encoding: None,
        };
        let t = if push == Push::Final {
            &target
        } else {
            &periodic
        };
        gateway::send(t, Method::PUT, Some(body))
    })
}

/// Warnings about bad metric lines: the first [`SHOWN`] are printed, then
/// one line saying the rest are only counted. A script that prints a bad
/// line every step must not bury its own log.
pub struct Warnings {
    count: AtomicU64,
}

pub const SHOWN: u64 = 20;

impl Warnings {
    pub fn new() -> Warnings {
        Warnings {
            count: AtomicU64::new(0),
        }
    }

    pub fn warn(&self, at: &str, message: &str) {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= SHOWN {
            warn(&format!("{at}: {message}"));
        }
        if n == SHOWN {
            warn(&format!("{SHOWN} warnings about metric lines so far; further ones are only counted (see the summary at the end)"));
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl Default for Warnings {
    fn default() -> Self {
        Warnings::new()
    }
}

pub fn warn(message: &str) {
    eprintln!("simplepipe: warning: {message}");
}

/// A gauge or counter with one unlabelled-but-for-`--label` series.
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

/// The closing line: what went where, how often, and what was skipped.
pub fn summary(
    cfg: &LiveConfig,
    state: &Mutex<State>,
    extra: usize,
    tally: Tally,
    warnings: u64,
) -> String {
    let (families, series) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        (s.families().len() + extra, s.series_count() + extra)
    };
    let mut line = format!(
        "pushed {families} famil{} ({series} series) to {} (PUT every {}, {} push{}",
        if families == 1 { "y" } else { "ies" },
        gateway::shown_url(&cfg.target),
        pusher::seconds(cfg.interval),
        tally.pushed,
        if tally.pushed == 1 { "" } else { "es" },
    );
    if tally.failed > 0 {
        line.push_str(&format!(", {} failed", tally.failed));
    }
    line.push(')');
    if warnings > 0 {
        line.push_str(&format!(
            "; {warnings} bad metric line{} ignored",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    line
}

/// Print to stderr as `simplepipe: …`.
pub fn info(message: &str) {
    eprintln!("simplepipe: {message}");
}

/// The final push's outcome, forgiven as `--best-effort` says.
pub fn forgive(cfg: &LiveConfig, result: Result<()>) -> Result<()> {
    crate::forgive(cfg.target.best_effort, result)
}
