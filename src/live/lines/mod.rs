//! Metric lines: what `run` and `watch --format lines` read out of a log.
//!
//! A training script should not need a client library to be watched, and a
//! user can't change what a framework prints, so the built-in readers take
//! the lines people and frameworks already print (docs/frameworks.md has
//! the table):
//!
//! - `pairs`: `name=value` pairs anywhere in a line, several per line
//!   (Katib's style, tqdm-like `key=value` text), with labels as `--metric`
//!   takes them: `loss{split="val"}=0.31`.
//! - `json`: JSON objects, flat (`{"loss": 0.41}`) or native entries;
//!   `pydict`: Python dicts as Hugging Face's Trainer prints them.
//! - `keras`: `name: value` segments separated by ` - `, and `Epoch N/M`.
//! - `boosting`: XGBoost's and LightGBM's `[i]<TAB>…` evaluation lines.
//! - `tqdm`: the `key=value` postfix of a tqdm or Lightning progress bar.
//! - `custom`: `--metrics-regex`, which adds to the built-in readers
//!   (or replaces them with `--metrics-format none`).
//!
//! Each line goes to one built-in reader, chosen by its shape (one cheap
//! look at its ends and a byte search or two), so a line costs about what
//! the `name=value` scan alone cost. Names come back as printed;
//! `names`' one rule makes each a legal metric name when the state
//! records it ([`legal_name`]).
//!
//! Parsing never fails the run: a line that tries to be a metric and gets
//! it wrong comes back as a warning (the caller adds the line number).
//! Labels are checked later, in [`super::state`], where the grouping labels
//! are known.

pub mod boosting;
pub mod custom;
pub mod json;
pub mod keras;
pub mod names;
pub mod pairs;
pub mod pydict;
pub mod seen;
pub mod split;
pub mod tqdm;

use std::borrow::Cow;

use anyhow::{anyhow, Result};

pub use names::{legal as legal_name, legal_into as legal_name_into};
pub use seen::MetricsFrom;
pub use split::Splitter;

use crate::model::{series_id, Kind};
use crate::report;

/// The longest line read as metrics; longer lines still pass through but
/// are not parsed (a megabyte of base64 is not a metric line).
pub const MAX_LINE: usize = 64 * 1024;

/// One value read from a line, not yet checked. The name is as printed
/// (see [`legal_name`]), borrowed from the line when it can: an allocation
/// per value was a tenth of a line's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading<'a> {
    pub name: Cow<'a, str>,
    /// Labels as given (native entries and `name{…}=` pairs), in the order given.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Declared by a native entry's `type`; otherwise inferred from the name.
    pub kind: Option<Kind>,
    /// A native entry's `help`.
    pub help: String,
}

impl<'a> Reading<'a> {
    fn new(name: impl Into<Cow<'a, str>>, value: f64) -> Reading<'a> {
        Reading {
            name: name.into(),
            labels: Vec::new(),
            value,
            kind: None,
            help: String::new(),
        }
    }
}

/// The kinds of line the built-in readers recognise, for `--print-metrics`
/// and for the note at the end of a run that found no metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pairs,
    Json,
    /// A JSON object with a value that is not a number: a log line.
    JsonLog,
    PythonDict,
    Keras,
    XGBoost,
    LightGBM,
    Tqdm,
    Regex,
}

impl Format {
    /// As `--print-metrics` names it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pairs => "name=value",
            Format::Json | Format::JsonLog => "json",
            Format::PythonDict => "python dict",
            Format::Keras => "keras",
            Format::XGBoost => "xgboost",
            Format::LightGBM => "lightgbm",
            Format::Tqdm => "tqdm",
            Format::Regex => "--metrics-regex",
        }
    }
}

/// What one line held.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed<'a> {
    pub readings: Vec<Reading<'a>>,
    /// Problems with parts of the line; the good parts still count.
    pub warnings: Vec<String>,
    /// Which reader recognised the line (even when it held no value).
    pub format: Option<Format>,
}

impl<'a> Parsed<'a> {
    fn push(&mut self, name: impl Into<Cow<'a, str>>, value: f64) {
        self.readings.push(Reading::new(name, value));
    }

    /// What the line became, as `--print-metrics` shows it:
    /// `iteration=4 train_rmse=0.40101 (train-rmse)`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (i, r) in self.readings.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let legal = legal_name(&r.name);
            let name = legal.as_deref().unwrap_or(&r.name);
            out.push_str(&format!("{}={}", series_id(name, &r.labels), r.value));
            if legal.is_some() {
                out.push_str(&format!(" ({})", r.name));
            }
        }
        out
    }
}

/// Reads metric lines with the built-in readers and a user's regex.
///
/// Clones share what they have seen (whether any metric was found, which
/// formats): `run` reads stdout and stderr with clones of one.
#[derive(Debug, Clone)]
pub struct LineParser {
    builtins: bool,
    custom: Option<custom::Custom>,
    print: bool,
    seen: seen::Seen,
}

impl LineParser {
    /// The built-in readers.
    pub fn new() -> LineParser {
        LineParser {
            builtins: true,
            custom: None,
            print: false,
            seen: seen::Seen::default(),
        }
    }

    /// The built-in readers plus `--metrics-regex`: groups `name` and
    /// `value` if named so, otherwise exactly two groups, name first.
    pub fn with_regex(pattern: &str) -> Result<LineParser> {
        LineParser::configured(true, Some(pattern), false)
    }

    /// `--metrics-format` (`builtins`: auto, or none), `--metrics-regex`,
    /// `--print-metrics`.
    pub fn configured(builtins: bool, regex: Option<&str>, print: bool) -> Result<LineParser> {
        let custom = regex.map(custom::Custom::new).transpose()?;
        if !builtins && custom.is_none() {
            return Err(anyhow!(
                "--metrics-format none turns the built-in line readers off, so nothing would be read: give --metrics-regex too"
            ));
        }
        Ok(LineParser {
            builtins,
            custom,
            print,
            ..LineParser::new()
        })
    }

    /// Parse one line (without its line ending).
    pub fn parse<'a>(&self, line: &'a str) -> Parsed<'a> {
        let mut out = Parsed::default();
        if line.len() > MAX_LINE {
            return out;
        }
        if self.builtins {
            builtin(line, &mut out);
        } else if !self.seen.found() {
            // Read only to say, if the run ends with nothing, what the
            // built-in readers would have found.
            builtin(line, &mut out);
            self.seen.recognised(out.format);
            out = Parsed::default();
        }
        if let Some(c) = &self.custom {
            c.read(line, &mut out);
        }
        self.seen.parsed(&out);
        out
    }

    /// `--print-metrics` (or `-v`): what a line became, after `at`
    /// (`stdout line 12`). Lines that held no value are not shown.
    pub fn show(&self, at: &dyn Fn() -> String, parsed: &Parsed<'_>) {
        if parsed.readings.is_empty() || !(self.print || report::verbose()) {
            return;
        }
        let format = parsed.format.map_or("", Format::name);
        report::info(format!("{} ({format}): {}", at(), parsed.describe()));
    }

    /// The line a run that found no metric ends with, or `None` when it
    /// found one. `from`: the streams that were read.
    pub fn no_metric_note(&self, from: MetricsFrom) -> Option<String> {
        self.seen.note(from, self.builtins)
    }

    /// The same about `read` (what `watch` read: a file, stdin).
    pub fn no_metric_note_in(&self, read: &str) -> Option<String> {
        self.seen.note_in(read, "it holds", self.builtins)
    }

    /// At the end of a run: say so if no metric was found (unless `quiet`).
    pub fn end(&self, from: MetricsFrom, quiet: bool) {
        if let Some(note) = self.no_metric_note(from).filter(|_| !quiet) {
            report::info(note);
        }
    }
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser::new()
    }
}

/// One built-in reader for the line, by its shape.
fn builtin<'a>(line: &'a str, out: &mut Parsed<'a>) {
    let trimmed = trim(line);
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        json::read(trimmed, out);
    } else if let Some(postfix) = tqdm::postfix(trimmed) {
        tqdm::read(postfix, out);
    } else if let Some((iteration, fields)) = boosting::split(trimmed) {
        boosting::read(iteration, fields, out);
    } else {
        pairs::read(line, out);
        keras::read(trimmed, out);
    }
}

/// A number cut out of a line with nothing around it: what
/// [`crate::model::parse_number`] reads, without its trim (2% of a line).
fn number(s: &str) -> Option<f64> {
    s.parse().ok()
}

/// The line without the ASCII whitespace and backspaces at its ends
/// (Keras's verbose=1 bar ends each redraw with backspaces). Bytes, not
/// chars: `str::trim_matches` with a closure cost 3% of a line.
fn trim(line: &str) -> &str {
    let blank = |b: &u8| b.is_ascii_whitespace() || *b == 0x08;
    let b = line.as_bytes();
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |i| i + 1);
    // Both ends are at ASCII bytes, so at character boundaries.
    &line[start..end]
}

#[cfg(test)]
mod tests;
