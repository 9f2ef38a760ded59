//! Validate: check the document against its format's JSON Schema
//! and, when one is given, against an admin's custom schema as well.
//!
//! Which schema applies is decided here, in order: `--schema`, then the
//! artifact's own `"$schema"` key (a built-in name or a path relative to the
//! artifact), then detection by shape. Every violation is collected and
//! reported with its JSON pointer; messages for the common cases are
//! rewritten into plain language ("is not a number", "unknown key").
//! Checks a schema cannot express (legal names, duplicates, bucket order)
//! happen in [`super::families`]. A custom schema path may name an admin's
//! standard instead of a JSON Schema: it is recognised by its content and
//! compiled ([`crate::standard::schema`]), then checked the same way.

use std::path::{Path, PathBuf};

use anyhow::Result;
use jsonschema::Validator;
use serde_json::Value;

use super::found::Found;
use super::parse::Document;
use super::partial::Held;
use super::schema::{Format, SchemaChoice};
use super::violation::{message, no_metric_named};
use crate::error::{bail_with, Exit, ExitContext, Problem};
use crate::standard;

/// The outcome of validation: which format the artifact is in and which
/// schemas it satisfied (for the summary line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub format: Format,
    pub custom: Option<PathBuf>,
}

impl Validated {
    pub fn describe(&self) -> String {
        match &self.custom {
            None => format!("schema {}", self.format.name()),
            Some(p) => format!("schemas {} and {}", self.format.name(), p.display()),
        }
    }
}

/// The schema path: which format and schemas apply ([`plan`]), then the
/// document against them ([`against_schemas`]).
pub fn validate(doc: &Document, choice: Option<&SchemaChoice>) -> Result<Validated> {
    let plan = plan(doc, choice)?;
    against_schemas(doc, &plan, choice.is_some())?;
    Ok(plan)
}

/// Which format the document is read as and which custom schema (if any)
/// it must satisfy: `--schema`, then its `"$schema"` key, then its shape.
pub fn plan(doc: &Document, choice: Option<&SchemaChoice>) -> Result<Validated> {
    let declared = match doc.value.get("$schema") {
        Some(Value::String(s)) => Some(declared_schema(doc, s)?),
        _ => None,
    };
    let why = match (choice, &declared) {
        (Some(_), _) => "from --schema",
        (None, Some(_)) => "from the artifact's \"$schema\"",
        (None, None) => "detected by shape",
    };
    let choice = choice.cloned().or(declared.clone());
    let (format, custom) = match choice {
        Some(SchemaChoice::Builtin(f)) => (Some(f), None),
        Some(SchemaChoice::Custom(p)) => {
            let by_key = match declared {
                Some(SchemaChoice::Builtin(f)) => Some(f),
                _ => None,
            };
            (by_key.or_else(|| Format::detect(&doc.value)), Some(p))
        }
        None => (Format::detect(&doc.value), None),
    };
    if format == Some(Format::Simple) && why == "detected by shape" {
        super::workflow::not_another_kind(&doc.value, &doc.origin)?;
    }
    let Some(format) = format else {
        bail_with!(
            Exit::Invalid,
            "{}: not a metric artifact: expected an object with \"metrics\", a flat object of numbers, an array (simplepipe-v0) or an Argo Workflow, got {}",
            doc.origin,
            kind_of(&doc.value)
        );
    };

    crate::report::debug(|| {
        let custom = custom.as_ref().map_or(String::new(), |p| {
            format!(" and custom schema {}", p.display())
        });
        format!("{}: schema {}{custom} ({why})", doc.origin, format.name())
    });
    Ok(Validated { format, custom })
}

/// Every violation of the format's schema and of the custom one, with its
/// pointer; an error (exit 4) when there is any. `explicit`: the custom
/// schema was named by `--schema` (a usage error if it can't be used)
/// rather than by the artifact's `"$schema"`.
pub fn against_schemas(doc: &Document, plan: &Validated, explicit: bool) -> Result<()> {
    // A repeated key is what a schema can't see: said first, as parse says
    // it for the rest of the document.
    super::parse::entry_duplicates(doc)?;
    let format = plan.format;
    let schema: Value =
        serde_json::from_str(format.schema_text()).expect("built-in schemas are valid JSON");
    let mut found = Found::default();
    match (&doc.entries, format) {
        (Some(entries), Format::Metrics) => streamed(&schema, &doc.value, entries, &mut found),
        (None, Format::V0) if doc.value.is_array() => per_item(&schema, doc, &mut found),
        _ => {
            // A document kept in part checked against another format: the
            // skeleton's placeholders must never reach a message. A flat
            // object's starts may: all a message quotes of them is there.
            let value = if format == Format::Simple && doc.held == Held::Starts {
                std::borrow::Cow::Borrowed(&doc.value)
            } else {
                doc.full_value()
            };
            let value = value.as_ref();
            let builtin = jsonschema::validator_for(&schema).expect("built-in schemas compile");
            let seen = (format == Format::Simple).then(|| stand_in(value));
            let seen = seen.as_ref().unwrap_or(value);
            collect(&builtin, &schema, (seen, value), "", None, &mut found);
        }
    }
    if let Some(path) = &plan.custom {
        let whole = doc.full_value();
        let whole = whole.as_ref();
        let artifact = (!explicit).then_some(&doc.origin[..]);
        let (schema, validator, who, missing) = load_custom(path, artifact, whole)?;
        collect(
            &validator,
            &schema,
            (whole, whole),
            "",
            Some(&who),
            &mut found,
        );
        say_missing(&missing, &who, &mut found);
    }
    found.check(&doc.origin)
}

/// Interpret an artifact's `"$schema"` key.
fn declared_schema(doc: &Document, raw: &str) -> Result<SchemaChoice> {
    if raw.starts_with("http://") || raw.starts_with("https://") {
        bail_with!(
            Exit::Invalid,
            "{}: $schema: {raw:?} is a URL; simplepipe never fetches schemas: use a built-in name ({}) or a file path",
            doc.origin,
            super::schema::ALL.map(Format::name).join(", ")
        );
    }
    Ok(match SchemaChoice::parse(raw) {
        SchemaChoice::Custom(p) if p.is_relative() => SchemaChoice::Custom(doc.base_dir.join(p)),
        other => other,
    })
}

/// Load a custom schema named by `--schema` (a usage error if it can't be
/// used) or by the artifact's own `"$schema"` (`artifact` is then its
/// name, and a schema that can't be used makes the artifact invalid).
/// A custom schema, or a standard compiled to one, and who it is in
/// messages ("schema PATH", "standard NAME"). Named by `--schema` (a usage
/// error if it can't be used) or by the artifact's own `"$schema"`
/// (`artifact` is then its name, and a schema that can't be used makes the
/// artifact invalid).
/// A standard is compiled for `doc`, the artifact it checks; the metrics
/// it requires and `doc` lacks come last.
fn load_custom(
    path: &Path,
    artifact: Option<&str>,
    doc: &Value,
) -> Result<(Value, Validator, String, Vec<String>)> {
    let shown = path.display();
    let (exit, whose, fix) = match artifact {
        None => (
            Exit::Usage,
            String::new(),
            "; --schema takes a built-in name (metrics, simple, simplepipe-v0, argo-workflow), a JSON Schema file or a standard",
        ),
        Some(name) => (
            Exit::Invalid,
            format!("{name}: $schema: "),
            "; a relative \"$schema\" path is resolved against the artifact's directory",
        ),
    };
    let text = std::fs::read_to_string(path).or_fail(exit, |e| {
        format!(
            "{whose}cannot read schema {shown}: {}{fix}",
            crate::error::io_reason(&e)
        )
    })?;
    let (schema, who, missing) = match standard::detect(&text, &shown.to_string())? {
        Some(std) => {
            let (schema, missing) = standard::schema::compile_for(&std, doc);
            (schema, format!("standard {}", std.name()), missing)
        }
        None => {
            let schema: Value = serde_json::from_str(&text).or_fail(exit, |e| {
                format!("{whose}schema {shown} is not valid JSON: {e}")
            })?;
            (schema, format!("schema {shown}"), Vec::new())
        }
    };
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .or_fail(exit, |e| {
            format!("{whose}schema {shown} is not a usable JSON Schema: {e}")
        })?;
    Ok((schema, validator, who, missing))
}

/// The metrics a standard requires and the artifact lacks (`missing`),
/// said as their `contains` each said them, last: jsonschema checks a
/// standard's `contains` after everything else.
fn say_missing(missing: &[String], who: &str, found: &mut Found) {
    for name in missing {
        if found.wants("/metrics", "contains") {
            let msg = no_metric_named(&Value::from(&name[..]), Some(who));
            found.keep(Problem::new("/metrics", msg).with_kind("contains"));
        }
    }
}

/// The native format, one entry at a time: the skeleton against the format
/// schema with `metrics.items` relaxed to `true`, then each entry against
/// the same schema's `$defs/metric`. Same schema, same messages, but only
/// one entry's `Value` exists at a time.
fn streamed(
    schema: &Value,
    skeleton: &Value,
    entries: &[&serde_json::value::RawValue],
    found: &mut Found,
) {
    let mut top = schema.clone();
    top["properties"]["metrics"]["items"] = Value::Bool(true);
    let top_validator = jsonschema::validator_for(&top).expect("built-in schemas compile");
    collect(&top_validator, &top, (skeleton, skeleton), "", None, found);
    let entry = serde_json::json!({"$defs": schema["$defs"].clone(), "$ref": "#/$defs/metric"});
    let entry_validator = jsonschema::validator_for(&entry).expect("built-in schemas compile");
    for (i, raw) in entries.iter().enumerate() {
        // The skeleton checked the syntax, but not every number: serde_json
        // accepts `12e81167` as a raw value and refuses it as an f64
        // (found by the `pipeline` fuzzer).
        let value: Value = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(e) => {
                found.push(
                    Problem::new(
                        format!("/metrics/{i}"),
                        format!("not valid JSON: {e} (within this entry)"),
                    )
                    .with_kind("json"),
                );
                continue;
            }
        };
        if !entry_validator.is_valid(&value) {
            let at = format!("/metrics/{i}");
            collect(&entry_validator, &entry, (&value, &value), &at, None, found);
        }
    }
}

/// The v0 format (a top-level array) as [`streamed`] reads the native one:
/// the array with `items` relaxed, then each item against `items`, one
/// at a time. jsonschema gathers the errors of every item before it
/// yields the first (4 MiB of `[0,…]` held 800 MB of them).
fn per_item(schema: &Value, doc: &Document, found: &mut Found) {
    let mut top = schema.clone();
    top["items"] = Value::Bool(true);
    let top_validator = jsonschema::validator_for(&top).expect("built-in schemas compile");
    let value = &doc.value;
    collect(&top_validator, &top, (value, value), "", None, found);
    let mut item = schema["items"].clone();
    item["$schema"] = schema["$schema"].clone();
    let item_validator = jsonschema::validator_for(&item).expect("built-in schemas compile");
    doc.each_item(|i, v| {
        if !item_validator.is_valid(v) {
            collect(
                &item_validator,
                &item,
                (v, v),
                &format!("/{i}"),
                None,
                found,
            );
        }
    });
}

/// The simple format's document with each array or object value empty:
/// every simple value is a scalar, so the verdict is the same, but
/// jsonschema copies an instance into each failed branch of an `anyOf`
/// (a 16 MiB array, twice).
fn stand_in(value: &Value) -> Value {
    let Value::Object(top) = value else {
        return value.clone();
    };
    let empty = |v: &Value| match v {
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Object(_) => Value::Object(serde_json::Map::new()),
        v => v.clone(),
    };
    Value::Object(top.iter().map(|(k, v)| (k.clone(), empty(v))).collect())
}

/// Every violation into `found`, with its pointer (below `prefix`) and a plain message,
/// naming the custom schema or standard (`who`) it comes from.
///
/// `(seen, given)`: the value validated, and the one given, which messages
/// quote (different only through a [`stand_in`]).
fn collect(
    validator: &Validator,
    schema: &Value,
    (seen, given): (&Value, &Value),
    prefix: &str,
    who: Option<&str>,
    found: &mut Found,
) {
    for e in validator.iter_errors(seen) {
        let pointer = format!("{prefix}{}", e.instance_path().as_str());
        let kind = e.kind().keyword();
        // Past the cap only counted: the message (which may quote a big
        // value) is not even written.
        if !found.wants(&pointer, kind) {
            continue;
        }
        let path = e.instance_path().as_str();
        let instance = given.pointer(path).unwrap_or(e.instance().as_ref());
        let mut msg = message(&e, instance, schema, given, who);
        if let Some(who) = who.filter(|w| !msg.contains(w)) {
            msg.push_str(&format!(" ({who})"));
        }
        found.keep(Problem::new(pointer, msg).with_kind(kind));
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Origin;
    use serde_json::json;

    fn problems(v: Value) -> Vec<String> {
        let text = v.to_string();
        let doc = crate::artifact::parse::parse(text.as_bytes(), &Origin::named("a.json")).unwrap();
        match validate(&doc, None) {
            Ok(_) => vec![],
            Err(e) => {
                assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
                let inv = e
                    .chain()
                    .find_map(|c| c.downcast_ref::<crate::error::Failure>())
                    .unwrap();
                let inv = inv.error.downcast_ref::<crate::error::Invalid>().unwrap();
                inv.problems.iter().map(ToString::to_string).collect()
            }
        }
    }

    #[test]
    fn plain_messages_with_pointers() {
        let p = problems(json!({"metrics": [
            {"name": "a", "type": "gauge", "value": 1},
            {"name": "b", "type": "gauge", "value": "abc"},
            {"name": "c", "type": "gauges", "value": 1},
            {"name": "d", "type": "gauge", "value": 1, "timestamp": 5},
            {"name": "e", "type": "gauge", "buckets": []},
            {"name": "f", "type": "histogram", "buckets": [{"le": "x", "count": 1}], "sum": 1, "count": 1}
        ]}));
        let expected = [
            "/metrics/1/value: \"abc\" is not a number (a string must be \"NaN\", \"+Inf\" or \"-Inf\")",
            "/metrics/2/type: \"gauges\" is not one of \"gauge\", \"counter\", \"histogram\", \"summary\", \"untyped\"",
            "/metrics/3: unknown key \"timestamp\": timestamps are not accepted, the Pushgateway rejects them",
            "/metrics/4: missing required key \"value\"",
            "/metrics/4/buckets: \"buckets\" does not belong to a gauge",
            "/metrics/5/buckets/0/le: \"x\" is not a number or \"+Inf\"",
        ];
        for want in expected {
            assert!(
                p.iter().any(|got| got == want),
                "missing {want:?} in {p:#?}"
            );
        }
        assert_eq!(p.len(), expected.len(), "{p:#?}");
    }

    #[test]
    fn shapes_are_detected() {
        assert!(problems(json!({"a": 1, "b": "NaN"})).is_empty());
        assert!(problems(
            json!([{"name": "a", "description": "", "value": "6", "metric_type": "gauge"}])
        )
        .is_empty());
        assert_eq!(problems(json!({"a": true})), ["/a: true is not a number"]);
        assert_eq!(
            problems(json!({"metrics": []})),
            ["/metrics: must hold at least one metric"]
        );
    }

    #[test]
    fn non_artifact_is_rejected() {
        let doc = crate::artifact::parse::parse(b"\"hello\"", &Origin::named("<stdin>")).unwrap();
        let e = validate(&doc, None).unwrap_err();
        assert!(format!("{e:#}").contains("not a metric artifact"), "{e:#}");
    }
}
