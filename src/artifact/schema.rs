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
    /// An Argo `Workflow` object, its status read as metrics ([`super::workflow`]).
    Workflow,
}

pub const ALL: [Format; 4] = [
    Format::Metrics,
    Format::Simple,
    Format::V0,
    Format::Workflow,
];

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Metrics => "metrics",
            Format::Simple => "simple",
            Format::V0 => "simplepipe-v0",
            Format::Workflow => "argo-workflow",
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
            Format::Workflow => include_str!("../../schemas/argo-workflow.json"),
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Format::Metrics => "native format: typed families (gauge, counter, histogram, summary, untyped) with labels",
            Format::Simple => "flat object of name -> number, pushed as gauges",
            Format::V0 => "the original Python Simplepipe's [{name, description, value, metric_type}]",
            Format::Workflow => "an Argo Workflow object (kubectl get wf NAME -o json, argo://NAME): its status as metrics",
        }
    }

    /// Guess the format from the document's shape: an Argo Workflow (its
    /// `apiVersion` in the `argoproj.io` group and `kind` `Workflow`, as
    /// kubectl and the API server always write them), an object with
    /// `metrics`, an array, or a flat object.
    pub fn detect(doc: &serde_json::Value) -> Option<Format> {
        let text = |key: &str| doc.get(key).and_then(serde_json::Value::as_str);
        let argo = text("apiVersion").is_some_and(|v| v.starts_with("argoproj.io/"));
        match doc {
            serde_json::Value::Object(_) if argo && text("kind") == Some("Workflow") => {
                Some(Format::Workflow)
            }
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
        let wf = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metrics": []});
        assert_eq!(Format::detect(&wf), Some(Format::Workflow));
        // Another version of the group is still a Workflow (its schema then
        // says which version is read); another kind is not.
        let v2 = json!({"apiVersion": "argoproj.io/v2", "kind": "Workflow"});
        assert_eq!(Format::detect(&v2), Some(Format::Workflow));
        let tmpl = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate"});
        assert_eq!(Format::detect(&tmpl), Some(Format::Simple));
        assert_eq!(Format::detect(&json!(3)), None);
    }
}
