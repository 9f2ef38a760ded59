//! Metric values as artifacts write them, read exactly as the built-in
//! schemas allow: a JSON number or one of the strings "NaN", "+Inf",
//! "-Inf"; a bucket bound that is a number or "+Inf"; a count that is a
//! non-negative integer.
//!
//! Deserialized with visitors rather than `#[serde(untagged)]`, which
//! buffers every value and tries each variant in turn (measured: the model
//! stage spent much of its time there on 100,000 series). Anything the
//! schema would refuse is a deserialization error here, so that the typed
//! readers can stand in for the schema (see [`super::fast`]).

use serde::de::{Error, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// A value: `$defs/value` of the native schema, and the values of `simple`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

/// A bucket's `le`: a number or `"+Inf"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Le(pub f64);

/// `$defs/count`: an integer (JSON Schema counts `10.0` as one) that is at
/// least 0 and fits in 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

/// What a string may spell: the three of a value, or only `"+Inf"`.
pub(super) fn special(s: &str, inf_only: bool) -> Option<f64> {
    crate::model::non_finite(s).filter(|v| !inf_only || *v == f64::INFINITY)
}

/// A number, or a string among [`special`]'s.
struct NumVisitor {
    inf_only: bool,
}

impl Visitor<'_> for NumVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.inf_only {
            f.write_str("a number or \"+Inf\"")
        } else {
            write!(f, "a number, {}", crate::model::NON_FINITE)
        }
    }
    fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<f64, E> {
        special(v, self.inf_only).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        d.deserialize_any(NumVisitor { inf_only: false }).map(Num)
    }
}

impl<'de> Deserialize<'de> for Le {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Le, D::Error> {
        d.deserialize_any(NumVisitor { inf_only: true }).map(Le)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = u64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number, at least 0")
            }
            fn visit_u64<E>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<u64, E> {
                u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<u64, E> {
                whole(v).ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
            }
        }
        d.deserialize_any(V).map(Count)
    }
}

/// A count written as a float (`10.0`), if it is a whole number that fits:
/// 2^64 and above is an integer to JSON Schema but not a u64, refused here
/// so that the schema path decides (and says so).
pub(super) fn whole(v: f64) -> Option<u64> {
    (v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v)).then_some(v as u64)
}

/// A `simple` value, or a native value held as a `serde_json::Value`.
pub fn of_value(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => special(s, false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_schema_allows_and_nothing_else() {
        let num = |s: &str| serde_json::from_str::<Num>(s).ok().map(|n| n.0);
        assert_eq!(num("1.5"), Some(1.5));
        assert_eq!(num("-3"), Some(-3.0));
        assert_eq!(num("\"+Inf\""), Some(f64::INFINITY));
        assert!(num("\"NaN\"").unwrap().is_nan());
        assert_eq!(num("\"inf\""), None);
        assert_eq!(num("null"), None);
        assert_eq!(num("true"), None);
        let le = |s: &str| serde_json::from_str::<Le>(s).ok().map(|n| n.0);
        assert_eq!(le("\"+Inf\""), Some(f64::INFINITY));
        assert_eq!(le("\"NaN\""), None);
        let count = |s: &str| serde_json::from_str::<Count>(s).ok().map(|n| n.0);
        assert_eq!(count("10"), Some(10));
        assert_eq!(count("10.0"), Some(10));
        assert_eq!(count("-0.0"), Some(0));
        assert_eq!(count("-1"), None);
        assert_eq!(count("1.5"), None);
        assert_eq!(count("1e20"), None);
    }
}
