//! Duplicate object keys, found by one pass over JSON text that already
//! parsed.
//!
//! Why a pass of our own: serde_json (like most parsers) silently keeps the
//! last of two equal keys, so `{"a": 1, "a": 2}` would push 2 and lose 1
//! without a word, and serde's derived readers report a duplicated field as
//! an unexplained failure. The pass only tracks structure (strings, braces,
//! brackets, commas), so it is a byte scan (memchr inside strings, where
//! most bytes are) with no allocation per object beyond a reused key list;
//! its cost on the 100,000-series artifact is in docs/design.md.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::Problem;
use crate::model::escape_pointer;

/// Past this many keys an object's keys go into a hash map; below it a
/// linear scan is faster than hashing (metric entries have under 10).
const LINEAR: usize = 16;

#[derive(Default)]
struct Frame<'a> {
    object: bool,
    expect_key: bool,
    index: usize,
    current: &'a str,
    keys: Vec<(Cow<'a, str>, usize)>,
    many: HashMap<Cow<'a, str>, usize>,
}

/// Every duplicated key in `text` (which must be valid JSON), with its
/// pointer and the lines of both occurrences.
pub fn find(text: &str) -> Vec<Problem> {
    let b = text.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    let mut depth = 0usize;
    let mut problems = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c @ (b'{' | b'[') => {
                if frames.len() == depth {
                    frames.push(Frame::default());
                }
                let f = &mut frames[depth];
                f.object = c == b'{';
                f.expect_key = f.object;
                f.index = 0;
                f.keys.clear();
                f.many.clear();
                depth += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth > 0 => {
                let f = &mut frames[depth - 1];
                f.index += 1;
                f.expect_key = f.object;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    j += string_end(&b[j..]);
                    if b[j] == b'"' {
                        break;
                    }
                    escaped = true;
                    j += 2;
                }
                i = j;
                if depth > 0 && frames[depth - 1].expect_key {
                    let raw = &text[start..j];
                    let key = if escaped {
                        unescape(raw)
                    } else {
                        Cow::Borrowed(raw)
                    };
                    let f = &mut frames[depth - 1];
                    f.expect_key = false;
                    f.current = raw;
                    if let Some(first) = seen(f, key, start) {
                        let (first, again) = (line_of(b, first), line_of(b, start));
                        problems.push(duplicate(&frames[..depth], first, again));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    problems
}

/// The offset of the next `"` or `\\`. Most strings in an artifact are
/// short keys and names, where a plain loop beats memchr's setup; a long
/// one (a help text) goes to memchr, a word at a time.
fn string_end(b: &[u8]) -> usize {
    const SHORT: usize = 24;
    let head = &b[..b.len().min(SHORT)];
    if let Some(k) = head.iter().position(|&c| c == b'"' || c == b'\\') {
        return k;
    }
    head.len() + memchr::memchr2(b'"', b'\\', &b[head.len()..]).expect("valid JSON")
}

/// The 1-based line of a byte offset: only counted for a duplicate, so
/// the scan itself never looks at newlines.
fn line_of(b: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &b[..offset]).count() + 1
}

/// Record `key` (at byte `offset`) in the frame; the offset of its first
/// occurrence if seen.
fn seen<'a>(f: &mut Frame<'a>, key: Cow<'a, str>, offset: usize) -> Option<usize> {
    if f.keys.len() < LINEAR {
        if let Some((_, first)) = f.keys.iter().find(|(k, _)| *k == key) {
            return Some(*first);
        }
        f.keys.push((key, offset));
        if f.keys.len() == LINEAR {
            f.many.extend(f.keys.iter().cloned());
        }
        return None;
    }
    match f.many.get(&key) {
        Some(first) => Some(*first),
        None => {
            f.many.insert(key, offset);
            None
        }
    }
}

fn unescape(raw: &str) -> Cow<'_, str> {
    serde_json::from_str::<String>(&format!("\"{raw}\""))
        .map(Cow::Owned)
        .unwrap_or(Cow::Borrowed(raw))
}

fn duplicate(frames: &[Frame], first: usize, line: usize) -> Problem {
    let mut pointer = String::new();
    for f in frames {
        pointer.push('/');
        if f.object {
            pointer.push_str(&escape_pointer(&unescape(f.current)));
        } else {
            pointer.push_str(&f.index.to_string());
        }
    }
    let key = unescape(frames.last().map_or("", |f| f.current)).into_owned();
    let lines = if first == line {
        format!("twice on line {line}")
    } else {
        format!("lines {first} and {line}")
    };
    Problem::new(
        pointer,
        format!("duplicate key {key:?} ({lines}); JSON readers keep only one of the values, so the other would be silently lost: remove one"),
    )
    .with_kind("duplicate-key")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dups(text: &str) -> Vec<String> {
        serde_json::from_str::<serde_json::Value>(text).expect("valid JSON");
        find(text).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn finds_duplicates_at_any_depth_with_both_lines() {
        assert_eq!(
            dups("{\"a\": 1,\n \"a\": 2}"),
            ["/a: duplicate key \"a\" (lines 1 and 2); JSON readers keep only one of the values, so the other would be silently lost: remove one"]
        );
        let text = "{\"metrics\": [\n {\"name\": \"x\", \"value\": 1},\n {\"name\": \"y\",\n  \"value\": 1,\n  \"value\": 2}]}";
        let d = dups(text);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].starts_with("/metrics/1/value: duplicate key \"value\" (lines 4 and 5)"),
            "{d:?}"
        );
    }

    #[test]
    fn escapes_strings_and_nesting_are_understood() {
        // Equal after unescaping.
        assert_eq!(dups(r#"{"a": 1, "\u0061": 2}"#).len(), 1);
        // Keys inside strings, arrays of objects, equal keys in siblings.
        assert!(dups(
            r#"{"s": "{\"a\":1,\"a\":2}", "l": [{"a": 1}, {"a": 2}], "o": {"a": {"a": 1}}}"#
        )
        .is_empty());
        // Pointer escaping.
        assert_eq!(
            dups(r#"{"a/b~c": {"k": 1, "k": 2}}"#)[0].split(':').next(),
            Some("/a~1b~0c/k")
        );
        // Many keys: the hash-map path.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k33\": 0}}", many.join(", "));
        assert_eq!(dups(&text).len(), 1);
        assert!(dups(r#"[1, "x", {"a": [true, null]}]"#).is_empty());
        // Strings past the short-loop window, with escapes on both sides of it.
        let long = "k".repeat(40);
        assert_eq!(dups(&format!(r#"{{"{long}": 1, "{long}": 2}}"#)).len(), 1);
        let text = format!(r#"{{"a": "{long}\"{{\"a\":1}}{long}", "b": "\\", "a": 1}}"#);
        assert_eq!(dups(&text).len(), 1, "{text}");
    }
}
