//! How a standard's text becomes a [`Standard`], and why it failed to, in
//! the admin's words with the JSON pointer and line.
//!
//! yaml_serde holds every parse event of the document, about 100 bytes a
//! scalar, before it builds anything: a standard of 16 MiB took 457 MB
//! as JSON, 414 MB as YAML (issue 23). So the standard is first read by
//! a reader that builds it as it parses: serde_json when it looks like
//! JSON, else serde-saphyr. Only a standard one of them reads whole is
//! taken from it; anything else (a problem, flow YAML such as `{a: 1}`,
//! `"name": 5`, which YAML reads as the text "5" and serde_json refuses)
//! is read again by yaml_serde, which decides: a standard means what it
//! did before, and its problems are told in the same words, pointer and
//! line (see docs/design.md).

use std::fmt::Write as _;

use serde::Deserialize as _;

use super::Standard;
use crate::error::Problem;

/// The standard in `text`, or the one problem that stops it being read.
pub fn typed(text: &str) -> Result<Standard, Problem> {
    if text.trim_start().starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        if let Ok(standard) = Standard::deserialize(&mut de) {
            if de.end().is_ok() {
                return Ok(standard);
            }
        }
    }
    if let Ok(standard) = serde_saphyr::from_str_with_options(text, streamed_yaml()) {
        return Ok(standard);
    }
    let de = yaml_serde::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| not_yaml(text, &e))
}

/// A document's `kind` and `apiVersion`, the rest skipped unread.
#[derive(serde::Deserialize)]
struct Head {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
}

/// Whether `text` surely declares itself a standard, read by the readers
/// that skip what they don't keep: a yaml_serde `Value` of a big standard
/// holds every event (2 GB at 4 MiB). `false` also when they can't tell
/// (not a mapping, not read): [`super::detect`] then asks yaml_serde.
pub fn declares_standard(text: &str) -> bool {
    let head: Option<Head> = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        serde_saphyr::from_str_with_options(text, streamed_yaml()).ok()
    };
    head.is_some_and(|h| {
        h.kind.as_deref() == Some(super::KIND)
            && h.api_version.is_some_and(|v| v.starts_with("simplepipe/"))
    })
}

/// serde-saphyr read as yaml_serde reads: YAML 1.2's `true`/`false` only;
/// no `<<` merge key (yaml_serde calls it an unknown field);
/// no budget of events (466,000 metrics are 2.8 million, past its default
/// million; aliases stay capped by its own alias limits); no snippet in
/// messages (never shown: yaml_serde tells them).
fn streamed_yaml() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.strict_booleans = true;
    o.merge_keys = serde_saphyr::MergeKeyPolicy::Error;
    o.budget = None;
    o.with_snippet = false;
    o
}

/// A reader's message without its position and its own path: both readers
/// append " at line L column C" (ours is uniform), and yaml_serde prefixes
/// a dotted path, which the pointer replaces.
fn cleaned(msg: &str) -> String {
    let mut msg = msg.to_string();
    if let Some(at) = msg.find(" at line ") {
        msg.truncate(at);
    }
    if let Some((head, rest)) = msg.split_once(": ") {
        if !head.contains(' ') {
            msg = rest.to_string();
        }
    }
    msg
}

fn at(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

/// Why YAML text is not a standard: a tab in the indentation, YAML that
/// doesn't parse, or a value of the wrong kind (in [`crate::serde_words`]),
/// with its pointer and line.
fn not_yaml(text: &str, e: &serde_path_to_error::Error<yaml_serde::Error>) -> Problem {
    let inner = e.inner();
    let line = inner.location().map(|l| l.line());
    // Parsed as any YAML value, it breaks too: a syntax error, not a value
    // of the wrong kind. libyaml's words for a tab in the indentation say
    // nothing of tabs.
    if yaml_serde::from_str::<serde_json::Value>(text).is_ok() {
        let words = crate::serde_words::plain(&cleaned(&inner.to_string()));
        return Problem::new(pointer_of(e.path()), format!("{words}{}", at(line)));
    }
    let tab_indented = |l: &usize| {
        let text = text.lines().nth(l.saturating_sub(1)).unwrap_or("");
        text.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    };
    let msg = match line.filter(tab_indented) {
        Some(l) => format!(
            "line {l} is indented with a tab, and YAML indentation can't use tabs; indent with spaces"
        ),
        None => format!("{}{}", cleaned(&inner.to_string()), at(line)),
    };
    Problem::new("", format!("not valid YAML: {msg}"))
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                let _ = write!(out, "/{index}");
            }
            Segment::Map { key } => {
                let _ = write!(out, "/{}", key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { variant } => {
                let _ = write!(out, "/{variant}");
            }
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
}
