//! Where `watch`'s records come from: a file or stdin read to its end, or
//! a file followed as it grows (`tail -F`, [`super::follow`]), cut into
//! lines ([`Splitter`]) for the session's handler; and the ModelOp
//! handler, which maps a stream's messages onto the same state.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::follow::{Event, Follow};
use super::lines::Splitter;
use super::modelop::ModelOp;
use super::session::Warnings;
use super::state::State;
use crate::report;

/// Read `from` to its end, line by line.
pub fn read_all<F: FnMut(u64, &str)>(
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

/// Follow `path` until `stop`, saying (unless `quiet`) when it is rotated,
/// truncated or missing.
pub fn follow_file<F: FnMut(u64, &str)>(
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

/// The handler of a ModelOp stream: each message applied to the state
/// under its lock, a bad one warned about.
pub fn modelop(
    mut m: ModelOp,
    state: Arc<Mutex<State>>,
    warnings: Arc<Warnings>,
) -> impl FnMut(&dyn Fn() -> String, &str) + Send {
    m.init(&mut state.lock().unwrap_or_else(|e| e.into_inner()));
    move |at: &dyn Fn() -> String, line: &str| {
        let applied = m.apply(line, &mut state.lock().unwrap_or_else(|e| e.into_inner()));
        if let Err(w) = applied {
            warnings.warn(&at(), &w);
        }
        if let Some(note) = m.take_note() {
            report::warn(format!("{}: {note}", at()));
        }
    }
}
