//! The only writer of stderr lines besides `main`'s error report: warnings,
//! notices and `-v` debug lines, each with the one `simplepipe:` prefix.
//!
//! Why one place: the prefix and the verbosity switch are decided once, so
//! no stage hand-writes a prefix or carries a `verbose` flag through its
//! option types. Verbosity is set once by `run()`, before any stage runs.

use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

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
        eprintln!("simplepipe: {}", printable(l));
    }
}

/// A line shown as it is, with no prefix: what a dry run would send.
pub fn info_plain(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

/// Something worth knowing that does not stop the run.
pub fn warn(line: impl AsRef<str>) {
    for l in line.as_ref().lines() {
        eprintln!("simplepipe: warning: {}", printable(l));
    }
}

/// A `-v` line; the message is only built when verbose.
pub fn debug(line: impl FnOnce() -> String) {
    if verbose() {
        for l in line().lines() {
            eprintln!("simplepipe: debug: {}", printable(l));
        }
    }
}

/// The error report, one `simplepipe: error:` line per line of the
/// message (called by `main`, and by `validate` for each failed source of
/// several).
pub fn error(err: &anyhow::Error) {
    for l in format!("{err:#}").lines() {
        eprintln!("simplepipe: error: {}", printable(l));
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
