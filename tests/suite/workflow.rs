//! Metrics from an Argo Workflow object, end to end:
//! - Workflows from Argo's own test data (tests/data/argo-workflows) pushed
//!   to a real Pushgateway, which must then hold exactly the metric set the
//!   docs promise (docs/workflow-metrics.md), nothing negative, and the job
//!   and user the workflow names;
//! - read from a file, stdin and S3 alike;
//! - `argo://` read from a scripted https server standing in for the
//!   Kubernetes API: the path, the bearer token, the CA, the API's refusals.

use crate::common;

use std::collections::BTreeSet;

use common::kube::{object, refusal, ApiServer, TOKEN};
use common::*;
use serde_json::Value;

fn data(name: &str) -> String {
    format!("tests/data/argo-workflows/{name}")
}

/// Everything one group holds, as `TYPE name{labels} value` lines (the
/// grouping labels left out; the gateway's own bookkeeping too).
fn holds(gw: &Gateway, grouping: &[(&str, &str)]) -> BTreeSet<String> {
    let g = gw
        .group(grouping)
        .unwrap_or_else(|| panic!("no group {grouping:?} in {:#?}", gw.groups()));
    let mut lines = BTreeSet::new();
    for name in g.families.keys() {
        for (labels, s) in g.series(name) {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let v = s["value"].as_str().unwrap();
            lines.insert(format!(
                "{} {name}{{{}}} {v}",
                g.kind(name),
                labels.join(",")
            ));
        }
    }
    lines
}

fn set(lines: &[&str]) -> BTreeSet<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

/// Each of Argo's Workflows, pushed: the gateway holds exactly the metric
/// set, under the job (and user) the command line or the workflow names.
#[test]
fn argo_test_data_lands_in_the_gateway_exactly() {
    let gw = Gateway::start();
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        &'a [&'a str],
    );
    let cases: &[Case] = &[
        // Finished and Succeeded, with resource durations; job from generateName.
        (
            "dag-diamond.json",
            &[],
            &[("job", "dag-diamond")],
            &[
                "GAUGE argo_workflow_succeeded{} 1",
                "GAUGE argo_workflow_duration_seconds{} 19",
                "GAUGE argo_workflow_resource_duration_seconds{resource=\"cpu\"} 0",
                "GAUGE argo_workflow_resource_duration_seconds{resource=\"memory\"} 8",
                "COUNTER argo_template_attempts_total{phase=\"Succeeded\",template=\"echo\"} 4",
                "GAUGE argo_template_duration_seconds{template=\"echo\"} 13",
            ],
        ),
        // A DAG with retries: two failed attempts, one that succeeded; no
        // phase on the workflow, so no outcome and no duration.
        (
            "dag-with-retries.json",
            &[],
            &[("job", "dag-with-retries")],
            &[
                "COUNTER argo_template_attempts_total{phase=\"Failed\",template=\"randomly-fail\"} 2",
                "COUNTER argo_template_attempts_total{phase=\"Succeeded\",template=\"randomly-fail\"} 1",
                "GAUGE argo_template_duration_seconds{template=\"randomly-fail\"} 23",
            ],
        ),
        // Steps whose retries all failed, still Running, every pod finishing
        // before it starts: attempts only, no duration at all.
        (
            "steps-failed-retries.json",
            &["--user", "alice"],
            &[("job", "failed-retries"), ("user", "alice")],
            &[
                "COUNTER argo_template_attempts_total{phase=\"Failed\",template=\"delayed-fail\"} 2",
                "COUNTER argo_template_attempts_total{phase=\"Failed\",template=\"fail\"} 2",
            ],
        ),
        // Numeric output parameters (`evenness` is text: skipped); Succeeded
        // without finishedAt (its last node's end); no generateName, so the
        // job is given.
        (
            "parameter-aggregation-dag.json",
            &["--job", "aggregation"],
            &[("job", "aggregation")],
            &[
                "GAUGE argo_workflow_succeeded{} 1",
                "GAUGE argo_workflow_duration_seconds{} 21",
                "COUNTER argo_template_attempts_total{phase=\"Succeeded\",template=\"odd-or-even\"} 2",
                "GAUGE argo_template_duration_seconds{template=\"odd-or-even\"} 15",
                "GAUGE num{node=\"odd-or-even(0:1)\",template=\"odd-or-even\"} 1",
                "GAUGE num{node=\"odd-or-even(1:2)\",template=\"odd-or-even\"} 2",
            ],
        ),
    ];
    for (file, args, grouping, want) in cases {
        let path = data(file);
        let mut argv = vec!["push", path.as_str(), "--gateway", &gw.url];
        argv.extend_from_slice(args);
        let r = run(&argv);
        assert_eq!(r.code, 0, "{file}: {r:?}");
        let got = holds(&gw, grouping);
        assert_eq!(got, set(want), "{file}");
        for line in &got {
            let v: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(v >= 0.0, "{file}: {line}");
        }
        let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
        if *file == "steps-failed-retries.json" {
            assert_eq!(
                warnings,
                [format!("simplepipe: warning: {path}: /status/nodes: 4 pod nodes have no usable duration and are left out of argo_template_duration_seconds: 4 with finishedAt before startedAt")],
            );
        } else {
            assert!(warnings.is_empty(), "{file}: {}", r.stderr);
        }
    }
    assert_eq!(gw.groups().len(), cases.len());
}

/// A Workflow with its creator's labels, as Argo's server sets them.
fn with_creator() -> Value {
    let mut wf: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join(data("dag-diamond.json"))).unwrap(),
    )
    .unwrap();
    let labels = wf["metadata"]["labels"].as_object_mut().unwrap();
    labels.insert("workflows.argoproj.io/creator".into(), "5c1f6a2e".into());
    labels.insert(
        "workflows.argoproj.io/creator-email".into(),
        "alice.at.example.com".into(),
    );
    labels.insert(
        "workflows.argoproj.io/creator-preferred-username".into(),
        "alice".into(),
    );
    labels.insert(
        "workflows.argoproj.io/workflow-template".into(),
        "nightly-diamond".into(),
    );
    wf
}

#[test]
fn the_workflow_names_its_job_and_user_and_its_name_only_when_asked() {
    let gw = Gateway::start();
    let text = with_creator().to_string();
    let r = run_stdin(&["push", "-", "--gateway", &gw.url], text.as_bytes());
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[("job", "nightly-diamond"), ("user", "alice")])
        .expect("grouped by the template and the creator");
    assert!(
        !holds(&gw, &[("job", "nightly-diamond"), ("user", "alice")])
            .iter()
            .any(|l| l.contains("dag-diamond-82q7s")),
        "the workflow's name is unbounded: not a label unless asked"
    );
    assert_eq!(g.value("argo_workflow_succeeded"), "1");

    // --job and --user win; --label workflow=… puts the name on every series.
    let r = run_stdin(
        &[
            "push",
            "-",
            "--gateway",
            &gw.url,
            "--job",
            "j",
            "--user",
            "bob",
            "--label",
            "workflow=dag-diamond-82q7s",
        ],
        text.as_bytes(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let got = holds(&gw, &[("job", "j"), ("user", "bob")]);
    assert_eq!(got.len(), 6);
    assert!(
        got.iter()
            .all(|l| l.contains("workflow=\"dag-diamond-82q7s\"")),
        "{got:#?}"
    );
    // A --label user keeps the creator out of the grouping key.
    let r = run_stdin(
        &["push", "-", "--gateway", &gw.url, "--label", "user=carol"],
        text.as_bytes(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(holds(&gw, &[("job", "nightly-diamond")])
        .iter()
        .all(|l| l.contains("user=\"carol\"")));
}

#[test]
fn validate_names_the_format_and_other_artifacts_still_need_a_job() {
    let r = run(&["validate", &data("dag-diamond.json")]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "tests/data/argo-workflows/dag-diamond.json: valid (schema argo-workflow): 5 families (6 series)\n"
    );
    let r = run(&["schemas", "argo-workflow"]);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(repo().join("schemas/argo-workflow.json")).unwrap()
    );
    // Only a Workflow names its own job.
    let r = run(&["push", "examples/simple.json", "--dry-run"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("no job given: pass JOB, --job JOB or set SIMPLEPIPE_JOB"),
        "{}",
        r.stderr
    );
    // An artifact that can't be read can't name the job either: the
    // missing job is still the error, after the artifact's own.
    let r = run(&["push", "no-such-file.json", "--dry-run"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: cannot open no-such-file.json: no such file\nsimplepipe: error: no job given: pass JOB, --job JOB or set SIMPLEPIPE_JOB (the grouping label `job` is required; an Argo Workflow names its own, but the artifact could not be read)\n"
    );
    // No generateName, no template: the job must be given.
    let r = run(&["push", &data("parameter-aggregation-dag.json"), "--dry-run"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no job given"), "{}", r.stderr);
}

#[test]
fn a_parameter_with_a_reserved_name_pushes_nothing() {
    let gw = Gateway::start();
    let mut wf: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join(data("parameter-aggregation-dag.json"))).unwrap(),
    )
    .unwrap();
    let node = "parameter-aggregation-dag-h8b82-3572919299";
    wf["status"]["nodes"][node]["outputs"]["parameters"][0]["name"] =
        "argo_template_attempts_total".into();
    let (_dir, path) = artifact(&wf.to_string());
    let r = run(&["push", &path, "j", "--gateway", &gw.url]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains(&format!("/status/nodes/{node}/outputs/parameters/0/name: output parameter \"argo_template_attempts_total\"")),
        "{}",
        r.stderr
    );
    assert!(gw.groups().is_empty());
}

#[test]
fn a_workflow_is_read_from_s3_too() {
    let s3 = S3Server::start();
    let gw = Gateway::start();
    let bytes = std::fs::read(repo().join(data("dag-with-retries.json"))).unwrap();
    s3.put("runs", "wf/dag-with-retries.json", &bytes);
    let env = s3.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("SIMPLEPIPE_GATEWAY", &gw.url));
    let r = run_env(&["push", "s3://runs/wf/dag-with-retries.json"], &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(holds(&gw, &[("job", "dag-with-retries")]).len(), 3);
}

fn run_in_pod(api: &ApiServer, args: &[&str]) -> Run {
    let env = api.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_env(args, &env)
}

#[test]
fn argo_source_gets_the_workflow_with_the_service_account() {
    let body = std::fs::read_to_string(repo().join(data("dag-diamond.json"))).unwrap();
    let api = ApiServer::start(vec![object(body)], "alice");
    let gw = Gateway::start();
    let r = run_in_pod(
        &api,
        &[
            "push",
            "argo://dag-diamond-82q7s",
            "--gateway",
            &gw.url,
            "-v",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.stderr.contains(TOKEN) && !r.stdout.contains(TOKEN),
        "{}",
        r.stderr
    );
    let reqs = api.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    // The namespace from the mounted file.
    assert_eq!(
        reqs[0].path,
        "/apis/argoproj.io/v1alpha1/namespaces/alice/workflows/dag-diamond-82q7s"
    );
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(holds(&gw, &[("job", "dag-diamond")]).len(), 6);

    // A namespace given wins over the file's.
    let r = run_in_pod(&api, &["validate", "argo://team-b/dag-diamond-82q7s"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "argo://team-b/dag-diamond-82q7s: valid (schema argo-workflow): 5 families (6 series)\n"
    );
    assert_eq!(
        api.requests()[1].path,
        "/apis/argoproj.io/v1alpha1/namespaces/team-b/workflows/dag-diamond-82q7s"
    );
}

#[test]
fn only_the_clusters_ca_is_trusted() {
    let api = ApiServer::start(vec![object("{}".into())], "alice");
    std::fs::copy(
        api.pki.path("other-ca.pem"),
        api.account.path().join("ca.crt"),
    )
    .unwrap();
    let gw = Gateway::start();
    let r = run_in_pod(
        &api,
        &["push", "argo://x", "--gateway", &gw.url, "--retries", "0"],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("simplepipe: error: cannot read argo://x: GET https://127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("TLS handshake failed: invalid peer certificate: UnknownIssuer (the service account's ca.crt did not sign the API server's certificate)"),
        "{}",
        r.stderr
    );
    assert!(api.requests().is_empty(), "no request got through");
    assert!(gw.groups().is_empty());
}

#[test]
fn the_apis_refusals_are_exit_3_with_its_message() {
    let gw = Gateway::start();
    let forbidden = "workflows.argoproj.io \"train-x7k2p\" is forbidden: User \"system:serviceaccount:alice:simplepipe\" cannot get resource \"workflows\" in API group \"argoproj.io\" in the namespace \"alice\"";
    let not_found = "workflows.argoproj.io \"train-x7k2p\" not found";
    for (reply, message, hint) in [
        (
            refusal(403, "Forbidden", forbidden, "train-x7k2p"),
            forbidden,
            true,
        ),
        (
            refusal(404, "NotFound", not_found, "train-x7k2p"),
            not_found,
            false,
        ),
    ] {
        let api = ApiServer::start(vec![reply], "alice");
        let r = run_in_pod(&api, &["push", "argo://train-x7k2p", "--gateway", &gw.url]);
        assert_eq!(r.code, 3, "{r:?}");
        let line = r.stderr.trim_end();
        assert!(
            line.starts_with(
                "simplepipe: error: cannot read argo://train-x7k2p: GET https://127.0.0.1:"
            ),
            "{line}"
        );
        assert!(line.contains(message), "{line}");
        assert_eq!(line.contains("needs `get` on workflows"), hint, "{line}");
        assert!(!line.contains(TOKEN));
        assert_eq!(api.requests().len(), 1, "a 4xx is not retried");
    }
    assert!(gw.groups().is_empty());
}

#[test]
fn outside_a_pod_and_without_a_token_the_read_fails_clearly() {
    let r = run(&["push", "argo://x", "j", "--dry-run"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("cannot read argo://x: KUBERNETES_SERVICE_HOST is not set"),
        "{}",
        r.stderr
    );

    let api = ApiServer::start(vec![object("{}".into())], "alice");
    std::fs::remove_file(api.account.path().join("token")).unwrap();
    let r = run_in_pod(&api, &["push", "argo://x", "j", "--dry-run"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("cannot read the service account's token"),
        "{}",
        r.stderr
    );
    assert!(api.requests().is_empty());

    let r = run(&["push", "argo://Not_A_Name", "j", "--dry-run"]);
    assert_eq!(r.code, 2, "{r:?}");
    // The exit handler's fallback: the --metric values alone, and only them.
    let r = run(&[
        "push",
        "argo://x",
        "j",
        "--dry-run",
        "--metrics-if-unreadable",
        "--metric",
        "up=1",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "# TYPE up gauge\nup 1\n");
    let r = run(&[
        "push",
        "argo://x",
        "j",
        "--dry-run",
        "--metrics-if-unreadable",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--metrics-if-unreadable needs a SOURCE and at least one --metric"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_answer_is_read_up_to_max_bytes() {
    let body = std::fs::read_to_string(repo().join(data("dag-diamond.json"))).unwrap();
    let api = ApiServer::start(vec![object(body)], "alice");
    let r = run_in_pod(
        &api,
        &[
            "push",
            "argo://dag-diamond-82q7s",
            "--dry-run",
            "--max-bytes",
            "1000",
        ],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("is larger than --max-bytes (1000 bytes)"),
        "{}",
        r.stderr
    );
}
