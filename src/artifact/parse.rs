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
//! one at a time. The skeleton is read in one pass over the input. A v0
//! array and a flat object are not held whole either ([`super::partial`]):
//! the array's items are read again from the input when asked for, and a
//! flat object's array or object values are kept only by their start.
//!
//! Duplicate keys ([`super::dupkeys`]) are looked for here everywhere but
//! inside a native artifact's entries: the typed reader refuses a repeated
//! key there itself, and the schema path, which is what explains a refusal,
//! scans the entries first ([`entry_duplicates`]). On a big artifact that
//! spares the fast path a whole pass over the input.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use anyhow::Result;
use serde::de::{Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::partial::{self, Held};
use super::Origin;
use crate::error::Exit;

/// A parsed artifact and where it came from.
#[derive(Debug)]
pub struct Document<'a> {
    /// The source as named in messages.
    pub origin: String,
    /// The directory relative paths in `"$schema"` are resolved against.
    pub base_dir: PathBuf,
    /// The whole document; or, when `entries` is set, its skeleton: every
    /// top-level key, with `"metrics"` an array of one null (none if the
    /// real one is empty); or what [`Held`] says.
    pub value: Value,
    /// A native artifact's metric entries, as raw JSON slices of the input.
    pub entries: Option<Vec<&'a RawValue>>,
    /// What else `value` leaves out, to be read from `text`.
    pub held: Held,
    /// The input, for the entries' duplicate-key scan ([`entry_duplicates`])
    /// and what [`Held`] leaves there.
    pub text: &'a str,
}

impl Document<'_> {
    /// The whole document as one value (for a custom schema, which may look
    /// anywhere). Costs the memory the skeleton saves.
    pub fn full_value(&self) -> Cow<'_, Value> {
        if self.held != Held::Nothing {
            // Read whole once already: no error is left to meet.
            return Cow::Owned(serde_json::from_str(self.text).unwrap_or(Value::Null));
        }
        let Some(entries) = &self.entries else {
            return Cow::Borrowed(&self.value);
        };
        let mut v = self.value.clone();
        if let Some(slot) = v.get_mut("metrics") {
            *slot = Value::Array(
                entries
                    .iter()
                    // An entry that does not parse was reported by validation;
                    // it can only be Null here.
                    .map(|r| serde_json::from_str(r.get()).unwrap_or(Value::Null))
                    .collect(),
            );
        }
        Cow::Owned(v)
    }

    /// Each item of a top-level array, with its index (none for any other
    /// document), one at a time when they are [`Held::Items`].
    pub fn each_item(&self, mut f: impl FnMut(usize, &Value)) {
        match (self.held, &self.value) {
            (Held::Items, _) => partial::each_item(self.text, |i, v| f(i, &v)),
            (_, Value::Array(items)) => items.iter().enumerate().for_each(|(i, v)| f(i, v)),
            _ => {}
        }
    }
}

pub fn parse<'a>(bytes: &'a [u8], from: &Origin) -> Result<Document<'a>> {
    let origin = from.name.clone();
    let base_dir = from.base_dir.clone();
    let bytes = without_bom(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let (line, col) = line_col(bytes, e.valid_up_to());
        return Err(unparsable(
            &origin,
            "encoding",
            format!("not UTF-8 text (invalid byte at line {line} column {col}); a metric artifact must be UTF-8 JSON"),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unparsable(
            &origin,
            "empty",
            "is empty; expected a JSON metric artifact".to_string(),
        ));
    }
    let text = std::str::from_utf8(bytes).expect("checked above");
    let parsed = match shape(text) {
        Ok(Some(shape)) => Ok(shape),
        // Another shape, a repeated key outside the entries or a value
        // refused: read whole, and the error or the scan below says where.
        Ok(None) => serde_json::from_str(text).map(|value| Shape {
            value,
            entries: None,
            held: Held::Nothing,
            scan: true,
        }),
        Err(e) => Err(e),
    };
    match parsed {
        Ok(Shape {
            value,
            entries,
            held,
            scan,
        }) => {
            if scan {
                crate::error::check(&origin, super::dupkeys::find(text))?;
            }
            Ok(Document {
                origin,
                base_dir,
                value,
                entries,
                held,
                text,
            })
        }
        Err(e) => Err(not_json(&origin, &e)),
    }
}

/// An artifact that is not JSON at all (empty, not UTF-8, cut off, a
/// syntax error, nested too deep): one problem with no pointer. Typed, so
/// that `validate --output json` can give its kind and its reason apart
/// from the file's name; shown as `NAME: REASON`.
#[derive(Debug)]
pub struct Unparsable {
    pub origin: String,
    /// `empty`, `encoding`, `truncated`, `syntax` or `nesting`.
    pub kind: &'static str,
    pub reason: String,
}

impl fmt::Display for Unparsable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason)
    }
}

impl std::error::Error for Unparsable {}

fn unparsable(origin: &str, kind: &'static str, reason: String) -> anyhow::Error {
    let origin = origin.to_string();
    crate::error::fail(
        Exit::Invalid,
        Unparsable {
            origin,
            kind,
            reason,
        },
    )
}

/// The [`Unparsable`] in an error's chain, if that is what it is.
pub fn unparsable_in(err: &anyhow::Error) -> Option<&Unparsable> {
    err.chain()
        .filter_map(|e| e.downcast_ref::<crate::error::Failure>())
        .find_map(|f| f.error.downcast_ref::<Unparsable>())
}

fn not_json(origin: &str, e: &serde_json::Error) -> anyhow::Error {
    let msg = e.to_string();
    let (line, column) = (e.line(), e.column());
    if msg.starts_with("recursion limit exceeded") {
        let reason = format!("JSON nested more than 128 levels deep (line {line} column {column}); no metric artifact needs that");
        return unparsable(origin, "nesting", reason);
    }
    match e.classify() {
        serde_json::error::Category::Eof => unparsable(
            origin,
            "truncated",
            format!("not valid JSON: {msg}; the file ends too early (was it cut off while being written?)"),
        ),
        _ => unparsable(origin, "syntax", format!("not valid JSON: {msg}")),
    }
}

/// The input without a UTF-8 byte-order mark (Windows editors write one).
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Every duplicated key inside a native artifact's entries (the rest of
/// the document was scanned by [`parse`]); an error (exit 4) if any.
pub fn entry_duplicates(doc: &Document) -> Result<()> {
    match doc.entries {
        Some(_) => crate::error::check(&doc.origin, super::dupkeys::find(doc.text)),
        None => Ok(()),
    }
}

/// What [`parse`] keeps of a document.
struct Shape<'a> {
    value: Value,
    entries: Option<Vec<&'a RawValue>>,
    held: Held,
    /// Whether the duplicate-key scan is still to run on the whole input
    /// (a native artifact's entries are scanned by [`entry_duplicates`]).
    scan: bool,
}

/// An array, a native artifact or a flat object, read in one pass and
/// kept in part; `None` for any other document, or when a value must be
/// read whole for its error to be placed: the whole is parsed instead.
fn shape(text: &str) -> serde_json::Result<Option<Shape<'_>>> {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let n = partial::count_items(text)?;
            Ok(Some(Shape {
                value: Value::Array(vec![Value::Null; n.min(1)]),
                entries: None,
                held: Held::Items,
                scan: true,
            }))
        }
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(text);
            let top = de.deserialize_map(TopVisitor)?;
            de.end()?;
            Ok(match top.metrics {
                Some(Metrics::Entries(entries)) => skeleton(top.others, entries, top.repeated),
                Some(Metrics::Other) => None, // not an array: the whole document goes to the schema
                // Scanned before the object is built, not beside it (for
                // 500,000 keys, 52 MB beside 54). A repeated key: read
                // whole, and the error or the scan says what is wrong.
                None if !super::dupkeys::find(text).is_empty() => None,
                None => partial::flat(top.others).map(|(value, cut)| Shape {
                    value,
                    entries: None,
                    held: if cut { Held::Starts } else { Held::Nothing },
                    scan: false,
                }),
            })
        }
        _ => Ok(None),
    }
}

/// For `{…, "metrics": [ … ]}`: the skeleton and the raw entries; `None`
/// when a key repeats outside the entries.
fn skeleton<'a>(
    others: Vec<(String, &'a RawValue)>,
    entries: Vec<&'a RawValue>,
    mut repeated: bool,
) -> Option<Shape<'a>> {
    let mut map = serde_json::Map::new();
    for (k, raw) in others {
        repeated |= !super::dupkeys::find(raw.get()).is_empty();
        repeated |= map
            .insert(k, serde_json::from_str(raw.get()).ok()?)
            .is_some();
    }
    if repeated {
        return None;
    }
    map.insert(
        "metrics".to_string(),
        // One null stands for any number of entries: what the skeleton's
        // schema asks of the array is only that it is not empty (a null
        // for each of 5.6 M `{}` entries was 180 MB).
        Value::Array(vec![Value::Null; entries.len().min(1)]),
    );
    Some(Shape {
        value: Value::Object(map),
        entries: Some(entries),
        held: Held::Nothing,
        scan: false,
    })
}

/// The top-level object: `"metrics"` read straight into raw entries, every
/// other value kept raw, and whether `"metrics"` came twice (other keys
/// are compared by [`skeleton`]).
struct Top<'a> {
    metrics: Option<Metrics<'a>>,
    others: Vec<(String, &'a RawValue)>,
    repeated: bool,
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Top<'de>, M::Error> {
        let mut top = Top {
            metrics: None,
            others: Vec::new(),
            repeated: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == "metrics" {
                top.repeated |= top.metrics.is_some();
                top.metrics = Some(map.next_value()?);
            } else {
                top.others.push((key, map.next_value()?));
            }
        }
        Ok(top)
    }
}

/// The `"metrics"` value: an array's raw entries, or something else (left
/// to the schema, which reads the whole document).
enum Metrics<'a> {
    Entries(Vec<&'a RawValue>),
    Other,
}

impl<'de> Deserialize<'de> for Metrics<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Metrics<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metrics<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Metrics<'de>, S::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(raw) = seq.next_element::<&RawValue>()? {
                    entries.push(raw);
                }
                Ok(Metrics::Entries(entries))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Metrics<'de>, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Metrics::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
            fn visit_unit<E>(self) -> Result<Metrics<'de>, E> {
                Ok(Metrics::Other)
            }
        }
        d.deserialize_any(V)
    }
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
            msg.contains("a.json: /metrics/0: not valid JSON: number out of range"),
            "{msg}"
        );
        // A custom schema needs the whole document: no panic there either.
        let _ = doc.full_value();
    }

    #[test]
    fn repeated_keys_are_found_wherever_they_are() {
        let opts = crate::artifact::BuildOptions::default();
        let cases = [
            (
                r#"{"metrics": [{"name": "a", "name": "b", "type": "gauge", "value": 1}]}"#,
                "/metrics/0/name",
            ),
            (
                r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "labels": {"x": "1", "x": "2"}}]}"#,
                "/metrics/0/labels/x",
            ),
            (
                r#"{"labels": {"x": "1", "x": "2"}, "metrics": [{"name": "a", "type": "gauge", "value": 1}]}"#,
                "/labels/x",
            ),
            (
                r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1}], "metrics": []}"#,
                "/metrics",
            ),
            (r#"{"a": 1, "a": 2}"#, "/a"),
        ];
        for (text, pointer) in cases {
            let e = super::super::check(text.as_bytes(), &Origin::named("a.json"), None, &opts)
                .unwrap_err();
            assert_eq!(crate::error::exit_code(&e), Exit::Invalid, "{text}");
            let msg = format!("{e:#}");
            assert!(
                msg.contains(&format!("{pointer}: ")) && msg.contains("line"),
                "{text}: {msg}"
            );
        }
    }

    #[test]
    fn bom_is_skipped() {
        let d = parse(b"\xEF\xBB\xBF{\"a\": 1}", &Origin::named("<stdin>")).unwrap();
        assert_eq!(d.value["a"], 1);
    }
}
