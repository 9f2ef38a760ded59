//! Parse: bytes → a JSON document.
//!
//! Checks UTF-8 first so that a binary or mis-encoded file gets a message
//! with a line and column instead of a confusing JSON error, skips a UTF-8
//! byte-order mark (Windows editors write one), and relies on serde_json's
//! recursion limit (128 levels) to bound nesting depth. Every failure here
//! is an invalid artifact (exit 4).
//!
//! A native artifact (an object with a `"metrics"` array) is not turned into
//! one big `serde_json::Value`: for 100,000 series that tree takes several
//! times the file's size. Its top level becomes a small skeleton and each
//! metric entry stays a raw slice of the input, which the next stages read
//! one at a time.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use serde_json::value::RawValue;
use serde_json::Value;

use super::Origin;
use crate::error::{bail_with, Exit};

/// A parsed artifact and where it came from.
#[derive(Debug)]
pub struct Document<'a> {
    /// The source as named in messages.
    pub origin: String,
    /// The directory relative paths in `"$schema"` are resolved against.
    pub base_dir: PathBuf,
    /// The whole document; or, when `entries` is set, its skeleton: every
    /// top-level key, with `"metrics"` an array of nulls as long as the
    /// real one.
    pub value: Value,
    /// A native artifact's metric entries, as raw JSON slices of the input.
    pub entries: Option<Vec<&'a RawValue>>,
}

impl Document<'_> {
    /// The whole document as one value (for a custom schema, which may look
    /// anywhere). Costs the memory the skeleton saves.
    pub fn full_value(&self) -> Value {
        let mut v = self.value.clone();
        if let (Some(entries), Some(slot)) = (&self.entries, v.get_mut("metrics")) {
            *slot = Value::Array(
                entries
                    .iter()
                    // An entry that does not parse was reported by validation;
                    // it can only be Null here.
                    .map(|r| serde_json::from_str(r.get()).unwrap_or(Value::Null))
                    .collect(),
            );
        }
        v
    }
}

pub fn parse<'a>(bytes: &'a [u8], from: &Origin) -> Result<Document<'a>> {
    let origin = from.name.clone();
    let base_dir = from.base_dir.clone();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let (line, col) = line_col(bytes, e.valid_up_to());
        bail_with!(
            Exit::Invalid,
            "{origin}: not UTF-8 text (invalid byte at line {line} column {col}); a metric artifact must be UTF-8 JSON"
        );
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        bail_with!(
            Exit::Invalid,
            "{origin}: is empty; expected a JSON metric artifact"
        );
    }
    let text = std::str::from_utf8(bytes).expect("checked above");
    let parsed = match skeleton(text) {
        Ok(Some((value, entries))) => Ok((value, Some(entries))),
        Ok(None) => serde_json::from_str(text).map(|v| (v, None)),
        Err(e) => Err(e),
    };
    match parsed {
        Ok((value, entries)) => Ok(Document {
            origin,
            base_dir,
            value,
            entries,
        }),
        Err(e) => {
            let msg = e.to_string();
            if msg.starts_with("recursion limit exceeded") {
                bail_with!(
                    Exit::Invalid,
                    "{origin}: JSON nested more than 128 levels deep (line {} column {}); no metric artifact needs that",
                    e.line(),
                    e.column()
                );
            }
            bail_with!(Exit::Invalid, "{origin}: not valid JSON: {msg}")
        }
    }
}

/// For `{…, "metrics": [ … ]}`: the skeleton and the raw entries. `None`
/// for any other shape, which is parsed whole.
#[allow(clippy::type_complexity)]
fn skeleton(text: &str) -> serde_json::Result<Option<(Value, Vec<&RawValue>)>> {
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
    let Some(metrics) = top.get("metrics") else {
        return Ok(None);
    };
    let Ok(entries) = serde_json::from_str::<Vec<&RawValue>>(metrics.get()) else {
        return Ok(None); // not an array: let the schema say so
    };
    let mut map = serde_json::Map::new();
    for (k, raw) in &top {
        let v = if k == "metrics" {
            Value::Array(vec![Value::Null; entries.len()])
        } else {
            serde_json::from_str(raw.get())?
        };
        map.insert(k.clone(), v);
    }
    Ok(Some((Value::Object(map), entries)))
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> String {
        let e = parse(bytes, &Origin::named("a.json")).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
        format!("{e:#}")
    }

    #[test]
    fn invalid_utf8_names_the_place() {
        assert_eq!(
            err(b"{\"a\":\n \"\xff\"}"),
            "a.json: not UTF-8 text (invalid byte at line 2 column 3); a metric artifact must be UTF-8 JSON"
        );
    }

    #[test]
    fn bad_json_and_empty() {
        assert!(err(b"{\"a\": }").starts_with("a.json: not valid JSON: expected value at line 1"));
        assert_eq!(
            err(b"  \n"),
            "a.json: is empty; expected a JSON metric artifact"
        );
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(10_000);
        assert!(err(deep.as_bytes()).contains("nested more than 128 levels"));
    }

    #[test]
    fn out_of_range_numbers_in_entries_are_errors_not_panics() {
        // Regression: fuzz/artifacts crash-825928e3 (a raw entry holding 12e81167).
        let src = Origin::named("a.json");
        let bytes = br#"{"metrics": [{"name": "a", "type": "gauge", "value": 12e81167}]}"#;
        let doc = parse(bytes, &src).unwrap();
        let e = super::super::validate::validate(&doc, None).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
        let msg = format!("{e:#}");
        assert!(
            msg.contains("a.json: metrics/0: not valid JSON: number out of range"),
            "{msg}"
        );
        // A custom schema needs the whole document: no panic there either.
        let _ = doc.full_value();
    }

    #[test]
    fn bom_is_skipped() {
        let d = parse(b"\xEF\xBB\xBF{\"a\": 1}", &Origin::named("<stdin>")).unwrap();
        assert_eq!(d.value["a"], 1);
    }
}
