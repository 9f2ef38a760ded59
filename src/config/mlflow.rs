//! `--mlflow`: the MLflow target from the command line and the standard
//! MLflow client variables, checked. `MLFLOW_TRACKING_URI` alone does not
//! choose the destination (training pods often have it set for their own
//! client); `SIMPLEPIPE_MLFLOW` or `--mlflow` does.
//!
//! The experiment is `--mlflow-experiment`, else `MLFLOW_EXPERIMENT_NAME`,
//! else the job. `MLFLOW_RUN_ID` logs into that run. Credentials are
//! MLflow's own variables (`MLFLOW_TRACKING_USERNAME` with
//! `MLFLOW_TRACKING_PASSWORD`, or `MLFLOW_TRACKING_TOKEN`), user info in the
//! URL, or the unprefixed options when MLflow is the only destination; TLS
//! adds `MLFLOW_TRACKING_INSECURE_TLS` and `MLFLOW_TRACKING_SERVER_CERT_PATH`
//! to the shared options.

use anyhow::Result;

use super::credentials::{self, AuthFrom};
use super::{env_nonempty, target};
use crate::cli::{ConnectionArgs, MlflowArgs, NetArgs};
use crate::encode::mlflow::tag_problem;
use crate::error::{bail_with, Exit, ExitContext};
use crate::net::HttpOptions;
use crate::sink::mlflow::Target;

/// The checked target. `grouping` is job first, then user and `--group`.
pub fn target(
    args: &MlflowArgs,
    conn: &ConnectionArgs,
    shared_auth: bool,
    net: &NetArgs,
    grouping: Vec<(String, String)>,
) -> Result<Target> {
    let raw = args.mlflow.as_deref().unwrap_or_default();
    let mut url = target::server_url("--mlflow", raw, "http://mlflow:5000")?;
    let job = grouping.first().map(|(_, v)| v.clone()).unwrap_or_default();
    let experiment = args
        .mlflow_experiment
        .clone()
        .or_else(|| env_nonempty("MLFLOW_EXPERIMENT_NAME"))
        .unwrap_or(job);
    if experiment.trim().is_empty() {
        bail_with!(
            Exit::Usage,
            "--mlflow-experiment: the experiment name is empty"
        );
    }
    for (k, v) in &grouping {
        if let Some(why) = tag_problem(k, v) {
            bail_with!(Exit::Usage, "grouping label {k}: {why}");
        }
    }
    let run_id = run_id()?;
    let user_var = env_nonempty("MLFLOW_TRACKING_USERNAME");
    let own = AuthFrom {
        username: user_var.as_deref(),
        username_option: "MLFLOW_TRACKING_USERNAME",
        password_file: None,
        password_option: "MLFLOW_TRACKING_PASSWORD",
        password_var: "MLFLOW_TRACKING_PASSWORD",
        bearer: Some((None, "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")),
    };
    let mut from = vec![own];
    if shared_auth {
        from.push(AuthFrom::shared(conn));
    }
    let mut http = credentials::http(conn, net, Some(&mut url), &from)?;
    tls(&mut http)?;
    let user = grouping
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.clone());
    Ok(Target {
        url,
        experiment,
        run_id,
        user,
        grouping,
        http,
    })
}

/// `--mlflow-experiment` without `--mlflow`: refused rather than ignored.
pub fn unused(args: &MlflowArgs) -> Result<()> {
    if args.mlflow_experiment.is_some() {
        bail_with!(
            Exit::Usage,
            "--mlflow-experiment is given without --mlflow URL (or SIMPLEPIPE_MLFLOW); add it to log into MLflow"
        );
    }
    Ok(())
}

/// `MLFLOW_RUN_ID`, checked.
fn run_id() -> Result<Option<String>> {
    let run_id = env_nonempty("MLFLOW_RUN_ID");
    if let Some(id) = &run_id {
        if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail_with!(
                Exit::Usage,
                "MLFLOW_RUN_ID {id:?} is not an MLflow run id (letters and digits, e.g. 1f0c…); unset it to log into a new run"
            );
        }
    }
    Ok(run_id)
}

/// MLflow's TLS variables, on top of the shared TLS options.
fn tls(http: &mut HttpOptions) -> Result<()> {
    if let Some(raw) = env_nonempty("MLFLOW_TRACKING_INSECURE_TLS") {
        match crate::cli::parse::parse_bool(&raw) {
            Some(on) => http.tls.insecure |= on,
            None => bail_with!(
                Exit::Usage,
                "MLFLOW_TRACKING_INSECURE_TLS={raw:?}: expected true or false"
            ),
        }
    }
    if let Some(path) = env_nonempty("MLFLOW_TRACKING_SERVER_CERT_PATH") {
        let pem = std::fs::read(&path).or_fail(Exit::Usage, |e| {
            format!(
                "cannot read MLFLOW_TRACKING_SERVER_CERT_PATH {path}: {}",
                e.kind()
            )
        })?;
        let ca = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
        if ca.is_empty() {
            bail_with!(
                Exit::Usage,
                "MLFLOW_TRACKING_SERVER_CERT_PATH {path}: no PEM certificate found in it"
            );
        }
        http.tls.ca.extend(ca);
    }
    Ok(())
}
