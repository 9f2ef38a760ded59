//! `simplepipe run [OPTIONS] -- CMD [ARGS…]`: run a command invisibly and
//! push the metric lines it prints while it runs.
//!
//! Data flow: child output → pass-through (first, always) → line parser →
//! shared state ← a push loop per destination (every `--interval`, each
//! on its own thread) → at the child's exit, the final pushes with `run_*`
//! metrics → exit with the child's code.
//!
//! Exit code: the child's (128 + N for signal N). If the child succeeded
//! and the final push failed, the push's code (6 unreachable, 5 rejected;
//! 6 when one of several destinations failed), unless `--best-effort`
//! forgives it. A failed child's code always wins.

use std::io::Write;

use anyhow::Result;

use super::forgive;
use crate::config::live::RunConfig;
use crate::live::child::{self, Outcome};
use crate::live::session::{self, Session};
use crate::model::{Family, Kind};
use crate::report;
use crate::sink::End;

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
    let live = &cfg.live;
    let session = Session::start(&live.dest, live.interval, live.rules(&RUN_METRICS));
    let handle = session.on_line(cfg.parser.clone());
    let on_line = move |stream: child::Stream, n: u64, line: &str| {
        handle(&|| format!("{} line {n}", stream.name()), line);
    };
    let outcome = child::run(&cfg.program, &cfg.args, cfg.from, on_line);
    let _ = std::io::stdout().flush();
    let outcome = outcome.unwrap_or_else(|e| {
        report::error(&anyhow::anyhow!("cannot run {:?}: {e}", cfg.program));
        // As a shell reports it: 127 not found, 126 not executable.
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        Outcome {
            code: Some(code),
            signal: None,
            duration: Default::default(),
            cpu_seconds: 0.0,
            peak_rss_bytes: 0.0,
        }
    });
    let extra = run_metrics(&outcome, &live.labels);
    let n_extra = extra.len();
    let (state, warnings) = (session.state.clone(), session.warnings.clone());
    let end = match (outcome.signal, outcome.exit_code()) {
        (Some(_), _) => End::Killed,
        (None, 0) => End::Succeeded,
        (None, _) => End::Failed,
    };
    let finished = session.finish(extra, end);
    let code = outcome.exit_code();
    cfg.parser.end(cfg.from, live.quiet);
    if !live.quiet {
        for line in finished.summary(&state, n_extra, (warnings.count(), "metric line")) {
            report::info(line);
        }
    }
    match finished.verdict() {
        Ok(()) => Ok(code),
        Err(e) if code != 0 => {
            // The child's failure is the news; the push's is a footnote.
            for line in format!("{e:#}").lines() {
                report::warn(line);
            }
            report::warn(format!(
                "the final push failed; exiting with the command's code {code}"
            ));
            Ok(code)
        }
        Err(e) => {
            let e = e.context("the command exited 0, but the final push failed");
            forgive(live.dest.best_effort, Err(e)).map(|()| 0)
        }
    }
}

/// What the final push adds: time, outcome, CPU and memory.
fn run_metrics(o: &Outcome, labels: &[(String, String)]) -> Vec<Family> {
    let s = |name, kind, help, v| session::scalar(name, kind, help, labels, v);
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
