use serde_json::{json, Value};

use crate::artifact::{check, BuildOptions, Model, Origin};
use crate::error::Exit;
use crate::model::Sample;

/// The model of a Workflow object, through the whole check.
fn model(wf: &Value) -> Model {
    model_with(wf, &BuildOptions::default())
}

fn model_with(wf: &Value, opts: &BuildOptions) -> Model {
    let text = wf.to_string();
    let (model, plan) = check(text.as_bytes(), &Origin::named("wf.json"), None, opts)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(plan.describe(), "schema argo-workflow");
    model
}

fn error(wf: &Value) -> String {
    let e = check(
        wf.to_string().as_bytes(),
        &Origin::named("wf.json"),
        None,
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
    format!("{e:#}")
}

/// Every series as `name{k="v",…} value`, in order.
fn lines(m: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for f in &m.families {
        for s in &f.series {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let Sample::Scalar(v) = s.sample else {
                panic!()
            };
            out.push(format!("{}{{{}}} {v}", f.name, labels.join(",")));
        }
    }
    out
}

fn warnings(m: &Model) -> Vec<String> {
    m.warnings.iter().map(ToString::to_string).collect()
}

fn wf(status: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "train-x7k2p", "generateName": "train-"},
        "status": status,
    })
}

fn pod(template: &str, phase: &str, start: &str, end: Option<&str>) -> Value {
    json!({"type": "Pod", "templateName": template, "phase": phase, "startedAt": start, "finishedAt": end})
}

#[test]
fn a_finished_workflow_has_an_outcome_and_a_duration() {
    let m = model(&wf(json!({
        "phase": "Failed",
        "startedAt": "2024-01-01T00:00:00Z",
        "finishedAt": "2024-01-01T00:01:30Z",
    })));
    assert_eq!(
        lines(&m),
        [
            "argo_workflow_succeeded{} 0",
            "argo_workflow_duration_seconds{} 90"
        ]
    );
    for phase in ["Running", "Pending"] {
        let m = model(&wf(
            json!({"phase": phase, "startedAt": "2024-01-01T00:00:00Z"}),
        ));
        assert!(lines(&m).is_empty(), "{phase}: {:?}", lines(&m));
    }
}

#[test]
fn in_the_exit_handler_the_entry_node_holds_the_outcome() {
    // What the exit handler reads: the workflow is still Running (its
    // handler runs), its entry node has finished.
    let status = |entry_phase: &str| {
        json!({
            "phase": "Running",
            "startedAt": "2024-01-01T00:00:00Z",
            "nodes": {
                "train-x7k2p": {"name": "train-x7k2p", "type": "Steps", "phase": entry_phase,
                                 "startedAt": "2024-01-01T00:00:00Z", "finishedAt": "2024-01-01T00:00:42Z"},
                "train-x7k2p-1": {"name": "train-x7k2p.onExit", "type": "Pod", "phase": "Running",
                                   "templateName": "push", "startedAt": "2024-01-01T00:00:43Z"},
            }
        })
    };
    let m = model(&wf(status("Succeeded")));
    assert_eq!(
        lines(&m),
        [
            "argo_workflow_succeeded{} 1",
            "argo_workflow_duration_seconds{} 42",
            "argo_template_attempts_total{phase=\"Running\",template=\"push\"} 1",
        ]
    );
    assert!(
        lines(&model(&wf(status("Error")))).contains(&"argo_workflow_succeeded{} 0".to_string())
    );
    assert!(!lines(&model(&wf(status("Running"))))
        .iter()
        .any(|l| l.starts_with("argo_workflow_")));
}

#[test]
fn a_success_without_finished_at_ends_with_its_last_node() {
    let m = model(&wf(json!({
        "phase": "Succeeded",
        "startedAt": "2024-01-01T00:00:00Z",
        "nodes": {
            "a": pod("t", "Succeeded", "2024-01-01T00:00:00Z", Some("2024-01-01T00:00:10Z")),
            "b": pod("t", "Succeeded", "2024-01-01T00:00:05Z", Some("2024-01-01T00:00:30Z")),
        }
    })));
    assert!(
        lines(&m).contains(&"argo_workflow_duration_seconds{} 30".to_string()),
        "{:?}",
        lines(&m)
    );
    // A failure without finishedAt has no known end.
    let m = model(&wf(json!({
        "phase": "Failed",
        "startedAt": "2024-01-01T00:00:00Z",
        "nodes": {"a": pod("t", "Failed", "2024-01-01T00:00:00Z", Some("2024-01-01T00:00:10Z"))}
    })));
    assert!(!lines(&m)
        .iter()
        .any(|l| l.starts_with("argo_workflow_duration")));
}

#[test]
fn attempts_and_time_per_template_count_pods_only() {
    let m = model(&wf(json!({
        "phase": "Running",
        "nodes": {
            "r": {"type": "Retry", "templateName": "train", "phase": "Succeeded",
                  "startedAt": "2024-01-01T00:00:00Z", "finishedAt": "2024-01-01T00:09:00Z"},
            "a": pod("train", "Failed", "2024-01-01T00:00:00Z", Some("2024-01-01T00:01:00Z")),
            "b": pod("train", "Succeeded", "2024-01-01T00:02:00Z", Some("2024-01-01T00:02:30Z")),
            "c": {"type": "Pod", "templateRef": {"name": "simplepipe-push", "template": "push"},
                  "phase": "Running", "startedAt": "2024-01-01T00:03:00Z"},
        }
    })));
    assert_eq!(
        lines(&m),
        [
            "argo_template_attempts_total{phase=\"Running\",template=\"push\"} 1",
            "argo_template_attempts_total{phase=\"Failed\",template=\"train\"} 1",
            "argo_template_attempts_total{phase=\"Succeeded\",template=\"train\"} 1",
            "argo_template_duration_seconds{template=\"train\"} 90",
        ]
    );
    assert!(m.warnings.is_empty(), "a running pod is not a bad one");
}

#[test]
fn durations_that_would_lie_are_left_out_with_one_warning() {
    let m = model(&wf(json!({
        "phase": "Failed",
        "startedAt": "2024-01-01T00:05:00Z",
        "finishedAt": "2024-01-01T00:00:00Z",
        "resourcesDuration": {"cpu": -3, "memory": 7},
        "nodes": {
            "a": pod("t", "Failed", "2024-01-03T00:00:00Z", Some("2024-01-01T00:00:00Z")),
            "b": pod("t", "Failed", "2024-01-03T00:00:00Z", Some("2024-01-01T00:00:00Z")),
            "c": pod("t", "Failed", "yesterday", Some("2024-01-01T00:00:00Z")),
            "d": {"type": "Pod", "templateName": "t", "phase": "Error", "finishedAt": "2024-01-01T00:00:00Z"},
            "e": pod("t", "Succeeded", "2024-01-01T00:00:00Z", Some("2024-01-01T00:00:02Z")),
        }
    })));
    assert_eq!(
        lines(&m),
        [
            "argo_workflow_succeeded{} 0",
            "argo_workflow_resource_duration_seconds{resource=\"memory\"} 7",
            "argo_template_attempts_total{phase=\"Error\",template=\"t\"} 1",
            "argo_template_attempts_total{phase=\"Failed\",template=\"t\"} 3",
            "argo_template_attempts_total{phase=\"Succeeded\",template=\"t\"} 1",
            "argo_template_duration_seconds{template=\"t\"} 2",
        ]
    );
    assert_eq!(
        warnings(&m),
        [
            "/status: the workflow's startedAt and finishedAt make no duration (finishedAt before startedAt); argo_workflow_duration_seconds is left out",
            "/status/resourcesDuration/cpu: -3 is negative; not pushed",
            "/status/nodes: 4 pod nodes have no usable duration and are left out of argo_template_duration_seconds: 1 with a time that is not RFC 3339, 2 with finishedAt before startedAt, 1 with finishedAt without startedAt",
        ]
    );
}

#[test]
fn numeric_output_parameters_are_gauges_by_template_and_node() {
    let params = |v: &[(&str, &str)]| -> Value {
        v.iter()
            .map(|(n, x)| json!({"name": n, "value": x}))
            .collect()
    };
    let m = model(&wf(json!({
        "nodes": {
            "n1": {"name": "train-x7k2p.train(0)", "displayName": "train(0)", "type": "Pod", "templateName": "train",
                   "outputs": {"parameters": params(&[("accuracy", "0.93\n"), ("model", "resnet"), ("val-loss", "-1.5")])}},
            "n2": {"name": "train-x7k2p.train", "displayName": "train", "type": "Retry", "templateName": "train",
                   "outputs": {"parameters": params(&[("accuracy", "0.93")])}},
            // One step name in two branches: told apart by full names.
            "n3": {"name": "train-x7k2p.a.eval", "displayName": "eval", "type": "Pod", "templateName": "score",
                   "outputs": {"parameters": params(&[("f1", "0.5")])}},
            "n4": {"name": "train-x7k2p.b.eval", "displayName": "eval", "type": "Pod", "templateName": "score",
                   "outputs": {"parameters": [{"name": "f1", "value": "0.7"}, {"name": "pending"}]}},
        }
    })));
    assert_eq!(
        lines(&m),
        [
            "argo_template_attempts_total{phase=\"\",template=\"score\"} 2",
            "argo_template_attempts_total{phase=\"\",template=\"train\"} 1",
            "accuracy{node=\"train(0)\",template=\"train\"} 0.93",
            "val_loss{node=\"train(0)\",template=\"train\"} -1.5",
            "f1{node=\"a.eval\",template=\"score\"} 0.5",
            "f1{node=\"b.eval\",template=\"score\"} 0.7",
        ]
    );
}

#[test]
fn a_parameter_may_not_take_a_reserved_name() {
    let msg = error(&wf(json!({"nodes": {"n": {
        "type": "Pod", "templateName": "t",
        "outputs": {"parameters": [{"name": "argo-workflow-succeeded", "value": "1"}]}
    }}})));
    assert!(
        msg.contains("/status/nodes/n/outputs/parameters/0/name: output parameter \"argo-workflow-succeeded\" would be pushed as \"argo_workflow_succeeded\""),
        "{msg}"
    );
}

#[test]
fn labels_the_reader_writes_are_reserved_on_the_command_line() {
    let opts = BuildOptions {
        labels: vec![("node".into(), "x".into())],
        ..BuildOptions::default()
    };
    let text = wf(json!({})).to_string();
    let e = check(text.as_bytes(), &Origin::named("wf.json"), None, &opts).unwrap_err();
    assert!(
        format!("{e:#}").contains("\"node\" is also given by --label"),
        "{e:#}"
    );
}

#[test]
fn the_schema_names_what_is_wrong() {
    let mut bad =
        wf(json!({"phase": 3, "nodes": {"n": {"outputs": {"parameters": [{"value": "1"}]}}}}));
    bad["apiVersion"] = json!("argoproj.io/v2");
    let msg = error(&bad);
    for want in [
        "/apiVersion: \"argoproj.io/v2\" is not \"argoproj.io/v1alpha1\"",
        "/status/phase: 3 is not a string",
        "/status/nodes/n/outputs/parameters/0: missing required key \"name\"",
    ] {
        assert!(msg.contains(want), "{want}\n{msg}");
    }
    let tmpl =
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "spec": {}});
    assert!(error(&tmpl)
        .contains("a Kubernetes WorkflowTemplate (argoproj.io/v1alpha1), not a metric artifact"));
}

#[test]
fn the_job_and_user_it_proposes() {
    let proposed = |metadata: Value, spec: Value| {
        let doc = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": metadata, "spec": spec});
        let p = model(&doc).proposed;
        (p.job, p.user)
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        proposed(json!({"generateName": "train-"}), json!({})),
        (some("train"), None)
    );
    assert_eq!(
        proposed(
            json!({"generateName": "train-"}),
            json!({"workflowTemplateRef": {"name": "nightly"}})
        ),
        (some("nightly"), None)
    );
    let labels = json!({
        "workflows.argoproj.io/workflow-template": "from-label",
        "workflows.argoproj.io/creator": "0b1c",
        "workflows.argoproj.io/creator-email": "alice.at.example.com",
        "workflows.argoproj.io/creator-preferred-username": "alice",
    });
    assert_eq!(
        proposed(
            json!({"generateName": "x-", "labels": labels}),
            json!({"workflowTemplateRef": {"name": "ref"}})
        ),
        (some("from-label"), some("alice"))
    );
    let labels = json!({"workflows.argoproj.io/creator": "0b1c", "workflows.argoproj.io/creator-email": "bob.at.example.com"});
    assert_eq!(
        proposed(json!({"labels": labels}), json!({})),
        (None, some("bob.at.example.com"))
    );
    assert_eq!(
        proposed(json!({"name": "fixed-name"}), json!({})),
        (None, None)
    );
}
