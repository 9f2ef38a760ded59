//! The Argo Workflow reader: a `Workflow` object, as `kubectl get wf NAME
//! -o json` and the Kubernetes API return it, read as metrics from its
//! `status` (the metric set is documented in docs/workflow-metrics.md).
//!
//! Argo declined to compute metrics from a step's outputs, or to keep them
//! once the workflow is gone; the object itself holds what is needed: the
//! outcome, when it started and ended, every pod with its template, phase
//! and times, and each step's output parameters.
//!
//! The data must not lie. Real controller output is messy (Argo's own test
//! data has pods that finish before they start), so a duration is pushed
//! only when both ends are known and the end is not before the start; what
//! is left out is counted in one warning, and nothing negative is pushed.
//!
//! Read after the format's JSON Schema has accepted the document (a
//! Workflow is small: the API server keeps objects under 1.5 MB), so the
//! typed structs here rely on its types; one they still can't read is a bug
//! ([`FamilySet::mismatch`]).
//!
//! - `nodes`: attempts and time per template, from the pod nodes.
//! - `parameters`: numeric output parameters as gauges.

mod nodes;
mod parameters;

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;

use super::families::{Entry, FamilySet, Proposed};
use crate::model::{escape_pointer, Kind};

/// `1` or `0` once the workflow has finished.
pub const SUCCEEDED: &str = "argo_workflow_succeeded";
/// From `status.startedAt` to its end.
pub const DURATION: &str = "argo_workflow_duration_seconds";
/// `status.resourcesDuration`, one series per resource.
pub const RESOURCES: &str = "argo_workflow_resource_duration_seconds";
/// Pod nodes per template and phase.
pub const ATTEMPTS: &str = "argo_template_attempts_total";
/// Seconds summed over a template's pods.
pub const TEMPLATE_DURATION: &str = "argo_template_duration_seconds";

/// Name prefixes the reader writes itself: an output parameter may not
/// take one.
pub const RESERVED_PREFIXES: [&str; 2] = ["argo_workflow_", "argo_template_"];

/// The labels the reader puts on series (a `--label` or grouping label of
/// the same name would clash).
const LABELS: [&str; 4] = ["template", "node", "phase", "resource"];

/// The Argo labels a Workflow's job is taken from, in order (then
/// `spec.workflowTemplateRef`, then `generateName`).
const TEMPLATE_LABELS: [&str; 2] = [
    "workflows.argoproj.io/workflow-template",
    "workflows.argoproj.io/cluster-workflow-template",
];

/// The Argo labels its user is taken from, in order.
const CREATOR_LABELS: [&str; 3] = [
    "workflows.argoproj.io/creator-preferred-username",
    "workflows.argoproj.io/creator-email",
    "workflows.argoproj.io/creator",
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct Workflow<'a> {
    #[serde(borrow)]
    metadata: Metadata<'a>,
    #[serde(borrow)]
    spec: Spec<'a>,
    #[serde(borrow)]
    status: Status<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Metadata<'a> {
    name: Option<&'a str>,
    generate_name: Option<&'a str>,
    #[serde(borrow)]
    labels: BTreeMap<&'a str, &'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Spec<'a> {
    #[serde(borrow)]
    workflow_template_ref: Option<Named<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named<'a> {
    name: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Status<'a> {
    phase: Option<&'a str>,
    started_at: Option<&'a str>,
    finished_at: Option<&'a str>,
    #[serde(borrow)]
    resources_duration: BTreeMap<&'a str, f64>,
    #[serde(borrow)]
    nodes: BTreeMap<&'a str, Node<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Node<'a> {
    name: Option<&'a str>,
    display_name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    phase: Option<&'a str>,
    template_name: Option<&'a str>,
    #[serde(borrow)]
    template_ref: Option<TemplateRef<'a>>,
    started_at: Option<&'a str>,
    finished_at: Option<&'a str>,
    #[serde(borrow)]
    outputs: Outputs<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TemplateRef<'a> {
    template: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Outputs<'a> {
    #[serde(borrow)]
    parameters: Vec<Parameter<'a>>,
}

#[derive(Deserialize)]
struct Parameter<'a> {
    name: &'a str,
    #[serde(default)]
    value: Option<&'a str>,
}

impl<'a> Node<'a> {
    /// The node's template as Argo names it (`GetTemplateFromNode`): the
    /// template of its `templateRef`, else its `templateName`.
    fn template(&self) -> &'a str {
        let by_ref = self.template_ref.as_ref().and_then(|r| r.template);
        by_ref.or(self.template_name).unwrap_or_default()
    }
}

/// A time as a Workflow writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    /// Absent or `null`: not happened yet (or not known).
    Unknown,
    /// Text that is not an RFC 3339 time.
    NotATime,
    At(DateTime<FixedOffset>),
}

impl When {
    fn of(raw: Option<&str>) -> When {
        match raw {
            None => When::Unknown,
            Some(s) => DateTime::parse_from_rfc3339(s).map_or(When::NotATime, When::At),
        }
    }
}

/// Seconds from `start` to `end`: `Ok(None)` while the end is unknown
/// (still running), `Err` (why, for the warning) when the two can't make a
/// duration.
fn seconds(start: When, end: When) -> Result<Option<f64>, &'static str> {
    match (start, end) {
        (_, When::Unknown) => Ok(None),
        (When::NotATime, _) | (_, When::NotATime) => Err("a time that is not RFC 3339"),
        (When::Unknown, When::At(_)) => Err("finishedAt without startedAt"),
        (When::At(s), When::At(e)) if e < s => Err("finishedAt before startedAt"),
        (When::At(s), When::At(e)) => Ok(Some((e - s).num_milliseconds() as f64 / 1e3)),
    }
}

/// A scalar entry with borrowed labels and a help text.
fn entry<'e>(
    name: &str,
    kind: Kind,
    help: &'static str,
    labels: &[(&'static str, &'e str)],
    v: f64,
) -> Entry<'e> {
    Entry {
        help: Cow::Borrowed(help),
        labels: labels
            .iter()
            .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect(),
        ..Entry::scalar(name, kind, v)
    }
}

/// Add a Workflow's metrics to the set, and the grouping it proposes.
pub fn read(set: &mut FamilySet, doc: &Value) {
    let wf = match Workflow::deserialize(doc) {
        Ok(wf) => wf,
        Err(e) => return set.mismatch("", e.to_string()),
    };
    set.proposed = proposed(&wf);
    for name in LABELS {
        set.check_label_name(String::new, name);
    }
    outcome(set, &wf);
    resources(set, &wf.status);
    nodes::read(set, &wf.status.nodes);
    parameters::read(set, &wf);
}

/// Refuse another Kubernetes object (a WorkflowTemplate, a CronWorkflow),
/// which would otherwise be read as a flat object of numbers and refused
/// key by key.
pub fn not_another_kind(doc: &Value, origin: &str) -> anyhow::Result<()> {
    let text = |key: &str| doc.get(key).and_then(Value::as_str);
    if let (Some(kind), Some(api)) = (text("kind"), text("apiVersion")) {
        crate::error::bail_with!(
            crate::error::Exit::Invalid,
            "{origin}: a Kubernetes {kind} ({api}), not a metric artifact; simplepipe reads an Argo Workflow (apiVersion argoproj.io/v1alpha1, kind Workflow), e.g. `kubectl get wf NAME -o json`"
        );
    }
    Ok(())
}

/// `job`: the WorkflowTemplate it came from (label, then reference), else
/// `generateName` without its dash; `user`: the creator's labels.
fn proposed(wf: &Workflow) -> Proposed {
    let labels = &wf.metadata.labels;
    let label = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| labels.get(k).copied().filter(|v| !v.is_empty()))
    };
    let by_ref = wf.spec.workflow_template_ref.as_ref().and_then(|r| r.name);
    let generated = wf
        .metadata
        .generate_name
        .map(|g| g.strip_suffix('-').unwrap_or(g));
    let job = label(&TEMPLATE_LABELS)
        .or(by_ref.filter(|n| !n.is_empty()))
        .or(generated.filter(|g| !g.is_empty()));
    Proposed {
        job: job.map(str::to_string),
        user: label(&CREATOR_LABELS).map(str::to_string),
    }
}

/// How the workflow ended, where that is written, and when.
struct Finish<'a> {
    succeeded: bool,
    at: String,
    end: When,
    end_at: &'a str,
}

/// The outcome, once the workflow has finished: its `status.phase`
/// (Succeeded, Failed or Error). While its exit handler runs, the workflow
/// is still `Running` but its entry node (the node named after it) holds
/// the outcome, exactly what Argo passes the handler as
/// `{{workflow.status}}`; that is read instead. Anything else (Running,
/// Pending, no phase) has no outcome yet.
fn finish<'a>(wf: &Workflow<'a>) -> Option<Finish<'a>> {
    let s = &wf.status;
    let ended = |succeeded, end| Finish {
        succeeded,
        at: "/status/phase".to_string(),
        end,
        end_at: "finishedAt",
    };
    match s.phase {
        // Without finishedAt, a success ends with its last node.
        Some("Succeeded") => Some(ended(
            true,
            match When::of(s.finished_at) {
                When::Unknown => last_end(s),
                end => end,
            },
        )),
        Some("Failed" | "Error") => Some(ended(false, When::of(s.finished_at))),
        _ => {
            let (id, entry) = s
                .nodes
                .iter()
                .find(|(_, n)| n.name.is_some() && n.name == wf.metadata.name)?;
            // Argo's own mapping of the entry node's phase to the workflow's.
            let succeeded = match entry.phase? {
                "Succeeded" | "Skipped" | "Omitted" => true,
                "Failed" | "Error" => false,
                _ => return None,
            };
            Some(Finish {
                succeeded,
                at: format!("/status/nodes/{}/phase", escape_pointer(id)),
                end: When::of(entry.finished_at),
                end_at: "its entry node's finishedAt",
            })
        }
    }
}

/// The latest end of any node (unparseable ones aside).
fn last_end(s: &Status) -> When {
    let ends = s
        .nodes
        .values()
        .filter_map(|n| match When::of(n.finished_at) {
            When::At(t) => Some(t),
            _ => None,
        });
    ends.max().map_or(When::Unknown, When::At)
}

/// `argo_workflow_succeeded` and `argo_workflow_duration_seconds`.
fn outcome(set: &mut FamilySet, wf: &Workflow) {
    let Some(f) = finish(wf) else { return };
    let help = "1 if the Argo workflow succeeded, 0 if it failed or errored (from its status; absent until it has finished).";
    let v = if f.succeeded { 1.0 } else { 0.0 };
    set.add(f.at.clone(), entry(SUCCEEDED, Kind::Gauge, help, &[], v));
    match seconds(When::of(wf.status.started_at), f.end) {
        Ok(Some(secs)) => {
            let help = "Seconds from the Argo workflow's start to its end.";
            set.add(
                "/status".to_string(),
                entry(DURATION, Kind::Gauge, help, &[], secs),
            );
        }
        Ok(None) => {}
        Err(why) => set.warn(
            "/status",
            format!(
                "the workflow's startedAt and {} make no duration ({why}); {DURATION} is left out",
                f.end_at
            ),
        ),
    }
}

/// `status.resourcesDuration`, one series per resource; a negative one is
/// left out, with a warning.
fn resources(set: &mut FamilySet, s: &Status) {
    let help = "Argo's status.resourcesDuration: seconds of each resource's unit (1 CPU, 100Mi of memory, 1 GPU) its pods held.";
    for (&resource, &v) in &s.resources_duration {
        let at = format!("/status/resourcesDuration/{}", escape_pointer(resource));
        if v < 0.0 {
            set.warn(at, format!("{v} is negative; not pushed"));
            continue;
        }
        set.check_label_value(|| at.clone(), "resource", resource);
        set.add(
            at.clone(),
            entry(RESOURCES, Kind::Gauge, help, &[("resource", resource)], v),
        );
    }
}

#[cfg(test)]
mod tests;
