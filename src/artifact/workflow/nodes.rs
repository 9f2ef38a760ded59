//! The pod nodes of a Workflow: how many attempts each template made, in
//! which phase they ended, and how long its pods ran.
//!
//! Only `Pod` nodes count: they are the attempts (a retried step is one
//! `Retry` node over one pod per attempt), and their times are the time
//! spent; steps, DAGs and groups only wrap them.

use std::collections::BTreeMap;

use super::{entry, seconds, Node, When, ATTEMPTS, TEMPLATE_DURATION};
use crate::artifact::families::FamilySet;
use crate::model::Kind;

/// Why pod nodes were left out of the durations, counted for one warning.
#[derive(Default)]
struct LeftOut {
    total: usize,
    why: BTreeMap<&'static str, usize>,
}

/// `argo_template_attempts_total{template, phase}` and
/// `argo_template_duration_seconds{template}`.
pub(super) fn read(set: &mut FamilySet, nodes: &BTreeMap<&str, Node>) {
    let mut attempts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut time: BTreeMap<&str, f64> = BTreeMap::new();
    let mut left_out = LeftOut::default();
    let pods = nodes.values().filter(|n| n.kind == Some("Pod"));
    for node in pods {
        let template = node.template();
        *attempts
            .entry((template, node.phase.unwrap_or_default()))
            .or_default() += 1;
        // A pod without an end is still running: no duration, and nothing
        // wrong with it.
        match seconds(When::of(node.started_at), When::of(node.finished_at)) {
            Ok(Some(secs)) => *time.entry(template).or_default() += secs,
            Ok(None) => {}
            Err(why) => {
                left_out.total += 1;
                *left_out.why.entry(why).or_default() += 1;
            }
        }
    }
    let at = || "/status/nodes".to_string();
    let help = "Pod attempts of each template of the Argo workflow, by phase (a retried step shows several).";
    for ((template, phase), n) in attempts {
        set.check_label_value(at, "template", template);
        set.check_label_value(at, "phase", phase);
        let labels = [("template", template), ("phase", phase)];
        set.add(
            at(),
            entry(ATTEMPTS, Kind::Counter, help, &labels, n as f64),
        );
    }
    let help = "Seconds the pods of each template of the Argo workflow ran, summed over its attempts (pods with both ends known).";
    for (template, secs) in time {
        let labels = [("template", template)];
        set.add(
            at(),
            entry(TEMPLATE_DURATION, Kind::Gauge, help, &labels, secs),
        );
    }
    if left_out.total > 0 {
        let why: Vec<String> = left_out
            .why
            .iter()
            .map(|(why, n)| format!("{n} with {why}"))
            .collect();
        let (n, has) = match left_out.total {
            1 => ("1 pod node".to_string(), "has"),
            n => (format!("{n} pod nodes"), "have"),
        };
        set.warn(
            "/status/nodes",
            format!(
                "{n} {has} no usable duration and {} left out of {TEMPLATE_DURATION}: {}",
                if left_out.total == 1 { "is" } else { "are" },
                why.join(", ")
            ),
        );
    }
}
