//! A JSON Schema violation in plain language, for [`super::validate`]:
//! jsonschema's own messages quote whole values and name schema keywords,
//! so the common kinds ("is not a number", "unknown key", "missing
//! required key") are rewritten here, each with the schema or standard it
//! comes from in mind.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value;

use crate::report::clip;

/// A plain-language message for the common kinds of violation.
/// `instance` is the value as given, which the validator may have seen
/// through a stand-in (`validate::stand_in`).
pub(super) fn message(
    e: &ValidationError<'_>,
    instance: &Value,
    schema: &Value,
    root: &Value,
    who: Option<&str>,
) -> String {
    let shown = short(instance);
    let standard = who.filter(|w| w.starts_with("standard "));
    match e.kind() {
        ValidationErrorKind::Type { kind } => match kind {
            TypeKind::Single(t) => format!("{shown} is not {}", article(&t.to_string())),
            TypeKind::Multiple(_) => e.to_string(),
        },
        ValidationErrorKind::AnyOf { .. } if e.schema_path().as_str().contains("/le/") => {
            format!("{shown} is not a number or \"+Inf\"")
        }
        ValidationErrorKind::AnyOf { .. } if matches!(instance, Value::String(_)) => {
            format!("{shown} is not a number ({})", strings_taken(e, schema))
        }
        ValidationErrorKind::AnyOf { .. } => format!("{shown} is not a number"),
        ValidationErrorKind::AdditionalProperties { unexpected }
            if e.instance_path().as_str().ends_with("/labels") =>
        {
            labels_not_allowed(e, schema, unexpected)
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{shown} is not {}", short(expected_value))
        }
        ValidationErrorKind::Maximum { limit } if standard.is_some() => {
            format!("{shown} is above the valid maximum {limit}")
        }
        ValidationErrorKind::Minimum { limit } if standard.is_some() => {
            format!("{shown} is below the valid minimum {limit}")
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unknown_keys(unexpected),
        ValidationErrorKind::FalseSchema => not_of_this_type(e, root),
        ValidationErrorKind::Required { property } => format!("missing required key {property}"),
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(Value::to_string).collect())
                .unwrap_or_default();
            format!("{shown} is not one of {}", opts.join(", "))
        }
        ValidationErrorKind::Contains => no_item_matches(e, schema, standard),
        ValidationErrorKind::MinItems { limit: 1 } => "must hold at least one metric".to_string(),
        ValidationErrorKind::MinProperties { limit: 1 } => {
            "must hold at least one metric".to_string()
        }
        // jsonschema's own message quotes the whole instance: shorten the
        // instance, never the reason after it ("has more than 1 item").
        _ => reason_kept(&e.to_string(), instance),
    }
}

/// Which strings a number may be given as: "NaN", "+Inf" or "-Inf" in the
/// native formats; in simplepipe-v0, whose schema takes a string by a
/// pattern (any string Python's `float()` reads), numbers as text too.
fn strings_taken(e: &ValidationError<'_>, schema: &Value) -> &'static str {
    let by_pattern = schema
        .pointer(e.schema_path().as_str())
        .and_then(Value::as_array)
        .is_some_and(|branches| branches.iter().any(|b| b.get("pattern").is_some()));
    if by_pattern {
        "the simplepipe-v0 format takes a number, or a string Python's float() reads, such as \"6\", \"2.5e3\", \"nan\", \"inf\" or \"-inf\""
    } else {
        "a string must be \"NaN\", \"+Inf\" or \"-Inf\""
    }
}

/// Labels a custom schema or standard does not allow, with the ones it
/// does, so the fix is in the message.
fn labels_not_allowed(e: &ValidationError<'_>, schema: &Value, unexpected: &[String]) -> String {
    let parent = e
        .schema_path()
        .as_str()
        .trim_end_matches("/additionalProperties");
    let allowed: Vec<&String> = schema
        .pointer(&format!("{parent}/properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let allowed = match allowed.as_slice() {
        [] => "none are".to_string(),
        names => format!(
            "allowed: {}",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    unexpected
        .iter()
        .map(|k| format!("label {k:?} is not allowed here ({allowed})"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Keys the format does not have; a timestamp gets the reason, as users
/// coming from other formats try it.
fn unknown_keys(unexpected: &[String]) -> String {
    unexpected
        .iter()
        .map(|k| {
            if k.contains("timestamp") {
                format!(
                    "unknown key {k:?}: timestamps are not accepted, the Pushgateway rejects them"
                )
            } else {
                format!("unknown key {k:?}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A key the schema forbids for the entry's type (`buckets` on a gauge),
/// named with the type read from the document itself.
fn not_of_this_type(e: &ValidationError<'_>, root: &Value) -> String {
    let ptr = e.instance_path().as_str();
    let (parent, key) = ptr.rsplit_once('/').unwrap_or(("", ptr));
    let kind = root
        .pointer(parent)
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("metric of this type");
    format!("{key:?} does not belong to {}", article(kind))
}

/// A `contains` that found nothing: the metric a standard or schema
/// requires, by name when it names one.
fn no_item_matches(e: &ValidationError<'_>, schema: &Value, standard: Option<&str>) -> String {
    let wanted = schema.pointer(e.schema_path().as_str());
    match wanted.and_then(|w| w.pointer("/properties/name/const")) {
        Some(name) => no_metric_named(name, standard),
        None => format!(
            "no item matches {}",
            wanted.map_or_else(|| e.schema_path().as_str().to_string(), short)
        ),
    }
}

/// A required metric the artifact lacks, `name` quoted as JSON; `who`
/// requires it ("standard NAME"), else "the schema".
pub fn no_metric_named(name: &Value, who: Option<&str>) -> String {
    let who = who.unwrap_or("schema");
    format!("no metric named {name}; the {who} requires one")
}

/// `message` with every quotation of `instance` shortened; only if that
/// is not enough is the message itself cut, from the middle of the value.
fn reason_kept(message: &str, instance: &Value) -> String {
    let full = instance.to_string();
    let msg = if full.chars().count() > 60 {
        message.replace(&full, &short(instance))
    } else {
        message.to_string()
    };
    if msg.chars().count() <= 300 {
        return msg;
    }
    // A long value the schema itself quoted (an enum, a const): keep both
    // ends, where the reason is.
    let head: String = msg.chars().take(150).collect();
    let tail: String = msg.chars().skip(msg.chars().count() - 140).collect();
    format!("{head}…{tail}")
}

/// The noun with "a" or "an", as a message reads it.
fn article(noun: &str) -> String {
    let a = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{a} {noun}")
}

/// A JSON value as shown in messages, cut short if long. Only its start
/// is written: the whole of a 16 MiB array took 16 MiB to show 60 characters.
fn short(v: &Value) -> String {
    /// Room for 64 characters of up to 4 bytes: more than `clip` keeps.
    const ENOUGH: usize = 256;
    struct Start(Vec<u8>);
    impl std::io::Write for Start {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = ENOUGH - self.0.len();
            if room == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let n = buf.len().min(room);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut start = Start(Vec::new());
    // Cut short is the point: the error only says where it stopped.
    let _ = serde_json::to_writer(&mut start, v);
    clip(&String::from_utf8_lossy(&start.0), 60)
}
