//! The built-in artifact formats and their JSON Schemas.
//!
//! The schemas live in `schemas/` as ordinary JSON Schema files so that users
//! can point their editors at them (`simplepipe schemas NAME`), and are
//! embedded in the binary so that validation never needs the network or the
//! source tree.

use std::path::PathBuf;

/// One of the artifact formats simplepipe understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The native format: typed metric families.
    Metrics,
    /// A flat object of name → number, pushed as gauges.
    Simple,
    /// The original Python Simplepipe's array of `{name, description, value, metric_type}`.
    V0,
}

pub const ALL: [Format; 3] = [Format::Metrics, Format::Simple, Format::V0];

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Metrics => "metrics",
            Format::Simple => "simple",
            Format::V0 => "simplepipe-v0",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        ALL.into_iter().find(|f| f.name() == name)
    }

    /// The schema's text, exactly as in `schemas/`.
    pub fn schema_text(self) -> &'static str {
        match self {
            Format::Metrics => include_str!("../../schemas/metrics.json"),
            Format::Simple => include_str!("../../schemas/simple.json"),
            Format::V0 => include_str!("../../schemas/simplepipe-v0.json"),
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Format::Metrics => "native format: typed families (gauge, counter, histogram, summary, untyped) with labels",
            Format::Simple => "flat object of name -> number, pushed as gauges",
            Format::V0 => "the original Python Simplepipe's [{name, description, value, metric_type}]",
        }
    }

    /// Guess the format from the document's shape: an object with
    /// `metrics`, an array, or a flat object.
    pub fn detect(doc: &serde_json::Value) -> Option<Format> {
        match doc {
            serde_json::Value::Object(map) if map.contains_key("metrics") => Some(Format::Metrics),
            serde_json::Value::Object(_) => Some(Format::Simple),
            serde_json::Value::Array(_) => Some(Format::V0),
            _ => None,
        }
    }
}

/// What `--schema` (or an artifact's `"$schema"` key) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChoice {
    Builtin(Format),
    /// A custom JSON Schema file written by an admin.
    Custom(PathBuf),
}

impl SchemaChoice {
    pub fn parse(raw: &str) -> SchemaChoice {
        match Format::from_name(raw) {
            Some(f) => SchemaChoice::Builtin(f),
            None => SchemaChoice::Custom(PathBuf::from(raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schemas_are_valid_json_schemas() {
        for f in ALL {
            let schema: serde_json::Value = serde_json::from_str(f.schema_text()).unwrap();
            jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        }
    }

    #[test]
    fn detection_by_shape() {
        use serde_json::json;
        assert_eq!(
            Format::detect(&json!({"metrics": []})),
            Some(Format::Metrics)
        );
        assert_eq!(Format::detect(&json!({"a": 1})), Some(Format::Simple));
        assert_eq!(Format::detect(&json!([])), Some(Format::V0));
        assert_eq!(Format::detect(&json!(3)), None);
    }
}
