//! `--mlflow` against a real MLflow tracking server (one per test binary:
//! it takes 20–40 s to start), read back through MLflow's REST API; and
//! the faults a real server won't produce on demand against a scripted one.
//! Each test logs into an experiment of its own.

use crate::common;

use common::live::{eventually, Live};
use common::mlflow::{metrics, shared, tags};
use common::scripted::{Reply, Scripted};
use common::*;

const ARTIFACT: &str = r#"{"metrics": [
 {"name": "images_processed_total", "type": "counter", "labels": {"split": "train"}, "value": 100},
 {"name": "images_processed_total", "type": "counter", "labels": {"split": "val"}, "value": 20},
 {"name": "accuracy", "type": "gauge", "value": 0.93}
]}"#;

fn push_mlflow(path: &str, experiment: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let ml = shared();
    let mut args = vec![
        "push",
        path,
        "--job",
        "train",
        "--user",
        "alice",
        "--group",
        "team=vision",
        "--mlflow",
        &ml.url,
        "--mlflow-experiment",
        experiment,
    ];
    args.extend_from_slice(extra);
    run_env(&args, env)
}

#[test]
fn push_makes_one_finished_run_with_user_tags_and_metrics() {
    let ml = shared();
    let (_dir, path) = artifact(ARTIFACT);
    let r = push_mlflow(&path, "push-one", &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let runs = ml.runs("push-one");
    assert_eq!(runs.len(), 1, "one run per push");
    let run = &runs[0];
    assert_eq!(run["info"]["status"], "FINISHED");
    assert_eq!(run["info"]["user_id"], "alice");
    assert_eq!(run["info"]["run_name"], "train-alice");
    let t = tags(run);
    assert_eq!(t["mlflow.user"], "alice");
    assert_eq!(t["job"], "train");
    assert_eq!(t["team"], "vision");
    let m = metrics(run);
    assert_eq!(m["images_processed_total.split.train"], 100.0);
    assert_eq!(m["images_processed_total.split.val"], 20.0);
    assert_eq!(m["accuracy"], 0.93);
    assert_eq!(m.len(), 3, "{m:?}");
    let id = run["info"]["run_id"].as_str().unwrap();
    assert!(
        r.stderr.contains(id),
        "the summary names the run: {}",
        r.stderr
    );

    // A second push is a second run.
    assert_eq!(push_mlflow(&path, "push-one", &[], &[]).code, 0);
    assert_eq!(ml.runs("push-one").len(), 2);
}

#[test]
fn mlflow_run_id_logs_into_that_run_and_makes_none() {
    let ml = shared();
    let out = ml.python(
        "import mlflow\nmlflow.set_experiment('existing')\nr = mlflow.start_run()\nmlflow.log_metric('own', 1.0)\nprint(r.info.run_id)",
    );
    let id = out.lines().next().unwrap().trim();
    let (_dir, path) = artifact(ARTIFACT);
    let r = push_mlflow(&path, "existing", &[], &[("MLFLOW_RUN_ID", id)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let runs = ml.runs("existing");
    assert_eq!(runs.len(), 1, "no new run");
    let m = metrics(&ml.run(id));
    assert_eq!(m["own"], 1.0);
    assert_eq!(m["accuracy"], 0.93);
    assert_eq!(tags(&ml.run(id))["team"], "vision");
}

#[test]
fn the_experiment_defaults_to_mlflow_experiment_name_then_the_job() {
    let ml = shared();
    let (_dir, path) = artifact(ARTIFACT);
    let base = ["push", &path, "--user", "alice", "--mlflow", &ml.url];
    let r = run_env(
        &[&base[..], &["--job", "by-env"]].concat(),
        &[("MLFLOW_EXPERIMENT_NAME", "from-env")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ml.runs("from-env").len(), 1);
    // MLFLOW_TRACKING_URI alone is no destination: the gateway is asked for.
    let r = run_env(
        &["push", &path, "--job", "by-job"],
        &[("MLFLOW_TRACKING_URI", &ml.url)],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&[&base[..], &["--job", "by-job"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ml.runs("by-job").len(), 1);
}

#[test]
fn an_artifact_of_2500_series_lands_whole() {
    let ml = shared();
    let series: Vec<String> = (0..2500)
        .map(|i| {
            format!(r#"{{"name": "m", "type": "gauge", "labels": {{"i": "{i}"}}, "value": {i}}}"#)
        })
        .collect();
    let (_dir, path) = artifact(&format!(r#"{{"metrics": [{}]}}"#, series.join(",")));
    let r = push_mlflow(&path, "big", &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let runs = ml.runs("big");
    let m = metrics(&ml.run(runs[0]["info"]["run_id"].as_str().unwrap()));
    assert_eq!(m.len(), 2500);
    assert_eq!(m["m.i.2499"], 2499.0);
}

const TRAIN: &str = r#"
import os, sys, time
go = sys.argv[1]
for step in (1, 2):
    print(f"step={step} loss={1/step:.2f}", flush=True)
    while step == 1 and not os.path.exists(f"{go}/1"):
        time.sleep(0.02)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), 9)
sys.exit(int(sys.argv[2]))
"#;

/// `run --mlflow` of [`TRAIN`] exiting `code`: the run is RUNNING with the
/// first point before the child goes on; returns the finished run.
fn live_run(experiment: &str, code: &str) -> (serde_json::Value, Run) {
    let ml = shared();
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().to_str().unwrap();
    let live = Live::spawn(
        &[
            "run",
            "--job",
            "train",
            "--user",
            "bob",
            "--interval",
            "100ms",
            "--mlflow",
            &ml.url,
            "--mlflow-experiment",
            experiment,
            "--",
            "python3",
            "-c",
            TRAIN,
            go,
            code,
        ],
        &[],
    );
    let id = eventually("the live run's first point", || {
        let run = ml.runs(experiment).into_iter().next()?;
        let id = run["info"]["run_id"].as_str()?.to_string();
        (!ml.history(&id, "loss").is_empty()).then_some(id)
    });
    assert_eq!(ml.run(&id)["info"]["status"], "RUNNING");
    std::fs::write(dir.path().join("1"), "").unwrap();
    let r = live.wait();
    (ml.run(&id), r)
}

#[test]
fn run_logs_history_with_steps_and_finishes() {
    let ml = shared();
    let (run, r) = live_run("live-ok", "0");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run["info"]["status"], "FINISHED");
    assert_eq!(run["info"]["user_id"], "bob");
    let id = run["info"]["run_id"].as_str().unwrap();
    let history = ml.history(id, "loss");
    assert!(history.len() >= 2, "{history:?}");
    assert_eq!(history.first().unwrap(), &(1, 1.0));
    assert_eq!(history.last().unwrap(), &(2, 0.5));
    let m = metrics(&run);
    assert_eq!(m["run_exit_code"], 0.0);
    assert_eq!(m["run_succeeded"], 1.0);
    assert_eq!(ml.runs("live-ok").len(), 1, "one run for the session");
}

#[test]
fn run_that_exits_3_is_failed() {
    let (run, r) = live_run("live-fail", "3");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(run["info"]["status"], "FAILED");
    assert_eq!(metrics(&run)["run_exit_code"], 3.0);
}

#[test]
fn run_whose_child_is_killed_by_a_signal_is_killed() {
    let (run, r) = live_run("live-killed", "kill");
    assert_eq!(r.code, 128 + 9, "as a shell reports SIGKILL: {}", r.stderr);
    assert_eq!(run["info"]["status"], "KILLED");
    assert!(
        !run["info"]["end_time"].is_null(),
        "the run is ended: {run}"
    );
}

#[test]
fn watch_follow_logs_history_and_finishes_on_sigterm() {
    let ml = shared();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("train.log");
    std::fs::write(&log, "step=1 loss=0.9\n").unwrap();
    let live = Live::spawn(
        &[
            "watch",
            log.to_str().unwrap(),
            "--follow",
            "--job",
            "follow",
            "--user",
            "carol",
            "--interval",
            "100ms",
            "--mlflow",
            &ml.url,
            "--mlflow-experiment",
            "watch-follow",
        ],
        &[],
    );
    let history = |want: usize| {
        eventually(&format!("{want} point(s) of loss"), || {
            let run = ml.runs("watch-follow").into_iter().next()?;
            let id = run["info"]["run_id"].as_str()?.to_string();
            let h = ml.history(&id, "loss");
            (h.len() >= want).then_some((id, h))
        })
    };
    let (id, _) = history(1);
    assert_eq!(ml.run(&id)["info"]["status"], "RUNNING");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, b"step=2 loss=0.5\n").unwrap();
    let (_, h) = eventually("the second step in the history", || {
        let (id, h) = history(1);
        h.iter().any(|p| p.0 == 2).then_some((id, h))
    });
    assert_eq!(h.first().unwrap(), &(1, 0.9), "{h:?}");
    assert_eq!(h.last().unwrap(), &(2, 0.5), "{h:?}");
    live.signal(libc::SIGTERM);
    let r = live.wait();
    assert_eq!(r.code, 0, "{r:?}");
    let run = ml.run(&id);
    assert_eq!(run["info"]["status"], "FINISHED", "stopped normally: {run}");
    assert_eq!(run["info"]["user_id"], "carol");
    assert_eq!(ml.runs("watch-follow").len(), 1, "one run for the session");
}

#[test]
fn a_key_mlflow_refuses_is_invalid_and_nothing_is_sent() {
    let s = Scripted::start(vec![Reply::Status(200, &[], "{}")]);
    let (_dir, path) = artifact(
        r#"{"metrics": [
            {"name": "m", "type": "gauge", "labels": {"path": "a+b"}, "value": 1},
            {"name": "m", "type": "gauge", "labels": {"path": "ok"}, "value": 1}
        ]}"#,
    );
    let r = run(&["push", &path, "--job", "j", "--mlflow", &s.url]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("m{path=\"a+b\"}") && r.stderr.contains("'+'"),
        "{}",
        r.stderr
    );
    assert!(s.requests().is_empty());
}

/// An answer every MLflow call of a push reads what it needs from.
const OK: &str = r#"{"experiments": [{"name": "j", "experiment_id": "7", "lifecycle_stage": "active"}], "run": {"info": {"run_id": "abc123"}}}"#;

#[test]
fn a_503_is_retried_then_the_push_lands() {
    let s = Scripted::start(vec![
        Reply::Status(503, &[("Retry-After", "0")], "busy"),
        Reply::Status(200, &[], OK),
    ]);
    let (_dir, path) = artifact(ARTIFACT);
    let r = run(&["push", &path, "--job", "j", "--mlflow", &s.url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let paths: Vec<String> = s.requests().iter().map(|q| q.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/mlflow/experiments/search",
            "/api/2.0/mlflow/experiments/search",
            "/api/2.0/mlflow/runs/create",
            "/api/2.0/mlflow/runs/log-batch",
            "/api/2.0/mlflow/runs/update",
        ]
    );
    let update: serde_json::Value = serde_json::from_slice(&s.requests()[4].body).unwrap();
    assert_eq!(update["status"], "FINISHED");
    assert_eq!(update["run_id"], "abc123");
}

#[test]
fn a_400_is_rejected_with_mlflows_error_code_and_message() {
    let s = Scripted::start(vec![
        Reply::Status(200, &[], OK),
        Reply::Status(200, &[], OK),
        Reply::Status(
            400,
            &[("Content-Type", "application/json")],
            r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Metric value too odd"}"#,
        ),
    ]);
    let (_dir, path) = artifact(ARTIFACT);
    let r = run(&["push", &path, "--job", "j", "--mlflow", &s.url]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("INVALID_PARAMETER_VALUE: Metric value too odd"),
        "{}",
        r.stderr
    );
    assert_eq!(s.requests().len(), 3, "no retry of a 4xx, no update");
}

#[test]
fn the_tracking_token_is_sent_and_never_shown() {
    const TOKEN: &str = "tok-9f8e7d6c5b4a";
    let s = Scripted::start(vec![Reply::Status(
        401,
        &[],
        r#"{"error_code": "UNAUTHENTICATED", "message": "who are you"}"#,
    )]);
    let (_dir, path) = artifact(ARTIFACT);
    let r = run_env(
        &["push", &path, "--job", "j", "--mlflow", &s.url, "--verbose"],
        &[("MLFLOW_TRACKING_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("UNAUTHENTICATED: who are you"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("MLFLOW_TRACKING_TOKEN"), "{}", r.stderr);
    assert_eq!(
        s.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains(TOKEN), "{out}");
    }
    let help = run_env(&["push", "--help"], &[("MLFLOW_TRACKING_TOKEN", TOKEN)]);
    assert!(!help.stdout.contains(TOKEN));
}
