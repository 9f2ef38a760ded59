//! Metric values as artifacts write them: a JSON number or one of the
//! strings "NaN", "+Inf", "-Inf".

use serde::Deserialize;

use super::families::FamilySet;

/// A value as written: a JSON number, or a string to be read as one.
/// Deserialized with a visitor rather than `#[serde(untagged)]`, which
/// buffers every value and tries each variant in turn (measured: the model
/// stage spent much of its time there on 100,000 series).
pub enum Num {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"+Inf\" or \"-Inf\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Number(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num::Number(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num::Number(v as f64))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The value as a float; a missing or unreadable one is a problem at `at`
/// (built only then) and reads as NaN so that checking can go on.
pub fn value(set: &mut FamilySet, at: impl FnOnce() -> String, v: Option<&Num>) -> f64 {
    match v {
        Some(Num::Number(f)) => *f,
        Some(Num::Text(s)) => match s.as_str() {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            _ => {
                set.problem(at(), format!("{s:?} is not a number"));
                f64::NAN
            }
        },
        None => {
            set.problem(at(), "missing");
            f64::NAN
        }
    }
}
