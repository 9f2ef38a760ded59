//! A real Pushgateway secured with `--web.config.file`: TLS with a CA
//! generated here, basic auth (user `alice`, [`PASSWORD`]) with a bcrypt
//! hash, and optionally mutual TLS. Shared by the TLS/auth tests and the
//! groups/prune ones.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

use super::{free_port, PUSHGATEWAY};

pub const PASSWORD: &str = "pw-Kx7-do-not-print-this";

pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
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

    /// `--cacert` and basic auth as `alice`, the password read from
    /// `password_file`: what a client of [`SecureGateway`] passes.
    pub fn auth_args(&self, password_file: &std::path::Path) -> Vec<String> {
        [
            "--cacert",
            &self.path("ca.pem"),
            "--username",
            "alice",
            "--password-file",
            password_file.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }
}

/// A Pushgateway serving https with basic auth (and optionally requiring
/// client certificates), killed on drop.
pub struct SecureGateway {
    child: Child,
    pub url: String,
}

impl SecureGateway {
    pub fn start(pki: &Pki, mtls: bool) -> SecureGateway {
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

    /// The gateway's `/api/v1/metrics` answer, read over TLS with the
    /// right CA, client certificate and password.
    pub fn api(&self, pki: &Pki) -> serde_json::Value {
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
        serde_json::from_str(&text).unwrap()
    }

    /// A group's family, found by its `job`.
    pub fn family(&self, pki: &Pki, job: &str, name: &str) -> Option<serde_json::Value> {
        self.api(pki)["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["labels"]["job"] == job)
            .map(|g| g[name].clone())
    }

    /// The `job` of every group the gateway holds, sorted.
    pub fn jobs(&self, pki: &Pki) -> Vec<String> {
        let mut jobs: Vec<String> = self.api(pki)["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["labels"]["job"].as_str().unwrap().to_string())
            .collect();
        jobs.sort();
        jobs
    }
}

impl Drop for SecureGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn password_file(pki: &Pki, value: &str) -> PathBuf {
    let p = pki.dir.path().join(format!("password-{}", value.len()));
    std::fs::write(&p, format!("{value}\n")).unwrap();
    p
}
