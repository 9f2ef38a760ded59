//! `simplepipe watch [SOURCE] [--follow] [--format lines|modelop]`: read
//! records from a file or stdin and push the state they build, every
//! `--interval` and once more at the end: at EOF, or, with `--follow` (a
//! sidecar next to a process writing a log), on SIGTERM or SIGINT.
//!
//! Data flow: file/stdin (or the `tail -F` follower) → lines → parser or
//! ModelOp mapper → shared state ← a push loop per destination → final
//! pushes.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use anyhow::{Context, Result};
use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::forgive;
use crate::config::live::{Records, WatchConfig};
use crate::error::{Exit, ExitContext};
use crate::live::lines::{LineParser, Splitter};
use crate::live::modelop::{self, ModelOp};
use crate::live::records::{self, follow_file, read_all};
use crate::live::session::Session;
use crate::report;
use crate::sink::End;

/// Why reading stopped.
enum Done {
    End(std::io::Result<()>),
    Signal,
}

type Handler = Box<dyn FnMut(&dyn Fn() -> String, &str) + Send>;

pub fn run(cfg: WatchConfig) -> Result<()> {
    let origin = cfg
        .path
        .as_ref()
        .map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
    let (reserved, bad): (&[&str], _) = match cfg.records {
        Records::ModelOp(_) => (&[modelop::IGNORED], "record"),
        Records::Lines(_) => (&[], "metric line"),
    };
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
    let live = &cfg.live;
    let session = Session::start(&live.dest, live.interval, live.rules(reserved));
    let modelop_like = Arc::new(AtomicBool::new(false));
    let mut handler = handler(&cfg.records, &session, modelop_like.clone());
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
    {
        let (path, follow, quiet, origin) =
            (cfg.path.clone(), cfg.follow, live.quiet, origin.clone());
        let stop = stop.clone();
        thread::spawn(move || {
            let mut lines = Splitter::new(|n: u64, line: &str| {
                handler(&|| format!("{origin} line {n}"), line);
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
    let (state, warnings) = (session.state.clone(), session.warnings.clone());
    // The input's end, or a signal (how `--follow` stops), is a normal end.
    let end = read.as_ref().map_or(End::Failed, |()| End::Succeeded);
    let finished = session.finish(Vec::new(), end);
    if read.is_ok() && !live.quiet {
        for line in finished.summary(&state, 0, (warnings.count(), bad)) {
            report::info(line);
        }
    }
    if let (Ok(()), Records::Lines(parser)) = (&read, &cfg.records) {
        let modelop = modelop_like.load(Ordering::Relaxed);
        if let Some(note) = nothing_read(parser, &origin, modelop) {
            report::warn(note);
        }
    }
    read?;
    forgive(live.dest.best_effort, finished.verdict())
}

/// What turns each record into metrics: the line parser (which also notes
/// whether a line looks like a ModelOp message, in `modelop_like`) or the
/// ModelOp mapper.
fn handler(records: &Records, session: &Session, modelop_like: Arc<AtomicBool>) -> Handler {
    match records {
        Records::Lines(p) => {
            let on_line = session.on_line(p.clone());
            Box::new(move |at: &dyn Fn() -> String, line: &str| {
                if !modelop_like.load(Ordering::Relaxed) && ModelOp::looks_like(line) {
                    modelop_like.store(true, Ordering::Relaxed);
                }
                on_line(at, line);
            })
        }
        Records::ModelOp(names) => Box::new(records::modelop(
            ModelOp::new(names.clone()),
            session.state.clone(),
            session.warnings.clone(),
        )),
    }
}

/// The warning a `watch` that read no metric ends with: that nothing was
/// read from `origin`, what its lines were, and, when they look like a
/// ModelOp stream, the option that reads one.
fn nothing_read(parser: &LineParser, origin: &str, modelop_like: bool) -> Option<String> {
    let mut note = parser.no_metric_note_in(origin)?;
    if modelop_like {
        note.push_str(
            "; its lines look like ModelOp Center stream messages (sensor-report, engine-state): read them with --format modelop",
        );
    }
    Some(format!("nothing was read: {note}"))
}
