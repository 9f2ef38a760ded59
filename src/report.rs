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
        emit(format_args!("simplepipe: {}", printable(l)));
    }
}

/// A line shown as it is, with no prefix: what a dry run would send.
pub fn info_plain(line: impl AsRef<str>) {
    emit(format_args!("{}", line.as_ref()));
}

/// Something worth knowing that does not stop the run.
pub fn warn(line: impl AsRef<str>) {
    for l in line.as_ref().lines() {
        emit(format_args!("simplepipe: warning: {}", printable(l)));
    }
}

/// A `-v` line; the message is only built when verbose.
pub fn debug(line: impl FnOnce() -> String) {
    if verbose() {
        for l in line().lines() {
            emit(format_args!("simplepipe: debug: {}", printable(l)));
        }
    }
}

/// The error report, one `simplepipe: error:` line per line of the
/// message (called by `main`, and by `validate` for each failed source of
/// several).
pub fn error(err: &anyhow::Error) {
    for l in format!("{err:#}").lines() {
        emit(format_args!("simplepipe: error: {}", printable(l)));
    }
}

/// Control characters escaped (`\u{1b}`, `\n`, …; a tab is kept): a tar
/// member name, a server's error body or a user's value reaches the
/// terminal as text, so it can neither forge a line of ours nor send an
/// ANSI escape (setting the terminal's title, hiding text).
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    fn control_characters_are_escaped() {
        assert_eq!(printable("plain\ttext"), "plain\ttext");
        assert_eq!(
            printable("a\nsimplepipe: x\x1b]0;t\x07"),
            "a\\nsimplepipe: x\\u{1b}]0;t\\u{7}"
        );
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdé", 3), "abc…");
    }
}
