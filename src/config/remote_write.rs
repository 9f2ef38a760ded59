//! The remote-write target: `--remote-write URL`, the labels every series
//! carries, and the request size. The Pushgateway's own options are refused
//! next to it rather than silently ignored.

use anyhow::Result;
use reqwest::Url;

use super::{credentials, env_nonempty, target};
use crate::cli::{Compress, GatewayArgs, GroupingArgs, Method, NetArgs, PushArgs};
use crate::error::{bail_with, Exit};
use crate::sink::remote_write::Target;

/// The receiver for `--remote-write RAW`, with `job` (required) as
/// resolved from the positional JOB or `--job`. Any command with the
/// grouping and network options (`push`, and the long-running ones) builds
/// its remote-write sink here.
pub fn target(
    raw: &str,
    connection: &GatewayArgs,
    grouping: &GroupingArgs,
    net: &NetArgs,
    job: Option<String>,
    max_samples: u64,
) -> Result<Target> {
    let mut url = endpoint(raw)?;
    one_destination(connection)?;
    let labels = target::grouping(grouping, target::required_job(job)?)?;
    let http = credentials::http(connection, net, Some(&mut url))?;
    Ok(Target {
        url,
        labels,
        max_samples: usize::try_from(max_samples).unwrap_or(usize::MAX),
        http,
    })
}

/// The receiver's endpoint, given in full (scheme, host and path; a query
/// such as VictoriaMetrics' `?extra_label=` is kept).
fn endpoint(raw: &str) -> Result<Url> {
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

/// A gateway next to `--remote-write` is a second destination: refused.
fn one_destination(connection: &GatewayArgs) -> Result<()> {
    let gateway = if connection.gateway.is_some() {
        Some("--gateway (or SIMPLEPIPE_GATEWAY)")
    } else if env_nonempty("PUSH_GATEWAY_HOSTNAME").is_some() {
        Some("PUSH_GATEWAY_HOSTNAME")
    } else {
        None
    };
    match gateway {
        Some(gateway) => bail_with!(
            Exit::Usage,
            "--remote-write and {gateway} are both given; give one destination"
        ),
        None => Ok(()),
    }
}

/// `push`'s Pushgateway-only options next to `--remote-write`: each would
/// be silently meaningless, so each is refused.
pub fn push_options_unused(args: &PushArgs) -> Result<()> {
    if args.method == Method::Post {
        bail_with!(
            Exit::Usage,
            "--method post is for the Pushgateway; remote write appends samples and has no group to replace"
        );
    }
    if args.format.is_some() || args.compress != Compress::None {
        bail_with!(
            Exit::Usage,
            "--format and --compress are for the Pushgateway; remote write is always snappy-compressed protobuf"
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
