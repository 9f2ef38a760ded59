//! The native format in one pass over the input, for the common big case:
//! each entry is read straight from the input into the family set, through
//! a bounded [`Window`], so neither the file nor its entries are ever held
//! whole (the two-pass reader in [`super::native`] first finds every entry
//! in the whole text, then reads each).
//!
//! It applies when the top-level `"labels"` (if any) comes before
//! `"metrics"`, as in every example and in what `json.dumps` writes for a
//! dict built in that order. Anything else, or anything the typed reader
//! refuses (which ends the pass: a JSON reader can't resume mid-entry), and
//! the caller takes the two-pass route, which reads the whole input and
//! says what is wrong. The model is the same either way: the same code
//! reads each entry (`native::entry`), in the same order.

use std::io::Read;

use serde_json::{Map, Value};

use super::families::FamilySet;
use super::native::{self, Labels, MetricEntry};
use super::schema::{Format, SchemaChoice};
use super::strict::Object;
use super::window::{Lend, Stop, Window};

/// The skeleton of the top level (every key but `"metrics"`, which is
/// left an empty array), with the entries already in `set`; `None` when
/// this pass does not apply or the input holds anything the typed reader
/// refuses.
pub fn read(input: impl Read, set: &mut FamilySet) -> Option<Value> {
    read_with(input, set, &mut NoTail)
}

/// [`read`], offering `tail` each entry's turn before it is read: another
/// thread may have read the rest of the `"metrics"` array ([`super::split`]).
pub(super) fn read_with(
    input: impl Read,
    set: &mut FamilySet,
    tail: &mut dyn Tail,
) -> Option<Value> {
    let mut window = Window::new(input).ok()?;
    let skeleton = top(&mut window, set, tail).ok()?;
    native::top_keys(set, &skeleton);
    (!set.mismatched()).then_some(Value::Object(skeleton))
}

/// The entries from some place on, read elsewhere.
pub(super) trait Tail {
    /// Before entry `i`, which starts at or after byte `at` of the input
    /// (just past the `,` before it), is read: add the entries from `i`
    /// on that were read elsewhere (each through [`native::entry`], in
    /// order), if any.
    fn entries(&mut self, i: usize, at: u64, set: &mut FamilySet, labels: &Labels) -> Rest;
}

/// What a [`Tail`] did at an entry's turn.
pub(super) enum Rest {
    /// Nothing: the entry is read here.
    Nothing,
    /// Added the entries up to this one (excluded), and the input after
    /// them is `]`, `}` and its end (or the set passed `--max-series`).
    Whole(usize),
}

/// No tail: everything is read here.
struct NoTail;

impl Tail for NoTail {
    fn entries(&mut self, _: usize, _: u64, _: &mut FamilySet, _: &Labels) -> Rest {
        Rest::Nothing
    }
}

/// An entry, lending its strings from the window.
struct EntryOf;

impl Lend for EntryOf {
    type Of<'de> = Object<MetricEntry<'de>>;
}

/// A label object, lending its strings from the window.
struct LabelsOf;

impl Lend for LabelsOf {
    type Of<'de> = Labels<'de>;
}

/// `{"key": value, …}` with the entries of `"metrics"` read as they come.
fn top<R: Read>(
    w: &mut Window<R>,
    set: &mut FamilySet,
    tail: &mut dyn Tail,
) -> Result<Map<String, Value>, Stop> {
    let mut skeleton = Map::new();
    let mut labels: Option<Labels<'static>> = None;
    let mut count: Option<usize> = None;
    let mut whole = false;
    if !w.eat(b'{')? {
        return Err(Stop);
    }
    loop {
        if w.peek()? != Some(b'"') {
            return Err(Stop);
        }
        let key: String = w.owned()?;
        if !w.eat(b':')? || skeleton.contains_key(&key) || (key == "metrics" && count.is_some()) {
            return Err(Stop);
        }
        match key.as_str() {
            "metrics" => {
                let top = labels.get_or_insert_with(Labels::default);
                let (n, rest_read) = entries(w, set, top, tail)?;
                count = Some(n);
                whole = rest_read;
            }
            // The entries already read went without these labels.
            "labels" if count.is_some() => return Err(Stop),
            "labels" => {
                // Read as labels, not as a `Value`, which would keep the
                // last of a repeated name without a word.
                let top = w.lend::<LabelsOf, _>(|l| l.into_owned())?;
                native::check_top_labels(set, &top);
                skeleton.insert(key, top.to_value());
                labels = Some(top);
            }
            // A key the format does not have: the answer is the long
            // way's, so its value (maybe the whole file) is not read twice.
            _ if !native::TOP_KEYS.contains(&key.as_str()) => return Err(Stop),
            _ => {
                let value: Value = w.owned()?;
                if key == "$schema" && !names_this_format(&value) {
                    // A custom schema or standard, or another format: the
                    // schema path will read the entries; stop now.
                    return Err(Stop);
                }
                skeleton.insert(key, value);
            }
        }
        // Past --max-series the rest is not read: the set refuses.
        if whole || set.limit.passed() || w.eat(b'}')? {
            break;
        }
        if !w.eat(b',')? {
            return Err(Stop);
        }
    }
    if !whole && !set.limit.passed() && (w.peek()?.is_some() || count.unwrap_or(0) == 0) {
        return Err(Stop);
    }
    skeleton.insert("metrics".into(), Value::Array(Vec::new()));
    Ok(skeleton)
}

/// Whether a `"$schema"` value names the native format (or is not a
/// string, which the top-level check refuses later).
fn names_this_format(value: &Value) -> bool {
    match value {
        Value::String(name) => matches!(
            SchemaChoice::parse(name),
            SchemaChoice::Builtin(Format::Metrics)
        ),
        _ => true,
    }
}

/// The `"metrics"` array, each entry added as it is read; yields the count
/// and whether `tail` read the rest of the input.
fn entries<R: Read>(
    w: &mut Window<R>,
    set: &mut FamilySet,
    labels: &Labels,
    tail: &mut dyn Tail,
) -> Result<(usize, bool), Stop> {
    if !w.eat(b'[')? {
        return Err(Stop);
    }
    if w.eat(b']')? {
        return Ok((0, false));
    }
    let mut i = 0;
    loop {
        if let Rest::Whole(n) = tail.entries(i, w.offset(), set, labels) {
            return Ok((n, true));
        }
        next_entry(w, set, labels, i)?;
        i += 1;
        if set.limit.passed() || w.eat(b']')? {
            return Ok((i, false));
        }
        if !w.eat(b',')? {
            return Err(Stop);
        }
    }
}

/// Entry `i`, read from the window and added to `set`: by hand where it
/// can be ([`native::direct`]), by serde where not.
pub(super) fn next_entry<R: Read>(
    w: &mut Window<R>,
    set: &mut FamilySet,
    labels: &Labels,
    i: usize,
) -> Result<(), Stop> {
    w.lend_quick::<EntryOf, _>(native::direct::entry, |m| {
        native::entry(set, labels, i, Ok(m.0))
    })
}

#[cfg(test)]
mod tests {
    use crate::artifact::{one_pass, BuildOptions, Origin};

    fn answers(text: &str) -> bool {
        let opts = BuildOptions::default();
        one_pass(text.as_bytes(), &Origin::named("a.json"), None, &opts).is_some()
    }

    #[test]
    fn applies_only_where_it_can_answer_alone() {
        let m = r#""metrics": [{"name": "a", "type": "gauge", "value": 1}]"#;
        assert!(answers(&format!(r#"{{"labels": {{"x": "1"}}, {m}}}"#)));
        assert!(answers(&format!(r#"{{"$schema": "metrics", {m}}}"#)));
        // Labels after the entries they apply to; another schema; a refusal.
        assert!(!answers(&format!(r#"{{{m}, "labels": {{"x": "1"}}}}"#)));
        assert!(!answers(&format!(r#"{{"$schema": "std.yaml", {m}}}"#)));
        assert!(!answers(
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": null}]}"#
        ));
        assert!(!answers(r#"{"metrics": []}"#));
    }
}
