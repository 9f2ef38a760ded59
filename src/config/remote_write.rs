//! The remote-write target: `--remote-write URL`, its own credentials, the
//! labels every series carries, and the request size.

use anyhow::Result;
use reqwest::Url;

use super::credentials::{self, AuthFrom};
use crate::cli::{ConnectionArgs, NetArgs, RemoteWriteArgs};
use crate::error::{bail_with, Exit};
use crate::sink::remote_write::Target;

/// The default of `--max-samples-per-request`.
pub const DEFAULT_MAX_SAMPLES: u64 = 2000;

/// The receiver, with `grouping` (job first) as labels on every series.
/// `shared_auth`: the unprefixed credentials are this destination's too
/// (it is the only one).
pub fn target(
    args: &RemoteWriteArgs,
    conn: &ConnectionArgs,
    shared_auth: bool,
    net: &NetArgs,
    grouping: Vec<(String, String)>,
) -> Result<Target> {
    let raw = args.remote_write.as_deref().unwrap_or_default();
    let mut url = endpoint(raw)?;
    if !is_remote_write_path(url.path()) {
        crate::report::warn(format!(
            "--remote-write {}: {:?} is not a remote-write path ({}); a receiver may read another format there (VictoriaMetrics reads InfluxDB lines at /write), answer 204 and keep nothing; pushing anyway",
            crate::redact::url_str(raw),
            url.path(),
            KNOWN_PATHS
        ));
    }
    let own = AuthFrom {
        username: args.remote_write_username.as_deref(),
        username_option: "--remote-write-username",
        password_file: args.remote_write_password_file.as_deref(),
        password_option: "--remote-write-password-file",
        password_var: "SIMPLEPIPE_REMOTE_WRITE_PASSWORD",
        bearer: Some((
            args.remote_write_bearer_token_file.as_deref(),
            "--remote-write-bearer-token-file",
            "SIMPLEPIPE_REMOTE_WRITE_BEARER_TOKEN",
        )),
    };
    let mut from = vec![own];
    if shared_auth {
        from.push(AuthFrom::shared(conn));
    }
    let http = credentials::http(conn, net, Some(&mut url), &from)?;
    let max = args.max_samples_per_request.unwrap_or(DEFAULT_MAX_SAMPLES);
    Ok(Target {
        url,
        labels: grouping,
        max_samples: usize::try_from(max).unwrap_or(usize::MAX),
        http,
    })
}

/// Where the receivers take remote write, for the warning.
const KNOWN_PATHS: &str = "…/api/v1/write for Prometheus and VictoriaMetrics, …/api/v1/push for Mimir and Cortex, …/api/v1/receive for Thanos";

/// Whether `path` ends as a remote-write receiver's does: Prometheus and
/// VictoriaMetrics `/api/v1/write` (VictoriaMetrics also under
/// `/prometheus/` and a cluster's `/insert/0/prometheus/`), Mimir and
/// Cortex `/api/v1/push` (Grafana Cloud `/api/prom/push`), Thanos Receive
/// `/api/v1/receive`, M3 `/api/v1/prom/remote/write`, InfluxDB 1.8
/// `/api/v1/prom/write`, Grafana Alloy `/api/v1/metrics/write`. A proxy
/// may add a prefix, so only the end is compared. Another path is most
/// likely a mistake that the receiver won't report: VictoriaMetrics reads
/// a remote-write body sent to `/write` as InfluxDB lines, logs them as
/// bad and answers 204.
fn is_remote_write_path(path: &str) -> bool {
    const ENDS: [&str; 8] = [
        "/api/v1/write",
        "/api/v1/push",
        "/api/v1/receive",
        "/receive",
        "/api/prom/push",
        "/api/v1/prom/remote/write",
        "/api/v1/prom/write",
        "/api/v1/metrics/write",
    ];
    let path = path.trim_end_matches('/');
    ENDS.iter().any(|end| path.ends_with(end))
}

/// The receiver's endpoint, given in full (scheme, host and path; a query
/// such as VictoriaMetrics' `?extra_label=` is kept).
fn endpoint(raw: &str) -> Result<Url> {
    super::target::refuse_mistyped("--remote-write", raw, "http://prometheus:9090/api/v1/write")?;
    let url = Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    match url {
        Some(url) => Ok(url),
        None => bail_with!(
            Exit::Usage,
            "--remote-write {}: expected the receiver's full http:// or https:// endpoint, e.g. http://prometheus:9090/api/v1/write",
            crate::redact::url_str(raw)
        ),
    }
}

/// Remote-write options without `--remote-write`: refused rather than
/// silently ignored.
pub fn unused(args: &RemoteWriteArgs) -> Result<()> {
    let given = [
        (
            "--max-samples-per-request",
            args.max_samples_per_request.is_some(),
        ),
        (
            "--remote-write-username",
            args.remote_write_username.is_some(),
        ),
        (
            "--remote-write-password-file",
            args.remote_write_password_file.is_some(),
        ),
        (
            "--remote-write-bearer-token-file",
            args.remote_write_bearer_token_file.is_some(),
        ),
    ];
    if let Some((option, _)) = given.iter().find(|(_, on)| *on) {
        bail_with!(
            Exit::Usage,
            "{option} is given without --remote-write URL (or SIMPLEPIPE_REMOTE_WRITE); add it to push by remote write"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_given_in_full() {
        assert_eq!(
            endpoint("https://u:p@vm:8428/api/v1/write?extra_label=a=b")
                .unwrap()
                .query(),
            Some("extra_label=a=b")
        );
        for bad in ["prometheus:9090/api/v1/write", "ftp://h/x", "http://"] {
            let e = endpoint(bad).unwrap_err();
            assert!(format!("{e:#}").contains("full http://"), "{bad}: {e:#}");
        }
        let e = endpoint("http://user:secret@[::1").unwrap_err();
        assert!(!format!("{e:#}").contains("secret"), "{e:#}");
    }
}
