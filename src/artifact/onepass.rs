//! The native format in one pass over the input, for the common big case:
//! each entry is read straight from the text into the family set, with no
//! raw slices kept and no second pass (the two-pass reader in
//! [`super::native`] first finds every entry, then reads each).
//!
//! It applies when the top-level `"labels"` (if any) comes before
//! `"metrics"`, as in every example and in what `json.dumps` writes for a
//! dict built in that order. Anything else, or anything the typed reader
//! refuses (which ends the pass: a JSON reader can't resume mid-entry), and
//! [`super::check`] takes the two-pass route, which says what is wrong.
//! The model is the same either way: the same code reads each entry
//! (`native::entry`), in the same order.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer as _, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::families::FamilySet;
use super::native::{self, Labels, MetricEntry, Object};
use super::schema::{Format, SchemaChoice};

/// The skeleton of the top level (`"metrics"` an array of nulls as long as
/// the real one), with the entries already in `set`; `None` when this pass
/// does not apply or the input holds anything the typed reader refuses.
pub fn read(text: &str, set: &mut FamilySet) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let skeleton = de.deserialize_map(Top { set }).ok()?;
    de.end().ok()?;
    native::top_keys(set, skeleton.as_object()?);
    (!set.mismatched()).then_some(skeleton)
}

struct Top<'s, 'o> {
    set: &'s mut FamilySet<'o>,
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a native artifact")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Value, M::Error> {
        let mut skeleton = serde_json::Map::new();
        let mut labels: Option<Labels<'de>> = None;
        let mut count: Option<usize> = None;
        while let Some(key) = map.next_key::<String>()? {
            if skeleton.contains_key(&key) || (key == "metrics" && count.is_some()) {
                return Err(M::Error::custom("a repeated key"));
            }
            match key.as_str() {
                "metrics" => {
                    let top = labels.get_or_insert_with(Labels::default);
                    let entries = Entries {
                        set: &mut *self.set,
                        labels: top,
                    };
                    count = Some(map.next_value_seed(entries)?);
                }
                "labels" if count.is_some() => {
                    return Err(M::Error::custom("\"labels\" after \"metrics\""));
                }
                _ => {
                    let raw: &'de RawValue = map.next_value()?;
                    if key == "$schema" && !names_this_format(raw) {
                        // A custom schema or standard, or another format:
                        // the schema path will read the entries; stop now.
                        return Err(M::Error::custom("another schema"));
                    }
                    if key == "labels" {
                        let mut de = serde_json::Deserializer::from_str(raw.get());
                        let top = Labels::deserialize(&mut de).map_err(M::Error::custom)?;
                        native::check_top_labels(self.set, &top);
                        labels = Some(top);
                    }
                    let value = serde_json::from_str(raw.get()).map_err(M::Error::custom)?;
                    skeleton.insert(key, value);
                }
            }
        }
        match count {
            Some(n) if n > 0 => {
                skeleton.insert("metrics".into(), Value::Array(vec![Value::Null; n]));
                Ok(Value::Object(skeleton))
            }
            _ => Err(M::Error::custom("no \"metrics\" entries")),
        }
    }
}

/// Whether a `"$schema"` value names the native format (or is not a
/// string, which the top-level check refuses later).
fn names_this_format(raw: &RawValue) -> bool {
    match serde_json::from_str::<&str>(raw.get()) {
        Ok(name) => matches!(
            SchemaChoice::parse(name),
            SchemaChoice::Builtin(Format::Metrics)
        ),
        Err(_) => true,
    }
}

/// The `"metrics"` array, each entry added as it is read; yields the count.
struct Entries<'s, 'o, 'l, 'de> {
    set: &'s mut FamilySet<'o>,
    labels: &'l Labels<'de>,
}

impl<'de> DeserializeSeed<'de> for Entries<'_, '_, '_, 'de> {
    type Value = usize;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_, '_, 'de> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of metric entries")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<usize, S::Error> {
        let mut i = 0;
        while let Some(m) = seq.next_element::<Object<MetricEntry<'de>>>()? {
            native::entry(self.set, self.labels, i, Ok(m.0));
            i += 1;
        }
        Ok(i)
    }
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
