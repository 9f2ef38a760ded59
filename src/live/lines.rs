//! Metric lines: what `run` and `watch --format lines` read out of a log.
//!
//! A training script should not need a client library to be watched, so the
//! formats are the ones people already print:
//!
//! - Katib-style `name=value` pairs, anywhere in a line and several per
//!   line (`epoch=3 loss=0.41 accuracy=0.88`, `Epoch 3: loss=4e-1`). Katib's
//!   own regex stops at the `e` of `1e-5`; here a value is whatever
//!   `crate::model::parse_number` accepts, so exponents, `NaN` and `Inf`
//!   spellings work. A pair whose value is not a number (`mode=train`,
//!   `path=/tmp/x`) is not a metric and is skipped silently: logs are full
//!   of them.
//! - JSON lines: a flat object whose values are all numbers
//!   (`{"loss": 0.41, "epoch": 3}`; `"NaN"`, `"+Inf"`, `"-Inf"` as in
//!   `push`), or a native-format metric entry
//!   (`{"name": .., "type": .., "value": .., "labels": {..}}`). An object
//!   with other values (a structured log line) is not a metric line.
//! - `--metrics-regex`: a user's own line format, with two groups (name,
//!   value), or groups named `name` and `value`.
//!
//! Everything else is an ordinary log line. Parsing never fails the run:
//! a line that tries to be a metric and gets it wrong comes back as a
//! warning (the caller adds the line number). Names and labels are checked
//! later, in [`super::state`], where the grouping labels are known.

use anyhow::{anyhow, Result};
use regex::Regex;
use serde_json::{Map, Value};

use crate::model::{parse_number, Kind};

/// One value read from a line, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub name: String,
    /// Labels as given (native entries only), in the order given.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Declared by a native entry's `type`; otherwise inferred from the name.
    pub kind: Option<Kind>,
    /// A native entry's `help`.
    pub help: String,
}

impl Reading {
    fn new(name: &str, value: f64) -> Reading {
        Reading {
            name: name.to_string(),
            labels: Vec::new(),
            value,
            kind: None,
            help: String::new(),
        }
    }
}

/// What one line held.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub readings: Vec<Reading>,
    /// Problems with parts of the line; the good parts still count.
    pub warnings: Vec<String>,
}

/// Reads metric lines in the default formats, or with a user's regex.
#[derive(Debug, Clone)]
pub struct LineParser {
    custom: Option<Custom>,
}

#[derive(Debug, Clone)]
struct Custom {
    regex: Regex,
    name: usize,
    value: usize,
}

/// The longest line read as metrics; longer lines still pass through but
/// are not parsed (a megabyte of base64 is not a metric line).
pub const MAX_LINE: usize = 64 * 1024;

impl LineParser {
    /// The default formats.
    pub fn new() -> LineParser {
        LineParser { custom: None }
    }

    /// `--metrics-regex`: groups `name` and `value` if named so, otherwise
    /// exactly two groups, name first.
    pub fn with_regex(pattern: &str) -> Result<LineParser> {
        let regex = Regex::new(pattern)
            .map_err(|e| anyhow!("--metrics-regex {pattern:?} is not a valid regex: {e}"))?;
        let named = |n: &str| regex.capture_names().position(|c| c == Some(n));
        let (name, value) = match (named("name"), named("value")) {
            (Some(n), Some(v)) => (n, v),
            _ if regex.captures_len() == 3 => (1, 2),
            _ => {
                return Err(anyhow!(
                    "--metrics-regex {pattern:?} has {} groups; it needs two, the name then the value (e.g. '([a-z_]+): ([0-9.eE+-]+)'), or groups named `name` and `value`",
                    regex.captures_len() - 1
                ))
            }
        };
        Ok(LineParser {
            custom: Some(Custom { regex, name, value }),
        })
    }

    /// Parse one line (without its line ending).
    pub fn parse(&self, line: &str) -> Parsed {
        let mut out = Parsed::default();
        if line.len() > MAX_LINE {
            return out;
        }
        if let Some(c) = &self.custom {
            custom(c, line, &mut out);
            return out;
        }
        let trimmed = line.trim();
        if trimmed.starts_with('{') && trimmed.ends_with('}') {
            json(trimmed, &mut out);
        } else {
            pairs(line, &mut out);
        }
        out
    }
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser::new()
    }
}

fn custom(c: &Custom, line: &str, out: &mut Parsed) {
    for caps in c.regex.captures_iter(line) {
        let (Some(name), Some(value)) = (caps.get(c.name), caps.get(c.value)) else {
            continue;
        };
        match parse_number(value.as_str()) {
            Some(v) => out.readings.push(Reading::new(name.as_str(), v)),
            None => out.warnings.push(format!(
                "{:?}: {:?} is not a number (--metrics-regex matched it as the value)",
                name.as_str(),
                value.as_str()
            )),
        }
    }
}

/// Characters a name may be made of in a `name=value` pair. Wider than a
/// metric name (`val-loss`, `loss/val`, `acc.top1`) so that such a name is
/// reported, not silently dropped; [`super::state`] refuses it.
fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.' | b'/')
}

/// Characters that end a pair's value besides whitespace: `loss=0.4,
/// acc=0.9;` and `(lr=1e-3)` are common.
fn value_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b';' | b')' | b']' | b'}' | b'|')
}

/// Every `name=value` pair in a line (spaces around `=` allowed, as Katib
/// allows them). A name starts at the line's start or after whitespace or
/// punctuation; `--lr=0.1` is a command-line flag, not a metric.
fn pairs(line: &str, out: &mut Parsed) {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'=') {
        let eq = i + off;
        i = eq + 1;
        // The name: back over spaces, then over name characters.
        let mut end = eq;
        while end > 0 && b[end - 1] == b' ' {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && name_char(b[start - 1]) {
            start -= 1;
        }
        if start == end
            || !(b[start].is_ascii_alphabetic() || b[start] == b'_')
            || (start > 0
                && !matches!(
                    b[start - 1],
                    b' ' | b'\t' | b',' | b';' | b'(' | b'[' | b'{' | b'|'
                ))
        {
            continue;
        }
        // The value: forward over spaces, then to the next separator.
        let mut vs = eq + 1;
        while vs < b.len() && b[vs] == b' ' {
            vs += 1;
        }
        let mut ve = vs;
        while ve < b.len() && !value_end(b[ve]) && b[ve] != b'=' {
            ve += 1;
        }
        if ve < b.len() && b[ve] == b'=' {
            continue; // `a=b=c`: not a pair
        }
        let (name, value) = (&line[start..end], &line[vs..ve]);
        // A trailing `.` ends a sentence ("loss=0.41."), it's not part of the number.
        let value = value
            .strip_suffix('.')
            .filter(|v| parse_number(v).is_some())
            .unwrap_or(value);
        if let Some(v) = parse_number(value).filter(|_| !value.is_empty()) {
            out.readings.push(Reading::new(name, v));
            i = ve;
        }
    }
}

/// `{"name": .., "value": ..}` is a native entry; any other object is a
/// flat map of metrics when every value is a number.
fn json(text: &str, out: &mut Parsed) {
    let map: Map<String, Value> = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            let hint = if text.contains('\'') {
                " (single quotes: print json.dumps(d), not the dict itself)"
            } else {
                ""
            };
            out.warnings.push(format!(
                "looks like a JSON object but is not valid JSON: {e}{hint}"
            ));
            return;
        }
    };
    if map.get("name").is_some_and(Value::is_string) && map.contains_key("value") {
        entry(map, out);
        return;
    }
    let mut readings = Vec::with_capacity(map.len());
    for (name, v) in &map {
        match number(v) {
            Some(n) => readings.push(Reading::new(name, n)),
            // A structured log line, not a metric line.
            None => return,
        }
    }
    out.readings = readings;
}

/// A JSON number, or one of the strings `push` takes for the non-finite values.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::model::non_finite(s),
        _ => None,
    }
}

const ENTRY_KEYS: [&str; 5] = ["name", "type", "value", "labels", "help"];

/// A native-format metric entry, as in a `metrics` artifact.
fn entry(map: Map<String, Value>, out: &mut Parsed) {
    let name = map["name"].as_str().unwrap_or_default().to_string();
    let problem = |msg: String| format!("metric entry {name:?}: {msg}");
    if let Some(k) = map.keys().find(|k| !ENTRY_KEYS.contains(&k.as_str())) {
        out.warnings.push(problem(format!(
            "unknown key {k:?} (an entry has name, type, value, labels and help)"
        )));
        return;
    }
    let kind = match map.get("type").map(|t| (t, t.as_str())) {
        None => None,
        Some((_, Some("gauge"))) => Some(Kind::Gauge),
        Some((_, Some("counter"))) => Some(Kind::Counter),
        Some((_, Some("untyped"))) => Some(Kind::Untyped),
        Some((_, Some(t @ ("histogram" | "summary")))) => {
            out.warnings.push(problem(format!(
                "type {t:?} is not supported in live metrics (report a gauge or a counter per value)"
            )));
            return;
        }
        Some((t, _)) => {
            out.warnings.push(problem(format!(
                "type {t} is not one of \"gauge\", \"counter\", \"untyped\""
            )));
            return;
        }
    };
    let Some(value) = number(&map["value"]) else {
        out.warnings.push(problem(format!(
            "value {} is not a number (a string must be {})",
            map["value"],
            crate::model::NON_FINITE
        )));
        return;
    };
    let mut labels = Vec::new();
    match map.get("labels") {
        None => {}
        Some(Value::Object(l)) => {
            for (k, v) in l {
                let Some(v) = v.as_str() else {
                    out.warnings.push(problem(format!(
                        "label {k:?} has the value {v}; label values are strings"
                    )));
                    return;
                };
                labels.push((k.clone(), v.to_string()));
            }
        }
        Some(other) => {
            out.warnings.push(problem(format!(
                "\"labels\" is {other}; it must be an object of strings"
            )));
            return;
        }
    }
    let help = match map.get("help") {
        None => String::new(),
        Some(Value::String(h)) => h.clone(),
        Some(other) => {
            out.warnings
                .push(problem(format!("\"help\" is {other}; it must be a string")));
            return;
        }
    };
    out.readings.push(Reading {
        name,
        labels,
        value,
        kind,
        help,
    });
}

/// Splits a byte stream into lines for the callback: at `\n` (which counts
/// a line) and at `\r` (a progress bar redrawing the same line). Lines
/// longer than `MAX_LINE` are skipped; the buffer never grows past it.
pub struct Splitter<F: FnMut(u64, &str)> {
    on_line: F,
    buf: Vec<u8>,
    overlong: bool,
    number: u64,
}

impl<F: FnMut(u64, &str)> Splitter<F> {
    pub fn new(on_line: F) -> Self {
        Splitter {
            on_line,
            buf: Vec::new(),
            overlong: false,
            number: 1,
        }
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.push(&bytes[..i]);
            self.emit();
            if bytes[i] == b'\n' {
                self.number += 1;
            }
            bytes = &bytes[i + 1..];
        }
        self.push(bytes);
    }

    /// The end of the stream: the last line may lack its newline.
    pub fn finish(&mut self) {
        self.emit();
    }

    /// Start counting lines from 1 again (a new file after rotation), after
    /// emitting whatever was pending.
    pub fn restart(&mut self) {
        self.emit();
        self.number = 1;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.overlong || self.buf.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn emit(&mut self) {
        if !self.overlong && !self.buf.is_empty() {
            (self.on_line)(self.number, &String::from_utf8_lossy(&self.buf));
        }
        self.buf.clear();
        self.overlong = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<(u64, String)> {
        let mut got = Vec::new();
        let mut lines = Splitter::new(|n: u64, l: &str| got.push((n, l.to_string())));
        for c in chunks {
            lines.feed(c);
        }
        lines.finish();
        drop(lines);
        got
    }

    #[test]
    fn lines_across_chunks_and_progress_bars() {
        assert_eq!(
            split(&[b"a=1\nb=", b"2\r\n\nc", b"=3 10%\rc=4 50%\rdone\nlast"]),
            vec![
                (1, "a=1".to_string()),
                (2, "b=2".to_string()),
                (4, "c=3 10%".to_string()),
                (4, "c=4 50%".to_string()),
                (4, "done".to_string()),
                (5, "last".to_string()),
            ]
        );
    }

    #[test]
    fn overlong_lines_are_skipped_not_buffered() {
        let long = vec![b'x'; MAX_LINE + 10];
        let got = split(&[
            b"a=1\n",
            &long[..MAX_LINE / 2],
            &long[MAX_LINE / 2..],
            b"\nb=2\n",
        ]);
        assert_eq!(got, vec![(1, "a=1".to_string()), (3, "b=2".to_string())]);
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        assert_eq!(
            split(&[b"loss=0.5 \xff\n"]),
            vec![(1, "loss=0.5 \u{fffd}".to_string())]
        );
    }

    fn values(line: &str) -> Vec<(String, f64)> {
        LineParser::new()
            .parse(line)
            .readings
            .into_iter()
            .map(|r| (r.name, r.value))
            .collect()
    }

    fn v(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
        pairs.iter().map(|(n, x)| (n.to_string(), *x)).collect()
    }

    #[test]
    fn katib_pairs_several_per_line() {
        assert_eq!(
            values("epoch=3 loss=0.41 accuracy=0.88"),
            v(&[("epoch", 3.0), ("loss", 0.41), ("accuracy", 0.88)])
        );
        assert_eq!(
            values("INFO Epoch 3: loss = 0.41, acc=0.9; lr=1e-5."),
            v(&[("loss", 0.41), ("acc", 0.9), ("lr", 1e-5)])
        );
    }

    #[test]
    fn exponents_and_non_finite_spellings() {
        assert_eq!(
            values("lr=1e-5 big=-2.5E+3 x=+4. y=.5"),
            v(&[("lr", 1e-5), ("big", -2500.0), ("x", 4.0), ("y", 0.5)])
        );
        let r = values("a=NaN b=inf c=-Infinity d=+Inf");
        assert!(r[0].1.is_nan());
        assert_eq!(
            r[1..],
            v(&[
                ("b", f64::INFINITY),
                ("c", f64::NEG_INFINITY),
                ("d", f64::INFINITY)
            ])[..]
        );
    }

    #[test]
    fn non_numbers_and_flags_are_not_metrics() {
        assert!(values("mode=train path=/tmp/x url=http://a?b=1").is_empty());
        assert!(values("running: python train.py --lr=0.1 -x=2").is_empty());
        assert!(values("a=b=3 x== 4 =5 hello world").is_empty());
        assert!(values("").is_empty());
        // A name that is not a legal metric name is still read (and refused by the state).
        assert_eq!(values("val-loss=0.3"), v(&[("val-loss", 0.3)]));
    }

    #[test]
    fn json_flat_objects() {
        assert_eq!(
            values(r#"  {"loss": 0.41, "epoch": 3, "x": "NaN"} "#)[..2],
            v(&[("epoch", 3.0), ("loss", 0.41)])[..]
        );
        // A structured log line is not a metric line.
        assert!(values(r#"{"level":"info","ts":1700000000.5,"msg":"epoch done"}"#).is_empty());
        assert!(values(r#"{"done": true}"#).is_empty());
        let p = LineParser::new().parse("{'loss': 0.4}");
        assert!(p.readings.is_empty());
        assert!(p.warnings[0].contains("json.dumps"), "{:?}", p.warnings);
    }

    #[test]
    fn json_native_entries() {
        let p = LineParser::new().parse(
            r#"{"name":"images_total","type":"counter","value":1200,"labels":{"split":"train"},"help":"Images seen"}"#,
        );
        assert_eq!(
            p.readings,
            vec![Reading {
                name: "images_total".into(),
                labels: vec![("split".into(), "train".into())],
                value: 1200.0,
                kind: Some(Kind::Counter),
                help: "Images seen".into(),
            }]
        );
        let p = LineParser::new().parse(r#"{"name":"x","value":"+Inf"}"#);
        assert_eq!(p.readings[0].value, f64::INFINITY);
        assert_eq!(p.readings[0].kind, None);
    }

    #[test]
    fn bad_native_entries_warn() {
        let cases = [
            (
                r#"{"name":"x","value":"abc"}"#,
                r#"metric entry "x": value "abc" is not a number (a string must be "NaN", "+Inf" or "-Inf")"#,
            ),
            (
                r#"{"name":"x","value":1,"step":5}"#,
                r#"metric entry "x": unknown key "step" (an entry has name, type, value, labels and help)"#,
            ),
            (
                r#"{"name":"x","value":1,"type":"histogram"}"#,
                r#"metric entry "x": type "histogram" is not supported in live metrics (report a gauge or a counter per value)"#,
            ),
            (
                r#"{"name":"x","value":1,"type":"meter"}"#,
                r#"metric entry "x": type "meter" is not one of "gauge", "counter", "untyped""#,
            ),
            (
                r#"{"name":"x","value":1,"labels":{"a":1}}"#,
                r#"metric entry "x": label "a" has the value 1; label values are strings"#,
            ),
            (
                r#"{"name":"x","value":1,"labels":[]}"#,
                r#"metric entry "x": "labels" is []; it must be an object of strings"#,
            ),
        ];
        for (line, want) in cases {
            let p = LineParser::new().parse(line);
            assert!(p.readings.is_empty(), "{line}");
            assert_eq!(p.warnings, vec![want.to_string()], "{line}");
        }
    }

    #[test]
    fn custom_regex() {
        let p = LineParser::with_regex(r"(\w+): ([0-9.eE+-]+)").unwrap();
        let r = p.parse("step 7 | loss: 1.5e-2 | acc: 0.9 | note: n/a");
        assert_eq!(
            r.readings
                .iter()
                .map(|r| (r.name.as_str(), r.value))
                .collect::<Vec<_>>(),
            vec![("loss", 0.015), ("acc", 0.9)]
        );
        let p = LineParser::with_regex(r"(?P<value>[0-9.]+) (?P<name>\w+)").unwrap();
        assert_eq!(p.parse("got 3 apples").readings[0].name, "apples");
        let p = LineParser::with_regex(r"(\w+)=(\S+)").unwrap();
        assert_eq!(
            p.parse("a=zz").warnings,
            vec![r#""a": "zz" is not a number (--metrics-regex matched it as the value)"#]
        );
    }

    #[test]
    fn custom_regex_errors() {
        let e = LineParser::with_regex(r"(\w+)").unwrap_err().to_string();
        assert!(e.contains("has 1 groups; it needs two"), "{e}");
        let e = LineParser::with_regex(r"(").unwrap_err().to_string();
        assert!(
            e.starts_with("--metrics-regex \"(\" is not a valid regex"),
            "{e}"
        );
    }

    #[test]
    fn overlong_lines_are_not_parsed() {
        let line = format!("loss=1 {}", "x".repeat(MAX_LINE));
        assert!(values(&line).is_empty());
    }

    proptest::proptest! {
        /// No line makes the parser panic.
        #[test]
        fn any_line_is_safe(line in "\\PC{0,200}") {
            let _ = LineParser::new().parse(&line);
        }

        /// Every legal name with any finite value, in Rust's or Python's
        /// spelling, comes back exactly, several to a line.
        #[test]
        fn pairs_round_trip(
            names in proptest::collection::vec("[a-zA-Z_][a-zA-Z0-9_:]{0,20}", 1..5),
            nums in proptest::collection::vec(proptest::num::f64::NORMAL | proptest::num::f64::ZERO, 5),
            exp in proptest::bool::ANY,
        ) {
            let line: Vec<String> = names.iter().zip(&nums).map(|(n, v)| {
                if exp { format!("{n}={v:e}") } else { format!("{n}={v}") }
            }).collect();
            let got = values(&line.join(" "));
            let want: Vec<(String, f64)> = names.iter().cloned().zip(nums.iter().copied()).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
