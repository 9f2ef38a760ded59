//! The generators' options (`rules`, `dashboard`): the standard's path and
//! the output choices, with `--rule-label` checked as a Kubernetes label
//! before the standard is even read.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{DashboardArgs, RulesArgs};
use crate::error::{bail_with, Exit};
use crate::standard::dashboard::Storage;

#[derive(Debug, Clone)]
pub struct RulesConfig {
    pub standard: PathBuf,
    /// `Some(labels)`: print a PrometheusRule with these labels.
    pub prometheus_rule: Option<Vec<(String, String)>>,
    pub tests: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DashboardConfig {
    pub standard: PathBuf,
    pub configmap: bool,
    pub storage: Storage,
}

pub fn rules(args: RulesArgs) -> Result<RulesConfig> {
    let labels = k8s_labels(&args.rule_labels)?;
    if let (Some(tests), None) = (&args.tests, &args.output) {
        // The tests name the rules file they prove: printed rules are not
        // one, and writing one the user didn't ask for would surprise.
        bail_with!(
            Exit::Usage,
            "--tests {} needs -o RULES_FILE: the tests load the rules from that file; e.g. -o rules.yaml",
            tests.display()
        );
    }
    Ok(RulesConfig {
        standard: args.standard,
        prometheus_rule: args.prometheus_rule.then_some(labels),
        tests: args.tests,
        output: args.output,
    })
}

/// `--rule-label KEY=VALUE` values, each checked as a Kubernetes label.
pub fn k8s_labels(raw_labels: &[String]) -> Result<Vec<(String, String)>> {
    let mut labels = Vec::new();
    for raw in raw_labels {
        let Some((k, v)) = raw.split_once('=') else {
            bail_with!(
                Exit::Usage,
                "--rule-label {raw:?}: expected KEY=VALUE, e.g. release=kube-prometheus-stack"
            );
        };
        if !is_k8s_label_key(k) || !(v.is_empty() || is_k8s_name(v)) {
            bail_with!(
                Exit::Usage,
                "--rule-label {raw:?}: not a Kubernetes label (keys like release or example.com/team; values of at most 63 letters, digits, '-', '_', '.')"
            );
        }
        labels.push((k.to_string(), v.to_string()));
    }
    Ok(labels)
}

pub fn dashboard(args: DashboardArgs) -> DashboardConfig {
    DashboardConfig {
        standard: args.standard,
        configmap: args.configmap,
        storage: if args.remote_write {
            Storage::RemoteWrite
        } else {
            Storage::Pushgateway
        },
    }
}

/// `[prefix/]name`: a DNS subdomain prefix and a name.
fn is_k8s_label_key(key: &str) -> bool {
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    let prefix_ok = prefix.is_empty()
        || (prefix.len() <= 253
            && prefix.split('.').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            }));
    prefix_ok && is_k8s_name(name)
}

/// At most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
fn is_k8s_name(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_label_keys_and_values() {
        assert!(is_k8s_label_key("release"));
        assert!(is_k8s_label_key("app.kubernetes.io/part-of"));
        assert!(!is_k8s_label_key("bad key"));
        assert!(!is_k8s_label_key("-x"));
        assert!(is_k8s_name("kube-prometheus-stack"));
        assert!(!is_k8s_name(&"a".repeat(64)));
    }
}
