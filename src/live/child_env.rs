//! The environment `run` gives its child: simplepipe's own secrets removed,
//! userinfo stripped from the URLs passed on.
//!
//! Training scripts and experiment trackers log their whole environment,
//! so a password meant for the Pushgateway would end up in a run's logs.
//! The child's own credentials (`AWS_*`, `MLFLOW_*`, anything not ours)
//! are left alone: it may need them. See docs/security-child-env.md.

use std::process::Command;

/// simplepipe's secret variables: never passed to the child.
pub const SECRET_VARS: [&str; 6] = [
    "SIMPLEPIPE_PASSWORD",
    "SIMPLEPIPE_BEARER_TOKEN",
    "SIMPLEPIPE_INFLUX_TOKEN",
    "SIMPLEPIPE_INFLUX_PASSWORD",
    "SIMPLEPIPE_REMOTE_WRITE_PASSWORD",
    "SIMPLEPIPE_REMOTE_WRITE_BEARER_TOKEN",
];

/// simplepipe's URL variables: passed on without their userinfo.
pub const URL_VARS: [&str; 4] = [
    "SIMPLEPIPE_GATEWAY",
    "SIMPLEPIPE_REMOTE_WRITE",
    "SIMPLEPIPE_INFLUX",
    "PUSH_GATEWAY_HOSTNAME",
];

/// A command for `program`, its environment ours, contained.
pub fn command(program: &std::ffi::OsStr) -> Command {
    let mut command = Command::new(program);
    contain(&mut command);
    command
}

/// Set up `command`'s environment from ours, contained.
pub fn contain(command: &mut Command) {
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    for var in URL_VARS {
        if let Some(value) = std::env::var_os(var) {
            match value.to_str() {
                Some(v) => {
                    command.env(var, without_userinfo(v));
                }
                // Not UTF-8: it can't be a URL we use; don't pass it on.
                None => {
                    command.env_remove(var);
                }
            }
        }
    }
}

/// `scheme://user:pw@host/…` → `scheme://host/…` (also without a scheme).
pub fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(
            without_userinfo("http://bob:pw@gw:9091/pgw"),
            "http://gw:9091/pgw"
        );
        assert_eq!(without_userinfo("bob:p@w@gw:9091"), "gw:9091");
        assert_eq!(without_userinfo("https://gw/a@b"), "https://gw/a@b");
        assert_eq!(without_userinfo("gw:9091"), "gw:9091");
    }
}
