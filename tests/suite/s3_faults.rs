//! S3 faults a real store (s3s-fs, in `s3`) can't produce on demand: a
//! redirect to another host, 5xx with and without `Retry-After`, an endless
//! error body. A scripted server stands in for the store and records what
//! arrived; the reads that work are proven against s3s-fs in `s3`.

use crate::common;

use common::scripted::{Reply, Scripted};
use common::*;

const SIMPLE: &str = include_str!("../../examples/simple.json");

/// `validate s3://bkt/m.json` against `endpoint`, with keys and `args`.
fn validate(endpoint: &str, args: &[&str]) -> Run {
    let mut all = vec!["validate", "s3://bkt/m.json", "--s3-endpoint", endpoint];
    all.extend(args);
    let r = run_env(
        &all,
        &[
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
        ],
    );
    assert!(
        !r.stderr.contains(S3_SECRET_KEY) && !r.stderr.contains("X-Amz-Signature"),
        "{r:?}"
    );
    r
}

/// A redirect is not followed, to another host or at all, as on the
/// gateway path: rust-s3's own client followed it.
#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let elsewhere = Scripted::start(vec![Reply::Status(200, &[], SIMPLE)]);
    let port = elsewhere.url.rsplit(':').next().unwrap();
    let location: &'static str =
        Box::leak(format!("http://localhost:{port}/bkt/m.json").into_boxed_str());
    let headers: &'static [(&str, &str)] = Box::leak(Box::new([("Location", location)]));
    let store = Scripted::start(vec![Reply::Status(307, headers, "")]);
    let r = validate(&store.url, &["--retries", "2"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("HTTP 307") && r.stderr.contains("not followed"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
    let sent = store.requests();
    assert_eq!(sent.len(), 1, "a redirect is not retried: {sent:?}");
    assert!(
        sent[0].path.starts_with("/bkt/m.json?") && sent[0].path.contains("X-Amz-Signature="),
        "a signed GET of the key: {}",
        sent[0].path
    );
}

/// `--retries` counts S3's attempts, as the gateway's.
#[test]
fn a_5xx_is_retried_as_often_as_retries_says() {
    let busy = Reply::Status(503, &[], "<Error><Code>SlowDown</Code></Error>");
    let store = Scripted::start(vec![busy.clone(), Reply::Status(200, &[], SIMPLE)]);
    let r = validate(&store.url, &["--retries", "1", "--retry-max-wait", "1s"]);
    assert_eq!(r.code, 0, "{r:?}");
    let sent = store.requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].path, sent[1].path, "the same signed GET again");

    let store = Scripted::start(vec![busy]);
    let r = validate(&store.url, &["--retries", "2", "--retry-max-wait", "1s"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("HTTP 503") && r.stderr.contains("after 3 attempts"),
        "{}",
        r.stderr
    );
    assert_eq!(store.requests().len(), 3);
}

/// `Retry-After` past `--retry-max-wait` ends the read at once, the way
/// net/ handles it for every server (rust-s3 slept its own 1 s, 4 s, …).
#[test]
fn retry_after_beyond_retry_max_wait_is_not_waited_for() {
    let store = Scripted::start(vec![Reply::Status(
        503,
        &[("Retry-After", "3600")],
        "<Error><Code>SlowDown</Code></Error>",
    )]);
    let r = validate(&store.url, &["--retries", "5", "--retry-max-wait", "2s"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("asked to retry after 3600s, longer than --retry-max-wait (2s)"),
        "{}",
        r.stderr
    );
    assert_eq!(store.requests().len(), 1);
}

/// An error answer that never ends: its first few KB are kept for the
/// message and the rest is not read (rust-s3 read it whole, until memory
/// or `--timeout` ran out).
#[test]
fn an_endless_error_body_is_cut_to_a_few_kb() {
    let store = Scripted::start(vec![Reply::Endless(
        403,
        "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
    )]);
    let r = validate(&store.url, &["--retries", "0", "--timeout", "60s"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: s3://bkt/m.json: access denied (AccessDenied, HTTP 403); credentials used: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment\n"
    );
}

/// An `https://` store signed by a private CA (MinIO in a cluster) is
/// trusted through `AWS_CA_BUNDLE`, as the AWS tools do, and only then.
/// s3s-fs serves no TLS, so a scripted store stands in and records the GET.
#[test]
fn a_private_ca_is_trusted_through_aws_ca_bundle() {
    let pki = common::secure::Pki::new();
    let store = Scripted::start_https(vec![Reply::Status(200, &[], SIMPLE)], &pki);
    let keys = [
        ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
    ];
    let args = ["validate", "s3://bkt/m.json", "--s3-endpoint", &store.url];

    let r = run_env(&args, &keys);
    assert_eq!(r.code, 3, "unknown CA: {r:?}");
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
    assert!(
        store.requests().is_empty(),
        "nothing sent over an untrusted TLS"
    );

    let other = pki.path("other-ca.pem");
    let r = run_env(&args, &[keys[0], keys[1], ("AWS_CA_BUNDLE", &other)]);
    assert_eq!(r.code, 3, "another CA is not enough: {r:?}");

    let ca = pki.path("ca.pem");
    let r = run_env(&args, &[keys[0], keys[1], ("AWS_CA_BUNDLE", &ca)]);
    assert_eq!(r.code, 0, "{r:?}");
    let sent = store.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].path.contains("X-Amz-Signature="),
        "{}",
        sent[0].path
    );

    let r = run_env(
        &args,
        &[keys[0], keys[1], ("AWS_CA_BUNDLE", "/nonexistent.pem")],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("cannot read AWS_CA_BUNDLE /nonexistent.pem"),
        "{}",
        r.stderr
    );
    // A local file never needs it: a stray bundle variable fails nothing.
    let (_dir, file) = artifact(SIMPLE);
    let r = run_env(
        &["validate", &file],
        &[("AWS_CA_BUNDLE", "/nonexistent.pem")],
    );
    assert_eq!(r.code, 0, "{r:?}");
}
