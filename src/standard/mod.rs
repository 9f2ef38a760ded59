//! The admin's standard: one short YAML (or JSON) file from which
//! validation ([`schema`]), the alert rules ([`rules`]), the Grafana
//! dashboard ([`dashboard`]) and who is told about the alerts ([`notify`],
//! [`alertmanager`]) are all derived, so they cannot drift apart.
//!
//! This module holds the types and the loader. A broken standard is a usage
//! error (exit 2) naming the file, the JSON pointer of each problem and, for
//! syntax and shape errors, the line: the admin fixes them all in one pass.
//! Unknown keys are errors, because a misspelt `expcet:` would otherwise
//! silently switch an alert off.

pub mod alertmanager;
mod check;
pub mod dashboard;
pub mod dashboard_text;
mod nesting;
pub mod notify;
pub mod promtool;
mod read;
pub mod rules;
pub mod schema;
mod values;

pub use check::parse_duration;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, Result};
use serde::Deserialize;

use crate::error::{fail, Exit, Problem};

pub const API_VERSION: &str = "simplepipe/v1";
pub const KIND: &str = "Standard";

/// The `job` the Argo exit handler pushes run outcomes under (argo/base).
pub const DEFAULT_OUTCOME_JOB: &str = "workflow-outcome";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Standard {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Spec,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    /// The `job` grouping values this standard covers.
    pub jobs: Vec<String>,
    #[serde(default)]
    pub labels: LabelRules,
    /// Alert when a job/user group has not pushed for longer than this.
    #[serde(default)]
    pub freshness: Option<Duration>,
    /// The `job` of the exit handler's outcome pushes
    /// (`workflow_succeeded`, `workflow_duration_seconds`).
    #[serde(default = "default_outcome_job")]
    pub outcome_job: String,
    pub metrics: Vec<MetricRule>,
    /// Who is told about the alerts ([`notify`]).
    #[serde(default)]
    pub notify: Option<notify::Notify>,
}

fn default_outcome_job() -> String {
    DEFAULT_OUTCOME_JOB.to_string()
}

/// Artifact-level labels (the artifact's top-level `labels` object).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRules {
    #[serde(default)]
    pub required: Vec<String>,
    /// `None`: any label is allowed.
    #[serde(default)]
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricRule {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: MetricType,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Outside: the artifact is invalid (exit 4, nothing pushed).
    #[serde(default)]
    pub valid: Option<Bounds>,
    /// Outside: pushed, and an alert fires.
    #[serde(default)]
    pub expect: Option<Bounds>,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default, rename = "for")]
    pub for_: Option<Duration>,
    /// Series labels allowed on this metric; none when absent.
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    Gauge,
    Counter,
    Histogram,
    Summary,
    Untyped,
}

impl MetricType {
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Gauge => "gauge",
            MetricType::Counter => "counter",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }

    /// Whether the metric carries one `value` (bounds apply to it).
    pub fn has_value(self) -> bool {
        matches!(
            self,
            MetricType::Gauge | MetricType::Counter | MetricType::Untyped
        )
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A duration (`90s`, `26h`, `1h30m`, `7d`, `1.5h`), kept as written for
/// the rule file (a fraction, which Prometheus doesn't take, as whole
/// units: `1.5h` is `1h30m`) and as seconds for arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub text: String,
    pub secs: u64,
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let secs = parse_duration(&text).map_err(serde::de::Error::custom)?;
        let text = if text.contains('.') {
            crate::duration::format(std::time::Duration::from_secs(secs))
        } else {
            text
        };
        Ok(Duration { text, secs })
    }
}

/// Whether a parsed document declares itself a standard (by content, so a
/// standard can be named wherever a JSON Schema path is accepted).
pub fn is_standard(value: &serde_json::Value) -> bool {
    value.get("kind").and_then(|k| k.as_str()) == Some(KIND)
        && value
            .get("apiVersion")
            .and_then(|k| k.as_str())
            .is_some_and(|v| v.starts_with("simplepipe/"))
}

/// The standard in `text`, when it declares itself one (by content, so a
/// standard works wherever a JSON Schema path does); `None` for anything
/// else, which the caller reads as a JSON Schema. A broken standard is an
/// error (exit 2), not `None`.
pub fn detect(text: &str, origin: &str) -> Result<Option<Standard>> {
    if nesting::too_deep(text).is_some() {
        // Not parsed as YAML (quadratic in the depth): a standard is said
        // to be too deep, anything else is left to the JSON Schema reader.
        let meant = text.contains(API_VERSION) && text.contains(KIND);
        return if meant {
            from_text(text, origin).map(Some)
        } else {
            Ok(None)
        };
    }
    if read::declares_standard(text) {
        return from_text(text, origin).map(Some);
    }
    match yaml_serde::from_str::<serde_json::Value>(text) {
        Ok(v) if is_standard(&v) => from_text(text, origin).map(Some),
        // Not even YAML, but meant as a standard: report where it breaks.
        Err(_) if text.contains(API_VERSION) && text.contains(KIND) => {
            from_text(text, origin).map(Some)
        }
        _ => Ok(None),
    }
}

/// Read and check a standard file; every problem is exit 2.
pub fn load(path: &Path) -> Result<Standard> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(
            Exit::Usage,
            anyhow!("cannot read standard {}: {e}", path.display()),
        )
    })?;
    from_text(&text, &path.display().to_string())
}

/// Parse and check a standard's text; `origin` names it in errors.
pub fn from_text(text: &str, origin: &str) -> Result<Standard> {
    if let Some(line) = nesting::too_deep(text) {
        let msg = format!(
            "nested more than {} levels deep (line {line}); a standard needs a few",
            nesting::MAX_DEPTH
        );
        return Err(usage(origin, &[Problem::new("", msg)]));
    }
    let standard = read::typed(text).map_err(|p| usage(origin, &[p]))?;
    let mut problems = check::problems(&standard);
    if let Some(n) = &standard.spec.notify {
        problems.extend(notify::problems(&standard, n));
    }
    if problems.is_empty() {
        Ok(standard)
    } else {
        Err(usage(origin, &problems))
    }
}

/// A broken standard (exit 2): one line per problem, naming the file.
pub fn usage(origin: &str, problems: &[Problem]) -> anyhow::Error {
    let mut text = String::new();
    for p in problems {
        let _ = writeln!(text, "standard {origin}: {p}");
    }
    let _ = write!(
        text,
        "standard {origin}: not a usable standard (see docs/standards.md)"
    );
    fail(Exit::Usage, anyhow!(text))
}

impl Standard {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The metrics that have at least one `expect` bound.
    pub fn expected(&self) -> impl Iterator<Item = (&MetricRule, Bounds)> {
        self.spec
            .metrics
            .iter()
            .filter_map(|m| m.expect.map(|b| (m, b)))
    }
}

/// A bound as JSON: `1`, not `1.0`, when it is whole (as the admin wrote it).
pub fn number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// A PromQL regex matcher value for exact strings: `a|b`, with regex
/// metacharacters escaped, as a double-quoted PromQL string.
pub fn promql_any_of(values: &[String]) -> String {
    let alternatives: Vec<String> = values
        .iter()
        .map(|v| {
            let mut out = String::new();
            for c in v.chars() {
                if "\\.+*?()|[]{}^$".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        })
        .collect();
    let regex = alternatives.join("|");
    format!("\"{}\"", regex.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests;
