//! The Helm chart (argo/chart), through the real Helm v4 SDK
//! (helm-python-sdk: Helm's Go library, no helm binary), offline and for
//! real:
//! - strict lint, the renders with the default values and with
//!   argo/chart/ci/full-values.yaml checked against the full Argo and
//!   Prometheus Operator CRDs and kubernetes-validate, and no drift from
//!   `kubectl kustomize` of the base (tests/manifests/chart.py); the check
//!   catches a planted drift and a planted unknown key;
//! - values.schema.json refuses wrong types, unknown keys and credentials;
//! - the rendered templates run as Argo runs them, against a real
//!   Pushgateway that asks for basic auth (the Secret's, by reference) and a
//!   real remote-write receiver: the push step, the exit handler, the prune
//!   and the live template with its init container;
//! - every container's security context, and appVersion = Cargo's version.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::argo::{
    container_env, dockerfile_entrypoint, dockerfile_user, parameters, strings, yaml, SecretKey,
};
use common::prometheus::Prometheus;
use common::secure::PASSWORD;
use common::*;
use serde_json::{json, Value};

const TOKEN: &str = "rw-token-Jq3-do-not-print";
/// The Secrets argo/chart/ci/full-values.yaml refers to, as the cluster
/// would hold them.
const SECRETS: &[SecretKey] = &[
    ("simplepipe-gateway", "username", "alice"),
    ("simplepipe-gateway", "password", PASSWORD),
    ("simplepipe-remote-write", "token", TOKEN),
];
const FULL: &str = "argo/chart/ci/full-values.yaml";
const WORKFLOW: &[(&str, &str)] = &[
    ("workflow.name", "train-x7k2p"),
    ("workflow.namespace", "alice"),
];

fn chart_py(args: &[&str]) -> Run {
    Command::new("python3")
        .arg(repo().join("tests/manifests/chart.py"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("python3 runs (bash .ci/run installs helm-python-sdk)")
        .into()
}

/// The chart rendered with a values file (or none), then `set` over it.
fn try_render(file: Option<&str>, set: &Value) -> Run {
    let mut args = vec!["render".to_string(), "--set-json".into(), set.to_string()];
    if let Some(f) = file {
        args.extend(["--values".to_string(), f.to_string()]);
    }
    chart_py(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn render(file: Option<&str>, set: Value) -> Vec<Value> {
    let r = try_render(file, &set);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn object<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} rendered"))
}

/// One template of a rendered WorkflowTemplate.
fn template<'a>(docs: &'a [Value], wt: &str, name: &str) -> &'a Value {
    object(docs, "WorkflowTemplate", wt)["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no template {name} in {wt}"))
}

/// Run a rendered template's container as its pod would (see
/// common::argo): the chart's ConfigMap, the Secrets, the artifact's path
/// rewritten to a local file.
fn run_step(
    docs: &[Value],
    t: &Value,
    args: &[(&str, &str)],
    artifact: Option<&Path>,
) -> (Run, std::collections::BTreeMap<String, String>) {
    let vars = parameters(t, args, WORKFLOW);
    let c = &t["container"];
    assert_eq!(c["command"], dockerfile_entrypoint());
    let mut argv = strings(&c["args"], &vars);
    if let Some(local) = artifact {
        let at = t["inputs"]["artifacts"][0]["path"].as_str().unwrap();
        argv.iter_mut()
            .for_each(|a| *a = a.replace(at, local.to_str().unwrap()));
    }
    let config = object(docs, "ConfigMap", "simplepipe");
    let env = container_env(c, &vars, Some(config), SECRETS);
    let mut cmd = simplepipe();
    cmd.args(&argv).envs(&env).stdin(Stdio::null());
    (cmd.output().unwrap().into(), env)
}

#[test]
fn the_chart_lints_renders_and_matches_the_kustomize_base() {
    let r = chart_py(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with(", 0 problems\n"), "{}", r.stdout);
    // Both renders checked (10 objects with the defaults, 12 with every
    // switch on); 12 objects compared with the Kustomize builds.
    let counts: Vec<usize> = r
        .stdout
        .lines()
        .last()
        .unwrap()
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(counts[0] >= 22 && counts[1] >= 12, "{}", r.stdout);
}

#[test]
fn the_chart_check_catches_drift_and_unknown_keys() {
    // A copy of argo/, its links to base and standard kept.
    let dir = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-a")
        .arg(repo().join("argo"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let edit = |file: &str, from: &str, to: &str| {
        let path = dir.path().join("argo").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    // The base moves the prune; the chart's default schedule stays behind.
    edit(
        "base/cronworkflow-simplepipe-prune.yaml",
        "    - \"17 3 * * *\"",
        "    - \"0 4 * * *\"",
    );
    // A chart default that no longer matches the base's ConfigMap.
    edit("chart/values.yaml", "retries: 3", "retries: 4");
    // A misspelled key in the base reaches the chart's objects.
    edit(
        "base/pushgateway-servicemonitor.yaml",
        "      honorLabels: true\n",
        "      honorLabels: true\n      honourLabels: true\n",
    );
    let r = chart_py(&["check", "--root", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    for want in [
        "drift: CronWorkflow simplepipe-prune differs from the Kustomize build:",
        "-  - 0 4 * * *\n  +  - 17 3 * * *",
        "drift: ConfigMap simplepipe differs from the Kustomize build:",
        "-  SIMPLEPIPE_RETRIES: '3'\n  +  SIMPLEPIPE_RETRIES: '4'",
        "chart, default values: ServiceMonitor pushgateway: full CRD: /spec/endpoints/0/honourLabels: unknown key",
        "chart, ci/full-values.yaml: ServiceMonitor pushgateway: full CRD: /spec/endpoints/0/honourLabels: unknown key",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.stdout);
    }
}

#[test]
fn the_schema_refuses_wrong_types_unknown_keys_and_credentials() {
    for (values, want) in [
        (
            json!({"pushgateway": {"enabled": "yes"}}),
            "at '/pushgateway/enabled': got string, want boolean",
        ),
        (
            json!({"pushgatewy": {"enabled": false}}),
            "at '': additional properties 'pushgatewy' not allowed",
        ),
        (
            json!({"gateway": {"basicAuth": {"password": "hunter2"}}}),
            "at '/gateway/basicAuth': additional properties 'password' not allowed",
        ),
        (
            json!({"gateway": {"url": "http://alice:hunter2@gw:9091"}}),
            "at '/gateway/url': 'http://alice:hunter2@gw:9091' does not match pattern",
        ),
        (
            json!({"prune": {"olderThan": "1.5h"}}),
            "at '/prune/olderThan': '1.5h' does not match pattern",
        ),
    ] {
        let r = try_render(None, &values);
        assert_eq!(r.code, 1, "{values}: {r:?}");
        assert!(r.stderr.contains(want), "{values}: {}", r.stderr);
        assert_eq!(r.stdout, "", "nothing rendered");
    }
    // A team's standard of the wrong kind is refused by name.
    let r = try_render(
        None,
        &json!({"monitoring": {"prometheusRule": {"enabled": true}, "standard": {"prometheusRule": "kind: ConfigMap\n"}}}),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "monitoring.standard: expected a PrometheusRule as simplepipe generates it, got ConfigMap"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn the_switches_leave_out_their_objects() {
    let kinds = |docs: &[Value]| -> Vec<String> {
        docs.iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let default = kinds(&render(None, json!({})));
    assert!(
        default.contains(&"ServiceMonitor pushgateway".to_string()),
        "{default:?}"
    );
    assert!(
        !default.iter().any(|k| k.starts_with("PrometheusRule")),
        "{default:?}"
    );
    let off = kinds(&render(
        None,
        json!({"pushgateway": {"enabled": false}, "prune": {"enabled": false}}),
    ));
    assert_eq!(
        off,
        [
            "ConfigMap simplepipe",
            "ServiceAccount simplepipe",
            "Role simplepipe-executor",
            "RoleBinding simplepipe-executor",
            "Role simplepipe-workflow-reader",
            "RoleBinding simplepipe-workflow-reader",
            "WorkflowTemplate simplepipe-live",
            "WorkflowTemplate simplepipe-push",
        ]
    );
    let no_monitor = kinds(&render(
        None,
        json!({"pushgateway": {"serviceMonitor": {"enabled": false}}}),
    ));
    assert!(no_monitor.contains(&"Deployment pushgateway".to_string()));
    assert!(!no_monitor.iter().any(|k| k.starts_with("ServiceMonitor")));
}

/// docs/helm.md's way to swap in a team's standard: the two objects
/// simplepipe generates from it, given with --set-file.
#[test]
fn a_teams_own_standard_replaces_the_bundled_one() {
    let dir = tempfile::tempdir().unwrap();
    let standard = dir.path().join("team.yaml");
    let ml = std::fs::read_to_string(repo().join("examples/standard/ml-training.yaml")).unwrap();
    std::fs::write(
        &standard,
        ml.replacen("  name: ml-training\n", "  name: team-vision\n", 1),
    )
    .unwrap();
    let generate = |args: &[&str]| {
        let r = run(&[args, &[standard.to_str().unwrap()]].concat());
        assert_eq!(r.code, 0, "{r:?}");
        r.stdout
    };
    let rule = generate(&["rules", "--prometheus-rule"]);
    let dashboard = generate(&["dashboard", "--configmap"]);
    let docs = render(
        None,
        json!({"monitoring": {
            "prometheusRule": {"enabled": true, "labels": {"release": "prom"}},
            "dashboard": {"enabled": true},
            "standard": {"prometheusRule": rule, "dashboard": dashboard}}}),
    );
    let r = object(&docs, "PrometheusRule", "simplepipe-team-vision");
    assert_eq!(
        r["spec"]["groups"][0]["name"],
        "simplepipe-standard-team-vision"
    );
    assert_eq!(
        r["metadata"]["labels"]["release"], "prom",
        "the values' label"
    );
    let d = object(&docs, "ConfigMap", "simplepipe-dashboard-team-vision");
    assert_eq!(d["metadata"]["labels"]["grafana_dashboard"], "1");
    assert!(d["data"]["simplepipe-team-vision.json"].is_string(), "{d}");
    assert!(!serde_json::to_string(&docs)
        .unwrap()
        .contains("ml-training"));
}

#[test]
fn the_rendered_push_step_pushes_with_the_secrets_basic_auth() {
    let gw = Gateway::start_with_basic_auth("alice", PASSWORD);
    let docs = render(Some(FULL), json!({"gateway": {"url": gw.url}}));
    let push = template(&docs, "simplepipe-push", "push");
    let local = repo().join("examples/training-run.json");
    // The full values make remote write the default: a workflow that wants
    // the gateway passes an empty remote-write.
    let args = [("job", "training"), ("remote-write", "")];
    let (r, env) = run_step(&docs, push, &args, Some(&local));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env["SIMPLEPIPE_GATEWAY"], gw.url);
    assert_eq!(env["SIMPLEPIPE_PASSWORD"], PASSWORD);
    assert_eq!(
        env["SIMPLEPIPE_BEARER_TOKEN"], "",
        "no token for the gateway"
    );
    let g = gw
        .group(&[("job", "training"), ("user", "alice")])
        .expect("grouped by job and the namespace as user");
    assert_eq!(g.value("model_accuracy"), "0.7613");
    assert_eq!(g.series("model_accuracy")[0].0["workflow"], "train-x7k2p");
    // The gateway does ask: the same step without the Secret is refused.
    let plain = render(None, json!({"gateway": {"url": gw.url}}));
    let (r, _) = run_step(
        &plain,
        template(&plain, "simplepipe-push", "push"),
        &args[..1],
        Some(&local),
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(!r.stderr.contains(PASSWORD) && !r.stdout.contains(PASSWORD));
}

#[test]
fn the_rendered_push_step_sends_the_token_only_to_remote_write() {
    let prom = Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"]);
    let rw = format!("{}/api/v1/write", prom.url);
    let docs = render(Some(FULL), json!({"remoteWrite": {"url": rw}}));
    let push = template(&docs, "simplepipe-push", "push");
    let local = repo().join("examples/training-run.json");
    let (r, env) = run_step(&docs, push, &[("job", "training")], Some(&local));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env["SIMPLEPIPE_REMOTE_WRITE"], rw);
    assert_eq!(env["SIMPLEPIPE_BEARER_TOKEN"], TOKEN);
    for unset in [
        "SIMPLEPIPE_GATEWAY",
        "SIMPLEPIPE_USERNAME",
        "SIMPLEPIPE_PASSWORD",
    ] {
        assert_eq!(env[unset], "", "{unset} is empty (unset) for remote write");
    }
    let got = prom.query(r#"model_accuracy{job="training",user="alice",workflow="train-x7k2p"}"#);
    assert_eq!(got[0]["value"][1], "0.7613", "{got:?}");
}

#[test]
fn the_rendered_exit_handler_and_prune_use_the_gateway_secret() {
    let gw = Gateway::start_with_basic_auth("alice", PASSWORD);
    let docs = render(Some(FULL), json!({"gateway": {"url": gw.url}}));
    let outcome = template(&docs, "simplepipe-push", "push-outcome");
    let wf = [("status", "Failed"), ("duration", "12.5")];
    let (r, _) = run_step(&docs, outcome, &wf, None);
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[("job", "workflow-outcome"), ("user", "alice")])
        .unwrap();
    assert_eq!(g.value("workflow_succeeded"), "0");
    assert_eq!(g.value("workflow_duration_seconds"), "12.5");

    let cron = object(&docs, "CronWorkflow", "simplepipe-prune");
    assert_eq!(cron["spec"]["schedules"], json!(["30 2 * * *"]));
    let t = &cron["spec"]["workflowSpec"]["templates"][0];
    let (r, env) = run_step(&docs, t, &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env["SIMPLEPIPE_OLDER_THAN"], "7d");
    assert!(
        r.stderr
            .contains("deleted 0 groups of 1 listed, older than 7d"),
        "{}",
        r.stderr
    );
}

/// The live template as Argo runs it: the init container installs the
/// binary into the shared volume (a temp dir here), and the training
/// container runs the user's command through it, /bin/sh included.
#[test]
fn the_rendered_live_template_runs_as_argo_runs_it() {
    let gw = Gateway::start_with_basic_auth("alice", PASSWORD);
    let docs = render(
        Some(FULL),
        json!({"gateway": {"url": gw.url}, "remoteWrite": {"url": ""}}),
    );
    let t = template(&docs, "simplepipe-live", "run");
    let args = [
        ("image", "python:3.11-slim"),
        (
            "command",
            "printf 'epoch=1 loss=0.5\\n'; printf 'epoch=2 loss=0.25\\n'",
        ),
        ("interval", "1h"),
    ];
    let vars = parameters(t, &args, WORKFLOW);
    let shared = tempfile::tempdir().unwrap();
    let init = &t["initContainers"][0];
    let at = init["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert_eq!(t["volumes"][0]["name"], init["volumeMounts"][0]["name"]);
    // The mount path, as a path prefix, is the shared temp dir here.
    let local = |s: &str| match s.strip_prefix(at) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", shared.path().display())
        }
        _ => s.to_string(),
    };
    let init_args: Vec<String> = strings(&init["args"], &vars)
        .iter()
        .map(|a| local(a))
        .collect();
    let r = run(&init_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{r:?}");

    let c = &t["container"];
    assert_eq!(c["image"], "{{inputs.parameters.image}}");
    assert_eq!(c["volumeMounts"][0]["mountPath"], at);
    let argv: Vec<String> = strings(&c["command"], &vars)
        .iter()
        .map(|a| local(a))
        .collect();
    let env = container_env(
        c,
        &vars,
        Some(object(&docs, "ConfigMap", "simplepipe")),
        SECRETS,
    );
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .envs(&env)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "epoch=1 loss=0.5\nepoch=2 loss=0.25\n"
    );
    let g = gw.group(&[("job", "training"), ("user", "alice")]).unwrap();
    assert_eq!(g.value("epoch"), "2");
    assert_eq!(g.value("loss"), "0.25");
    assert_eq!(g.value("run_succeeded"), "1");
    assert_eq!(g.series("loss")[0].0["workflow"], "train-x7k2p");
}

/// Every container of both renders with an image of its own (not the
/// user's, a parameter): non-root, read-only root filesystem, no privilege
/// escalation, all capabilities dropped; simplepipe's run as the image's
/// numeric user, from the image of this version. Credentials only by
/// reference.
#[test]
fn every_container_is_locked_down_and_holds_no_credential() {
    let image = format!(
        "ghcr.io/simplepipe/simplepipe:{}",
        env!("CARGO_PKG_VERSION")
    );
    for docs in [render(None, json!({})), render(Some(FULL), json!({}))] {
        let mut seen = 0;
        for d in &docs {
            let (pod, containers): (Value, Vec<Value>) = match d["kind"].as_str().unwrap() {
                "Deployment" => {
                    let spec = &d["spec"]["template"]["spec"];
                    (
                        spec["securityContext"].clone(),
                        spec["containers"].as_array().unwrap().clone(),
                    )
                }
                "WorkflowTemplate" | "CronWorkflow" => {
                    let spec = if d["kind"] == "CronWorkflow" {
                        &d["spec"]["workflowSpec"]
                    } else {
                        &d["spec"]
                    };
                    let all = spec["templates"].as_array().unwrap().iter().flat_map(|t| {
                        let mut cs: Vec<Value> =
                            t["initContainers"].as_array().cloned().unwrap_or_default();
                        cs.extend(t.get("container").cloned());
                        cs
                    });
                    (json!({}), all.collect())
                }
                _ => continue,
            };
            for c in containers
                .iter()
                .filter(|c| !c["image"].as_str().unwrap().contains("{{"))
            {
                let sc = &c["securityContext"];
                let what = format!("{} {}: {}", d["kind"], d["metadata"]["name"], c["image"]);
                assert!(
                    sc["runAsNonRoot"] == true || pod["runAsNonRoot"] == true,
                    "{what}"
                );
                assert_eq!(sc["readOnlyRootFilesystem"], true, "{what}");
                assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
                assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{what}");
                if c["image"]
                    .as_str()
                    .unwrap()
                    .starts_with("ghcr.io/simplepipe/")
                {
                    assert_eq!(c["image"], image.as_str(), "{what}");
                    assert_eq!(sc["runAsUser"], dockerfile_user(), "{what}");
                    seen += 1;
                }
            }
            for c in &containers {
                for e in c["env"].as_array().into_iter().flatten() {
                    let name = e["name"].as_str().unwrap();
                    if ["USERNAME", "PASSWORD", "TOKEN"]
                        .iter()
                        .any(|s| name.ends_with(s))
                    {
                        let by_ref = e["valueFrom"]["secretKeyRef"].is_object()
                            || e["value"]
                                .as_str()
                                .is_some_and(|v| v.contains("'$(SECRET_"));
                        assert!(by_ref, "{name} in {}: {e}", d["metadata"]["name"]);
                    }
                }
            }
        }
        assert_eq!(seen, 4, "push, push-outcome, prune, live's init container");
    }
}

#[test]
fn the_image_values_reach_every_container_of_theirs() {
    let docs = render(
        None,
        json!({"image": {"repository": "registry.example/simplepipe", "tag": "9.9.9"},
               "pushgateway": {"image": {"repository": "registry.example/pushgateway", "tag": "v1.11.0"}}}),
    );
    let text = serde_json::to_string(&docs).unwrap();
    assert_eq!(
        text.matches("\"registry.example/simplepipe:9.9.9\"")
            .count(),
        4,
        "push, push-outcome, prune, live's init container"
    );
    assert!(!text.contains("ghcr.io/simplepipe"), "{text}");
    let gw = object(&docs, "Deployment", "pushgateway");
    assert_eq!(
        gw["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example/pushgateway:v1.11.0"
    );
}

#[test]
fn the_charts_app_version_is_cargos() {
    let chart = yaml("argo/chart/Chart.yaml");
    assert_eq!(chart["appVersion"], env!("CARGO_PKG_VERSION"));
    let values = yaml("argo/chart/values.yaml");
    assert_eq!(values["image"]["tag"], "", "the image follows appVersion");
}
