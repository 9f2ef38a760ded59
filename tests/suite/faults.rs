//! Reliability and security against a scripted server: retries, backoff,
//! Retry-After, timeouts, resets, auth headers, compression, best effort.
//! Every test that passes a secret checks it never shows in the output.

use crate::common;

use common::scripted::{Reply, Scripted};
use common::*;

const OK: Reply = Reply::Status(200, &[], "");
const SECRET: &str = "s3cr3t-Zq9-never-print-me";

fn push_to(server: &Scripted, extra: &[&str]) -> Run {
    let mut args = vec![
        "push",
        "examples/training-run.json",
        "faults",
        "--gateway",
        &server.url,
        "--retry-max-wait",
        "0.2",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The exact protobuf body simplepipe would send (the default wire format).
fn dry_run_body() -> Vec<u8> {
    let out = simplepipe()
        .args([
            "push",
            "examples/training-run.json",
            "faults",
            "--dry-run",
            "--format",
            "protobuf",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// What a dry run of `args` prints for `doc` on stdin: the exact body.
fn dry_run_of(doc: &str, args: &[&str]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = simplepipe()
        .args(args)
        .arg("--dry-run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn assert_no_secret(r: &Run) {
    assert!(
        !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
        "secret leaked: {r:?}"
    );
}

#[test]
fn two_503_then_200_succeeds_in_three_requests_with_every_series() {
    let s = Scripted::start(vec![
        Reply::Status(503, &[], "busy"),
        Reply::Status(503, &[], "busy"),
        OK,
    ]);
    let r = push_to(&s, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].body, dry_run_body(), "every series landed");
    assert_eq!(
        reqs[2].header("content-type"),
        Some("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")
    );
    assert!(reqs
        .iter()
        .all(|q| q.method == "PUT" && q.path == "/metrics/job/faults"));
    let retries: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("; retry "))
        .collect();
    assert_eq!(retries.len(), 2, "{}", r.stderr);
    assert!(
        retries[0]
            .contains("the gateway failed (HTTP 503 Service Unavailable): busy; retry 1/3 in "),
        "{}",
        retries[0]
    );
}

#[test]
fn retry_after_is_honoured() {
    let s = Scripted::start(vec![
        Reply::Status(429, &[("Retry-After", "1")], "slow down"),
        OK,
    ]);
    let r = push_to(&s, &["--retry-max-wait", "5"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("HTTP 429 Too Many Requests): slow down; retry 1/3 in 1.0s (Retry-After)"),
        "{}",
        r.stderr
    );
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    // Ordering, not speed: the second request cannot come before the wait.
    assert!(reqs[1].at.duration_since(reqs[0].at) >= std::time::Duration::from_millis(950));
}

#[test]
fn retry_after_longer_than_max_wait_gives_up_clearly() {
    let s = Scripted::start(vec![Reply::Status(503, &[("Retry-After", "120")], "")]);
    let r = push_to(&s, &["--retry-max-wait", "2"]);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr
            .contains("asked to retry after 120s, longer than --retry-max-wait (2s)"),
        "{}",
        r.stderr
    );
    assert_eq!(s.requests().len(), 1);
}

#[test]
fn a_400_is_not_retried_and_its_message_is_shown() {
    let s = Scripted::start(vec![Reply::Status(
        400,
        &[],
        "text format parsing error in line 3: unexpected end of input stream",
    )]);
    let r = push_to(&s, &[]);
    assert_eq!(r.code, 5, "{r:?}");
    assert_eq!(s.requests().len(), 1);
    assert!(
        r.stderr
            .contains("rejected it (HTTP 400 Bad Request): text format parsing error in line 3"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn a_500_forever_makes_n_plus_one_requests() {
    let s = Scripted::start(vec![Reply::Status(500, &[], "boom")]);
    let r = push_to(&s, &["--retries", "2"]);
    assert_eq!(r.code, 6, "{r:?}");
    assert_eq!(s.requests().len(), 3);
    assert!(
        r.stderr.contains(
            "the gateway failed (HTTP 500 Internal Server Error): boom (after 3 attempts)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_server_that_never_answers_times_out_on_every_attempt() {
    let s = Scripted::start(vec![Reply::Hang]);
    let r = push_to(&s, &["--timeout", "1", "--retries", "1"]);
    assert_eq!(r.code, 6, "{r:?}");
    assert_eq!(s.requests().len(), 2, "one request per attempt");
    assert_eq!(
        r.stderr.matches("timed out after 1s").count(),
        2,
        "{}",
        r.stderr
    );
}

#[test]
fn a_reset_mid_body_is_retried() {
    // A large body, so that the reset hits while it is still being sent.
    let mut doc = String::from(r#"{"metrics": ["#);
    for i in 0..5000 {
        doc.push_str(&format!(
            r#"{}{{"name": "m", "type": "gauge", "value": {i}, "labels": {{"i": "{i}"}}}}"#,
            if i > 0 { "," } else { "" }
        ));
    }
    doc.push_str("]}");
    // Both are written while sent (text chunked, protobuf with its
    // length), by a reader made anew for the retry.
    for format in ["text", "protobuf"] {
        let s = Scripted::start(vec![Reply::ResetMidBody, OK]);
        let args = [
            "push",
            "-",
            "reset",
            "--retry-max-wait",
            "0.2",
            "--format",
            format,
        ];
        let push = [&args[..], &["--gateway", &s.url]].concat();
        let r = run_stdin(&push, doc.as_bytes());
        assert_eq!(r.code, 0, "{r:?}");
        let reqs = s.requests();
        assert_eq!(reqs.len(), 2);
        let whole = dry_run_of(&doc, &args);
        assert!(whole.ends_with(b"m{i=\"4999\"} 4999\n") || format == "protobuf");
        assert!(
            reqs[1].body == whole,
            "{format}: the retried body is complete"
        );
        assert!(reqs[0].body.len() < reqs[1].body.len(), "{format}: cut");
        assert!(r.stderr.contains("; retry 1/3"), "{}", r.stderr);
    }
}

#[test]
fn closed_port_is_exit_6_and_best_effort_makes_it_a_warning() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let args = [
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        &url,
        "--retries",
        "1",
        "--retry-max-wait",
        "0.1",
    ];
    let r = run(&args);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr.contains("cannot connect to the gateway"),
        "{}",
        r.stderr
    );

    let r = run(&[&args[..], &["--best-effort"]].concat());
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("simplepipe: warning: PUT"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("--best-effort: nothing was pushed, exiting 0 (would have been exit 6)"),
        "{}",
        r.stderr
    );
}

#[test]
fn best_effort_levels_for_invalid_artifacts() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let bad = br#"{"a": "x"}"#;
    let r = run_stdin(&["push", "-", "j", "--gateway", &url, "--best-effort"], bad);
    assert_eq!(r.code, 4, "an invalid artifact still fails: {r:?}");
    let r = run_stdin(
        &["push", "-", "j", "--gateway", &url, "--best-effort=all"],
        bad,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("would have been exit 4"), "{}", r.stderr);
    // Usage errors are never forgiven.
    let r = run_stdin(&["push", "-", "--gateway", &url, "--best-effort=all"], bad);
    assert_eq!(r.code, 2, "{r:?}");
    // 4xx: forgiven only by `all`.
    let s = Scripted::start(vec![Reply::Status(400, &[], "no")]);
    assert_eq!(push_to(&s, &["--best-effort"]).code, 5);
    assert_eq!(push_to(&s, &["--best-effort=all"]).code, 0);
}

#[test]
fn bearer_token_reaches_the_server_and_never_the_output() {
    let s = Scripted::start(vec![OK]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let r = push_to(&s, &["--bearer-token-file", file.to_str().unwrap(), "-v"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_no_secret(&r);
    assert!(
        r.stderr.contains("debug: PUT"),
        "verbose logs ran: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("bearer token from --bearer-token-file"),
        "{}",
        r.stderr
    );
    let r2 = run_env(
        &[
            "push",
            "examples/simple.json",
            "j",
            "--gateway",
            &s.url,
            "-v",
        ],
        &[("SIMPLEPIPE_BEARER_TOKEN", SECRET)],
    );
    assert_eq!(r2.code, 0, "{r2:?}");
    assert_no_secret(&r2);
    for q in s.requests() {
        assert_eq!(
            q.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
}

#[test]
fn basic_auth_from_env_file_and_url() {
    use base64::Engine;
    let s = Scripted::start(vec![OK]);
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{SECRET}"))
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, SECRET).unwrap();
    let host = s.url.trim_start_matches("http://");
    let runs = [
        run_env(
            &[
                "push",
                "examples/simple.json",
                "j",
                "--gateway",
                &s.url,
                "--username",
                "alice",
                "-v",
            ],
            &[("SIMPLEPIPE_PASSWORD", SECRET)],
        ),
        run(&[
            "push",
            "examples/simple.json",
            "j",
            "--gateway",
            &s.url,
            "--username",
            "alice",
            "--password-file",
            file.to_str().unwrap(),
        ]),
        run(&[
            "push",
            "examples/simple.json",
            "j",
            "--gateway",
            &format!("http://alice:{SECRET}@{host}"),
            "-v",
        ]),
    ];
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
        assert_no_secret(r);
    }
    assert!(
        runs[2]
            .stderr
            .contains(&format!("http://***@{host}/metrics/job/j")),
        "{}",
        runs[2].stderr
    );
    let reqs = s.requests();
    assert_eq!(reqs.len(), 3);
    for q in reqs {
        assert_eq!(q.header("authorization"), Some(want.as_str()));
    }
    // No password flag exists, and a user name without a password is a usage error.
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        &s.url,
        "--password",
        SECRET,
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unexpected argument '--password'"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        &s.url,
        "--username",
        "alice",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("use --password-file PATH or set SIMPLEPIPE_PASSWORD"),
        "{}",
        r.stderr
    );
}

#[test]
fn unauthorized_is_exit_5_and_names_the_credential_source_only() {
    let s = Scripted::start(vec![Reply::Status(401, &[], "Unauthorized")]);
    let r = run_env(
        &[
            "push",
            "examples/simple.json",
            "j",
            "--gateway",
            &s.url,
            "--username",
            "alice",
        ],
        &[("SIMPLEPIPE_PASSWORD", SECRET)],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr
            .contains("[sent basic auth as \"alice\" (password from SIMPLEPIPE_PASSWORD)]"),
        "{}",
        r.stderr
    );
    assert_no_secret(&r);
    assert_eq!(s.requests().len(), 1, "a 401 is not retried");
}

#[test]
fn gzip_body_is_sent_compressed() {
    let s = Scripted::start(vec![OK]);
    let r = push_to(&s, &["--compress", "gzip"]);
    assert_eq!(r.code, 0, "{r:?}");
    let q = &s.requests()[0];
    assert_eq!(q.header("content-encoding"), Some("gzip"));
    use std::io::Read;
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&q.body[..])
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(body, dry_run_body());
}

#[test]
fn max_series_is_enforced_before_any_request() {
    let s = Scripted::start(vec![OK]);
    let r = push_to(&s, &["--max-series", "4"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr
            .contains("examples/training-run.json: more than --max-series (4) series (series 5 is at /metrics/4)"),
        "{}",
        r.stderr
    );
    assert!(s.requests().is_empty());
}
