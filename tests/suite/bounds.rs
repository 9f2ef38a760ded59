//! Bounded and contained (issue 23): S3 keys that stay in their bucket, an
//! `install` that can't be redirected, mistyped URLs that never leak, a
//! child that doesn't inherit simplepipe's secrets, bounded response
//! bodies. Each test runs the real binary against a real server where one
//! exists (s3s-fs, the Pushgateway), a scripted one only for faults.

use crate::common;

use common::measured::run_measured;
use common::scripted::{Reply, Scripted};
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

/// A symlink planted at the old fixed temporary name (`.simplepipe.partial`)
/// made `install` overwrite its target and chmod it 0755. Now the copy goes
/// to a new file of its own, and the planted link and its target are left
/// alone.
#[test]
fn install_is_not_redirected_by_a_planted_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, b"precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".simplepipe.partial")).unwrap();
    let r = run(&["install", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let victim_now = std::fs::read(&victim).unwrap();
    assert!(
        victim_now == b"precious\n",
        "the victim was overwritten ({} bytes)",
        victim_now.len()
    );
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the victim was chmodded");
    let installed = dir.path().join("simplepipe");
    let meta = std::fs::metadata(&installed).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    assert_eq!(
        meta.len(),
        std::fs::metadata(env!("CARGO_BIN_EXE_simplepipe"))
            .unwrap()
            .len()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        [".simplepipe.partial", "simplepipe"],
        "no temporary file left"
    );
}

/// Four installs at once into one DIR, watched by a reader: whenever
/// `DIR/simplepipe` exists it is the whole binary, and all four succeed.
/// (With one fixed temporary name they truncated each other's copy.)
#[test]
fn concurrent_installs_never_expose_a_partial_binary() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("simplepipe");
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_simplepipe"))
        .unwrap()
        .len();
    for _round in 0..3 {
        let _ = std::fs::remove_file(&dest);
        let children: Vec<_> = (0..4)
            .map(|_| {
                simplepipe()
                    .args(["install", "--quiet", dir.path().to_str().unwrap()])
                    .stdin(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let mut children = children;
        while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
            if let Ok(m) = std::fs::metadata(&dest) {
                seen.insert(m.len());
            }
        }
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        seen.insert(std::fs::metadata(&dest).unwrap().len());
        assert!(
            seen.iter().all(|&n| n == size),
            "sizes seen: {seen:?}, binary {size}"
        );
    }
}

/// "No `://` means `http://`" turned `http:/bob:pw@host` into host `http`
/// with the password in the path (printed in clear in the error), and
/// `https:/h` into plain http. A scheme without `//` is now a usage error
/// for every URL option, with the value redacted.
#[test]
fn a_mistyped_url_is_refused_redacted() {
    let artifact = "examples/training-run.json";
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (&["--gateway", "http:/bob:s3cr3tpw@127.0.0.1:9"], &[]),
        (&["--gateway", "https:/127.0.0.1:9"], &[]),
        (
            &[],
            &[("PUSH_GATEWAY_HOSTNAME", "http:bob:s3cr3tpw@127.0.0.1:9")],
        ),
        (&["--influx", "https:/bob:s3cr3tpw@127.0.0.1:9"], &[]),
        (
            &[
                "--remote-write",
                "https:/bob:s3cr3tpw@127.0.0.1:9/api/v1/write",
            ],
            &[],
        ),
    ];
    for (flags, env) in cases {
        let mut args = vec!["push", artifact, "train", "--retries", "0"];
        args.extend(*flags);
        let r = run_env(&args, env);
        assert_eq!(r.code, 2, "{args:?} {env:?}: {r:?}");
        assert!(r.stderr.contains("mistyped URL"), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("s3cr3tpw"), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    // host:port without a scheme is still http://host:port.
    let gw = Gateway::start();
    let hostport = gw.url.trim_start_matches("http://");
    let r = run(&["push", artifact, "train", "--gateway", hostport]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// `run -- env`: the child used to see SIMPLEPIPE_PASSWORD, the bearer
/// token and the gateway URL with its userinfo. Now simplepipe's secrets
/// are gone and its URLs have no userinfo; the child's own credentials
/// (AWS_*, MLFLOW_*) are still there, and the push still succeeds.
#[test]
fn the_child_does_not_inherit_simplepipes_secrets() {
    let gw = Gateway::start();
    let with_userinfo = gw.url.replace("http://", "http://bob:gwpass-1@");
    let bare = gw.url.trim_end_matches('/').to_string();
    let runs: [&[(&str, &str)]; 3] = [
        &[("SIMPLEPIPE_GATEWAY", &with_userinfo)],
        &[
            ("SIMPLEPIPE_GATEWAY", &bare),
            ("SIMPLEPIPE_USERNAME", "bob"),
            ("SIMPLEPIPE_PASSWORD", "gwpass-2"),
        ],
        &[
            ("PUSH_GATEWAY_HOSTNAME", &bare),
            ("SIMPLEPIPE_BEARER_TOKEN", "gwpass-3"),
            ("SIMPLEPIPE_INFLUX_TOKEN", "gwpass-4"),
            ("SIMPLEPIPE_INFLUX_PASSWORD", "gwpass-5"),
            ("SIMPLEPIPE_REMOTE_WRITE_PASSWORD", "gwpass-6"),
            ("SIMPLEPIPE_REMOTE_WRITE_BEARER_TOKEN", "gwpass-7"),
        ],
    ];
    for env in runs {
        let mut env = env.to_vec();
        env.push(("AWS_SECRET_ACCESS_KEY", "child-own-aws"));
        env.push(("MLFLOW_TRACKING_PASSWORD", "child-own-mlflow"));
        env.push(("PATH", "/usr/bin:/bin"));
        let r = run_env(&["run", "--job", "envtest", "--", "env"], &env);
        assert_eq!(r.code, 0, "{env:?}: {r:?}");
        assert!(!r.stdout.contains("gwpass"), "{env:?}: {}", r.stdout);
        assert!(
            r.stdout.contains("AWS_SECRET_ACCESS_KEY=child-own-aws"),
            "{}",
            r.stdout
        );
        assert!(r
            .stdout
            .contains("MLFLOW_TRACKING_PASSWORD=child-own-mlflow"));
        let url_var = env[0].0;
        assert!(
            r.stdout
                .lines()
                .any(|l| l == format!("{url_var}={bare}") || l == format!("{url_var}={}", gw.url)),
            "{url_var} passed on without userinfo: {}",
            r.stdout
        );
    }
}

/// A gateway answering the listing with an endless body drove `groups` to
/// 2 GB. Now the listing is read up to --max-listing-bytes, and the error
/// says so and names the option.
#[test]
fn an_endless_listing_is_bounded_and_named() {
    let fake = Scripted::start(vec![Reply::Endless(200, r#"{"status":"success","data":["#)]);
    let (r, peak_mib) = run_measured(&[
        "groups",
        "--gateway",
        &fake.url,
        "--retries",
        "0",
        "--timeout",
        "20s",
        "--max-listing-bytes",
        "8000000",
    ]);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr
            .contains("larger than 8000000 bytes (--max-listing-bytes; raise it to read more)"),
        "{}",
        r.stderr
    );
    assert!(peak_mib < 64, "peak RSS {peak_mib} MiB");
}

/// `push` of an example to a gateway at `url`, without retries.
fn push_to(url: &str) -> Vec<&str> {
    let example = "examples/training-run.json";
    vec!["push", example, "train", "--gateway", url, "--retries", "0"]
}

/// A push answered 500 with a huge body was read whole (8.4 GB for 2 GiB).
/// Now a few KB are kept for the message and the rest is never read.
#[test]
fn a_huge_error_body_is_cut_to_a_few_kb() {
    let fake = Scripted::start(vec![Reply::Endless(500, "boom: the store is full")]);
    let mut args = push_to(&fake.url);
    args.extend(["--timeout", "20s"]);
    let (r, peak_mib) = run_measured(&args);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.stderr.contains("HTTP 500"), "{}", r.stderr);
    assert!(r.stderr.contains("boom: the store is full"), "{}", r.stderr);
    assert!(
        r.stderr.len() < 8 << 10,
        "{} bytes of stderr",
        r.stderr.len()
    );
    assert!(peak_mib < 64, "peak RSS {peak_mib} MiB");
}

/// `validate --output json` on 1 MiB of `[0,0,…]` printed every one of
/// its 524,288 problems (35 MB) and held them all. Now it honours the cap
/// of 20, as the text does, with the rest counted by kind; `--all-errors`
/// gives the first 100 of a kind in one array, and counts the rest.
#[test]
fn problems_past_the_cap_are_counted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.json");
    let n = 1 << 19;
    std::fs::write(&path, format!("[{}]", vec!["0"; n].join(","))).unwrap();
    let path = path.to_str().unwrap();
    let (r, peak_mib) = run_measured(&["validate", path, "--output", "json"]);
    assert_eq!(r.code, 4, "{}", &r.stderr);
    assert!(r.stdout.len() < 4096, "{} bytes of stdout", r.stdout.len());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 20, "{v}");
    assert_eq!(v["problem_count"], n, "{v}");
    assert_eq!(v["more"], serde_json::json!({"type": n - 20}), "{v}");
    eprintln!("validate --output json, 1 MiB of [0,…]: peak RSS {peak_mib} MiB");

    let r = run(&["validate", path]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stderr.lines().count(), 22, "{}", r.stderr);
    assert!(r
        .stderr
        .contains(&format!("… and {} more problems (1 kind: type)", n - 20)));

    let r = run(&["validate", path, "--output", "json", "--all-errors"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 100, "{v}");
    assert_eq!(v["problem_count"], n, "{v}");
    assert_eq!(v["more"], serde_json::json!({"type": n - 100}), "{v}");
}

/// A tar member named `a\nsimplepipe: pushed 999 families…` forged a line
/// of ours, and a server's error body could send ANSI escapes to the
/// terminal. Control characters are now escaped in everything printed.
#[test]
fn control_characters_are_escaped_in_what_we_print() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("forged.tar");
    let script = r#"
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ["a\nsimplepipe: pushed 999 families to the gateway", "b\x1b]0;owned\x07.json"]:
        data = b"{}"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
"#;
    let st = std::process::Command::new("python3")
        .args(["-c", script, tar.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let r = run(&["validate", tar.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    assert!(
        r.stderr.contains(r"a\nsimplepipe: pushed 999")
            && r.stderr.contains(r"\u{1b}]0;owned\u{7}"),
        "{}",
        r.stderr
    );

    let fake = Scripted::start(vec![Reply::Status(
        500,
        &[],
        "\x1b]0;owned\x07disk \x1b[2Kfull",
    )]);
    let r = run(&push_to(&fake.url));
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        !r.stderr.contains('\x1b') && !r.stderr.contains('\x07'),
        "{:?}",
        r.stderr
    );
    assert!(r.stderr.contains(r"\u{1b}[2Kfull"), "{}", r.stderr);
}
