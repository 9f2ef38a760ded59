//! A live session, what `run` and `watch` share: the state the readers
//! fill, one push loop per destination (each independent, so a slow or
//! dead destination never holds back the others, the readers, or the
//! final push), the line handler, the bounded warning reporter, and the
//! closing summary.
//!
//! Its own module, not a command's: the commands only say where lines come
//! from (a child's output, a file) and what the final push adds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::lines::LineParser;
use super::pusher::{self, Push, Pusher, SendFn, Tally};
use super::state::{Rules, State};
use crate::model::{Family, Kind, Sample, Series};
use crate::report;
use crate::sink::fanout::{self, Outcome};
use crate::sink::{Destinations, Effort, End, Sink};

/// A running session.
pub struct Session {
    pub state: Arc<Mutex<State>>,
    pub warnings: Arc<Warnings>,
    loops: Vec<Loop>,
    interval: Duration,
}

/// One destination's push loop.
struct Loop {
    sink: Arc<dyn Sink>,
    pusher: Pusher,
    tally: Arc<Mutex<Tally>>,
}

/// How the session ended, destination by destination.
pub struct Finished {
    interval: Duration,
    ends: Vec<(Arc<dyn Sink>, Result<()>, Tally)>,
}

impl Session {
    /// Start pushing to every destination every `interval`.
    pub fn start(dest: &Destinations, interval: Duration, rules: Rules) -> Session {
        // A destination that keeps a record of the session opens it first
        // (an MLflow run, RUNNING); one that cannot yet is warned about and
        // tries again at its next push.
        for sink in &dest.sinks {
            if let Err(e) = sink.start() {
                report::warn(format!("{}: {e:#}", sink.kind()));
            }
        }
        let state = Arc::new(Mutex::new(State::new(rules)));
        let loops = dest
            .sinks
            .iter()
            .map(|sink| {
                let send = send_fn(sink.clone());
                let (pusher, tally) = Pusher::start(interval, state.clone(), send, warn);
                Loop {
                    sink: sink.clone(),
                    pusher,
                    tally,
                }
            })
            .collect();
        Session {
            state,
            warnings: Arc::new(Warnings::default()),
            loops,
            interval,
        }
    }

    /// The line handler: parse → warn → lock → record. `at` names the line
    /// in warnings (`stdout line 12`).
    pub fn on_line(&self, parser: LineParser) -> impl Fn(&dyn Fn() -> String, &str) + Send {
        let (state, warnings) = (self.state.clone(), self.warnings.clone());
        move |at: &dyn Fn() -> String, line: &str| {
            let parsed = parser.parse(line);
            parser.show(at, &parsed);
            for w in &parsed.warnings {
                warnings.warn(&at(), w);
            }
            if parsed.readings.is_empty() {
                return;
            }
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            for r in &parsed.readings {
                if let Err(w) = s.record(r) {
                    warnings.warn(&at(), &w);
                }
            }
        }
    }

    /// Stop the periodic pushes and make the final ones, the state plus
    /// `extra`, to every destination at once; then tell each how the
    /// session ended (`end`), a failure to record it being a warning.
    pub fn finish(self, extra: Vec<Family>, end: End) -> Finished {
        let pending: Vec<_> = self
            .loops
            .into_iter()
            .map(|l| (l.sink, l.pusher.finish_later(extra.clone()), l.tally))
            .collect();
        let ends = pending
            .into_iter()
            .map(|(sink, done, tally)| {
                let result = done.wait();
                let tally = *tally.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(e) = sink.finish(end) {
                    report::warn(format!("{}: {e:#}", sink.kind()));
                }
                (sink, result, tally)
            })
            .collect();
        Finished {
            interval: self.interval,
            ends,
        }
    }
}

impl Finished {
    /// The closing lines, one per destination whose final push landed:
    /// what went where, how often, and (`warnings`, `bad`: what a
    /// warned-about input is called) what was skipped.
    pub fn summary(
        &self,
        state: &Mutex<State>,
        extra: usize,
        (warnings, bad): (u64, &str),
    ) -> Vec<String> {
        let (families, series) = {
            let s = state.lock().unwrap_or_else(|e| e.into_inner());
            (s.families().len() + extra, s.series_count() + extra)
        };
        let skipped = (warnings > 0).then(|| {
            format!(
                "{warnings} bad {bad}{} ignored",
                if warnings == 1 { "" } else { "s" }
            )
        });
        let mut lines: Vec<String> = self
            .ends
            .iter()
            .filter(|(_, result, _)| result.is_ok())
            .map(|(sink, _, tally)| {
                let mut line = format!(
                    "pushed {families} famil{} ({series} series) to {} every {}, {} push{}",
                    if families == 1 { "y" } else { "ies" },
                    sink.destination(),
                    pusher::seconds(self.interval),
                    tally.pushed,
                    if tally.pushed == 1 { "" } else { "es" },
                );
                if tally.failed > 0 {
                    line.push_str(&format!(" ({} failed)", tally.failed));
                }
                line
            })
            .collect();
        match (&skipped, lines.as_mut_slice()) {
            (Some(s), [only]) => only.push_str(&format!("; {s}")),
            (Some(s), _) => lines.push(s.clone()),
            (None, _) => {}
        }
        lines
    }

    /// Whether every final push landed; else the failure (several
    /// destinations: each named, exit 6).
    pub fn verdict(self) -> Result<()> {
        fanout::verdict(
            self.ends
                .into_iter()
                .map(|(sink, result, _)| Outcome {
                    sink,
                    result: result.map(|()| String::new()),
                })
                .collect(),
        )
    }
}

/// Send a snapshot to one destination. A periodic push is one attempt: the
/// next interval is its retry, with fresher values, and a retry loop would
/// only hold the final push up. The final push gets `push`'s retries, all
/// within `--timeout` from when it starts.
fn send_fn(sink: Arc<dyn Sink>) -> SendFn {
    Arc::new(move |families: &[Family], push: Push| {
        let effort = match push {
            Push::Periodic => Effort {
                retries: Some(0),
                deadline: None,
            },
            Push::Final => Effort {
                retries: None,
                deadline: Some(Instant::now() + sink.timeout()),
            },
        };
        sink.push(&families.into(), effort).map(drop)
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
    let mut labels: crate::model::Labels = labels
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
