//! Reading artifacts from a real S3-protocol server that checks signatures
//! (s3s-fs), including Argo-style archives, and pushing them to a real
//! Pushgateway.

use crate::common;

use std::process::Command;

use common::*;

fn run_s3(s3: &S3Server, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
    let mut env: Vec<(&str, String)> = s3.env();
    for (k, v) in extra_env {
        env.retain(|(ek, _)| ek != k);
        env.push((k, v.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = args.to_vec();
    all.extend(["--retries", "0"]);
    let r = run_env(&all, &env);
    assert!(
        !r.stdout.contains(S3_SECRET_KEY) && !r.stderr.contains(S3_SECRET_KEY),
        "secret leaked: {r:?}"
    );
    r
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("examples").join(name)).unwrap()
}

/// A .tgz made the way Argo's executor makes one: tar+gzip of the output
/// file under its base name. Built with the system tar, not our code.
fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (name, data) in files {
        let p = dir.path().join("in").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        names.push(name.to_string());
    }
    let out = dir.path().join("a.tgz");
    let st = Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(dir.path().join("in"))
        .args(&names)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(out).unwrap()
}

#[test]
fn push_from_s3_lands_in_the_gateway() {
    let s3 = S3Server::start();
    s3.put(
        "artifacts",
        "runs/train-x7k2p/metric.json",
        &example("training-run.json"),
    );
    let gw = Gateway::start();
    let r = run_s3(
        &s3,
        &[
            "push",
            "s3://artifacts/runs/train-x7k2p/metric.json",
            "train",
            "--user",
            "alice",
            "--gateway",
            &gw.url,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "train"), ("user", "alice")]).unwrap();
    assert_eq!(g.value("model_accuracy"), "0.7613");
    assert_eq!(g.series("images_processed_total").len(), 2);
}

#[test]
fn validate_from_s3_plain_tgz_gzip_and_awkward_keys() {
    let s3 = S3Server::start();
    s3.put("bkt", "plain.json", &example("simple.json"));
    s3.put(
        "bkt",
        "main.tgz",
        &tgz(&[("metric.json", &example("summary.json"))]),
    );
    s3.put(
        "bkt",
        "metric.json.gz",
        &simplepipe::encode::gzip(&example("histogram.json")),
    );
    let awkward = "team a/run+1/métriques ünï 📈.json";
    s3.put("bkt", awkward, &example("simple.json"));

    let cases = [
        (
            "s3://bkt/plain.json".to_string(),
            "valid (schema simple): 4 families",
        ),
        (
            "s3://bkt/main.tgz".to_string(),
            "valid (schema metrics): 3 families",
        ),
        (
            "s3://bkt/metric.json.gz".to_string(),
            "valid (schema metrics): 2 families",
        ),
        (
            format!("s3://bkt/{awkward}"),
            "valid (schema simple): 4 families",
        ),
    ];
    for (src, want) in cases {
        let r = run_s3(&s3, &["validate", &src], &[]);
        assert_eq!(r.code, 0, "{src}: {r:?}");
        assert_eq!(
            r.stdout,
            format!(
                "{src}: {want} ({} series)\n",
                want.rsplit(' ').nth(1).unwrap()
            ),
            "{src}"
        );
    }
}

#[test]
fn tar_with_two_files_needs_member() {
    let s3 = S3Server::start();
    s3.put(
        "bkt",
        "two.tgz",
        &tgz(&[
            ("out/a.json", &example("simple.json")),
            ("out/b.json", &example("summary.json")),
        ]),
    );
    let r = run_s3(&s3, &["validate", "s3://bkt/two.tgz"], &[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: s3://bkt/two.tgz: the tar archive holds 2 files (out/a.json, out/b.json); choose one with --member PATH\n"
    );
    let r = run_s3(
        &s3,
        &["validate", "s3://bkt/two.tgz", "--member", "out/b.json"],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("valid (schema metrics)"), "{}", r.stdout);
}

#[test]
fn wrong_secret_is_exit_3_names_the_problem_and_hides_the_secret() {
    let s3 = S3Server::start();
    s3.put("bkt", "m.json", &example("simple.json"));
    let wrong = "wrong-secret-Pz3-hide-me";
    let r = run_s3(
        &s3,
        &["validate", "s3://bkt/m.json"],
        &[("AWS_SECRET_ACCESS_KEY", wrong)],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("SignatureDoesNotMatch"), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "credentials used: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn shared_credentials_file_and_profile() {
    let s3 = S3Server::start();
    s3.put("bkt", "m.json", &example("simple.json"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        format!("[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[ci]\naws_access_key_id = {S3_ACCESS_KEY}\naws_secret_access_key = {S3_SECRET_KEY}\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_SHARED_CREDENTIALS_FILE", f),
        ("AWS_PROFILE", "ci"),
    ];
    let r = run_s3(&s3, &["validate", "s3://bkt/m.json"], &env);
    assert_eq!(r.code, 0, "{r:?}");
    // The default profile holds a key the server doesn't know.
    let r = run_s3(&s3, &["validate", "s3://bkt/m.json"], &env[..3]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("credentials used: profile \"default\" of {f}")),
        "{}",
        r.stderr
    );
    // No credentials at all: an anonymous request, refused clearly.
    let r = run_s3(
        &s3,
        &["validate", "s3://bkt/m.json"],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("access denied"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no credentials (an anonymous request) (set AWS_ACCESS_KEY_ID"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_key_missing_bucket_stopped_server() {
    let mut s3 = S3Server::start();
    s3.bucket("bkt");
    let r = run_s3(&s3, &["validate", "s3://bkt/nope.json"], &[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "simplepipe: error: s3://bkt/nope.json: no such key at {}\n",
            s3.endpoint
        )
    );
    let r = run_s3(&s3, &["validate", "s3://nobucket/m.json"], &[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("no such bucket \"nobucket\""),
        "{}",
        r.stderr
    );
    s3.stop();
    let r = run_s3(&s3, &["validate", "s3://bkt/m.json"], &[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("cannot connect to S3: Connection refused"),
        "{}",
        r.stderr
    );
}

#[test]
fn objects_over_max_bytes_are_refused() {
    let s3 = S3Server::start();
    s3.put("bkt", "big.json", &vec![b' '; 200_000]);
    let r = run_s3(
        &s3,
        &["validate", "s3://bkt/big.json", "--max-bytes", "100000"],
        &[],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("s3://bkt/big.json is larger than --max-bytes (100000 bytes); the download was stopped there"), "{}", r.stderr);
}

#[test]
fn local_tgz_gets_the_same_detection() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("artifact.bin");
    std::fs::write(&p, tgz(&[("metric.json", &example("training-run.json"))])).unwrap();
    let r = run(&["validate", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run_stdin(
        &["validate", "-"],
        &tgz(&[("metric.json", &example("simple.json"))]),
    );
    assert_eq!(r.code, 0, "{r:?}");
}

/// The GET is presigned (the signature in the URL's query): `-v` shows
/// what is read and how, never the signature or the secret.
#[test]
fn verbose_shows_neither_the_signature_nor_the_secret() {
    let s3 = S3Server::start();
    s3.put("bkt", "m.json", &example("simple.json"));
    let r = run_s3(&s3, &["validate", "s3://bkt/m.json", "-v"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("GET s3://bkt/m.json: HTTP 200 OK after"),
        "{}",
        r.stderr
    );
    for hidden in ["X-Amz-Signature", "X-Amz-Credential", S3_ACCESS_KEY] {
        assert!(!r.stderr.contains(hidden), "{hidden}: {}", r.stderr);
    }
}
