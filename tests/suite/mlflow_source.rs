//! `mlflow://` sources: runs made with the real `mlflow` Python client on
//! the shared real tracking server, pushed into a real Pushgateway and a
//! real Prometheus (remote write), and read back there. Each test uses an
//! experiment of its own.

use crate::common;

use std::collections::BTreeMap;

use common::argo::{container_env, dockerfile_entrypoint, entry_container, strings, yaml};
use common::influx::Influx;
use common::mlflow::shared;
use common::prometheus::Prometheus;
use common::*;

/// alice: two FINISHED runs (the second newer); bob: a FINISHED run, then
/// a newer FAILED one. Each logs `val/accuracy` three times, one second
/// apart ending a second ago, and `loss` once; param `lr`. Prints
/// `RUN user run_id` per run, in order.
fn make_runs(experiment: &str) -> Vec<(String, String)> {
    let script = format!(
        r#"
import time, mlflow
mlflow.set_experiment({experiment:?})
def one(user, accs, loss, status, lr):
    with mlflow.start_run(tags={{"mlflow.user": user}}) as r:
        mlflow.log_param("lr", lr)
        now = int(time.time() * 1000)
        for i, a in enumerate(accs):
            mlflow.log_metric("val/accuracy", a, step=i, timestamp=now - (len(accs) - i) * 1000)
        mlflow.log_metric("loss", loss)
        print("RUN", user, r.info.run_id)
    if status != "FINISHED":
        mlflow.tracking.MlflowClient().set_terminated(r.info.run_id, status)
    time.sleep(0.05)
one("alice", [0.5, 0.6, 0.7], 0.9, "FINISHED", "0.1")
one("bob", [0.4, 0.45, 0.5], 0.8, "FINISHED", "0.2")
one("alice", [0.8, 0.9, 0.95], 0.1, "FINISHED", "0.01")
one("bob", [0.1, 0.1, 0.1], 5.0, "FAILED", "0.3")
"#
    );
    // The client prints "View run … at …" lines of its own.
    shared()
        .python(&script)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RUN "))
        .map(|l| {
            let (u, id) = l.split_once(' ').unwrap();
            (u.to_string(), id.to_string())
        })
        .collect()
}

fn push(source: &str, extra: &[&str]) -> Run {
    let mut args = vec!["push", source];
    args.extend_from_slice(extra);
    run_env(&args, &[("MLFLOW_TRACKING_URI", shared().url.as_str())])
}

#[test]
fn an_experiment_lands_as_one_group_per_user_from_each_latest_finished_run() {
    let runs = make_runs("src-exp");
    let gw = Gateway::start();
    let r = push(
        "mlflow://experiments/src-exp",
        &["--gateway", &gw.url, "--mlflow-labels", "lr"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for user in ["alice", "bob"] {
        let said = format!(
            "simplepipe: pushed user {user}'s latest values, 2 families (2 series), to {}/metrics/job/src-exp/user/{user}",
            gw.url
        );
        assert!(r.stderr.contains(&said), "{said}\n{}", r.stderr);
    }
    let groups = gw.groups();
    assert_eq!(groups.len(), 2, "one group per user: {groups:#?}");
    let alice = gw.group(&[("job", "src-exp"), ("user", "alice")]).unwrap();
    // alice's newer run, bob's older FINISHED one (not the FAILED newest).
    assert_eq!(alice.value("val_accuracy"), "0.95");
    assert_eq!(alice.value("loss"), "0.1");
    assert_eq!(alice.series("loss")[0].0["lr"], "0.01");
    let bob = gw.group(&[("job", "src-exp"), ("user", "bob")]).unwrap();
    assert_eq!(bob.value("val_accuracy"), "0.5");
    assert_eq!(bob.value("loss"), "0.8");
    assert_eq!(bob.series("loss")[0].0["lr"], "0.2");
    assert!(
        !bob.series("loss")[0].0.contains_key("user"),
        "user is the group's"
    );

    // One run: job = experiment, user = the run's.
    let (_, first_alice) = &runs[0];
    let gw = Gateway::start();
    let r = push(
        &format!("mlflow://runs/{first_alice}"),
        &["--gateway", &gw.url],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g = gw.group(&[("job", "src-exp"), ("user", "alice")]).unwrap();
    assert_eq!(g.value("val_accuracy"), "0.7");
    assert_eq!(gw.groups().len(), 1);
}

#[test]
fn remote_write_and_influxdb_get_every_history_point_at_mlflow_times() {
    let runs = make_runs("src-hist");
    let prom = Prometheus::start_with("global: {}\n", &[], &["--web.enable-remote-write-receiver"]);
    let write = format!("{}/api/v1/write", prom.url);
    let (_, latest_alice) = &runs[2];
    let r = push(
        &format!("mlflow://runs/{latest_alice}"),
        &["--remote-write", &write, "--job", "hist-one"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let q = r#"count_over_time(val_accuracy{job="hist-one",user="alice"}[10m])"#;
    let res = prom.query(q);
    assert_eq!(res.len(), 1, "{res:?}");
    assert_eq!(res[0]["value"][1], "3", "every point logged: {res:?}");
    let last = prom.query(r#"max_over_time(val_accuracy{job="hist-one"}[10m])"#);
    assert_eq!(last[0]["value"][1], "0.95");

    // An experiment: series with a user label, each user's history.
    let r = push("mlflow://experiments/src-hist", &["--remote-write", &write]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let q = r#"count_over_time(val_accuracy{job="src-hist"}[10m])"#;
    let mut res: Vec<(String, String)> = prom
        .query(q)
        .iter()
        .map(|s| {
            (
                s["metric"]["user"].as_str().unwrap().to_string(),
                s["value"][1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    res.sort();
    assert_eq!(
        res,
        [("alice".into(), "3".into()), ("bob".into(), "3".into())]
    );

    // History hours old, to a Prometheus that holds current samples: it
    // answers "out of bounds"; exit 5, saying why and what to do.
    let out = shared().python(
        r#"
import time, mlflow
mlflow.set_experiment("src-old")
with mlflow.start_run(tags={"mlflow.user": "alice"}) as r:
    mlflow.log_metric("acc", 0.5, timestamp=int(time.time() * 1000) - 4 * 3600 * 1000)
    print("RUN", r.info.run_id)
"#,
    );
    let old = out.lines().find_map(|l| l.strip_prefix("RUN ")).unwrap();
    let r = push(&format!("mlflow://runs/{old}"), &["--remote-write", &write]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("is older than the receiver takes") && r.stderr.contains("out of bounds"),
        "{}",
        r.stderr
    );

    // InfluxDB: the three points at MLflow's times (a second apart, as
    // logged), oldest first.
    let db = Influx::start();
    db.create_database("ml");
    let r = push(
        &format!("mlflow://runs/{latest_alice}"),
        &["--influx", &db.url, "--influx-db", "ml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = db.query(
        "ml",
        r#"SELECT "value" FROM "val_accuracy" WHERE "user"='alice'"#,
    );
    let got: Vec<(i64, f64)> = rows
        .iter()
        .map(|r| (r["time"].as_i64().unwrap(), r["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got.iter().map(|p| p.1).collect::<Vec<_>>(),
        [0.8, 0.9, 0.95]
    );
    assert_eq!(got[1].0 - got[0].0, 1000, "{got:?}");
    assert_eq!(got[2].0 - got[1].0, 1000, "{got:?}");
}

#[test]
fn what_cant_be_read_or_named_is_refused_with_its_exit_code() {
    let ml = shared();
    let gw = Gateway::start();
    // Unknown run and experiment: exit 3, naming them.
    let r = push("mlflow://runs/0123456789abcdef", &["--gateway", &gw.url]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("mlflow://runs/0123456789abcdef"),
        "{}",
        r.stderr
    );
    let r = push("mlflow://experiments/no-such-exp", &["--gateway", &gw.url]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-exp"), "{}", r.stderr);

    // Unreachable: exit 3 with the URL, the password redacted.
    let url = format!("http://bob:s3cret@127.0.0.1:{}", free_port());
    let r = run(&[
        "push",
        "mlflow://runs/abc",
        "--gateway",
        &gw.url,
        "--mlflow-tracking-uri",
        &url,
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("127.0.0.1"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);

    // Two keys that become one name: exit 4 with the pointer; a run with
    // no metrics: exit 4, nothing to push.
    let out = ml.python(
        r#"
import mlflow
mlflow.set_experiment("src-bad")
with mlflow.start_run(tags={"mlflow.user": "carol"}) as r:
    mlflow.log_metric("val/acc", 1.0)
    mlflow.log_metric("val.acc", 2.0)
    print("RUN", r.info.run_id)
with mlflow.start_run(tags={"mlflow.user": "carol"}) as r:
    mlflow.log_param("lr", "0.1")
    print("RUN", r.info.run_id)
"#,
    );
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RUN "))
        .collect();
    let r = push(
        &format!("mlflow://runs/{}", ids[0]),
        &["--gateway", &gw.url],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("both become \"val_acc\""), "{}", r.stderr);
    assert!(r.stderr.contains("/metrics/val.acc"), "{}", r.stderr);
    let r = push(
        &format!("mlflow://runs/{}", ids[1]),
        &["--gateway", &gw.url],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to push"), "{}", r.stderr);
    assert!(gw.groups().is_empty(), "nothing partial was pushed");

    // No server named: a usage error.
    let r = run(&["push", "mlflow://runs/abc", "--gateway", &gw.url]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("MLFLOW_TRACKING_URI"), "{}", r.stderr);
}

#[test]
fn validate_reads_a_run() {
    let runs = make_runs("src-validate");
    let source = format!("mlflow://runs/{}", runs[0].1);
    let env = [("MLFLOW_TRACKING_URI", shared().url.as_str())];
    let r = run_env(&["validate", &source], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!("{source}: valid (MLflow runs): 2 families (2 series)\n")
    );
    let r = run_env(&["validate", &source, "--output", "json"], &env);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(
        v["schema"],
        serde_json::Value::Null,
        "no document, no schema: {v}"
    );
    assert_eq!(v["series"], 2, "{v}");
}

/// argo/workflows/mlflow-sync-cron.yaml's container, run as its pod would
/// (Argo's parameter substituted, the env with its optional Secret), with
/// the servers' in-cluster names pointed at the real ones.
#[test]
fn the_sync_cron_runs_as_argo_runs_it() {
    make_runs("cron-exp");
    let gw = Gateway::start();
    let cron = yaml("argo/workflows/mlflow-sync-cron.yaml");
    assert_eq!(cron["spec"]["schedules"][0], "*/15 * * * *");
    let spec = &cron["spec"]["workflowSpec"];
    let c = &entry_container(&cron);
    assert_eq!(c["command"], dockerfile_entrypoint());
    assert_eq!(spec["arguments"]["parameters"][0]["name"], "experiment");
    // `argo submit --from cronwf/mlflow-sync -p experiment=cron-exp`.
    let vars: BTreeMap<String, String> = [(
        "workflow.parameters.experiment".to_string(),
        "cron-exp".to_string(),
    )]
    .into();
    let token = "tok-7f3a-not-for-logs";
    let mut env = container_env(c, &vars, None, &[("mlflow-credentials", "token", token)]);
    assert_eq!(env["MLFLOW_TRACKING_URI"], "http://mlflow:5000");
    assert_eq!(env["SIMPLEPIPE_GATEWAY"], "http://pushgateway:9091");
    env.insert("MLFLOW_TRACKING_URI".into(), shared().url.clone());
    env.insert("SIMPLEPIPE_GATEWAY".into(), gw.url.clone());
    let r: Run = simplepipe()
        .args(strings(&c["args"], &vars))
        .envs(&env)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!format!("{r:?}").contains(token), "{r:?}");
    let alice = gw.group(&[("job", "cron-exp"), ("user", "alice")]).unwrap();
    assert_eq!(alice.value("val_accuracy"), "0.95");
    assert_eq!(alice.series("val_accuracy")[0].0["lr"], "0.01");
    let bob = gw.group(&[("job", "cron-exp"), ("user", "bob")]).unwrap();
    assert_eq!(bob.value("val_accuracy"), "0.5");
}

/// What a scripted tracking server answers every read of one run with:
/// enough for `runs/get` and `experiments/get` alike.
const RUN_ANSWER: &str = r#"{
 "run": {"info": {"run_id": "abc123", "experiment_id": "7", "user_id": "alice"},
         "data": {"metrics": [{"key": "val/acc", "value": 0.9, "timestamp": 1, "step": 0}]}},
 "experiment": {"experiment_id": "7", "name": "exp"}}"#;

/// The source's reads go through the shared network layer: a 503 is
/// retried, MLflow's token is sent as a bearer token on every read and
/// shown nowhere.
#[test]
fn a_source_read_retries_a_503_and_sends_the_token_unshown() {
    let s = common::scripted::Scripted::start(vec![
        common::scripted::Reply::Status(503, &[("Retry-After", "0")], "busy"),
        common::scripted::Reply::Status(200, &[], RUN_ANSWER),
    ]);
    let gw = Gateway::start();
    let token = "mlflow-tok-93ac";
    let r = run_env(
        &[
            "push",
            "mlflow://runs/abc123",
            "--gateway",
            &gw.url,
            "--verbose",
        ],
        &[
            ("MLFLOW_TRACKING_URI", s.url.as_str()),
            ("MLFLOW_TRACKING_TOKEN", token),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!format!("{r:?}").contains(token), "{r:?}");
    let reqs = s.requests();
    let paths: Vec<&str> = reqs.iter().map(|q| q.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/mlflow/runs/get?run_id=abc123",
            "/api/2.0/mlflow/runs/get?run_id=abc123",
            "/api/2.0/mlflow/experiments/get?experiment_id=7",
        ]
    );
    let bearer = format!("Bearer {token}");
    for q in &reqs {
        assert_eq!(q.header("authorization"), Some(bearer.as_str()), "{q:?}");
    }
    let g = gw.group(&[("job", "exp"), ("user", "alice")]).unwrap();
    assert_eq!(g.value("val_acc"), "0.9");
}

/// MLflow's own basic-auth app: `MLFLOW_TRACKING_USERNAME` and
/// `MLFLOW_TRACKING_PASSWORD` log a run into it and read the run back out,
/// the password shown nowhere; without them, or with a wrong one, MLflow's
/// 401 is the error (exit 5 writing, exit 3 reading) and nothing lands.
#[test]
fn basic_auth_both_ways_against_mlflows_auth_app() {
    use common::mlflow::{Mlflow, ADMIN_PASSWORD};
    let ml = Mlflow::with_basic_auth();
    let gw = Gateway::start();
    let (_dir, file) = artifact(include_str!("../../examples/simple.json"));
    let into = |env: &[(&str, &str)]| {
        run_env(
            &[
                "push", &file, "--job", "auth", "--user", "alice", "--mlflow", &ml.url,
            ],
            env,
        )
    };
    let r = into(&[]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr.contains("HTTP 401") && r.stderr.contains("sent no credentials"),
        "{}",
        r.stderr
    );
    let wrong = "wrong-pw-Qz9-do-not-print";
    let r = into(&[
        ("MLFLOW_TRACKING_USERNAME", "admin"),
        ("MLFLOW_TRACKING_PASSWORD", wrong),
    ]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr.contains("HTTP 401") && !r.stderr.contains(wrong),
        "{}",
        r.stderr
    );

    let creds = [
        ("MLFLOW_TRACKING_USERNAME", "admin"),
        ("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD),
    ];
    let r = into(&creds);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains(ADMIN_PASSWORD), "{}", r.stderr);
    let run_id = r
        .stderr
        .split("MLflow run ")
        .nth(1)
        .and_then(|s| s.split([',', ' ', ')']).next())
        .expect("the summary names the run")
        .to_string();

    let source = format!("mlflow://runs/{run_id}");
    let out_of = |env: &[(&str, &str)]| {
        let mut env = env.to_vec();
        env.push(("MLFLOW_TRACKING_URI", &ml.url));
        run_env(&["push", &source, "--gateway", &gw.url, "-v"], &env)
    };
    let r = out_of(&[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    assert!(gw.groups().is_empty(), "nothing lands from an unread run");
    let r = out_of(&creds);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains(ADMIN_PASSWORD), "{}", r.stderr);
    let g = gw
        .group(&[("job", "auth"), ("user", "alice")])
        .unwrap_or_else(|| panic!("the run's group: {:?}", gw.groups()));
    assert_eq!(g.value("model_accuracy"), "0.93");
    assert_eq!(g.value("images_processed"), "1200");
}
