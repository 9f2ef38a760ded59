//! The Kubernetes API, for `argo://`: no real API server can run here, so a
//! scripted https server stands in for it (it records exactly what the
//! client sent), with a certificate from a test CA; and a pod's mounted
//! service account (token, CA, namespace) in a temporary directory.

use super::scripted::{Recorded, Reply, Scripted};
use super::secure::Pki;

/// The service account token the pod presents: never to be printed.
pub const TOKEN: &str = "sa-token-Jf3-never-print-this";

pub struct ApiServer {
    pub server: Scripted,
    pub pki: Pki,
    pub account: tempfile::TempDir,
}

impl ApiServer {
    /// Serve `script` over https; the service account's namespace file
    /// says `namespace` and its CA is the one that signed the server.
    pub fn start(script: Vec<Reply>, namespace: &str) -> ApiServer {
        let pki = Pki::new();
        let server = Scripted::start_https(script, &pki);
        let account = tempfile::tempdir().unwrap();
        std::fs::write(account.path().join("token"), format!("{TOKEN}\n")).unwrap();
        std::fs::write(account.path().join("namespace"), namespace).unwrap();
        std::fs::copy(pki.path("ca.pem"), account.path().join("ca.crt")).unwrap();
        ApiServer {
            server,
            pki,
            account,
        }
    }

    /// What a pod's environment says: where the API is, and (our variable)
    /// where the service account is mounted.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let port = self.server.url.rsplit(':').next().unwrap().to_string();
        vec![
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1".to_string()),
            ("KUBERNETES_SERVICE_PORT", port),
            (
                "SIMPLEPIPE_SERVICE_ACCOUNT_DIR",
                self.account.path().to_str().unwrap().to_string(),
            ),
        ]
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}

/// A 200 answer with a JSON body (a Workflow object).
pub fn object(json: String) -> Reply {
    Reply::Status(200, &[("Content-Type", "application/json")], json.leak())
}

/// The API server's refusal: a `Status` object, as it writes one.
pub fn refusal(code: u16, reason: &str, message: &str, name: &str) -> Reply {
    let body = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": {"name": name, "group": "argoproj.io", "kind": "workflows"},
        "code": code,
    });
    Reply::Status(
        code,
        &[("Content-Type", "application/json")],
        body.to_string().leak(),
    )
}
