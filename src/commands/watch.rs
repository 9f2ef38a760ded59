//! `simplepipe watch [SOURCE] [--follow] [--format lines|modelop]`: read
//! records from a file or stdin and push the state they build, every
//! `--interval` and once more at the end: at EOF, or, with `--follow` (a
//! sidecar next to a process writing a log), on SIGTERM or SIGINT.
//!
//! Data flow: file/stdin (or the `tail -F` follower) → lines → parser or
//! ModelOp mapper → shared state ← push loop → final push.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use anyhow::{Context, Result};
use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::live_push::{self as common, Warnings};
use crate::config::live::{Records, WatchConfig};
use crate::error::{Exit, ExitContext};
use crate::live::follow::{Event, Follow};
use crate::live::lines::{LineParser, Splitter};
use crate::live::modelop::{self, ModelOp};
use crate::live::pusher::Pusher;
use crate::live::state::State;
use crate::report;

/// Why reading stopped.
enum Done {
    End(std::io::Result<()>),
    Signal,
}

pub fn run(cfg: WatchConfig) -> Result<()> {
    let origin = cfg
        .path
        .as_ref()
        .map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
    let (reserved, bad): (&[&str], _) = match cfg.records {
        Records::ModelOp(_) => (&[modelop::IGNORED], "record"),
        Records::Lines(_) => (&[], "metric line"),
    };
    let state = common::state(&cfg.live, reserved);
    // Unreadable input is exit 3 before anything starts (with --follow a
    // missing file is waited for instead: the writer may not have begun).
    let file = match (&cfg.path, cfg.follow) {
        (Some(p), false) => Some(
            File::open(p)
                .with_context(|| format!("cannot read {}", p.display()))
                .exit_with(Exit::Source)?,
        ),
        _ => None,
    };
    let mut handler = match &cfg.records {
        Records::Lines(p) => Handler::Lines(p.clone()),
        Records::ModelOp(names) => {
            let m = ModelOp::new(names.clone());
            m.init(&mut state.lock().unwrap_or_else(|e| e.into_inner()));
            Handler::ModelOp(m)
        }
    };
    let warnings = Arc::new(Warnings::default());
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel();

    let mut signals = Signals::new([SIGTERM, SIGINT]).context("cannot handle signals")?;
    let handle = signals.handle();
    {
        let (stop, done) = (stop.clone(), done_tx.clone());
        thread::spawn(move || {
            if signals.forever().next().is_some() {
                stop.store(true, Ordering::SeqCst);
                let _ = done.send(Done::Signal);
            }
        });
    }
    let (pusher, tally) = Pusher::start(
        cfg.live.interval,
        state.clone(),
        common::send_fn(&cfg.live.sink),
        common::warn,
    );
    {
        let (state, warnings, stop) = (state.clone(), warnings.clone(), stop.clone());
        let (path, follow, quiet, origin) =
            (cfg.path.clone(), cfg.follow, cfg.live.quiet, origin.clone());
        thread::spawn(move || {
            let mut lines = Splitter::new(|n: u64, line: &str| {
                handler.line(line, &state, &mut |w| {
                    warnings.warn(&format!("{origin} line {n}"), w)
                });
            });
            let result = match (file, path) {
                (Some(f), _) => read_all(f, &mut lines),
                (None, Some(p)) if follow => follow_file(&p, &stop, quiet, &mut lines),
                _ => read_all(std::io::stdin().lock(), &mut lines),
            };
            lines.finish();
            let _ = done_tx.send(Done::End(result));
        });
    }
    let done = done_rx.recv().unwrap_or(Done::End(Ok(())));
    handle.close();
    let read = match done {
        Done::End(r) => r
            .with_context(|| format!("reading {origin}"))
            .exit_with(Exit::Source),
        Done::Signal => Ok(()),
    };
    let pushed = pusher.finish(Vec::new());
    let tally = *tally.lock().unwrap_or_else(|e| e.into_inner());
    if pushed.is_ok() && read.is_ok() && !cfg.live.quiet {
        report::info(common::summary(
            &cfg.live,
            &state,
            0,
            tally,
            (warnings.count(), bad),
        ));
    }
    read?;
    common::forgive_push(&cfg.live, pushed)
}

/// What one line does to the state.
enum Handler {
    Lines(LineParser),
    ModelOp(ModelOp),
}

impl Handler {
    fn line(&mut self, line: &str, state: &Mutex<State>, warn: &mut dyn FnMut(&str)) {
        match self {
            Handler::Lines(parser) => {
                let parsed = parser.parse(line);
                for w in &parsed.warnings {
                    warn(w);
                }
                if parsed.readings.is_empty() {
                    return;
                }
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                for r in &parsed.readings {
                    if let Err(w) = s.record(r) {
                        warn(&w);
                    }
                }
            }
            Handler::ModelOp(m) => {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(w) = m.apply(line, &mut s) {
                    drop(s);
                    warn(&w);
                }
            }
        }
    }
}

fn read_all<F: FnMut(u64, &str)>(
    mut from: impl Read,
    lines: &mut Splitter<F>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => lines.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn follow_file<F: FnMut(u64, &str)>(
    path: &Path,
    stop: &AtomicBool,
    quiet: bool,
    lines: &mut Splitter<F>,
) -> std::io::Result<()> {
    let shown = path.display();
    let say = |m: String| {
        if !quiet {
            report::info(m);
        }
    };
    Follow::new(path).run(&|| stop.load(Ordering::SeqCst), &mut |event| match event {
        Event::Data(d) => lines.feed(d),
        Event::Rotated => {
            lines.restart();
            say(format!(
                "{shown} was replaced (rotated); following the new file"
            ));
        }
        Event::Truncated => {
            lines.restart();
            say(format!("{shown} was truncated; reading it from the start"));
        }
        Event::Waiting => say(format!("waiting for {shown} to appear")),
    })
}
