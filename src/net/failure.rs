//! Describing network failures in words, the same way for every server
//! and for S3: timeouts, refused connections, TLS problems and HTTP answers,
//! each with a hint and the exit kind it maps to, and never with the URL
//! (callers show it redacted).

use std::time::Duration;

use reqwest::StatusCode;

use super::{HttpOptions, Request};
use crate::error::Exit;

/// Why one attempt failed, and whether another may succeed.
pub struct AttemptFailure {
    pub exit: Exit,
    pub message: String,
    pub retry: bool,
    pub retry_after: Option<Duration>,
}

/// A request that got no answer.
pub fn transport_failure(e: &reqwest::Error, timeout: Duration, peer: &str) -> AttemptFailure {
    let (message, retry) = describe(e, timeout, peer);
    AttemptFailure {
        exit: Exit::Unreachable,
        message,
        retry,
        retry_after: None,
    }
}

/// An answer that is not 2xx: 5xx, 429 and 408 are transient (exit 6,
/// retried); another 4xx is a rejection (exit 5, with the server's own
/// message); anything else means the URL is not the server's base URL.
pub fn answer_failure(
    status: StatusCode,
    text: &str,
    retry_after: Option<Duration>,
    http: &HttpOptions,
    req: &Request,
) -> AttemptFailure {
    let peer = req.peer;
    let text = one_line(&server_message(text));
    let said = if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    };
    let transient = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    let (exit, message) = if transient {
        let what = if status.is_server_error() {
            "failed"
        } else {
            "is busy"
        };
        (
            Exit::Unreachable,
            format!("{peer} {what} (HTTP {status}){said}"),
        )
    } else if status.is_client_error() {
        let hint = if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            format!(" [sent {}]", http.auth.describe())
        } else {
            String::new()
        };
        (
            Exit::Rejected,
            format!("{peer} rejected it (HTTP {status}){said}{hint}"),
        )
    } else {
        (
            Exit::Rejected,
            format!("unexpected answer HTTP {status}{said}; {}", req.url_hint),
        )
    };
    AttemptFailure {
        exit,
        message,
        retry: transient,
        retry_after,
    }
}

/// The message in a JSON error answer (`{"error": "…"}` from InfluxDB 1.x,
/// `{"code": …, "message": "…"}` from 2.x, `{"error_code": "…", "message":
/// "…"}` from MLflow, the code first), or the whole answer.
fn server_message(text: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(text.trim()).ok();
    let message = json
        .as_ref()
        .and_then(|v| v.get("error").or_else(|| v.get("message")))
        .and_then(|m| m.as_str())
        .filter(|m| !m.trim().is_empty());
    let code = json
        .as_ref()
        .and_then(|v| v.get("error_code"))
        .and_then(|c| c.as_str());
    match (code, message) {
        (Some(code), Some(m)) => format!("{code}: {m}"),
        (_, Some(m)) => m.to_string(),
        _ => text.to_string(),
    }
}

/// Collapse a server's message to one line, cut short if long.
fn one_line(s: &str) -> String {
    crate::report::clip(&s.split_whitespace().collect::<Vec<_>>().join(" "), 500)
}

/// A one-line reason for a transport error and whether retrying can help.
/// TLS problems are not retried: the same handshake fails the same way.
pub fn describe(e: &reqwest::Error, timeout: Duration, peer: &str) -> (String, bool) {
    let root = root_cause(e);
    if e.is_timeout() {
        let secs = timeout.as_secs_f64();
        (
            format!("timed out after {secs}s (raise --timeout if {peer} is slow)"),
            true,
        )
    } else if let Some(hint) = tls_hint(&root) {
        (format!("TLS handshake failed: {root}{hint}"), false)
    } else if e.is_connect() {
        (format!("cannot connect to {peer}: {root}"), true)
    } else {
        (format!("the request failed: {root}"), true)
    }
}

/// Why a TCP connection to `url`'s host can't be made now, if it can't
/// (each of its addresses tried, within `timeout`, at most 2 s).
pub fn connect_error(url: &reqwest::Url, timeout: Duration) -> Option<std::io::Error> {
    let addrs = url.socket_addrs(|| None).ok()?;
    let limit = timeout.min(Duration::from_secs(2));
    let mut last = None;
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, limit) {
            Ok(_) => return None,
            Err(e) => last = Some(e),
        }
    }
    last
}

/// The innermost error's message (e.g. "Connection refused (os error 111)").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e;
    while let Some(next) = root.source() {
        root = next;
    }
    root.to_string()
}

/// The hint for a server certificate the client's CAs did not sign (a
/// source that takes its CA from elsewhere, `argo://`, says its own).
pub const CA_HINT: &str = " (pass --cacert with the CA that signed the server's certificate)";

/// A hint for TLS failures, or `None` when the error is not about TLS.
pub fn tls_hint(root: &str) -> Option<&'static str> {
    let r = root.to_ascii_lowercase();
    if r.contains("certificaterequired")
        || r.contains("no certificates")
        || r.contains("badcertificate")
    {
        Some(" (the server requires a client certificate: pass --cert and --key)")
    } else if r.contains("caasendentity") || r.contains("causedasendentity") {
        // openssl's default self-signed certificate has CA:TRUE; rustls
        // (as Go's and browsers' verifiers) refuses a CA as a server's own.
        Some(" (the server's certificate is a CA certificate, CA:TRUE, used as the server's own, which is refused even with --cacert: sign the server's certificate with a separate CA and pass that CA with --cacert, or make the self-signed certificate with basicConstraints=critical,CA:FALSE and subjectAltName for the host)")
    } else if r.contains("certificate") {
        Some(CA_HINT)
    } else if r.contains("alert")
        || r.contains("handshake")
        || r.contains("corrupt message")
        || r.contains("tls")
    {
        Some(" (is the server speaking https on this port?)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_certificate_as_the_servers_own_is_explained() {
        let hint = tls_hint("invalid peer certificate: CaUsedAsEndEntity").unwrap();
        assert!(
            hint.contains("CA:TRUE") && hint.contains("CA:FALSE"),
            "{hint}"
        );
        let plain = tls_hint("invalid peer certificate: UnknownIssuer").unwrap();
        assert!(plain.contains("pass --cacert"), "{plain}");
    }

    #[test]
    fn json_error_answers_give_their_message() {
        assert_eq!(
            server_message(r#"{"error":"database not found: \"x\""}"#),
            r#"database not found: "x""#
        );
        assert_eq!(
            server_message(r#"{"code":"unauthorized","message":"unauthorized access"}"#),
            "unauthorized access"
        );
        assert_eq!(server_message("plain text"), "plain text");
        assert_eq!(server_message(r#"{"other":1}"#), r#"{"other":1}"#);
    }
}
