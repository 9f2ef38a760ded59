//! The `--mlflow` options of `push`, `run` and `watch`, as typed; the
//! standard MLflow client variables (`MLFLOW_RUN_ID`,
//! `MLFLOW_TRACKING_USERNAME`, …) are read by `crate::config::mlflow`,
//! which checks all of them.

// The doc comments are the --help text, where a bare URL reads better.
#![allow(rustdoc::bare_urls)]

use clap::Args;

/// Log into an MLflow tracking server (alone or next to the other
/// destinations).
#[derive(Debug, Args)]
#[command(next_help_heading = "MLflow")]
pub struct MlflowArgs {
    /// MLflow tracking server base URL, e.g. http://mlflow:5000: log every
    /// series as an MLflow metric in a run (one run per push; `run` and
    /// `watch` keep one run open and log history). MLFLOW_TRACKING_URI alone
    /// does not turn this on. Honours MLFLOW_RUN_ID (log into that run),
    /// MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN,
    /// MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH.
    #[arg(
        long,
        env = "SIMPLEPIPE_MLFLOW",
        value_name = "URL",
        hide_env_values = true
    )]
    pub mlflow: Option<String>,

    /// The MLflow experiment (created when missing); else
    /// MLFLOW_EXPERIMENT_NAME, else the job.
    #[arg(long, env = "SIMPLEPIPE_MLFLOW_EXPERIMENT", value_name = "NAME")]
    pub mlflow_experiment: Option<String>,
}

/// Reading `mlflow://runs/RUN_ID` and `mlflow://experiments/NAME` sources.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "MLflow sources")]
pub struct MlflowSourceArgs {
    /// The tracking server an mlflow:// source is read from, e.g.
    /// http://mlflow:5000; else MLFLOW_TRACKING_URI. Honours
    /// MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN,
    /// MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH.
    #[arg(long, value_name = "URL", hide_env_values = true)]
    pub mlflow_tracking_uri: Option<String>,

    /// Params (else tags) of an mlflow:// source's runs to carry as labels,
    /// comma-separated, e.g. lr,mlflow.source.git.commit (names made legal:
    /// lr, mlflow_source_git_commit).
    #[arg(
        long,
        env = "SIMPLEPIPE_MLFLOW_LABELS",
        value_name = "KEY,…",
        value_delimiter = ','
    )]
    pub mlflow_labels: Vec<String>,
}
