//! The arguments of `simplepipe alertmanager`: the standard, where its
//! secrets are mounted, and which form to write.

use std::path::PathBuf;

use clap::Args;

/// `simplepipe alertmanager STANDARD`: who is told about the standard's
/// alerts, as Alertmanager routing.
#[derive(Debug, Args)]
pub struct AlertmanagerArgs {
    /// The standard: a YAML or JSON file with `kind: Standard` and `spec.notify`.
    #[arg(value_name = "STANDARD")]
    pub standard: PathBuf,

    /// Where the secrets the standard names are: DIR/NAME/KEY for
    /// `{secret: NAME, key: KEY}`, the layout of Kubernetes Secrets mounted
    /// one per directory. Their values are written into the file.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "alertmanager_config",
        conflicts_with = "alertmanager_config"
    )]
    pub secrets_dir: Option<PathBuf>,

    /// Print a monitoring.coreos.com/v1alpha1 AlertmanagerConfig (for the
    /// Prometheus Operator) instead: secrets as references, no values.
    #[arg(long)]
    pub alertmanager_config: bool,

    /// Label on the AlertmanagerConfig (repeatable), e.g. the ones the
    /// Alertmanager's alertmanagerConfigSelector selects by.
    #[arg(
        long = "rule-label",
        value_name = "KEY=VALUE",
        requires = "alertmanager_config"
    )]
    pub rule_labels: Vec<String>,

    /// Write to FILE instead of stdout. An alertmanager.yml is created with
    /// mode 0600, as it holds the secret values.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
