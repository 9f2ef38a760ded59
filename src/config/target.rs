//! The Pushgateway: its base URL, a group's grouping key, and the whole
//! gateway for the commands that work on all its groups.

use anyhow::Result;
use reqwest::Url;

use super::credentials::{self, AuthFrom};
use super::{env_nonempty, pairs};
use crate::artifact::Proposed;
use crate::cli::{GatewayArgs, GroupingArgs, NetArgs};
use crate::error::{bail_with, Exit, ExitContext};
use crate::pushgateway::{Gateway, Target};
use crate::source::Source;

/// The group to push to or delete: gateway, grouping key (checked, `job`
/// first) and HTTP options.
pub fn target(
    args: &GatewayArgs,
    net: &NetArgs,
    grouping: Vec<(String, String)>,
    dry_run: bool,
) -> Result<Target> {
    let mut gateway = match base_url(args)? {
        Some(url) => Some(url),
        None if dry_run => None,
        None if grouping
            .first()
            .is_some_and(|(_, job)| job == FROM_ARTIFACT) =>
        {
            bail_with!(Exit::Usage, "{NO_GATEWAY}; also {NO_JOB}, unless the artifact is an Argo Workflow (which names its own)")
        }
        None => bail_with!(Exit::Usage, "{NO_GATEWAY}"),
    };
    let shared = [AuthFrom::shared(&args.connection)];
    let http = credentials::http(&args.connection, net, gateway.as_mut(), &shared)?;
    Ok(Target {
        gateway,
        grouping,
        http,
    })
}

/// The job, which every push needs (a grouping label, a label or a tag).
pub fn required_job(job: Option<String>) -> Result<String> {
    match job.filter(|j| !j.is_empty()) {
        Some(job) => Ok(job),
        None => bail_with!(
            Exit::Usage,
            "{NO_JOB} (the grouping label `job` is required)"
        ),
    }
}

const NO_JOB: &str = "no job given: pass JOB, --job JOB or set SIMPLEPIPE_JOB";

/// The job of a push that reads a source but was given none: an Argo
/// Workflow names its own, so the job waits for the artifact ([`settle`]
/// puts it in). Never sent.
pub const FROM_ARTIFACT: &str = "<job from the artifact>";

/// When the artifact the job waited for ([`FROM_ARTIFACT`]) could not be
/// loaded: the missing job, as the error it was before any artifact could
/// name one (exit 2, which `--best-effort` never forgives). Not for
/// `argo://`, which is always a Workflow, nor `mlflow://`, which always
/// names its experiment: their own failure (exit 3) stands.
pub fn unsettled(grouping: &[(String, String)], source: Option<&Source>) -> Option<anyhow::Error> {
    let pending = grouping
        .iter()
        .any(|(k, v)| k == "job" && v == FROM_ARTIFACT)
        && !matches!(source, Some(Source::Argo { .. } | Source::Mlflow(_)));
    pending.then(|| {
        crate::error::fail(
            Exit::Usage,
            anyhow::anyhow!("{NO_JOB} (the grouping label `job` is required; an Argo Workflow names its own, but the artifact could not be read)"),
        )
    })
}

/// The job and user an artifact proposes ([`Proposed`]), where the command
/// line gave none: its job in place of [`FROM_ARTIFACT`] (a usage error when
/// it proposes none), its user when neither `--user` nor `--label user=…`
/// was given (inserted after `job`, where `--user` goes). `None`: the
/// grouping stands as it is.
pub fn settle(
    grouping: &[(String, String)],
    proposed: &Proposed,
    labels: &[(String, String)],
) -> Result<Option<Vec<(String, String)>>> {
    let mut out = grouping.to_vec();
    if let Some((_, job)) = out
        .iter_mut()
        .find(|(k, v)| k == "job" && v == FROM_ARTIFACT)
    {
        let Some(own) = &proposed.job else {
            bail_with!(
                Exit::Usage,
                "{NO_JOB} (the grouping label `job` is required; only an Argo Workflow or an mlflow:// source names its own)"
            );
        };
        *job = own.clone();
    }
    let named = |name: &str| out.iter().chain(labels).any(|(k, _)| k == name);
    if let (Some(user), false) = (&proposed.user, named("user")) {
        let at = usize::from(!out.is_empty());
        out.insert(at, ("user".to_string(), user.clone()));
    }
    Ok((out != grouping).then_some(out))
}

/// The whole gateway, for `groups` and `prune`: the same URL, fallback,
/// credentials and TLS as a push, and no grouping key.
pub fn gateway(args: &GatewayArgs, net: &NetArgs) -> Result<Gateway> {
    let Some(mut base) = base_url(args)? else {
        bail_with!(Exit::Usage, "{NO_GATEWAY}");
    };
    let shared = [AuthFrom::shared(&args.connection)];
    let http = credentials::http(&args.connection, net, Some(&mut base), &shared)?;
    Ok(Gateway { base, http })
}

const NO_GATEWAY: &str =
    "no Pushgateway given: pass --gateway URL or set SIMPLEPIPE_GATEWAY or PUSH_GATEWAY_HOSTNAME (e.g. http://pushgateway:9091)";

/// `--gateway`, or PUSH_GATEWAY_HOSTNAME, parsed.
fn base_url(args: &GatewayArgs) -> Result<Option<Url>> {
    // PUSH_GATEWAY_HOSTNAME is what the original Simplepipe read; clap can
    // only attach one variable to an option, so the fallback lives here.
    args.gateway
        .clone()
        .or_else(|| env_nonempty("PUSH_GATEWAY_HOSTNAME"))
        .map(|raw| gateway_url(&raw))
        .transpose()
}

/// The grouping key: `job`, then `user`, then each `--group`, checked.
pub fn grouping(args: &GroupingArgs, job: String) -> Result<Vec<(String, String)>> {
    let mut grouping = vec![("job".to_string(), job)];
    if let Some(user) = &args.user {
        grouping.push(("user".to_string(), user.clone()));
    }
    for (name, value) in pairs("--group", &args.groups)? {
        if name.starts_with("__") {
            bail_with!(
                Exit::Usage,
                "--group {name}: names starting with `__` are reserved by Prometheus"
            );
        }
        if let Some((_, prev)) = grouping.iter().find(|(k, _)| *k == name) {
            let hint = match name.as_str() {
                "job" => " (use --job)",
                "user" => " (use --user)",
                _ => "",
            };
            bail_with!(
                Exit::Usage,
                "--group {name}={value}: `{name}` is already in the grouping key as {prev:?}{hint}"
            );
        }
        grouping.push((name, value));
    }
    Ok(grouping)
}

/// Parse a gateway base URL. `host:port` without a scheme is taken as
/// `http://host:port`, as the original Simplepipe (via prometheus_client) did.
pub fn gateway_url(raw: &str) -> Result<Url> {
    server_url("--gateway", raw, "http://pushgateway:9091")
}

/// Parse a server's base URL given by `option` (`--gateway`, `--influx`):
/// http or https, a host, a path prefix at most; `host:port` means
/// `http://host:port`. Messages show it redacted, with `example`.
pub fn server_url(option: &str, raw: &str, example: &str) -> Result<Url> {
    refuse_mistyped(option, raw, example)?;
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let url = Url::parse(&with_scheme).or_fail(Exit::Usage, |e| {
        format!(
            "{option} {}: not a valid URL ({e}); expected e.g. {example}",
            crate::redact::url_str(raw)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail_with!(
            Exit::Usage,
            "{option} {}: expected an http:// or https:// URL with a host",
            crate::redact::url(&url)
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail_with!(
            Exit::Usage,
            "{option} {}: a query or fragment is not allowed in the base URL",
            crate::redact::url(&url)
        );
    }
    Ok(url)
}

/// Refuse a value that starts like a scheme (`http:`, `https:`) but lacks
/// the `//`: "no `://` means `http://`" would turn `http:/bob:pw@host` into
/// host `http` with the password in the path, and `https:/h` into plain
/// http. `host:port` is not mistyped. The value is shown redacted.
pub fn refuse_mistyped(option: &str, raw: &str, example: &str) -> Result<()> {
    if mistyped_scheme(raw) {
        bail_with!(
            Exit::Usage,
            "{option} {}: a scheme without \"//\" (a mistyped URL?); write it in full, e.g. {example}",
            crate::redact::url_str(raw)
        );
    }
    Ok(())
}

fn mistyped_scheme(raw: &str) -> bool {
    let Some((word, rest)) = raw.split_once(':') else {
        return false;
    };
    let scheme_like = word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_like || rest.starts_with("//") {
        return false;
    }
    let port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_without_scheme_is_http() {
        assert_eq!(
            gateway_url("pushgateway:9091").unwrap().as_str(),
            "http://pushgateway:9091/"
        );
        assert_eq!(gateway_url("http://h/pgw").unwrap().path(), "/pgw");
    }

    #[test]
    fn a_scheme_without_slashes_is_mistyped() {
        for raw in [
            "http:/bob:pw@host",
            "https:/h",
            "https:h",
            "http:",
            "bob:pw@host",
        ] {
            assert!(mistyped_scheme(raw), "{raw}");
        }
        for raw in [
            "h:9091",
            "h:9091/pgw",
            "http://h",
            "h",
            "[::1]:9091",
            "10.0.0.1:80",
        ] {
            assert!(!mistyped_scheme(raw), "{raw}");
        }
    }

    #[test]
    fn gateway_rejects_other_schemes() {
        let e = gateway_url("ftp://h").unwrap_err();
        assert!(format!("{e:#}").contains("http://"), "{e:#}");
    }
}
