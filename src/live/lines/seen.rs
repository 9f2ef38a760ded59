//! What a parser has seen over a whole run, so that a run that found no
//! metric can end with one line saying so, and what its output looked like
//! when a built-in reader recognised it: a tqdm bar with no postfix, JSON
//! log lines, or formats `--metrics-format none` turned off.
//!
//! Two atomics shared by the parser's clones (one per stream); each is
//! only written while it would change, so the readers don't fight over a
//! cache line once a metric was found.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use super::{Format, Parsed};

/// Which of the child's streams metric lines are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsFrom {
    Stdout,
    Stderr,
    Both,
}

impl MetricsFrom {
    fn streams(self) -> &'static str {
        match self {
            MetricsFrom::Stdout => "stdout (stderr was not read: --metrics-from both reads it)",
            MetricsFrom::Stderr => "stderr (stdout was not read: --metrics-from both reads it)",
            MetricsFrom::Both => "stdout and stderr",
        }
    }
}

const ALL: [Format; 9] = [
    Format::Pairs,
    Format::Json,
    Format::JsonLog,
    Format::PythonDict,
    Format::Keras,
    Format::XGBoost,
    Format::LightGBM,
    Format::Tqdm,
    Format::Regex,
];

impl Format {
    fn bit(self) -> u32 {
        1 << ALL.iter().position(|f| *f == self).expect("listed")
    }

    /// The lines of this format, as the note names them.
    fn lines(self) -> &'static str {
        match self {
            Format::Pairs => "name=value pairs",
            Format::Json => "JSON objects of numbers",
            Format::JsonLog => "JSON log lines (an object with a value that is not a number is a log line, not metrics)",
            Format::PythonDict => "Python dicts (as Hugging Face's Trainer prints them)",
            Format::Keras => "Keras lines (name: value between ' - ', Epoch N/M)",
            Format::XGBoost => "XGBoost evaluation lines ([i]<TAB>set-metric:value)",
            Format::LightGBM => "LightGBM evaluation lines ([i]<TAB>set's metric: value)",
            Format::Tqdm => "tqdm progress bars (their numbers are read from the bar's postfix: bar.set_postfix(loss=…))",
            Format::Regex => "lines --metrics-regex matched",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Seen(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    found: AtomicBool,
    formats: AtomicU32,
}

impl Seen {
    /// Whether any line gave a value.
    pub fn found(&self) -> bool {
        self.0.found.load(Ordering::Relaxed)
    }

    /// A built-in reader recognised a line's format.
    pub fn recognised(&self, format: Option<Format>) {
        let Some(f) = format else { return };
        if self.0.formats.load(Ordering::Relaxed) & f.bit() == 0 {
            self.0.formats.fetch_or(f.bit(), Ordering::Relaxed);
        }
    }

    /// A line parsed.
    pub fn parsed(&self, out: &Parsed) {
        if !out.readings.is_empty() && !self.found() {
            self.0.found.store(true, Ordering::Relaxed);
        }
        self.recognised(out.format);
    }

    /// See [`super::LineParser::no_metric_note`].
    pub fn note(&self, from: MetricsFrom, builtins: bool) -> Option<String> {
        let read = format!("the command's {}", from.streams());
        self.note_in(&read, "it printed", builtins)
    }

    /// The same, about what was read (`the command's stdout`, a file), and
    /// what it did with the lines seen (`it printed`, `it holds`).
    pub fn note_in(&self, read: &str, did: &str, builtins: bool) -> Option<String> {
        if self.found() {
            return None;
        }
        let bits = self.0.formats.load(Ordering::Relaxed);
        let seen: Vec<&str> = ALL
            .iter()
            .filter(|f| bits & f.bit() != 0)
            .map(|f| f.lines())
            .collect();
        let mut note = format!("no metric found in {read}");
        if seen.is_empty() {
            note.push_str(if builtins {
                "; read are name=value pairs, JSON objects, Python dicts, and the lines of Keras, XGBoost, LightGBM and tqdm (docs/frameworks.md); --metrics-regex reads others"
            } else {
                "; --metrics-regex matched no line"
            });
        } else if builtins {
            note.push_str(&format!(
                "; {did} {}, with no number to read",
                seen.join(", ")
            ));
        } else {
            note.push_str(&format!(
                "; --metrics-format none turned off the built-in readers, which would read its {}",
                seen.join(", ")
            ));
        }
        Some(note)
    }
}
