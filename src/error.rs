//! Error kinds and the exit-code contract.
//!
//! Every stage returns `anyhow::Error` with context that names the file, key
//! or URL involved. Where the exit code depends on *what* failed, the stage
//! wraps its error in a [`Failure`] carrying an [`Exit`] kind; `main` asks
//! [`exit_code`] once, so the mapping from failures to codes lives in one
//! place and matches the table in the README.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Ok = 0,
    /// 1: a bug or an unexpected condition inside simplepipe.
    Internal = 1,
    /// 2: the command line or environment is wrong.
    Usage = 2,
    /// 3: the source cannot be read.
    Source = 3,
    /// 4: the artifact is invalid.
    Invalid = 4,
    /// 5: the gateway rejected the request (4xx).
    Rejected = 5,
    /// 6: the gateway cannot be reached, timed out, or answered 5xx.
    Unreachable = 6,
}

/// An error tagged with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Failure {}

/// Tag an error with its exit kind.
pub fn fail(exit: Exit, error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        error: error.into(),
    })
}

/// Shorthand for `return Err(fail(exit, anyhow!(...)))`. Crate-private:
/// imported as `crate::error::bail_with`.
macro_rules! bail_with {
    ($exit:expr, $($arg:tt)*) => {
        return Err($crate::error::fail($exit, anyhow::anyhow!($($arg)*)))
    };
}
pub(crate) use bail_with;

/// Tag any `Result`'s error with an exit kind, where it happens.
pub trait ExitContext<T, E> {
    /// Keep the error as it is, tagged.
    fn exit_with(self, exit: Exit) -> anyhow::Result<T>;
    /// Replace the error by a message built from it, tagged: the one helper
    /// for `map_err(|e| fail(exit, anyhow!(...e...)))`.
    fn or_fail(self, exit: Exit, message: impl FnOnce(E) -> String) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> ExitContext<T, E> for Result<T, E> {
    fn exit_with(self, exit: Exit) -> anyhow::Result<T> {
        self.map_err(|e| fail(exit, e))
    }

    fn or_fail(self, exit: Exit, message: impl FnOnce(E) -> String) -> anyhow::Result<T> {
        self.map_err(|e| fail(exit, anyhow::Error::msg(message(e))))
    }
}

/// The exit code for an error: the outermost tag wins (a caller that tags
/// an error again knows better what it means than the code that failed:
/// an unreadable `--password-file` is a usage error, not an unreadable
/// source); a tag survives any context added above it; untagged errors
/// are internal errors.
pub fn exit_code(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(Exit::Internal, |f| f.exit)
}

/// One problem found in an artifact: where (an RFC 6901 JSON pointer), what,
/// and its kind (a JSON Schema keyword such as `type`, or one of ours such as
/// `duplicate-key`), for counting and for `--output json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
    pub kind: String,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
            kind: "invalid".to_string(),
        }
    }

    pub fn with_kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// The pointer as shown: RFC 6901 (`/metrics/3/value`), the document
    /// root as `/`.
    pub fn at(&self) -> &str {
        if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at(), self.message)
    }
}

/// How many problems an invalid artifact shows before counting the rest.
pub const SHOWN_PROBLEMS: usize = 20;

static ALL_PROBLEMS: AtomicBool = AtomicBool::new(false);

/// `--all-errors`: show every problem (set once, by `run()`).
pub fn show_all_problems(on: bool) {
    ALL_PROBLEMS.store(on, Ordering::Relaxed);
}

/// Whether `--all-errors` was given.
pub fn all_problems() -> bool {
    ALL_PROBLEMS.load(Ordering::Relaxed)
}

/// The problems found in one artifact. Displayed as one line per problem,
/// each naming the source, so that the user can fix them all in one pass;
/// past [`SHOWN_PROBLEMS`] (unless `--all-errors`) only counts by kind are
/// kept, so a million problems cost no more than twenty.
#[derive(Debug)]
pub struct Invalid {
    pub origin: String,
    /// The problems kept: the first [`SHOWN_PROBLEMS`], or all.
    pub problems: Vec<Problem>,
    /// How many more there were, by kind.
    pub more: std::collections::BTreeMap<String, usize>,
    /// Whether a push was refused (the last line says nothing was pushed).
    pub pushing: bool,
}

impl Invalid {
    /// Keep the first problems (all with `--all-errors`), count the rest.
    pub fn new(origin: &str, problems: Vec<Problem>) -> Invalid {
        let mut problems = problems;
        let mut more = std::collections::BTreeMap::new();
        if !all_problems() && problems.len() > SHOWN_PROBLEMS {
            for p in problems.drain(SHOWN_PROBLEMS..) {
                *more.entry(p.kind).or_insert(0) += 1;
            }
            problems.shrink_to_fit();
        }
        Invalid {
            origin: origin.to_string(),
            problems,
            more,
            pushing: false,
        }
    }

    /// How many problems were found, kept or counted.
    pub fn total(&self) -> usize {
        self.problems.len() + self.more.values().sum::<usize>()
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{}: {p}", self.origin)?;
        }
        let rest: usize = self.more.values().sum();
        if rest > 0 {
            let kinds: Vec<&str> = self.more.keys().map(String::as_str).collect();
            // With --all-errors, what is left out is past the first
            // hundred of one kind in one array (`artifact::found`).
            let why = if all_problems() {
                "past the first 100 of one kind in one array, not listed"
            } else {
                "--all-errors shows them all"
            };
            writeln!(
                f,
                "{}: … and {} more problem{} ({} kind{}: {}); {why}",
                self.origin,
                rest,
                plural(rest),
                kinds.len(),
                plural(kinds.len()),
                kinds.join(", ")
            )?;
        }
        let n = self.total();
        write!(f, "{}: {n} problem{} found", self.origin, plural(n))?;
        if self.pushing {
            write!(
                f,
                "; nothing was pushed (fix them and check with `simplepipe validate`)"
            )?;
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl std::error::Error for Invalid {}

/// The problems of an `Invalid` failure, if that is what `err` is.
pub fn invalid_mut(err: &mut anyhow::Error) -> Option<&mut Invalid> {
    err.downcast_mut::<Failure>()?
        .error
        .downcast_mut::<Invalid>()
}

/// The problems of an `Invalid` failure anywhere in the chain.
pub fn invalid(err: &anyhow::Error) -> Option<&Invalid> {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())?
        .error
        .downcast_ref::<Invalid>()
}

/// A short, user-facing reason for an I/O error (no "os error 2" noise).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file".to_string(),
        PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Turn a list of problems into an `Invalid` failure (exit 4), or `Ok`.
pub fn check(origin: &str, problems: Vec<Problem>) -> anyhow::Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(fail(Exit::Invalid, Invalid::new(origin, problems)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_tag_survives_context() {
        let e: anyhow::Result<()> = Err(fail(Exit::Source, anyhow::anyhow!("gone")));
        let e = e.context("reading x").unwrap_err();
        assert_eq!(exit_code(&e), Exit::Source);
        assert_eq!(format!("{e:#}"), "reading x: gone");
    }

    #[test]
    fn the_outermost_tag_wins() {
        let inner = fail(Exit::Source, anyhow::anyhow!("gone"));
        let e = fail(Exit::Usage, inner.context("--password-file x"));
        assert_eq!(exit_code(&e), Exit::Usage);
    }

    #[test]
    fn untagged_is_internal() {
        assert_eq!(exit_code(&anyhow::anyhow!("x")), Exit::Internal);
    }

    #[test]
    fn problem_pointer_display() {
        assert_eq!(
            Problem::new("/metrics/3/value", "bad").to_string(),
            "/metrics/3/value: bad"
        );
        assert_eq!(Problem::new("", "bad").to_string(), "/: bad");
    }
}

#[cfg(test)]
mod volume_tests {
    use super::*;

    #[test]
    fn many_problems_are_cut_at_20_and_counted_by_kind() {
        let mut problems: Vec<Problem> = (0..100)
            .map(|i| Problem::new(format!("/{i}"), "bad").with_kind("type"))
            .collect();
        problems.push(Problem::new("/x", "dup").with_kind("duplicate-key"));
        let inv = Invalid::new("a.json", problems);
        assert_eq!(inv.problems.len(), 20);
        assert_eq!(inv.total(), 101);
        let text = inv.to_string();
        assert_eq!(text.lines().count(), 22, "{text}");
        assert!(
            text.contains("a.json: … and 81 more problems (2 kinds: duplicate-key, type)"),
            "{text}"
        );
        assert!(text.ends_with("a.json: 101 problems found"), "{text}");
    }
}
