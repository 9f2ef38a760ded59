//! The only writer of stderr lines besides `main`'s error report: warnings,
//! notices and `-v` debug lines, each with the one `simplepipe:` prefix.
//!
//! Why one place: the prefix and the verbosity switch are decided once, so
//! no stage hand-writes a prefix or carries a `verbose` flag through its
//! option types. Verbosity is set once by `run()`, before any stage runs.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);
/// Set when a write to stderr failed: nothing more is written there.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Write one line to stderr, unless stderr is gone. A closed stderr
/// (`run … 2>&1 | head -2`) is no reason to stop: the first failed write
/// turns stderr off and the run goes on, so that the final push and the
/// exit code are kept (`eprintln!` would panic, and panics abort).
fn emit(line: std::fmt::Arguments) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    // One write per line: stderr is unbuffered, and `writeln!` would write
    // each formatted piece on its own, so a child writing to the same
    // stderr (`run`) could land in the middle of our line.
    let mut text = line.to_string();
    text.push('\n');
    let mut err = std::io::stderr().lock();
    if err
        .write_all(text.as_bytes())
        .and_then(|()| err.flush())
        .is_err()
    {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// Turn `-v` debug lines on (called once, by `run()`).
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// A notice the user asked for (a summary, a retry): `simplepipe: …`.
pub fn info(line: impl AsRef<str>) {
    for l in line.as_ref().lines() {
        emit(format_args!("simplepipe: {l}"));
    }
}

/// A line shown as it is, with no prefix: what a dry run would send.
pub fn info_plain(line: impl AsRef<str>) {
    emit(format_args!("{}", line.as_ref()));
}

/// Something worth knowing that does not stop the run.
pub fn warn(line: impl AsRef<str>) {
    for l in line.as_ref().lines() {
        emit(format_args!("simplepipe: warning: {l}"));
    }
}

/// A `-v` line; the message is only built when verbose.
pub fn debug(line: impl FnOnce() -> String) {
    if verbose() {
        emit(format_args!("simplepipe: debug: {}", line()));
    }
}

/// The error report, one `simplepipe: error:` line per line of the
/// message (called by `main`, and by `validate` for each failed source of
/// several).
pub fn error(err: &anyhow::Error) {
    for l in format!("{err:#}").lines() {
        emit(format_args!("simplepipe: error: {l}"));
    }
}

/// Text longer than `max` characters cut to `max`, with `…` where it was
/// cut (the one truncator for values, server answers and messages).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdé", 3), "abc…");
    }
}
