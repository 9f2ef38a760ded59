//! Prometheus alert rules derived from a standard, as a rule file, as a
//! `monitoring.coreos.com/v1` PrometheusRule, and as a `promtool test
//! rules` file that proves each alert fires and that runs inside the
//! bounds fire nothing.
//!
//! Every alert is grouped `by (job, user)`, so the notification names whose
//! run it is. The annotations are written once, by functions that take the
//! user, job and value as text: the rule gets Prometheus template variables
//! (`{{ $labels.user }}`), the tests get the values promtool will render,
//! so the two can't disagree.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{promql_any_of, Bounds, MetricRule, Standard};

#[derive(Debug, Clone, Serialize)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub alert: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Which side of an `expect` range a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Min,
    Max,
}

/// A promtool series: a start value and an increment per step.
#[derive(Debug, Clone, Copy)]
struct Values(f64, f64);

impl Values {
    fn render(self, steps: u64) -> String {
        let Values(v, inc) = self;
        if inc == 0.0 {
            format!("{v}x{steps}")
        } else {
            format!("{v}+{inc}x{steps}")
        }
    }
}

/// One alert and what promtool needs to prove it: the series that make it
/// fire for alice and stay quiet for bob, and when to look.
struct Case {
    rule: Rule,
    eval_secs: u64,
    /// (series, alice's values, bob's values), at one-minute steps.
    series: Vec<(String, Values, Values)>,
    /// Extra labels of alice's alert beyond the rule's own.
    alert_labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

const USER: &str = "{{ $labels.user }}";
const JOB: &str = "{{ $labels.job }}";
const VALUE: &str = "{{ $value }}";

/// The rule file for `std`.
pub fn rule_file(std: &Standard) -> RuleFile {
    RuleFile {
        groups: vec![Group {
            name: format!("simplepipe-standard-{}", std.name()),
            rules: cases(std).into_iter().map(|c| c.rule).collect(),
        }],
    }
}

/// The rule file as YAML text.
pub fn rules_yaml(std: &Standard) -> String {
    header(std, "simplepipe rules") + &to_yaml(&rule_file(std))
}

/// The same groups as a PrometheusRule, with `labels` (e.g. the `release`
/// label kube-prometheus-stack selects rules by).
pub fn prometheus_rule_yaml(std: &Standard, labels: &[(String, String)]) -> String {
    let mut meta_labels = BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        "simplepipe-standard".to_string(),
    )]);
    meta_labels.extend(labels.iter().cloned());
    let doc = serde_json::json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": format!("simplepipe-{}", std.name()), "labels": meta_labels},
        "spec": rule_file(std),
    });
    header(std, "simplepipe rules --prometheus-rule") + &to_yaml(&doc)
}

/// A `promtool test rules` file for the rules saved as `rule_file_path`
/// (relative to the test file's directory).
pub fn tests_yaml(std: &Standard, rule_file_path: &str) -> String {
    let cases = cases(std);
    let mut tests = Vec::new();
    for c in &cases {
        let steps = c.eval_secs / 60 + 5;
        let mut input = Vec::new();
        for (series, alice, bob) in &c.series {
            input.push(serde_json::json!({"series": with_user(series, "alice"), "values": alice.render(steps)}));
            input.push(serde_json::json!({"series": with_user(series, "bob"), "values": bob.render(steps)}));
        }
        let mut labels = c.rule.labels.clone();
        labels.extend(c.alert_labels.clone());
        tests.push(serde_json::json!({
            "name": format!("{} fires for alice only", c.rule.alert),
            "interval": "1m",
            "input_series": input,
            "alert_rule_test": [{
                "eval_time": secs(c.eval_secs),
                "alertname": c.rule.alert,
                "exp_alerts": [{"exp_labels": labels, "exp_annotations": c.annotations}],
            }],
        }));
    }
    // Every series of every case with bob's (good) values: nothing fires.
    // Every series lasts until the last check, so "nothing fires" is never
    // the mere absence of data.
    let mut input: Vec<serde_json::Value> = Vec::new();
    let mut checks = Vec::new();
    let quiet_at = cases.iter().map(|c| c.eval_secs).max().unwrap_or(60);
    for c in &cases {
        for (series, _, bob) in &c.series {
            let series = with_user(series, "bob");
            if !input.iter().any(|i| i["series"] == series.as_str()) {
                let values = bob.render(quiet_at / 60 + 1);
                input.push(serde_json::json!({"series": series, "values": values}));
            }
        }
        checks.push(serde_json::json!({"eval_time": secs(quiet_at), "alertname": c.rule.alert, "exp_alerts": []}));
    }
    tests.push(serde_json::json!({
        "name": "a run inside every bound fires nothing",
        "interval": "1m",
        "input_series": input,
        "alert_rule_test": checks,
    }));
    let doc = serde_json::json!({
        "rule_files": [rule_file_path],
        "evaluation_interval": "1m",
        "tests": tests,
    });
    header(std, "simplepipe rules --tests")
        + "# Run: promtool test rules THIS_FILE\n"
        + &to_yaml(&doc)
}

fn header(std: &Standard, by: &str) -> String {
    format!(
        "# Generated by `{by}` from the standard {}; edit the standard, not this file.\n",
        std.name()
    )
}

fn to_yaml<T: Serialize>(v: &T) -> String {
    yaml_serde::to_string(v).expect("rules serialize to YAML")
}

fn secs(s: u64) -> String {
    if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// `name{a="b"}` with `user="U"` added.
fn with_user(series: &str, user: &str) -> String {
    let open = series.find('{').expect("series have labels");
    format!(
        "{}{{{},user=\"{user}\"}}",
        &series[..open],
        series[open + 1..].trim_end_matches('}')
    )
}

/// Every alert of the standard, in a stable order.
fn cases(std: &Standard) -> Vec<Case> {
    let jobs = promql_any_of(&std.spec.jobs);
    let job = &std.spec.jobs[0];
    let mut out = Vec::new();
    for (m, b) in std.expected() {
        for (side, bound) in [(Side::Max, b.max), (Side::Min, b.min)] {
            if let Some(bound) = bound {
                out.push(bound_case(std, m, b, side, bound, &jobs, job));
            }
        }
    }
    let base = |alert: &str, expr: String, severity: &str| Rule {
        alert: alert.to_string(),
        expr,
        for_: "0s".to_string(),
        labels: BTreeMap::from([
            ("severity".to_string(), severity.to_string()),
            ("standard".to_string(), std.name().to_string()),
        ]),
        annotations: BTreeMap::new(),
    };
    let alice = |job: &str| {
        BTreeMap::from([
            ("job".to_string(), job.to_string()),
            ("user".to_string(), "alice".to_string()),
        ])
    };
    if let Some(f) = &std.spec.freshness {
        let mut rule = base(
            "SimplepipeNoRecentPush",
            format!(
                "time() - max by (job, user) (push_time_seconds{{job=~{jobs}}}) > {}",
                f.secs
            ),
            "warning",
        );
        rule.annotations = stale(std, USER, JOB, "{{ $value | humanizeDuration }}", &f.text);
        let eval = (f.secs / 60 + 2) * 60;
        out.push(Case {
            annotations: stale(std, "alice", job, &humanize_duration(eval), &f.text),
            rule,
            eval_secs: eval,
            series: vec![(
                format!("push_time_seconds{{job=\"{job}\"}}"),
                Values(0.0, 0.0),
                Values(0.0, 60.0),
            )],
            alert_labels: alice(job),
        });
    }
    let mut rule = base(
        "SimplepipePushFailed",
        format!("max by (job, user) (push_failure_time_seconds{{job=~{jobs}}}) > max by (job, user) (push_time_seconds{{job=~{jobs}}})"),
        "warning",
    );
    rule.annotations = push_failed(std, USER, JOB);
    out.push(Case {
        annotations: push_failed(std, "alice", job),
        rule,
        eval_secs: 60,
        series: vec![
            (
                format!("push_failure_time_seconds{{job=\"{job}\"}}"),
                Values(200.0, 0.0),
                Values(0.0, 0.0),
            ),
            (
                format!("push_time_seconds{{job=\"{job}\"}}"),
                Values(100.0, 0.0),
                Values(0.0, 60.0),
            ),
        ],
        alert_labels: alice(job),
    });
    let outcome = &std.spec.outcome_job;
    let mut rule = base(
        "SimplepipeRunFailed",
        format!(
            "min by (job, user, workflow) (workflow_succeeded{{job=~{}}}) == 0",
            promql_any_of(std::slice::from_ref(outcome))
        ),
        "warning",
    );
    rule.annotations = run_failed(USER, "{{ $labels.workflow }}");
    let mut labels = alice(outcome);
    labels.insert("workflow".into(), "train-x7k2p".into());
    out.push(Case {
        annotations: run_failed("alice", "train-x7k2p"),
        rule,
        eval_secs: 60,
        series: vec![(
            format!("workflow_succeeded{{job=\"{outcome}\",workflow=\"train-x7k2p\"}}"),
            Values(0.0, 0.0),
            Values(1.0, 0.0),
        )],
        alert_labels: labels,
    });
    out
}

fn bound_case(
    std: &Standard,
    m: &MetricRule,
    b: Bounds,
    side: Side,
    bound: f64,
    jobs: &str,
    job: &str,
) -> Case {
    let (agg, op, word) = match side {
        Side::Max => ("max", ">", "Above"),
        Side::Min => ("min", "<", "Below"),
    };
    let alert = format!("{}{word}Expected", camel(&m.name));
    let expr = format!(
        "{agg} by (job, user) ({}{{job=~{jobs}}}) {op} {bound}",
        m.name
    );
    let labels = BTreeMap::from([
        ("severity".to_string(), m.severity.name().to_string()),
        ("standard".to_string(), std.name().to_string()),
        ("metric".to_string(), m.name.clone()),
    ]);
    let for_ = m.for_.as_ref().map_or("0s".to_string(), |d| d.text.clone());
    let for_secs = m.for_.as_ref().map_or(0, |d| d.secs);
    let valid = m.valid.unwrap_or_default();
    let bad = outside(side, bound, valid);
    let good = inside(b, valid);
    let eval = (for_secs / 60 + 1) * 60;
    let series_labels: String = m.labels.iter().map(|l| format!(",{l}=\"x\"")).collect();
    Case {
        rule: Rule {
            alert,
            expr,
            for_,
            labels,
            annotations: bound_annotations(std, m, side, bound, USER, JOB, VALUE),
        },
        eval_secs: eval,
        series: vec![(
            format!("{}{{job=\"{job}\"{series_labels}}}", m.name),
            Values(bad, 0.0),
            Values(good, 0.0),
        )],
        alert_labels: BTreeMap::from([
            ("job".to_string(), job.to_string()),
            ("user".to_string(), "alice".to_string()),
        ]),
        annotations: bound_annotations(std, m, side, bound, "alice", job, &bad.to_string()),
    }
}

/// The annotations of a bound's alert, for a user, job and value as text.
pub fn bound_annotations(
    std: &Standard,
    m: &MetricRule,
    side: Side,
    bound: f64,
    user: &str,
    job: &str,
    value: &str,
) -> BTreeMap<String, String> {
    let (dir, limit) = match side {
        Side::Max => ("above", "at most"),
        Side::Min => ("below", "at least"),
    };
    BTreeMap::from([
        (
            "summary".to_string(),
            format!("{} of {user} is {value}, {dir} the expected {bound}", m.name),
        ),
        (
            "description".to_string(),
            format!(
                "The latest {job} run of {user} reported {} = {value}; the standard {} expects {limit} {bound}.",
                m.name,
                std.name()
            ),
        ),
    ])
}

fn stale(
    std: &Standard,
    user: &str,
    job: &str,
    ago: &str,
    limit: &str,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("summary".to_string(), format!("{user} has not pushed {job} for {ago}")),
        (
            "description".to_string(),
            format!("The last push of {user} for job {job} was {ago} ago; the standard {} expects one at least every {limit}.", std.name()),
        ),
    ])
}

fn push_failed(std: &Standard, user: &str, job: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("summary".to_string(), format!("The last push of {user} for {job} failed")),
        (
            "description".to_string(),
            format!("The Pushgateway refused the last push of {user} for job {job} (push_failure_time_seconds is newer than push_time_seconds); the standard {} covers this job.", std.name()),
        ),
    ])
}

fn run_failed(user: &str, workflow: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("summary".to_string(), format!("The last workflow of {user} failed")),
        (
            "description".to_string(),
            format!("Workflow {workflow} of {user} did not succeed (workflow_succeeded is 0, pushed by the Argo exit handler)."),
        ),
    ])
}

/// A value outside a bound but still valid: what promtool feeds alice.
fn outside(side: Side, bound: f64, valid: Bounds) -> f64 {
    match side {
        Side::Max => {
            let v = bound + bound.abs().max(1.0);
            valid
                .max
                .map_or(v, |hi| if v > hi { (bound + hi) / 2.0 } else { v })
        }
        Side::Min => {
            let v = if bound > 0.0 {
                bound / 2.0
            } else {
                bound - 1.0
            };
            valid
                .min
                .map_or(v, |lo| if v < lo { (bound + lo) / 2.0 } else { v })
        }
    }
}

/// A value inside the expected (and valid) bounds: what promtool feeds bob.
fn inside(expect: Bounds, valid: Bounds) -> f64 {
    let b = Bounds {
        min: expect.min.or(valid.min),
        max: expect.max.or(valid.max),
    };
    match (b.min, b.max) {
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (None, Some(hi)) if hi > 0.0 => hi / 2.0,
        (None, Some(hi)) => hi - 1.0,
        (Some(lo), None) if lo > 0.0 => lo * 2.0,
        (Some(lo), None) => lo + 1.0,
        (None, None) => 0.0,
    }
}

/// `model_accuracy` -> `ModelAccuracy`.
fn camel(name: &str) -> String {
    name.split([':', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Prometheus's `humanizeDuration` for whole seconds of a minute or more.
fn humanize_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h {m}m {s}s")
    } else if h > 0 {
        format!("{h}h {m}m {s}s")
    } else {
        format!("{m}m {s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_of_the_example() {
        let std = super::super::tests::example();
        insta::assert_snapshot!("rules", rules_yaml(&std));
        insta::assert_snapshot!(
            "prometheus_rule",
            prometheus_rule_yaml(&std, &[("release".into(), "kube-prometheus-stack".into())])
        );
        insta::assert_snapshot!("tests", tests_yaml(&std, "ml-training.rules.yaml"));
    }

    #[test]
    fn names_and_durations() {
        assert_eq!(camel("model_accuracy"), "ModelAccuracy");
        assert_eq!(camel("ns:run_time_seconds"), "NsRunTimeSeconds");
        assert_eq!(humanize_duration(97320), "1d 3h 2m 0s");
        assert_eq!(humanize_duration(90), "1m 30s");
        assert_eq!(
            with_user("a{job=\"t\"}", "bob"),
            "a{job=\"t\",user=\"bob\"}"
        );
    }
}
