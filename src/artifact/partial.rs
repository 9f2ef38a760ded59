//! What [`super::parse`] keeps of a v0 array or a flat object instead of
//! one big `serde_json::Value`, which takes 16 times the input for
//! `[0,0,…]` (32 bytes for each 2-byte `0,`).
//!
//! - A top-level array is read through once ([`count_items`]) and not
//!   kept: its items are read again from the input, one at a time, when a
//!   reader asks for them ([`each_item`]).
//! - A flat object keeps every value, but an array or object value only
//!   by its start ([`start`]): the simple format refuses such a value, and
//!   a message quotes no more than its first 60 characters.
//!
//! Both read every number as a `Value` would ([`Checked`]), so that an
//! input a `Value` refuses is refused here at parse time too.

use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What of a document its `value` leaves out (besides native entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Nothing: `value` is the whole document, or a native skeleton.
    Nothing,
    /// A top-level array's items: `value` is one null for them all (none
    /// if there are none); [`super::parse::Document::each_item`] reads them.
    Items,
    /// A flat object's big array or object values: `value` holds their
    /// start ([`start`]), all a message quotes of them.
    Starts,
}

/// Any JSON value, read and dropped. Unlike serde's `IgnoredAny`, which
/// skips a number unread, every number is parsed, so `1e400` is refused
/// here exactly as in a `Value`.
pub struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Checked, S::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Checked, M::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// How many items the top-level array `text` holds, each read through
/// ([`Checked`]): the error a `Value` meets, at the same place, if any.
pub fn count_items(text: &str) -> serde_json::Result<usize> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<usize, S::Error> {
            let mut n = 0;
            while seq.next_element::<Checked>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    // `deserialize_any`, as `Value` reads it: the same depth accounting.
    let n = de.deserialize_any(Count)?;
    de.end()?;
    Ok(n)
}

/// Each item of the top-level array `text` (which [`count_items`]
/// accepted), parsed, with its index; only one exists at a time.
pub fn each_item(text: &str, f: impl FnMut(usize, Value)) {
    struct Each<F>(F);
    impl<'de, F: FnMut(usize, Value)> Visitor<'de> for Each<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
            let mut i = 0;
            while let Some(item) = seq.next_element::<Value>()? {
                (self.0)(i, item);
                i += 1;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    // Read whole once already, by `count_items`: no error is left to meet.
    let _ = de.deserialize_any(Each(f));
}

/// An object without `"metrics"`, the simple format's shape, from its
/// raw values: each value whole but a big array or object, kept by its
/// [`start`], and then `true`. `None` if a value is refused (a number out
/// of range): parsed whole, the document says where.
pub fn flat(others: Vec<(String, &RawValue)>) -> Option<(Value, bool)> {
    let mut map = Map::new();
    let mut cut = false;
    for (k, raw) in others {
        let (value, its) = start(raw).ok()?;
        cut |= its;
        map.insert(k, value);
    }
    Some((Value::Object(map), cut))
}

/// How many values of a big array or object [`start`] keeps: a message
/// quotes at most 60 characters of a value, and each value kept before
/// the first one left out writes at least one.
pub const START_VALUES: usize = 128;

/// `raw` as a `Value`; an array or object of more than [`START_VALUES`]
/// values (counted all the way down, in the order written) only by its
/// start, and then `true`. An array cut short shows the same first 60
/// characters as the whole; an object, whose keys a `Value` sorts, its
/// first keys by name among those kept. The rest is read through
/// ([`Checked`]) and dropped.
pub fn start(raw: &RawValue) -> serde_json::Result<(Value, bool)> {
    let mut left = START_VALUES;
    let mut cut = false;
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let value = Start {
        left: &mut left,
        cut: &mut cut,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((value, cut))
}

/// One value of [`start`], sharing what is left to keep.
struct Start<'b> {
    left: &'b mut usize,
    cut: &'b mut bool,
}

impl Start<'_> {
    fn again(&mut self) -> Start<'_> {
        Start {
            left: &mut *self.left,
            cut: &mut *self.cut,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Start<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        *self.left = self.left.saturating_sub(1);
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Start<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<Value, S::Error> {
        let mut items = Vec::new();
        while *self.left > 0 {
            match seq.next_element_seed(self.again())? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
        while seq.next_element::<Checked>()?.is_some() {
            *self.cut = true;
        }
        Ok(Value::Array(items))
    }
    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<Value, M::Error> {
        let mut kept = Map::new();
        while *self.left > 0 {
            match map.next_key::<String>()? {
                Some(k) => {
                    let v = map.next_value_seed(self.again())?;
                    kept.insert(k, v);
                }
                None => return Ok(Value::Object(kept)),
            }
        }
        while map.next_entry::<Checked, Checked>()?.is_some() {
            *self.cut = true;
        }
        Ok(Value::Object(kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn small_values_are_kept_whole() {
        for text in [r#"{"a":[1,2,{"b":null}],"c":"d"}"#, "[]", "1.5", r#""x""#] {
            let (v, cut) = start(&raw(text)).unwrap();
            assert_eq!(v, serde_json::from_str::<Value>(text).unwrap(), "{text}");
            assert!(!cut, "{text}");
        }
    }

    #[test]
    fn a_big_array_keeps_its_start() {
        let text = format!(
            "[[{}],{}]",
            vec!["7"; 200].join(","),
            vec!["0"; 500].join(",")
        );
        let (v, cut) = start(&raw(&text)).unwrap();
        assert!(cut);
        let whole: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.to_string()[..200], whole.to_string()[..200]);
        assert!(v.to_string().len() < 400);
    }

    #[test]
    fn numbers_past_the_cut_are_still_read() {
        let text = format!("[{},1e400]", vec!["0"; 500].join(","));
        assert!(start(&raw(&text)).is_err());
        assert!(count_items(&text).is_err());
        assert_eq!(count_items("[1, [2, 3], {}]").unwrap(), 3);
    }

    #[test]
    fn items_one_at_a_time() {
        let mut seen = Vec::new();
        each_item(r#" [1, {"a": "b"}, []] "#, |i, v| seen.push((i, v)));
        let want = [
            (0, 1.into()),
            (1, serde_json::json!({"a": "b"})),
            (2, serde_json::json!([])),
        ];
        assert_eq!(seen, want);
    }
}
