//! From `argv` to a [`Cli`], and clap's errors as one line.
//!
//! Three things clap does not do the way a pipeline step needs, done here
//! generically over the whole command tree so that options added later get
//! them without any per-option work:
//!
//! - a boolean flag with an env variable accepts `1/0`, `true/false` and
//!   `yes/no` in any case (ConfigMaps and CI write all of them);
//! - a usage error is ONE line, `simplepipe: error: …` (the README's promise
//!   of one line per problem), naming the env variable when the bad value
//!   came from one (`SIMPLEPIPE_QUIET=maybe: expected true/false …`);
//! - `simplepipe metric.json JOB`, the original Simplepipe's invocation, is
//!   `simplepipe push metric.json JOB` when the first argument is not a
//!   subcommand.

use std::ffi::OsString;

use clap::builder::ValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, Command, CommandFactory, FromArgMatches};

use super::Cli;

/// What a boolean variable accepts, for messages.
pub const BOOL_SPELLINGS: &str = "true/false (also 1/0 or yes/no, any case)";

/// Parse a boolean as written in an environment variable. `on`/`off`,
/// `y`/`n` and `t`/`f` are accepted too (clap's "boolish" set).
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "t" | "on" => Some(true),
        "0" | "false" | "no" | "n" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// What parsing the command line came to. Made once per run: the size of
/// the `Cli` variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// Run this.
    Run(Cli),
    /// Help or version: clap prints and exits as usual.
    Display(clap::Error),
    /// A usage error, as one line (without the `simplepipe: error:` prefix).
    Usage(String),
}

/// The clap command with env-tolerant booleans, everywhere in the tree.
pub fn command() -> Command {
    tolerant_bools(Cli::command())
}

fn tolerant_bools(cmd: Command) -> Command {
    cmd.mut_args(|a| {
        if a.get_env().is_some() && matches!(a.get_action(), ArgAction::SetTrue) {
            a.value_parser(ValueParser::new(|s: &str| {
                parse_bool(s).ok_or_else(|| format!("expected {BOOL_SPELLINGS}"))
            }))
        } else {
            a
        }
    })
    .mut_subcommands(tolerant_bools)
}

/// Parse `argv` (program name first).
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Parsed {
    let mut cmd = command();
    let argv = legacy_push(&cmd, argv.into_iter().collect());
    let result = cmd
        .try_get_matches_from_mut(&argv)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    match result {
        Ok(cli) => Parsed::Run(cli),
        Err(e) if !e.use_stderr() => Parsed::Display(e),
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            Parsed::Display(e)
        }
        Err(e) => Parsed::Usage(one_line(&e, &cmd, &argv)),
    }
}

/// `simplepipe FILE JOB` -> `simplepipe push FILE JOB`, when FILE is `-`,
/// names an existing path, or has a `.` or `/` in it.
fn legacy_push(cmd: &Command, mut argv: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = argv.get(1).and_then(|a| a.to_str()) else {
        return argv;
    };
    let known = first.starts_with('-')
        || first == "help"
        || cmd
            .get_subcommands()
            .any(|s| s.get_name() == first || s.get_all_aliases().any(|a| a == first));
    // Only what looks like a source: a mistyped subcommand (`valdiate`)
    // keeps clap's "did you mean" instead of becoming a missing file.
    let source_like =
        first == "-" || first.contains(['.', '/']) || std::path::Path::new(first).exists();
    if !known && source_like {
        argv.insert(1, "push".into());
    }
    argv
}

/// Clap's error as one line: the message, its indented details and tips
/// joined, then where to look (`see simplepipe push --help`).
pub fn one_line(err: &clap::Error, cmd: &Command, argv: &[OsString]) -> String {
    if let Some(line) = from_env(err, cmd, argv) {
        return line;
    }
    let text = err.render().to_string();
    let mut line = String::new();
    for l in text.lines().map(str::trim) {
        if l.starts_with("Usage:") || l.starts_with("For more information") {
            break;
        }
        if l.is_empty() {
            continue;
        }
        let l = l.strip_prefix("error: ").unwrap_or(l);
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(l);
    }
    format!("{line} (see `{} --help`)", command_path(cmd, argv))
}

/// `simplepipe push`: the (sub)command the arguments reached.
fn command_path(cmd: &Command, argv: &[OsString]) -> String {
    let mut path = vec![cmd.get_name().to_string()];
    let mut at = cmd;
    for a in argv.iter().skip(1).filter_map(|a| a.to_str()) {
        match at.find_subcommand(a) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                at = sub;
            }
            None if a.starts_with('-') => continue,
            None => break,
        }
    }
    path.join(" ")
}

/// `NAME=VALUE: reason` when an invalid value came from an env variable
/// (the flag was not on the command line and the variable holds it).
fn from_env(err: &clap::Error, cmd: &Command, argv: &[OsString]) -> Option<String> {
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(flag)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    // "--timeout <SECS>", "--best-effort[=<WHAT>]": the long name alone.
    let long = flag.strip_prefix("--")?;
    let long = &long[..long
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(long.len())];
    let arg = find_arg(cmd, long)?;
    let name = arg.get_env()?.to_str()?;
    let on_command_line = argv.iter().filter_map(|a| a.to_str()).any(|a| {
        a == format!("--{long}")
            || a.starts_with(&format!("--{long}="))
            || arg
                .get_short()
                .is_some_and(|s| a.starts_with('-') && !a.starts_with("--") && a.contains(s))
    });
    let value = std::env::var_os(name)?.to_string_lossy().into_owned();
    if on_command_line {
        return None;
    }
    let reason = if let Some(ContextValue::Strings(valid)) = err.get(ContextKind::ValidValue) {
        format!("expected one of {}", valid.join(", "))
    } else if let Some(source) = std::error::Error::source(err) {
        source.to_string()
    } else {
        "invalid value".to_string()
    };
    Some(format!("{name}={value}: {reason} (for --{long})"))
}

fn find_arg<'a>(cmd: &'a Command, long: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .or_else(|| cmd.get_subcommands().find_map(|s| find_arg(s, long)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("simplepipe")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn original_invocation_is_push() {
        let cmd = command();
        assert_eq!(
            legacy_push(&cmd, argv(&["m.json", "simple"])),
            argv(&["push", "m.json", "simple"])
        );
        assert_eq!(
            legacy_push(&cmd, argv(&["validate", "x"])),
            argv(&["validate", "x"])
        );
        assert_eq!(legacy_push(&cmd, argv(&["--help"])), argv(&["--help"]));
        assert_eq!(legacy_push(&cmd, argv(&["valdiate"])), argv(&["valdiate"]));
    }

    #[test]
    fn clap_errors_are_one_line() {
        for args in [
            &["push", "--timeout", "abc"][..],
            &["push", "--nope"],
            &["validate"],
            &["push", "--method", "patch"],
            &["frobnicate", "x", "y", "z"],
        ] {
            let Parsed::Usage(line) = parse(argv(args)) else {
                panic!("{args:?} parsed")
            };
            assert!(!line.contains('\n'), "{line}");
            assert!(line.contains("--help"), "{line}");
        }
    }
    #[test]
    fn booleans_as_configmaps_write_them() {
        for t in ["1", "true", "TRUE", "Yes", "yes", "on"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "false", "False", "NO", "off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
