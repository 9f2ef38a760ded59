//! A standard compiled to a JSON Schema over the native `metrics` format.
//!
//! Validation of an artifact against a standard is then the same validation
//! as against an admin's hand-written schema: the same validator, the same
//! JSON pointers, the same messages, and `simplepipe schemas --from` can
//! print it for editors. Only `valid` bounds reject; `expect` bounds never
//! appear here, so an out-of-bounds run still reaches Prometheus and alerts.

use serde_json::{json, Map, Value};

use super::{number, MetricRule, Standard};

/// The JSON Schema every artifact following `std` must satisfy (in
/// addition to the built-in `metrics` format schema).
pub fn compile(std: &Standard) -> Value {
    compiled(std, |_| true, |_| true)
}

/// Where [`write_pretty`]'s skeleton stands for the entry rules and for the
/// required metrics' `contains`, written one at a time in their place (a
/// NUL no standard's text holds).
const RULES: &str = "\u{0}simplepipe:rules";
const CONTAINS: &str = "\u{0}simplepipe:contains";

/// [`compile`] written to `out` as pretty JSON, byte for byte what
/// `serde_json::to_string_pretty` makes of it, but one metric's rule at a
/// time: the schema of a standard of many metrics is 16 times its size, its
/// `Value` far more (2 GB for `schemas --from` at 4 MiB, issue 23).
pub fn write_pretty(std: &Standard, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut skeleton = compiled(std, |_| false, |_| false);
    let metrics = &mut skeleton["properties"]["metrics"];
    if std.spec.metrics.iter().any(|m| m.required) {
        metrics["allOf"] = json!(CONTAINS);
    }
    if !std.spec.metrics.is_empty() {
        metrics["items"] = json!({"allOf": RULES});
    }
    serde_json::to_writer_pretty(&mut *out, &Lazy(&skeleton, std))?;
    out.write_all(b"\n")
}

/// A skeleton serialized with its stand-ins written out in place.
struct Lazy<'a>(&'a Value, &'a Standard);

impl serde::Serialize for Lazy<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Lazy(value, std) = *self;
        let metrics = std.spec.metrics.iter();
        match value {
            Value::String(t) if t == RULES => s.collect_seq(metrics.map(rule_for)),
            Value::String(t) if t == CONTAINS => s.collect_seq(
                metrics
                    .filter(|m| m.required)
                    .map(|m| json!({"contains": named(&m.name)})),
            ),
            Value::Array(items) => s.collect_seq(items.iter().map(|v| Lazy(v, std))),
            Value::Object(map) => s.collect_map(map.iter().map(|(k, v)| (k, Lazy(v, std)))),
            other => other.serialize(s),
        }
    }
}

/// [`compile`] for one artifact (`doc`), with the metrics it requires
/// and `doc` lacks (when its `metrics` is an array), for the caller to say
/// in the words a failed `contains` gets: the same answers, but only the
/// rules that can apply. An entry rule whose metric the artifact does not
/// name never fires, and a `contains` each required metric made a standard
/// of a hundred thousand metrics compile as many subschemas (2 GB at
/// 4 MiB, issue 23).
pub fn compile_for(std: &Standard, doc: &Value) -> (Value, Vec<String>) {
    let entries = doc.get("metrics").and_then(Value::as_array);
    let names: std::collections::HashSet<&str> = entries
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("name").and_then(Value::as_str))
        .collect();
    let present = |m: &MetricRule| names.contains(m.name.as_str());
    let missing = std
        .spec
        .metrics
        .iter()
        .filter(|m| entries.is_some() && m.required && !present(m))
        .map(|m| m.name.clone())
        .collect();
    (compiled(std, present, |_| false), missing)
}

/// The schema with the entry rules of the metrics `rule` keeps and the
/// `contains` of the required metrics `require` keeps.
fn compiled(
    std: &Standard,
    rule: impl Fn(&MetricRule) -> bool,
    require: impl Fn(&MetricRule) -> bool,
) -> Value {
    let name = std.name();
    let spec = &std.spec;
    let mut top_required = vec![json!("metrics")];

    let mut labels = Map::new();
    labels.insert("type".into(), json!("object"));
    if !spec.labels.required.is_empty() {
        top_required.push(json!("labels"));
        labels.insert("required".into(), json!(spec.labels.required));
    }
    if let Some(allowed) = &spec.labels.allowed {
        labels.insert("properties".into(), only(allowed));
        labels.insert("additionalProperties".into(), json!(false));
    }

    let contains: Vec<Value> = spec
        .metrics
        .iter()
        .filter(|m| m.required && require(m))
        .map(|m| json!({"contains": named(&m.name)}))
        .collect();
    let per_metric: Vec<Value> = spec
        .metrics
        .iter()
        .filter(|m| rule(m))
        .map(rule_for)
        .collect();

    let mut metrics = Map::new();
    if !contains.is_empty() {
        metrics.insert("allOf".into(), json!(contains));
    }
    if !per_metric.is_empty() {
        metrics.insert("items".into(), json!({"allOf": per_metric}));
    }

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:simplepipe:standard:{name}"),
        "title": format!("simplepipe standard {name}"),
        "description": std.metadata.description.clone().unwrap_or_else(|| format!("Artifacts following the standard {name}.")),
        "type": "object",
        "required": top_required,
        "properties": {
            "labels": labels,
            "metrics": metrics,
        }
    })
}

/// `{"required": ["name"], "properties": {"name": {"const": NAME}}}`: the
/// shape `validate` recognises when it words a failed `contains`.
fn named(name: &str) -> Value {
    json!({"required": ["name"], "properties": {"name": {"const": name}}})
}

/// An object's keys limited to `names`.
fn only(names: &[String]) -> Value {
    Value::Object(names.iter().map(|n| (n.clone(), json!(true))).collect())
}

/// What an entry named like `m` must look like: its type, its series
/// labels and its valid range.
fn rule_for(m: &MetricRule) -> Value {
    let mut then = Map::new();
    then.insert("type".into(), json!({"const": m.kind.name()}));
    then.insert(
        "labels".into(),
        json!({"properties": only(&m.labels), "additionalProperties": false}),
    );
    if let Some(valid) = m.valid {
        let mut value = Map::new();
        value.insert("type".into(), json!("number"));
        if let Some(lo) = valid.min {
            value.insert("minimum".into(), number(lo));
        }
        if let Some(hi) = valid.max {
            value.insert("maximum".into(), number(hi));
        }
        then.insert("value".into(), Value::Object(value));
    }
    json!({"if": named(&m.name), "then": {"properties": then}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Standard {
        super::super::tests::example()
    }

    #[test]
    fn compiles_to_a_valid_json_schema() {
        let schema = compile(&example());
        jsonschema::meta::validate(&schema).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&schema).unwrap());
    }

    fn errors(artifact: Value) -> Vec<String> {
        let whole = errors_against(&compile(&example()), &artifact);
        let (schema, missing) = compile_for(&example(), &artifact);
        let mut for_it = errors_against(&schema, &artifact);
        for_it.extend(missing.iter().map(|_| "/metrics: Contains".to_string()));
        for_it.sort();
        let shown: Vec<String> = whole
            .iter()
            .map(|e| match e.split_once(": Contains") {
                Some((at, _)) => format!("{at}: Contains"),
                None => e.clone(),
            })
            .collect();
        assert_eq!(shown, for_it, "compile_for answers as compile");
        whole
    }

    fn errors_against(schema: &Value, artifact: &Value) -> Vec<String> {
        let v = jsonschema::validator_for(schema).unwrap();
        let mut out: Vec<String> = v
            .iter_errors(artifact)
            .map(|e| format!("{}: {:?}", e.instance_path().as_str(), e.kind()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_example_artifacts_pass_or_fail() {
        let ok: Value =
            serde_json::from_str(include_str!("../../examples/standard/run-ok.json")).unwrap();
        assert!(errors(ok).is_empty());
        // Out of the expected bounds, inside the valid ones: accepted.
        let alerts: Value =
            serde_json::from_str(include_str!("../../examples/standard/run-alerts.json")).unwrap();
        assert!(errors(alerts).is_empty());
        let bad: Value =
            serde_json::from_str(include_str!("../../examples/standard/run-invalid.json")).unwrap();
        let e = errors(bad);
        let at: Vec<&str> = e.iter().map(|s| s.split(':').next().unwrap()).collect();
        assert_eq!(
            at,
            [
                "/labels",
                "/labels",
                "/metrics/0/type",
                "/metrics/1/labels",
                "/metrics/1/value"
            ],
            "{e:#?}"
        );
    }

    #[test]
    fn written_as_it_is_compiled() {
        let mut std = example();
        for required in [true, false] {
            for m in &mut std.spec.metrics {
                m.required = required;
            }
            let mut out = Vec::new();
            write_pretty(&std, &mut out).unwrap();
            let whole = serde_json::to_string_pretty(&compile(&std)).unwrap() + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), whole);
        }
        std.spec.metrics.clear();
        let mut out = Vec::new();
        write_pretty(&std, &mut out).unwrap();
        let whole = serde_json::to_string_pretty(&compile(&std)).unwrap() + "\n";
        assert_eq!(String::from_utf8(out).unwrap(), whole);
    }

    #[test]
    fn compiled_for_an_artifact_only_its_rules_and_missing_requirements() {
        let std = example();
        let named = |v: &Value| {
            v.pointer("/properties/metrics/items/allOf")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        let all = compile(&std);
        let (none, missing) = compile_for(&std, &json!({"metrics": [{"name": "x"}]}));
        assert!(named(&all) > 0);
        assert_eq!(named(&none), 0, "{none:#}");
        assert_eq!(none.pointer("/properties/metrics/allOf"), None);
        let required: Vec<String> = std
            .spec
            .metrics
            .iter()
            .filter(|m| m.required)
            .map(|m| m.name.clone())
            .collect();
        assert!(!required.is_empty());
        assert_eq!(missing, required);
        let (_, missing) = compile_for(&std, &json!({"metrics": {}}));
        assert!(missing.is_empty(), "a contains applies to arrays only");
    }

    #[test]
    fn missing_required_metric_and_labels() {
        let e = errors(json!({"metrics": [{"name": "x", "type": "gauge", "value": 1}]}));
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e.iter().all(|s| s.starts_with("/labels")
                || s.starts_with(": Required")
                || s.starts_with("/metrics: Contains")),
            "{e:#?}"
        );
    }
}
