//! JSON lines: a flat object whose values are all numbers
//! (`{"loss": 0.41, "epoch": 3}`; `"NaN"`, `"+Inf"`, `"-Inf"` as in
//! `push`), or a native-format metric entry
//! (`{"name": .., "type": .., "value": .., "labels": {..}}`). An object
//! with other values is a structured log line, not a metric line.
//!
//! An object that is not JSON may be a Python dict, as Hugging Face's
//! Trainer prints its logs ([`super::pydict`]); one that is neither is a
//! warning, since it looked like a metric line.

use serde_json::{Map, Value};

use super::{pydict, Format, Parsed, Reading};
use crate::model::Kind;

/// A line that starts with `{` and ends with `}`.
pub(super) fn read<'a>(text: &'a str, out: &mut Parsed<'a>) {
    // Python's repr quotes keys with ' (JSON never does): skip serde then.
    let python = text[1..].trim_start().starts_with('\'');
    if python && pydict::read(text, out) {
        return;
    }
    match serde_json::from_str::<Map<String, Value>>(text) {
        Ok(map) => object(map, out),
        Err(e) => {
            if python || !pydict::read(text, out) {
                out.warnings.push(format!(
                    "looks like a JSON object or a Python dict, but is neither (as JSON: {e})"
                ));
            }
        }
    }
}

/// `{"name": .., "value": ..}` is a native entry; any other object is a
/// flat map of metrics when every value is a number.
fn object(map: Map<String, Value>, out: &mut Parsed<'_>) {
    if map.get("name").is_some_and(Value::is_string) && map.contains_key("value") {
        out.format = Some(Format::Json);
        entry(map, out);
        return;
    }
    let mut readings = Vec::with_capacity(map.len());
    for (name, v) in map {
        match number(&v) {
            Some(n) => readings.push(Reading::new(name, n)),
            None => {
                out.format = Some(Format::JsonLog);
                return;
            }
        }
    }
    if !readings.is_empty() {
        out.format = Some(Format::Json);
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
fn entry(map: Map<String, Value>, out: &mut Parsed<'_>) {
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
        name: name.into(),
        labels,
        value,
        kind,
        help,
    });
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};
    use super::super::{Format, LineParser, Reading};
    use crate::model::Kind;

    #[test]
    fn json_flat_objects() {
        assert_eq!(
            values(r#"  {"loss": 0.41, "epoch": 3, "x": "NaN"} "#)[..2],
            v(&[("epoch", 3.0), ("loss", 0.41)])[..]
        );
        // A structured log line is not a metric line.
        let p = LineParser::new().parse(r#"{"level":"info","ts":1700000000.5,"msg":"epoch done"}"#);
        assert!(p.readings.is_empty() && p.warnings.is_empty());
        assert_eq!(p.format, Some(Format::JsonLog));
        assert!(values(r#"{"done": true}"#).is_empty());
        let p = LineParser::new().parse(r#"{"loss": 0.4 "acc": 1}"#);
        assert!(p.readings.is_empty());
        assert_eq!(
            p.warnings,
            ["looks like a JSON object or a Python dict, but is neither (as JSON: expected `,` or `}` at line 1 column 14)"]
        );
        // Python accepts what JSON refuses (a trailing comma, True).
        assert_eq!(values(r#"{"loss": 0.4, "ok": True,}"#), v(&[("loss", 0.4)]));
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
}
