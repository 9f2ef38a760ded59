//! Bounded and contained (issue 23): S3 keys that stay in their bucket, an
//! `install` that can't be redirected, mistyped URLs that never leak, a
//! child that doesn't inherit simplepipe's secrets, bounded response
//! bodies. Each test runs the real binary against a real server where one
//! exists (s3s-fs, the Pushgateway), a scripted one only for faults.

mod common;

use common::*;

fn s3_run(s3: &S3Server, args: &[&str]) -> Run {
    let env = s3.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = args.to_vec();
    all.extend(["--retries", "0"]);
    run_env(&all, &env)
}

/// `s3://bkt/../other/secret.json` used to be resolved by URL parsing into
/// a correctly signed read of bucket `other`; `s3://bkt/.` into a listing.
/// s3s-fs checks signatures, so the read succeeded. Now: exit 2, nothing
/// read.
#[test]
fn s3_dot_segments_never_leave_the_bucket() {
    let s3 = S3Server::start();
    s3.bucket("bkt");
    let secret = br#"{"metrics":[{"name":"stolen_total","type":"counter","value":42}]}"#;
    s3.put("other", "secret.json", secret);
    s3.put("bkt", "ok.json", secret);
    let r = s3_run(&s3, &["validate", "s3://bkt/ok.json"]);
    assert_eq!(r.code, 0, "the harness reads a plain key: {r:?}");
    for url in [
        "s3://bkt/../other/secret.json",
        "s3://bkt/a/../../other/secret.json",
        "s3://bkt/.",
        "s3://bkt/./ok.json",
    ] {
        let r = s3_run(&s3, &["validate", url, "--output", "json"]);
        assert_eq!(r.code, 2, "{url}: {r:?}");
        assert!(
            r.stderr.contains("segment") && r.stderr.contains(url),
            "{url}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("stolen_total"), "{url}: {r:?}");
    }
    for url in ["s3://../other/secret.json", "s3://%2e%2e/other/secret.json"] {
        let r = s3_run(&s3, &["validate", url]);
        assert_eq!(r.code, 2, "{url}: {r:?}");
        assert!(
            r.stderr.contains("not a bucket name"),
            "{url}: {}",
            r.stderr
        );
    }
}
