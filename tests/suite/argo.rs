//! The Argo side, proven offline and for real:
//! - every manifest in argo/ passes hera, the CRD unknown-key walk,
//!   kubernetes-validate and a real kustomize build (tests/manifests/check.py);
//! - the `simplepipe-push` template's own command, args and env run against
//!   a real S3 server and a real Pushgateway, with the input artifact
//!   materialised the way Argo's executor does it (a .tgz is unpacked);
//! - the exit handler likewise, with Argo's variables substituted, reading
//!   its Workflow from a stand-in Kubernetes API (or falling back to the
//!   outcome alone when the read is refused);
//! - a real Prometheus scrapes the gateway with and without honor_labels and
//!   answers a PromQL query.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use common::argo::{
    container_env, dockerfile_entrypoint, entry_container, parameters, strings, yaml,
};
use common::prometheus::Prometheus;
use common::*;
use serde_json::Value;

fn check_py(args: &[&str]) -> Run {
    Command::new("python3")
        .arg(repo().join("tests/manifests/check.py"))
        .args(args)
        .output()
        .expect("python3 runs (bash .ci/run installs hera and kubernetes-validate)")
        .into()
}

#[test]
fn every_manifest_validates_offline() {
    let r = check_py(&[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with(", 0 problems\n"), "{}", r.stdout);
    // bob's overlay patches prune's age; alice keeps the base's.
    for (overlay, age) in [("alice", "14d"), ("bob", "7d")] {
        let built = Command::new("kubectl")
            .args(["kustomize", &format!("argo/overlays/{overlay}")])
            .current_dir(repo())
            .output()
            .expect("kubectl runs (bash .ci/run installs it)");
        let text = String::from_utf8(built.stdout).unwrap();
        assert!(
            text.contains(&format!("  SIMPLEPIPE_OLDER_THAN: {age}\n")),
            "{overlay}: {text}"
        );
    }
    // Both overlays were built and checked: 2 × 10 objects, plus the files.
    let n: usize = r.stdout.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 24, "{}", r.stdout);
}

#[test]
fn the_checker_rejects_misspelled_keys_and_wrong_types() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: bad}\nspec:\n  templates:\n    - name: push\n      container: {image: x, imagePullPolicyy: Always}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: \"ninety\"}]}\n",
    )
    .unwrap();
    let r = check_py(&[bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("/spec/templates/0/container/imagePullPolicyy: unknown key"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Service s: kubernetes-validate: spec/ports/0/port"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_checker_walks_a_cron_workflow_without_its_crd() {
    // No CronWorkflow CRD offline: its own keys come from hera's model, its
    // workflowSpec from the Workflow CRD.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cron.yaml");
    std::fs::write(
        &bad,
        "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\nspec:\n  schedules: ['1 * * * *']\n  schedulez: x\n  suspend: 'yes'\n  workflowSpec:\n    entrypointt: p\n    templates:\n      - name: p\n        container: {image: x, imagePullPolicyy: Always}\n",
    )
    .unwrap();
    let r = check_py(&[bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    for want in [
        "CronWorkflow c: /spec/schedulez: unknown key",
        "CronWorkflow c: /spec/suspend: expected boolean, got str 'yes'",
        "CronWorkflow c: /spec/workflowSpec/entrypointt: unknown key",
        "CronWorkflow c: /spec/workflowSpec/templates/0/container/imagePullPolicyy: unknown key",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.stdout);
    }
    let good = check_py(&[repo()
        .join("argo/base/cronworkflow-simplepipe-prune.yaml")
        .to_str()
        .unwrap()]);
    assert_eq!(good.stdout, "1 manifests checked, 0 problems\n", "{good:?}");
}

/// Run one template of simplepipe-push as Argo would: parameters resolved
/// (defaults, then the given arguments, then workflow variables), env and
/// envFrom (the ConfigMap from the Kustomize base), command and args.
fn run_template(
    name: &str,
    args: &[(&str, &str)],
    workflow: &[(&str, &str)],
    rewrite_path: Option<(&str, &Path)>,
) -> Run {
    run_template_in(&[], name, args, workflow, rewrite_path)
}

/// [`run_template`] in a pod whose environment has `pod_env` (what
/// Kubernetes puts there: the API's address), under the container's own.
fn run_template_in(
    pod_env: &[(&str, String)],
    name: &str,
    args: &[(&str, &str)],
    workflow: &[(&str, &str)],
    rewrite_path: Option<(&str, &Path)>,
) -> Run {
    let wt = yaml("argo/base/workflowtemplate-simplepipe-push.yaml");
    let t = wt["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
        .clone();
    let vars = parameters(&t, args, workflow);
    let c = &t["container"];
    // The image's own entrypoint, by its full path: the image is `FROM
    // scratch`, so nothing but our ENV makes a bare name resolve.
    assert_eq!(c["command"], dockerfile_entrypoint());
    let fix = |s: String| match rewrite_path {
        Some((from, to)) => s.replace(from, to.to_str().unwrap()),
        None => s,
    };
    let argv: Vec<String> = strings(&c["args"], &vars).into_iter().map(fix).collect();
    let mut cmd = simplepipe();
    cmd.args(&argv).stdin(Stdio::null());
    cmd.envs(pod_env.iter().map(|(k, v)| (k, v)));
    let config = yaml("argo/base/simplepipe-configmap.yaml");
    assert_eq!(
        c["envFrom"][0]["configMapRef"]["name"],
        config["metadata"]["name"]
    );
    cmd.envs(container_env(c, &vars, Some(&config), &[]));
    cmd.output().unwrap().into()
}

#[test]
fn the_push_step_runs_as_argo_runs_it() {
    let s3 = S3Server::start();
    let gw = Gateway::start();
    // The training step's output, archived the way Argo does by default.
    let tgz = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo().join("examples/training-run.json"),
            dir.path().join("metric.json"),
        )
        .unwrap();
        let out = dir.path().join("metrics.tgz");
        assert!(Command::new("tar")
            .arg("-czf")
            .arg(&out)
            .arg("-C")
            .arg(dir.path())
            .arg("metric.json")
            .status()
            .unwrap()
            .success());
        std::fs::read(out).unwrap()
    };
    s3.put("my-bucket", "train-x7k2p/train-x7k2p-123/metrics.tgz", &tgz);

    // Argo's executor: GET the object (signed, from the real S3 server),
    // and since it is a .tgz, unpack its one file at the artifact's path.
    let wt = yaml("argo/base/workflowtemplate-simplepipe-push.yaml");
    let push = &wt["spec"]["templates"][0];
    let art_path = push["inputs"]["artifacts"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let pod = tempfile::tempdir().unwrap();
    let local = pod.path().join("metric.json");
    let fetched = pod.path().join("fetched.tgz");
    let got = Command::new("curl")
        .args(["-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3", "-u", &format!("{S3_ACCESS_KEY}:{S3_SECRET_KEY}")])
        // S3 wants the payload hash signed; this curl doesn't add it itself.
        .args(["-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
        .arg("-o")
        .arg(&fetched)
        .arg(format!("{}/my-bucket/train-x7k2p/train-x7k2p-123/metrics.tgz", s3.endpoint))
        .status()
        .unwrap();
    assert!(got.success(), "the S3 server served the artifact");
    let unpack = pod.path().join("unpack");
    std::fs::create_dir(&unpack).unwrap();
    assert!(Command::new("tar")
        .arg("-xzf")
        .arg(&fetched)
        .arg("-C")
        .arg(&unpack)
        .status()
        .unwrap()
        .success());
    std::fs::rename(unpack.join("metric.json"), &local).unwrap();

    let r = run_template(
        "push",
        &[("job", "training"), ("gateway", &gw.url)],
        &[
            ("workflow.name", "train-x7k2p"),
            ("workflow.namespace", "alice"),
        ],
        Some((&art_path, &local)),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[("job", "training"), ("user", "alice")])
        .expect("grouped by job and the namespace as user");
    let (labels, s) = &g.series("model_accuracy")[0];
    assert_eq!(s["value"], "0.7613");
    assert_eq!(labels["workflow"], "train-x7k2p");
}

#[test]
fn the_exit_handler_pushes_the_outcome_without_an_artifact() {
    let gw = Gateway::start();
    let wf = [
        ("workflow.name", "train-x7k2p"),
        ("workflow.namespace", "bob"),
        ("workflow.status", "Failed"),
        ("workflow.duration", "12.345678"),
    ];
    // Outside a pod the Workflow can't be read: the outcome alone, as ever.
    let r = run_template("push-outcome", &[("gateway", &gw.url)], &wf, None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("cannot read argo://train-x7k2p: KUBERNETES_SERVICE_HOST is not set"),
        "{}",
        r.stderr
    );
    let g = gw
        .group(&[("job", "workflow-outcome"), ("user", "bob")])
        .unwrap();
    assert_eq!(g.value("workflow_duration_seconds"), "12.345678");
    assert_eq!(g.value("workflow_succeeded"), "0");
    let (labels, _) = &g.series("workflow_succeeded")[0];
    assert_eq!(labels["status"], "Failed");
    assert_eq!(labels["namespace"], "bob");
    assert_eq!(labels["workflow"], "train-x7k2p");

    let wf_ok = [wf[0], wf[1], ("workflow.status", "Succeeded"), wf[3]];
    assert_eq!(
        run_template("push-outcome", &[("gateway", &gw.url)], &wf_ok, None).code,
        0
    );
    assert_eq!(
        gw.group(&[("job", "workflow-outcome"), ("user", "bob")])
            .unwrap()
            .value("workflow_succeeded"),
        "1"
    );
}

/// The exit handler may read its Workflow: a Role with `get` on workflows,
/// bound to the service account the example workflows run as.
#[test]
fn the_workflows_service_account_may_get_its_workflow() {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)",
        ])
        .arg(repo().join("argo/base/simplepipe-rbac.yaml"))
        .output()
        .expect("python3 runs");
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == "simplepipe-workflow-reader")
            .unwrap_or_else(|| panic!("no {kind} simplepipe-workflow-reader"))
    };
    let rules = &find("Role")["rules"];
    assert_eq!(
        rules,
        &serde_json::json!([{"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get"]}])
    );
    let binding = find("RoleBinding");
    assert_eq!(binding["roleRef"]["kind"], "Role");
    assert_eq!(binding["roleRef"]["name"], "simplepipe-workflow-reader");
    let example = yaml("argo/workflows/training-example.yaml");
    assert_eq!(example["spec"]["onExit"], "report-outcome");
    let account = &example["spec"]["serviceAccountName"];
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": account}])
    );
}

/// What the exit handler reads from the API: the workflow still Running
/// (its handler runs), its entry node finished (Argo's own test data, the
/// workflow's phase and end taken back to that moment).
fn workflow_in_its_exit_handler() -> String {
    let text = std::fs::read_to_string(repo().join("tests/data/argo-workflows/dag-diamond.json"));
    let mut wf: Value = serde_json::from_str(&text.unwrap()).unwrap();
    wf["status"]["phase"] = "Running".into();
    wf["status"].as_object_mut().unwrap().remove("finishedAt");
    wf.to_string()
}

#[test]
fn the_exit_handler_adds_the_workflows_own_metrics_read_from_the_api() {
    use common::kube::{object, refusal, ApiServer};
    let gw = Gateway::start();
    let wf = [
        ("workflow.name", "dag-diamond-82q7s"),
        ("workflow.namespace", "bob"),
        ("workflow.status", "Succeeded"),
        ("workflow.duration", "19.5"),
    ];
    let group = [("job", "workflow-outcome"), ("user", "bob")];
    let api = ApiServer::start(vec![object(workflow_in_its_exit_handler())], "bob");
    let r = run_template_in(
        &api.env(),
        "push-outcome",
        &[("gateway", &gw.url)],
        &wf,
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        api.requests()[0].path,
        "/apis/argoproj.io/v1alpha1/namespaces/bob/workflows/dag-diamond-82q7s"
    );
    let g = gw.group(&group).unwrap();
    let names: Vec<&str> = g.families.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "argo_template_attempts_total",
            "argo_template_duration_seconds",
            "argo_workflow_duration_seconds",
            "argo_workflow_resource_duration_seconds",
            "argo_workflow_succeeded",
            "workflow_duration_seconds",
            "workflow_succeeded",
        ]
    );
    // The outcome gauges as before (the standard's alerts read them), and
    // the Workflow's own, all with the same labels.
    assert_eq!(g.value("workflow_succeeded"), "1");
    assert_eq!(g.value("workflow_duration_seconds"), "19.5");
    assert_eq!(g.value("argo_workflow_succeeded"), "1");
    assert_eq!(g.value("argo_workflow_duration_seconds"), "19");
    assert_eq!(g.value("argo_template_duration_seconds"), "13");
    let (labels, s) = &g.series("argo_template_attempts_total")[0];
    assert_eq!(s["value"], "4");
    assert_eq!(labels["template"], "echo");
    assert_eq!(labels["workflow"], "dag-diamond-82q7s");
    assert_eq!(labels["status"], "Succeeded");

    // The read refused (no Role): the outcome alone, exit 0, and why.
    let message = "workflows.argoproj.io \"dag-diamond-82q7s\" is forbidden: User \"system:serviceaccount:bob:simplepipe\" cannot get resource \"workflows\" in API group \"argoproj.io\" in the namespace \"bob\"";
    let api = ApiServer::start(
        vec![refusal(403, "Forbidden", message, "dag-diamond-82q7s")],
        "bob",
    );
    let failed = [wf[0], wf[1], ("workflow.status", "Failed"), wf[3]];
    let r = run_template_in(
        &api.env(),
        "push-outcome",
        &[("gateway", &gw.url)],
        &failed,
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(message), "{}", r.stderr);
    assert!(r
        .stderr
        .contains("--metrics-if-unreadable: pushing the --metric values alone"));
    let g = gw.group(&group).unwrap();
    let names: Vec<&str> = g.families.keys().map(String::as_str).collect();
    assert_eq!(names, ["workflow_duration_seconds", "workflow_succeeded"]);
    assert_eq!(g.value("workflow_succeeded"), "0");
}

#[test]
fn prometheus_sees_job_and_user_with_honor_labels() {
    let gw = Gateway::start();
    let r = run(&[
        "push",
        "examples/training-run.json",
        "train",
        "--user",
        "alice",
        "--gateway",
        &gw.url,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let prom = Prometheus::scraping(&gw.url);

    let honored = prom.query(r#"model_accuracy{job="train",user="alice"}"#);
    assert_eq!(honored.len(), 1, "{honored:?}");
    assert_eq!(honored[0]["value"][1], "0.7613");
    assert_eq!(honored[0]["metric"]["model"], "resnet50");

    // Without honor_labels, the pushed job is renamed exported_job.
    let plain = prom.query(r#"model_accuracy{job="pgw-plain"}"#);
    assert_eq!(plain[0]["metric"]["exported_job"], "train", "{plain:?}");
    assert_eq!(plain[0]["metric"]["user"], "alice");
}

#[test]
fn the_push_step_uses_remote_write_instead_of_the_gateway_when_set() {
    let prom = Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"]);
    let wt = yaml("argo/base/workflowtemplate-simplepipe-push.yaml");
    let art_path = wt["spec"]["templates"][0]["inputs"]["artifacts"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let local = repo().join("examples/training-run.json");
    let workflow = [
        ("workflow.name", "train-x7k2p"),
        ("workflow.namespace", "alice"),
    ];
    // The gateway parameter keeps its default (a host that does not exist
    // here): the push must not go there.
    let r = run_template(
        "push",
        &[
            ("job", "training"),
            ("remote-write", &format!("{}/api/v1/write", prom.url)),
        ],
        &workflow,
        Some((&art_path, &local)),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let got = prom.query(r#"model_accuracy{job="training",user="alice",workflow="train-x7k2p"}"#);
    assert_eq!(got[0]["value"][1], "0.7613", "{got:?}");
}

/// Run the simplepipe-prune CronWorkflow's container as its pod would:
/// the ConfigMap through envFrom, then the container's env on top (env
/// wins in Kubernetes), with the gateway pointed at `gateway` and the
/// ConfigMap's values overridden by `config` (what an overlay patches).
fn run_prune_cron(gateway: &str, config: &[(&str, &str)]) -> Run {
    let cron = yaml("argo/base/cronworkflow-simplepipe-prune.yaml");
    let c = &entry_container(&cron);
    assert_eq!(c["command"], dockerfile_entrypoint());
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let cm = yaml("argo/base/simplepipe-configmap.yaml");
    assert_eq!(
        c["envFrom"][0]["configMapRef"]["name"],
        cm["metadata"]["name"]
    );
    for (k, v) in cm["data"].as_object().unwrap() {
        env.insert(k.clone(), v.as_str().unwrap().to_string());
    }
    for (k, v) in config {
        env.insert(k.to_string(), v.to_string());
    }
    for e in c["env"].as_array().unwrap() {
        env.insert(
            e["name"].as_str().unwrap().to_string(),
            e["value"].as_str().unwrap().to_string(),
        );
    }
    assert_eq!(env["SIMPLEPIPE_GATEWAY"], "http://pushgateway:9091");
    env.insert("SIMPLEPIPE_GATEWAY".into(), gateway.to_string());
    let mut cmd = simplepipe();
    cmd.stdin(Stdio::null());
    for a in c["args"].as_array().unwrap() {
        cmd.arg(a.as_str().unwrap());
    }
    cmd.envs(&env);
    cmd.output().unwrap().into()
}

#[test]
fn the_prune_cron_runs_as_argo_runs_it() {
    let gw = Gateway::start();
    for job in ["old-run", "other"] {
        let r = run(&[
            "push",
            "--gateway",
            &gw.url,
            "--job",
            job,
            "--metric",
            "x=1",
        ]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    // The base's 14d: nothing on this fresh gateway is that old.
    let r = run_prune_cron(&gw.url, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("deleted 0 groups of 2 listed, older than 14d or expired"),
        "{}",
        r.stderr
    );
    assert_eq!(gw.groups().len(), 2);
    // An overlay's shorter age, once it has passed (gateway clock, whole
    // seconds); 5s leaves the group pushed again below time to stay young
    // on a loaded machine.
    std::thread::sleep(std::time::Duration::from_millis(6500));
    let r = run(&[
        "push",
        "--gateway",
        &gw.url,
        "--job",
        "other",
        "--metric",
        "x=2",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run_prune_cron(&gw.url, &[("SIMPLEPIPE_OLDER_THAN", "5s")]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with("deleted {job=\"old-run\"}"),
        "{}",
        r.stdout
    );
    assert_eq!(jobs(&gw), ["other"]);
    // The ConfigMap's best effort is switched off for the clean-up: an
    // unreachable gateway fails the run visibly.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let r = run_prune_cron(&closed, &[("SIMPLEPIPE_RETRIES", "0")]);
    assert_eq!(r.code, 6, "{r:?}");
    // Without the age, no age is guessed: only groups past the deadline
    // they were pushed with go (--expired), never one without a deadline.
    let r = run(&[
        "push",
        "--gateway",
        &gw.url,
        "--job",
        "brief",
        "--metric",
        "x=1",
        "--expires-in",
        "1s",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let cm_without_age = run_prune_cron(&gw.url, &[("SIMPLEPIPE_OLDER_THAN", "")]);
    assert_eq!(cm_without_age.code, 0, "{cm_without_age:?}");
    assert!(
        cm_without_age
            .stdout
            .starts_with("deleted {job=\"brief\"} (expired "),
        "{cm_without_age:?}"
    );
    assert_eq!(jobs(&gw), ["other"]);
}

fn jobs(gw: &Gateway) -> Vec<String> {
    gw.groups()
        .into_iter()
        .map(|g| g.labels["job"].clone())
        .collect()
}
