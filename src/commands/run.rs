//! `simplepipe run [OPTIONS] -- CMD [ARGS…]`: run a command invisibly and
//! push the metric lines it prints while it runs.
//!
//! Data flow: child output → pass-through (first, always) → line parser →
//! shared state ← push loop (every `--interval`, its own thread) → at the
//! child's exit, the final push with `run_*` metrics → exit with the
//! child's code.
//!
//! Exit code: the child's (128 + N for signal N). If the child succeeded
//! and the final push failed, the push's code (6 unreachable, 5 rejected),
//! unless `--best-effort` forgives it. A failed child's code always wins.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;

use super::live_push::{self as common, Warnings};
use crate::config::live::RunConfig;
use crate::live::child::{self, Outcome};
use crate::live::pusher::Pusher;
use crate::model::{Family, Kind};
use crate::report;

/// The names the final push adds; a child may not report them.
pub const RUN_METRICS: [&str; 5] = [
    "run_duration_seconds",
    "run_exit_code",
    "run_succeeded",
    "run_cpu_seconds_total",
    "run_peak_rss_bytes",
];

/// Run the command; returns the exit code simplepipe should exit with.
pub fn run(cfg: &RunConfig) -> Result<i32> {
    let state = common::state(&cfg.live, &RUN_METRICS);
    let warnings = Arc::new(Warnings::default());
    let (pusher, tally) = Pusher::start(
        cfg.live.interval,
        state.clone(),
        common::send_fn(&cfg.live.sink),
        common::warn,
    );
    let on_line = {
        let (state, warnings, parser) = (state.clone(), warnings.clone(), cfg.parser.clone());
        move |stream: child::Stream, n: u64, line: &str| {
            let parsed = parser.parse(line);
            let at = || format!("{} line {n}", stream.name());
            parser.show(&at, &parsed);
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
    };
    let outcome = child::run(&cfg.program, &cfg.args, cfg.from, on_line);
    let _ = std::io::stdout().flush();
    let (outcome, start_error) = match outcome {
        Ok(o) => (o, None),
        Err(e) => {
            // As a shell reports it: 127 not found, 126 not executable.
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            let o = Outcome {
                code: Some(code),
                signal: None,
                duration: Default::default(),
                cpu_seconds: 0.0,
                peak_rss_bytes: 0.0,
            };
            let msg = format!("cannot run {:?}: {e}", cfg.program);
            (o, Some(msg))
        }
    };
    if let Some(msg) = &start_error {
        report::error(&anyhow::anyhow!("{msg}"));
    }
    let extra = run_metrics(&outcome, &cfg.live.labels);
    let n_extra = extra.len();
    let pushed = pusher.finish(extra);
    let code = outcome.exit_code();
    let tally = *tally.lock().unwrap_or_else(|e| e.into_inner());
    cfg.parser.end(cfg.from, cfg.live.quiet);
    if pushed.is_ok() && !cfg.live.quiet {
        report::info(common::summary(
            &cfg.live,
            &state,
            n_extra,
            tally,
            (warnings.count(), "metric line"),
        ));
    }
    match pushed {
        Ok(()) => Ok(code),
        Err(e) if code != 0 => {
            // The child's failure is the news; the push's is a footnote.
            for line in format!("{e:#}").lines() {
                common::warn(line);
            }
            common::warn(&format!(
                "the final push failed; exiting with the command's code {code}"
            ));
            Ok(code)
        }
        Err(e) => {
            let e = e.context("the command exited 0, but the final push failed");
            common::forgive_push(&cfg.live, Err(e)).map(|()| 0)
        }
    }
}

/// What the final push adds: time, outcome, CPU and memory.
fn run_metrics(o: &Outcome, labels: &[(String, String)]) -> Vec<Family> {
    let s = |name, kind, help, v| common::scalar(name, kind, help, labels, v);
    vec![
        s(
            RUN_METRICS[0],
            Kind::Gauge,
            "Wall-clock time of the command, in seconds",
            o.duration.as_secs_f64(),
        ),
        s(
            RUN_METRICS[1],
            Kind::Gauge,
            "The command's exit code (128 + N when signal N ended it)",
            f64::from(o.exit_code()),
        ),
        s(
            RUN_METRICS[2],
            Kind::Gauge,
            "1 if the command exited with code 0, else 0",
            f64::from(u8::from(o.exit_code() == 0)),
        ),
        s(
            RUN_METRICS[3],
            Kind::Counter,
            "User plus system CPU time of the command and its waited-for children, in seconds",
            o.cpu_seconds,
        ),
        s(
            RUN_METRICS[4],
            Kind::Gauge,
            "Peak resident set size of the command (or its largest waited-for child), in bytes",
            o.peak_rss_bytes,
        ),
    ]
}
