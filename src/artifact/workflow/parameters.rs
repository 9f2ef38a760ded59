//! Numeric output parameters as gauges: a step that writes `accuracy` to an
//! output parameter gets an `accuracy` metric, with no `metrics:` block
//! (what Argo declined to build, argo-workflows #3042).
//!
//! Each is named after the parameter, made a legal metric name, and
//! labelled with its node's `template` and `node` (the display name, e.g.
//! `odd-or-even(0:1)`). Text values are skipped quietly: parameters are
//! text to Argo, and most are not numbers. `Retry` nodes are skipped too:
//! their outputs are a copy of the attempt's that produced them.

use std::collections::HashMap;

use super::{entry, Workflow, RESERVED_PREFIXES};
use crate::artifact::families::FamilySet;
use crate::model::{escape_pointer, Kind};

const HELP: &str = "A numeric output parameter of an Argo workflow step, by template and node.";

/// One numeric parameter found, before its node label is settled.
struct Found<'a> {
    name: String,
    template: &'a str,
    display: &'a str,
    /// The node's full name without the workflow's, unique in it.
    full: &'a str,
    value: f64,
    at: String,
}

/// Add every node's numeric output parameters to the set.
pub(super) fn read(set: &mut FamilySet, wf: &Workflow) {
    let mut found = Vec::new();
    let workflow = wf.metadata.name.unwrap_or_default();
    for (&id, node) in &wf.status.nodes {
        if node.kind == Some("Retry") {
            continue;
        }
        for (i, p) in node.outputs.parameters.iter().enumerate() {
            let Some(value) = p.value.and_then(number) else {
                continue;
            };
            let at = format!(
                "/status/nodes/{}/outputs/parameters/{i}",
                escape_pointer(id)
            );
            let name = metric_name(p.name);
            if let Some(prefix) = RESERVED_PREFIXES.iter().find(|r| name.starts_with(*r)) {
                let msg = format!(
                    "output parameter {:?} would be pushed as {name:?}, but {prefix}* names are the ones simplepipe writes from the Workflow itself; rename the parameter",
                    p.name
                );
                set.problem_of("name", format!("{at}/name"), msg);
                continue;
            }
            let display = node.display_name.unwrap_or(id);
            let full = node
                .name
                .and_then(|n| n.strip_prefix(workflow))
                .map(|n| n.trim_start_matches('.'))
                .filter(|n| !n.is_empty())
                .unwrap_or(display);
            found.push(Found {
                name,
                template: node.template(),
                display,
                full,
                value,
                at,
            });
        }
    }
    // A display name can repeat (one step in two branches of a DAG): those
    // nodes are told apart by their full names rather than refused as
    // duplicate series.
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for f in &found {
        *seen.entry((&f.name, f.template, f.display)).or_default() += 1;
    }
    for f in &found {
        let node = match seen[&(f.name.as_str(), f.template, f.display)] {
            1 => f.display,
            _ => f.full,
        };
        set.check_label_value(|| f.at.clone(), "template", f.template);
        set.check_label_value(|| f.at.clone(), "node", node);
        let labels = [("template", f.template), ("node", node)];
        set.add(
            f.at.clone(),
            entry(&f.name, Kind::Gauge, HELP, &labels, f.value),
        );
    }
}

/// A parameter's value as a number: finite decimal text, spaces around it
/// allowed (a value read from a file often ends in a newline).
fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A parameter's name as a legal metric name: every character outside
/// `[a-zA-Z0-9_:]` becomes `_` (Argo allows `-`), and a leading digit gets
/// a `_` before it.
fn metric_name(raw: &str) -> String {
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_legal() {
        assert_eq!(metric_name("accuracy"), "accuracy");
        assert_eq!(metric_name("val-loss"), "val_loss");
        assert_eq!(metric_name("1st.score"), "_1st_score");
        assert_eq!(metric_name("ns:x"), "ns:x");
    }

    #[test]
    fn only_finite_numbers_count() {
        assert_eq!(number("0.93\n"), Some(0.93));
        assert_eq!(number(" -2 "), Some(-2.0));
        assert_eq!(number("1e3"), Some(1000.0));
        for text in [
            "even",
            "",
            "NaN",
            "inf",
            "-Infinity",
            "[1, 2]",
            "0x10",
            "true",
        ] {
            assert_eq!(number(text), None, "{text}");
        }
    }
}
