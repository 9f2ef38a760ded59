//! Describing network failures in words, the same way for the Pushgateway
//! and for S3: timeouts, refused connections and TLS problems, each with a
//! hint, and never with the URL (callers show it redacted).

use std::time::Duration;

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

/// The innermost error's message (e.g. "Connection refused (os error 111)").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e;
    while let Some(next) = root.source() {
        root = next;
    }
    root.to_string()
}

/// A hint for TLS failures, or `None` when the error is not about TLS.
pub fn tls_hint(root: &str) -> Option<&'static str> {
    let r = root.to_ascii_lowercase();
    if r.contains("certificaterequired")
        || r.contains("no certificates")
        || r.contains("badcertificate")
    {
        Some(" (the server requires a client certificate: pass --cert and --key)")
    } else if r.contains("certificate") {
        Some(" (pass --cacert with the CA that signed the server's certificate)")
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
