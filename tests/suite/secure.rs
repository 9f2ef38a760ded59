//! The real Pushgateway, secured with `--web.config.file`: TLS with a CA
//! generated here, basic auth with a bcrypt hash, and mutual TLS (the
//! server is in tests/common/secure.rs).

use crate::common;

use std::path::Path;

use common::secure::{password_file, Pki, SecureGateway, PASSWORD};
use common::*;

fn push(gw: &SecureGateway, job: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "push",
        "examples/simple.json",
        job,
        "--gateway",
        &gw.url,
        "--retries",
        "0",
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert!(
        !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
        "password leaked: {r:?}"
    );
    r
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn tls_and_basic_auth() {
    let pki = Pki::new();
    let gw = SecureGateway::start(&pki, false);
    let pw = password_file(&pki, PASSWORD);
    let ca = pki.path("ca.pem");

    // Right CA and password: the series land.
    let r = push(
        &gw,
        "secure",
        &[
            "--cacert",
            &ca,
            "--username",
            "alice",
            "--password-file",
            s(&pw),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let fam = gw
        .family(&pki, "secure", "run_time_seconds")
        .expect("pushed over TLS");
    assert_eq!(fam["metrics"][0]["value"], "42.5");

    // The same through SIMPLEPIPE_PASSWORD.
    let r = run_env(
        &[
            "push",
            "examples/simple.json",
            "secure-env",
            "--gateway",
            &gw.url,
            "--cacert",
            &ca,
            "--username",
            "alice",
            "-v",
        ],
        &[("SIMPLEPIPE_PASSWORD", PASSWORD)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains(PASSWORD));

    // Wrong CA: exit 6 with a TLS message, no retry.
    let r = push(
        &gw,
        "wrong-ca",
        &[
            "--cacert",
            &pki.path("other-ca.pem"),
            "--username",
            "alice",
            "--password-file",
            s(&pw),
        ],
    );
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.stderr.contains("TLS handshake failed"), "{}", r.stderr);
    assert!(r.stderr.contains("--cacert"), "{}", r.stderr);
    // No CA at all: the same, clearly.
    let r = push(
        &gw,
        "no-ca",
        &["--username", "alice", "--password-file", s(&pw)],
    );
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr
            .contains("TLS handshake failed: invalid peer certificate"),
        "{}",
        r.stderr
    );

    // Wrong password: exit 5, the password is not printed (checked in push()).
    let bad = password_file(&pki, "not-the-password");
    let r = push(
        &gw,
        "wrong-pw",
        &[
            "--cacert",
            &ca,
            "--username",
            "alice",
            "--password-file",
            s(&bad),
        ],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.stderr.contains("HTTP 401 Unauthorized"), "{}", r.stderr);
    assert!(
        r.stderr.contains("password from --password-file"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not-the-password"), "{}", r.stderr);

    // Credentials in the URL, shown as ***.
    let url = gw
        .url
        .replace("https://", &format!("https://alice:{PASSWORD}@"));
    let r = run(&[
        "push",
        "examples/simple.json",
        "url-creds",
        "--gateway",
        &url,
        "--cacert",
        &ca,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("https://***@127.0.0.1:"), "{}", r.stderr);
    assert!(!r.stderr.contains(PASSWORD));

    // --insecure-skip-verify works, loudly.
    let r = push(
        &gw,
        "insecure",
        &[
            "--insecure-skip-verify",
            "--username",
            "alice",
            "--password-file",
            s(&pw),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("WARNING: --insecure-skip-verify"),
        "{}",
        r.stderr
    );
}

#[test]
fn mutual_tls() {
    let pki = Pki::new();
    let gw = SecureGateway::start(&pki, true);
    let pw = password_file(&pki, PASSWORD);
    let auth = pki.auth_args(&pw);
    let auth: Vec<&str> = auth.iter().map(String::as_str).collect();

    let r = push(&gw, "no-client-cert", &auth);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr
            .contains("requires a client certificate: pass --cert and --key"),
        "{}",
        r.stderr
    );

    let (cert, key) = (pki.path("client.pem"), pki.path("client-key.pem"));
    let mut with = auth.to_vec();
    with.extend(["--cert", &cert, "--key", &key]);
    let r = push(&gw, "mtls", &with);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(gw.family(&pki, "mtls", "images_processed").is_some());

    // --cert without --key is a usage error.
    let r = push(&gw, "half", &["--cert", &cert]);
    assert_eq!(r.code, 2, "{r:?}");
}
