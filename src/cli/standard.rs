//! The arguments of the generators `rules` and `dashboard` (kept apart so
//! that cli.rs stays readable): the standard's path and the output choices.

use std::path::PathBuf;

use clap::Args;

/// `simplepipe rules STANDARD`: one alert per `expect` bound, plus
/// freshness, failed pushes and failed runs.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The standard: a YAML or JSON file with `kind: Standard`.
    #[arg(value_name = "STANDARD")]
    pub standard: PathBuf,

    /// Print a monitoring.coreos.com/v1 PrometheusRule (for the Prometheus
    /// Operator) instead of a plain rule file.
    #[arg(long)]
    pub prometheus_rule: bool,

    /// Label on the PrometheusRule (repeatable), e.g. `release=kube-prometheus-stack`,
    /// which kube-prometheus-stack selects rules by.
    #[arg(
        long = "rule-label",
        value_name = "KEY=VALUE",
        requires = "prometheus_rule"
    )]
    pub rule_labels: Vec<String>,

    /// Also write a `promtool test rules` file to FILE, proving that each
    /// alert fires and that a run inside the bounds fires nothing. It needs
    /// --output: the tests load the rules from that file.
    #[arg(long, value_name = "FILE", conflicts_with = "prometheus_rule")]
    pub tests: Option<PathBuf>,

    /// Write the rules to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `simplepipe dashboard STANDARD`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// The standard: a YAML or JSON file with `kind: Standard`.
    #[arg(value_name = "STANDARD")]
    pub standard: PathBuf,

    /// Print a ConfigMap labelled `grafana_dashboard: "1"`, which the Grafana
    /// sidecar of kube-prometheus-stack loads, instead of the JSON.
    #[arg(long)]
    pub configmap: bool,

    /// Query for metrics sent by remote write (one sample per push: the
    /// latest value is `last_over_time(...[30d])`) rather than scraped
    /// from a Pushgateway.
    #[arg(long)]
    pub remote_write: bool,
}
