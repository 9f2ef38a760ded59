//! What users hit in the new commands (issue 24): each test runs the real
//! binary against real servers and asserts what reached them or what the
//! user saw.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;

fn push_user(gw: &str, user: &str) {
    let r = run(&[
        "push",
        "--gateway",
        gw,
        "--job",
        "train",
        "--user",
        user,
        "--metric",
        "m=1",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

fn users(gw: &Gateway) -> BTreeSet<String> {
    gw.groups()
        .into_iter()
        .map(|g| g.labels["user"].clone())
        .collect()
}

/// Item 1: a PromQL-quoted value is the value, not the value in quotes;
/// `user!="alice"` spares alice, and a matcher that selects nothing says so.
#[test]
fn prune_match_reads_promql_quotes() {
    let gw = Gateway::start();
    push_user(&gw.url, "alice");
    push_user(&gw.url, "bob");
    std::thread::sleep(Duration::from_millis(2500));
    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1s",
        "--match",
        r#"user!="alice""#,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(users(&gw), BTreeSet::from(["alice".to_string()]), "{r:?}");

    let r = run(&["groups", "--gateway", &gw.url, "--match", r#"user="alice""#]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("alice"), "{r:?}");

    let r = run(&["groups", "--gateway", &gw.url, "--match", "user='carol'"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("warning: --match user='carol' selects none of the 1 listed groups"),
        "{r:?}"
    );

    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1s",
        "--match",
        r#"user!="alice"#,
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("never closed"), "{r:?}");
    assert_eq!(users(&gw), BTreeSet::from(["alice".to_string()]));
}

/// The binary with its stderr a pipe nobody reads (as after `2>&1 | head -2`
/// once `head` is done): every write there fails with EPIPE.
fn stderr_closed(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = simplepipe()
        .args(args)
        .stderr(writer)
        .stdout(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
    )
}

/// Item 4: a closed stderr neither aborts `run` nor loses its final push,
/// and the child's exit code is kept.
#[test]
fn run_with_stderr_closed_keeps_the_final_push_and_exit_code() {
    let gw = Gateway::start();
    let (code, stdout) = stderr_closed(&[
        "run",
        "--gateway",
        &gw.url,
        "--job",
        "epipe",
        "--",
        "sh",
        "-c",
        "echo loss=0.25; exit 3",
    ]);
    assert_eq!(code, 3, "{stdout}");
    let g = gw.group(&[("job", "epipe")]).expect("the final push");
    assert_eq!(g.value("loss"), "0.25");
    assert_eq!(g.value("run_exit_code"), "3");
}

/// Item 4: the error report to a closed stderr keeps the documented exit code.
#[test]
fn push_with_stderr_closed_keeps_its_exit_code() {
    let (_dir, path) = artifact("{ not json");
    let (code, _) = stderr_closed(&[
        "push",
        "--gateway",
        "http://127.0.0.1:9",
        "--job",
        "j",
        &path,
    ]);
    assert_eq!(code, 4);
    let gw = Gateway::start();
    let (code, _) = stderr_closed(&[
        "push",
        "--gateway",
        &gw.url,
        "--job",
        "ok",
        "--metric",
        "m=1",
        "-v",
    ]);
    assert_eq!(code, 0);
    assert_eq!(gw.group(&[("job", "ok")]).unwrap().value("m"), "1");
}

fn promtool(args: &[&str], dir: &std::path::Path) -> Run {
    std::process::Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs (bash .ci/run installs it)")
        .into()
}

const BIG_AND_SMALL: &str = "apiVersion: simplepipe/v1
kind: Standard
metadata: {name: bounds}
spec:
  jobs: [training]
  metrics:
    - {name: tokens_total, type: counter, expect: {max: 40000000000}}
    - {name: params, type: gauge, expect: {min: 0.00001, max: 1000000}}
    - {name: model_bytes, type: gauge, unit: bytes, expect: {min: 0.00001, max: 40000000000}}
    - {name: step_seconds, type: gauge, unit: seconds, expect: {min: 0.00001, max: 1000000}}
    - {name: accuracy, type: gauge, unit: ratio, valid: {min: 0, max: 1}, expect: {min: 0.00001}}
";

/// Items 2 and 3: the generated tests pass promtool for bounds whose
/// values Prometheus renders in exponent form, and the summary shows
/// the value for people; `--tests` without `-o` is a usage error.
#[test]
fn rules_tests_pass_promtool_for_big_and_small_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let std_file = dir.path().join("bounds.yaml");
    std::fs::write(&std_file, BIG_AND_SMALL).unwrap();
    let std_file = std_file.to_str().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (rules, tests) = (path("bounds.rules.yaml"), path("bounds.test.yaml"));
    let r = run(&["rules", std_file, "-o", &rules, "--tests", &tests]);
    assert_eq!(r.code, 0, "{r:?}");
    let check = promtool(&["check", "rules", "bounds.rules.yaml"], dir.path());
    assert_eq!(check.code, 0, "{check:?}");
    let test = promtool(&["test", "rules", "bounds.test.yaml"], dir.path());
    assert_eq!(test.code, 0, "{test:?}");
    let tests_text = std::fs::read_to_string(&tests).unwrap();
    for shown in [
        "tokens_total of alice is 80G, above the expected 40000000000",
        "reported tokens_total = 8e+10;",
        "params of alice is 5u, below the expected 0.00001",
        "reported params = 5e-06;",
        "model_bytes of alice is 74.51Gi, above the expected 40000000000",
        "step_seconds of alice is 23d 3h 33m 20s, above the expected 1000000",
        "reported step_seconds = 2e+06;",
        "accuracy of alice is 5e-06, below the expected 0.00001",
    ] {
        assert!(tests_text.contains(shown), "{shown} not in\n{tests_text}");
    }

    // --tests without -o: nothing written, exit 2.
    let lone = path("lone.test.yaml");
    let r = run(&["rules", std_file, "--tests", &lone]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("needs -o RULES_FILE"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(!std::path::Path::new(&lone).exists());
}

/// Item 5: the names the Pushgateway writes itself are refused from an
/// artifact, `--metric` and a `run` line, as `run_exit_code` is.
#[test]
fn push_time_seconds_is_refused_everywhere() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(r#"{"loss": 1, "push_time_seconds": 5}"#);
    let r = run(&["push", "--gateway", &gw.url, "--job", "a", &path]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr
            .contains("\"push_time_seconds\" is written by the Pushgateway itself"),
        "{r:?}"
    );
    let r = run(&[
        "push",
        "--gateway",
        &gw.url,
        "--job",
        "m",
        "--metric",
        "push_failure_time_seconds=5",
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr
            .contains("\"push_failure_time_seconds\" is written by the Pushgateway"),
        "{r:?}"
    );
    assert!(gw.groups().is_empty(), "nothing pushed");

    let r = run(&[
        "run",
        "--gateway",
        &gw.url,
        "--job",
        "r",
        "--",
        "sh",
        "-c",
        "echo push_time_seconds=5 loss=1",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("\"push_time_seconds\" is written by the Pushgateway itself"),
        "{r:?}"
    );
    let g = gw.group(&[("job", "r")]).unwrap();
    assert_eq!(g.value("loss"), "1");
}

/// Item 10: the largest `--retries` and `--max-bytes` don't overflow
/// (a debug build panicked; a release build made zero attempts or read
/// zero bytes).
#[test]
fn the_largest_retries_and_max_bytes_work() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(r#"{"loss": 0.5}"#);
    let r = run(&[
        "push",
        "--gateway",
        &gw.url,
        "--job",
        "big",
        "--retries",
        "4294967295",
        "--max-bytes",
        "18446744073709551615",
        &path,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(gw.group(&[("job", "big")]).unwrap().value("loss"), "0.5");
}

/// Item 11: a refused connection is reported as one, every time (the
/// streamed body's writer used to win the race now and then, as
/// "send failed because receiver is gone").
#[test]
fn a_refused_connection_is_reported_as_one_every_time() {
    let port = free_port();
    let gw = format!("http://127.0.0.1:{port}");
    let (_dir, path) = artifact(r#"{"loss": 0.5}"#);
    for _ in 0..25 {
        let r = run(&[
            "push",
            "--gateway",
            &gw,
            "--job",
            "j",
            "--retries",
            "0",
            &path,
        ]);
        assert_eq!(r.code, 6, "{r:?}");
        assert!(r.stderr.contains("cannot connect to the gateway"), "{r:?}");
    }
}
