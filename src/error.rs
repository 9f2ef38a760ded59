//! Error kinds and the exit-code contract.
//!
//! Every stage returns `anyhow::Error` with context that names the file, key
//! or URL involved. Where the exit code depends on *what* failed, the stage
//! wraps its error in a [`Failure`] carrying an [`Exit`] kind; `main` asks
//! [`exit_code`] once, so the mapping from failures to codes lives in one
//! place and matches the table in the README.

use std::fmt;

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

/// The exit code for an error: the innermost tag wins, untagged errors are
/// internal errors.
pub fn exit_code(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(Exit::Internal, |f| f.exit)
}

/// One problem found in an artifact: where (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Pointers are shown without the leading slash (`metrics/3/value`),
        // the document root as `/`.
        let at = self.pointer.strip_prefix('/').unwrap_or(&self.pointer);
        let at = if at.is_empty() { "/" } else { at };
        write!(f, "{at}: {}", self.message)
    }
}

/// Every problem found in one artifact. Displayed as one line per problem,
/// each naming the source, so that the user can fix them all in one pass.
#[derive(Debug)]
pub struct Invalid {
    pub origin: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{}: {p}", self.origin)?;
        }
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} problem{} found; nothing was pushed (fix them and check with `simplepipe validate`)",
            self.origin,
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Invalid {}

/// Turn a list of problems into an `Invalid` failure (exit 4), or `Ok`.
pub fn check(origin: &str, problems: Vec<Problem>) -> anyhow::Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(fail(
            Exit::Invalid,
            Invalid {
                origin: origin.to_string(),
                problems,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn innermost_tag_survives_context() {
        let e: anyhow::Result<()> = Err(fail(Exit::Source, anyhow::anyhow!("gone")));
        let e = e.context("reading x").unwrap_err();
        assert_eq!(exit_code(&e), Exit::Source);
        assert_eq!(format!("{e:#}"), "reading x: gone");
    }

    #[test]
    fn untagged_is_internal() {
        assert_eq!(exit_code(&anyhow::anyhow!("x")), Exit::Internal);
    }

    #[test]
    fn problem_pointer_display() {
        assert_eq!(
            Problem::new("/metrics/3/value", "bad").to_string(),
            "metrics/3/value: bad"
        );
        assert_eq!(Problem::new("", "bad").to_string(), "/: bad");
    }
}
