//! The checks on a standard that its types can't express: legal names,
//! duplicates, bound order, bounds the alert could never cross, durations.
//! Each problem carries the JSON pointer of the offending field, so the
//! admin is told where to look.

use std::collections::{HashMap, HashSet};

use crate::error::Problem;
use crate::model::{is_label_name, is_metric_name};

use super::{Bounds, Duration, LabelRules, MetricRule, Spec, Standard, API_VERSION, KIND};

/// A standard's duration in the common grammar ([`crate::duration`], `y`
/// allowed, and `0s` so that the checks below can say why zero is no
/// good), in whole seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let grammar = crate::duration::Grammar {
        years: true,
        zero: true,
        ..Default::default()
    };
    crate::duration::parse(text, grammar)
        .map(|d| d.as_secs())
        .map_err(|why| {
            format!("{text:?} is not a duration like 90s, 30m, 1.5h, 7d or 1h30m: {why}")
        })
}

/// The longest `freshness` or `for` that makes sense (and keeps the promtool
/// tests, one sample a minute, a reasonable size).
const MAX_DURATION: u64 = 365 * 86400;

/// The checks the types can't express, each with its pointer.
pub(super) fn problems(std: &Standard) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |p: &str, m: String| out.push(Problem::new(p, m));
    header(std, &mut bad);
    jobs(&std.spec, &mut bad);
    labels(&std.spec.labels, &mut bad);
    freshness(std.spec.freshness.as_ref(), &mut bad);
    if std.spec.metrics.is_empty() {
        bad("/spec/metrics", "must list at least one metric".into());
    }
    // Each name's first index, for the duplicate check: a search of the
    // metrics before each one made 40,000 metrics take 1.9 s.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, m) in std.spec.metrics.iter().enumerate() {
        let earlier = *first.entry(&m.name).or_insert(i);
        metric((earlier < i).then_some(earlier), i, m, &mut bad);
    }
    out
}

/// The envelope: a version and kind this build reads, and a name fit for
/// Kubernetes objects and dashboard uids.
fn header(std: &Standard, bad: &mut impl FnMut(&str, String)) {
    if std.api_version != API_VERSION {
        bad(
            "/apiVersion",
            format!(
                "{:?} is not supported; use {API_VERSION:?}",
                std.api_version
            ),
        );
    }
    if std.kind != KIND {
        bad("/kind", format!("{:?} is not {KIND:?}", std.kind));
    }
    let name = &std.metadata.name;
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
}

/// The jobs the rules select runs by, and the job outcomes are pushed under:
/// an empty one would match nothing.
fn jobs(spec: &Spec, bad: &mut impl FnMut(&str, String)) {
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
}

/// The run-wide label lists: legal names, and every required label allowed.
fn labels(labels: &LabelRules, bad: &mut impl FnMut(&str, String)) {
    label_list(&labels.required, "/spec/labels/required", bad);
    if let Some(allowed) = &labels.allowed {
        label_list(allowed, "/spec/labels/allowed", bad);
        let allowed: HashSet<&String> = allowed.iter().collect();
        for (i, r) in labels.required.iter().enumerate() {
            if !allowed.contains(r) {
                bad(
                    &format!("/spec/labels/required/{i}"),
                    format!("{r:?} is required but not in spec.labels.allowed"),
                );
            }
        }
    }
}

/// The staleness alert's window: neither instant nor beyond what Prometheus keeps.
fn freshness(freshness: Option<&Duration>, bad: &mut impl FnMut(&str, String)) {
    if let Some(f) = freshness {
        if f.secs == 0 {
            bad(
                "/spec/freshness",
                "0s would alert at once; give the longest silence that is normal, e.g. 26h".into(),
            );
        }
        if f.secs > MAX_DURATION {
            bad(
                "/spec/freshness",
                format!("{} is longer than a year; Prometheus keeps less", f.text),
            );
        }
    }
}

/// One metric rule (`earlier`: the index of an earlier rule of the same
/// name): its `for`, name, labels and bounds.
fn metric(earlier: Option<usize>, i: usize, m: &MetricRule, bad: &mut impl FnMut(&str, String)) {
    let at = format!("/spec/metrics/{i}");
    if let Some(d) = m.for_.as_ref().filter(|d| d.secs > MAX_DURATION) {
        bad(
            &format!("{at}/for"),
            format!("{} is longer than a year", d.text),
        );
    }
    if !is_metric_name(&m.name) {
        bad(
            &format!("{at}/name"),
            format!(
                "{:?} is not a legal Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                m.name
            ),
        );
    }
    if let Some(j) = earlier {
        bad(
            &format!("{at}/name"),
            format!("duplicate metric {:?} (also /spec/metrics/{j})", m.name),
        );
    }
    label_list(&m.labels, &format!("{at}/labels"), bad);
    for (key, b) in [("valid", m.valid), ("expect", m.expect)] {
        if let Some(b) = b {
            bounds(&format!("{at}/{key}"), m, b, bad);
        }
    }
    if let (Some(e), Some(v)) = (m.expect, m.valid) {
        expect_within_valid(&at, e, v, bad);
    }
}

/// One `valid` or `expect` range at `p`: on a metric with a single value,
/// not empty, finite and in order.
fn bounds(p: &str, m: &MetricRule, b: Bounds, bad: &mut impl FnMut(&str, String)) {
    if !m.kind.has_value() {
        bad(
            p,
            format!(
                "bounds apply to a single value; a {} has none (use gauge, counter or untyped)",
                m.kind.name()
            ),
        );
    }
    if b.min.is_none() && b.max.is_none() {
        bad(p, "give min, max or both".into());
    }
    for (k, v) in [("min", b.min), ("max", b.max)] {
        if v.is_some_and(|v| !v.is_finite()) {
            bad(&format!("{p}/{k}"), "must be a finite number".into());
        }
    }
    if let (Some(lo), Some(hi)) = (b.min, b.max) {
        if lo > hi {
            bad(p, format!("min {lo} is above max {hi}"));
        }
    }
}

/// An `expect` bound outside the `valid` range is an alert that could never fire.
fn expect_within_valid(at: &str, e: Bounds, v: Bounds, bad: &mut impl FnMut(&str, String)) {
    for (k, x) in [("min", e.min), ("max", e.max)] {
        let Some(x) = x else { continue };
        let below = v.min.is_some_and(|lo| x < lo);
        let above = v.max.is_some_and(|hi| x > hi);
        if below || above {
            bad(
                &format!("{at}/expect/{k}"),
                format!("{x} is outside the valid range, so the alert could never fire"),
            );
        }
    }
}

/// A list of label names: each legal, one an artifact can carry, and
/// listed once.
fn label_list(names: &[String], at: &str, bad: &mut impl FnMut(&str, String)) {
    let mut seen = HashSet::new();
    for (i, l) in names.iter().enumerate() {
        if !is_label_name(l) || l.starts_with("__") {
            bad(
                &format!("{at}/{i}"),
                format!("{l:?} is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)"),
            );
        } else if let Some(why) = never_carried(l) {
            bad(
                &format!("{at}/{i}"),
                format!("{l:?} {why}, so no artifact can carry it; remove it from the list"),
            );
        } else if !seen.insert(l) {
            bad(&format!("{at}/{i}"), format!("{l:?} is listed twice"));
        }
    }
}

/// Why no artifact can carry the label `name`, if none can: `job` and
/// `user` are the grouping labels the standard's rules and dashboards
/// select runs by (an artifact's own would clash with them, exit 4), and
/// `le` and `quantile` are written by histograms and summaries.
fn never_carried(name: &str) -> Option<&'static str> {
    match name {
        "job" | "user" => Some("is a grouping label, set by --job and --user on every series"),
        "le" | "quantile" => Some("is reserved for histogram buckets and summary quantiles"),
        _ => None,
    }
}
