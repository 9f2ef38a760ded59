//! The admin's standard: one short YAML (or JSON) file from which
//! validation ([`schema`]), the alert rules ([`rules`]) and the Grafana
//! dashboard ([`dashboard`]) are all derived, so the three cannot drift apart.
//!
//! This module holds the types and the loader. A broken standard is a usage
//! error (exit 2) naming the file, the JSON pointer of each problem and, for
//! syntax and shape errors, the line: the admin fixes them all in one pass.
//! Unknown keys are errors, because a misspelt `expcet:` would otherwise
//! silently switch an alert off.

pub mod dashboard;
pub mod rules;
pub mod schema;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, Result};
use serde::Deserialize;

use crate::error::{fail, Exit, Problem};
use crate::model::{is_label_name, is_metric_name};

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

/// A Prometheus duration (`90s`, `26h`, `1h30m`, `7d`), kept as written
/// for the rule file and as seconds for arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub text: String,
    pub secs: u64,
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(|secs| Duration { text, secs })
            .map_err(serde::de::Error::custom)
    }
}

/// Whole-second Prometheus durations: units y, w, d, h, m, s, each at most
/// once and in that order.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    const UNITS: [(char, u64); 6] = [
        ('y', 365 * 86400),
        ('w', 7 * 86400),
        ('d', 86400),
        ('h', 3600),
        ('m', 60),
        ('s', 1),
    ];
    let bad = || format!("{text:?} is not a duration like 90s, 30m, 26h, 7d or 1h30m");
    let mut rest = text;
    let mut next_unit = 0;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = rest[digits..].chars().next().ok_or_else(bad)?;
        let at = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(bad)?;
        total = n
            .checked_mul(UNITS[next_unit + at].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        next_unit += at + 1;
        rest = &rest[digits + 1..];
    }
    Ok(total)
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
    let de = yaml_serde::Deserializer::from_str(text);
    let standard: Standard = serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = pointer_of(e.path());
        let inner = e.inner();
        let mut msg = inner.to_string();
        // yaml_serde appends " at line L column C"; keep ours uniform.
        // and prefixes its own dotted path, which the pointer replaces.
        if let Some(at) = msg.find(" at line ") {
            msg.truncate(at);
        }
        if let Some((head, rest)) = msg.split_once(": ") {
            if !head.contains(' ') {
                msg = rest.to_string();
            }
        }
        let line = inner
            .location()
            .map(|l| format!(" (line {})", l.line()))
            .unwrap_or_default();
        usage(origin, &[Problem::new(pointer, format!("{msg}{line}"))])
    })?;
    let problems = standard.problems();
    if problems.is_empty() {
        Ok(standard)
    } else {
        Err(usage(origin, &problems))
    }
}

fn usage(origin: &str, problems: &[Problem]) -> anyhow::Error {
    let mut text = String::new();
    for p in problems {
        let _ = writeln!(text, "standard {origin}: {p}");
    }
    let _ = write!(
        text,
        "standard {origin}: not a usable standard (see \"Standards, alerts and dashboards\" in the README)"
    );
    fail(Exit::Usage, anyhow!(text))
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                let _ = write!(out, "/{index}");
            }
            Segment::Map { key } => {
                let _ = write!(out, "/{}", key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { variant } => {
                let _ = write!(out, "/{variant}");
            }
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
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

    /// The checks the types can't express, each with its pointer.
    fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut bad = |p: &str, m: String| out.push(Problem::new(p, m));
        if self.api_version != API_VERSION {
            bad(
                "/apiVersion",
                format!(
                    "{:?} is not supported; use {API_VERSION:?}",
                    self.api_version
                ),
            );
        }
        if self.kind != KIND {
            bad("/kind", format!("{:?} is not {KIND:?}", self.kind));
        }
        let name = &self.metadata.name;
        let dns = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !dns {
            bad("/metadata/name", format!("{name:?} must be lower-case letters, digits and '-' (at most 63), as it names Kubernetes objects and dashboard uids"));
        }
        let spec = &self.spec;
        if spec.jobs.is_empty() {
            bad(
                "/spec/jobs",
                "must name at least one job (the `job` grouping label of the runs)".into(),
            );
        }
        for (i, j) in spec.jobs.iter().enumerate() {
            if j.is_empty() {
                bad(&format!("/spec/jobs/{i}"), "a job name is empty".into());
            }
        }
        if spec.outcome_job.is_empty() {
            bad("/spec/outcomeJob", "is empty".into());
        }
        label_list(&spec.labels.required, "/spec/labels/required", &mut bad);
        if let Some(allowed) = &spec.labels.allowed {
            label_list(allowed, "/spec/labels/allowed", &mut bad);
            for (i, r) in spec.labels.required.iter().enumerate() {
                if !allowed.contains(r) {
                    bad(
                        &format!("/spec/labels/required/{i}"),
                        format!("{r:?} is required but not in spec.labels.allowed"),
                    );
                }
            }
        }
        if let Some(f) = &spec.freshness {
            if f.secs == 0 {
                bad(
                    "/spec/freshness",
                    "0s would alert at once; give the longest silence that is normal, e.g. 26h"
                        .into(),
                );
            }
        }
        if spec.metrics.is_empty() {
            bad("/spec/metrics", "must list at least one metric".into());
        }
        for (i, m) in spec.metrics.iter().enumerate() {
            let at = format!("/spec/metrics/{i}");
            if !is_metric_name(&m.name) {
                bad(
                    &format!("{at}/name"),
                    format!(
                        "{:?} is not a legal Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                        m.name
                    ),
                );
            }
            if let Some(j) = spec.metrics[..i].iter().position(|o| o.name == m.name) {
                bad(
                    &format!("{at}/name"),
                    format!("duplicate metric {:?} (also /spec/metrics/{j})", m.name),
                );
            }
            label_list(&m.labels, &format!("{at}/labels"), &mut bad);
            for (key, b) in [("valid", m.valid), ("expect", m.expect)] {
                let Some(b) = b else { continue };
                let p = format!("{at}/{key}");
                if !m.kind.has_value() {
                    bad(&p, format!("bounds apply to a single value; a {} has none (use gauge, counter or untyped)", m.kind.name()));
                }
                if b.min.is_none() && b.max.is_none() {
                    bad(&p, "give min, max or both".into());
                }
                for (k, v) in [("min", b.min), ("max", b.max)] {
                    if v.is_some_and(|v| !v.is_finite()) {
                        bad(&format!("{p}/{k}"), "must be a finite number".into());
                    }
                }
                if let (Some(lo), Some(hi)) = (b.min, b.max) {
                    if lo > hi {
                        bad(&p, format!("min {lo} is above max {hi}"));
                    }
                }
            }
            if let (Some(e), Some(v)) = (m.expect, m.valid) {
                for (k, x) in [("min", e.min), ("max", e.max)] {
                    let Some(x) = x else { continue };
                    let below = v.min.is_some_and(|lo| x < lo);
                    let above = v.max.is_some_and(|hi| x > hi);
                    if below || above {
                        bad(
                            &format!("{at}/expect/{k}"),
                            format!(
                                "{x} is outside the valid range, so the alert could never fire"
                            ),
                        );
                    }
                }
            }
        }
        out
    }
}

fn label_list(names: &[String], at: &str, bad: &mut impl FnMut(&str, String)) {
    for (i, l) in names.iter().enumerate() {
        if !is_label_name(l) || l.starts_with("__") {
            bad(
                &format!("{at}/{i}"),
                format!("{l:?} is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)"),
            );
        } else if names[..i].contains(l) {
            bad(&format!("{at}/{i}"), format!("{l:?} is listed twice"));
        }
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
