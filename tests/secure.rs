//! The real Pushgateway, secured with `--web.config.file`: TLS with a CA
//! generated here, basic auth with a bcrypt hash, and mutual TLS.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

const PASSWORD: &str = "pw-Kx7-do-not-print-this";

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, pem: String| std::fs::write(dir.path().join(name), pem).unwrap();
        let ca = |cn: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(rcgen::DnType::CommonName, cn);
            CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
        };
        let issuer = ca("simplepipe test CA");
        write("ca.pem", issuer.pem());
        write("other-ca.pem", ca("some other CA").pem());
        let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose, stem: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(names).unwrap();
            p.extended_key_usages = vec![usage];
            let cert = p.signed_by(&key, &issuer).unwrap();
            write(&format!("{stem}.pem"), cert.pem());
            write(&format!("{stem}-key.pem"), key.serialize_pem());
        };
        leaf(
            vec!["127.0.0.1".into(), "localhost".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
            "server",
        );
        leaf(
            vec!["simplepipe-client".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            "client",
        );
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }
}

/// A Pushgateway serving https with basic auth (and optionally requiring
/// client certificates), killed on drop.
struct SecureGateway {
    child: Child,
    url: String,
}

impl SecureGateway {
    fn start(pki: &Pki, mtls: bool) -> SecureGateway {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let mut cfg = format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            pki.path("server.pem"),
            pki.path("server-key.pem")
        );
        if mtls {
            cfg += &format!(
                "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n",
                pki.path("ca.pem")
            );
        }
        cfg += &format!("basic_auth_users:\n  alice: {hash}\n");
        let web = pki
            .dir
            .path()
            .join(if mtls { "web-mtls.yml" } else { "web.yml" });
        std::fs::write(&web, cfg).unwrap();
        let port = free_port();
        let child = Command::new(PUSHGATEWAY)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--persistence.file=")
            .arg(format!("--web.config.file={}", web.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus-pushgateway runs (bash .ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "secure pushgateway did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SecureGateway {
            child,
            url: format!("https://127.0.0.1:{port}"),
        }
    }

    /// Read a group's families back, over TLS, with the right credentials.
    fn family(&self, pki: &Pki, job: &str, name: &str) -> Option<serde_json::Value> {
        let ca =
            reqwest::Certificate::from_pem(&std::fs::read(pki.path("ca.pem")).unwrap()).unwrap();
        let mut id = std::fs::read(pki.path("client.pem")).unwrap();
        id.extend(std::fs::read(pki.path("client-key.pem")).unwrap());
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(ca)
            .identity(reqwest::Identity::from_pem(&id).unwrap())
            .build()
            .unwrap();
        let text = client
            .get(format!("{}/api/v1/metrics", self.url))
            .basic_auth("alice", Some(PASSWORD))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["labels"]["job"] == job)
            .map(|g| g[name].clone())
    }
}

impl Drop for SecureGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn password_file(pki: &Pki, value: &str) -> PathBuf {
    let p = pki.dir.path().join(format!("password-{}", value.len()));
    std::fs::write(&p, format!("{value}\n")).unwrap();
    p
}

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
    let ca = pki.path("ca.pem");
    let auth = [
        "--cacert",
        ca.as_str(),
        "--username",
        "alice",
        "--password-file",
        s(&pw),
    ];

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
