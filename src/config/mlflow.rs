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
use reqwest::Url;

use crate::cli::{ConnectionArgs, MlflowArgs, MlflowSourceArgs, NetArgs};
use crate::encode::mlflow::tag_problem;
use crate::error::{bail_with, Exit};
use crate::net::HttpOptions;
use crate::sink::mlflow::Target;
use crate::source::mlflow::MlflowOptions;

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
    let http = connection(&mut url, conn, shared_auth.then_some(conn), net)?;
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

/// How to talk to a tracking server at `url`: MLflow's credential
/// variables, user info in the URL, the unprefixed options (`shared`,
/// when MLflow is the only destination), and MLflow's TLS variables on
/// top of the shared TLS options. Shared by the sink and the source.
fn connection(
    url: &mut Url,
    conn: &ConnectionArgs,
    shared: Option<&ConnectionArgs>,
    net: &NetArgs,
) -> Result<HttpOptions> {
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
    from.extend(shared.map(AuthFrom::shared));
    let mut http = credentials::http(conn, net, Some(url), &from)?;
    tls(&mut http)?;
    Ok(http)
}

/// The options of an `mlflow://` source: the server from
/// `--mlflow-tracking-uri`, else `MLFLOW_TRACKING_URI` (MLflow's own
/// convention); looked at only when a source is one (`from_mlflow`), so a
/// training pod's variable never fails a local push. `history`: a
/// destination keeps timestamps.
pub fn source_options(
    args: &MlflowSourceArgs,
    net: &NetArgs,
    from_mlflow: bool,
    history: bool,
) -> Result<Option<MlflowOptions>> {
    if !from_mlflow {
        if args.mlflow_tracking_uri.is_some() || !args.mlflow_labels.is_empty() {
            bail_with!(
                Exit::Usage,
                "--mlflow-tracking-uri and --mlflow-labels are for mlflow:// sources (mlflow://runs/RUN_ID, mlflow://experiments/NAME), and no source is one"
            );
        }
        return Ok(None);
    }
    let (option, raw) = match &args.mlflow_tracking_uri {
        Some(raw) => ("--mlflow-tracking-uri", raw.clone()),
        None => match env_nonempty("MLFLOW_TRACKING_URI") {
            Some(raw) => ("MLFLOW_TRACKING_URI", raw),
            None => bail_with!(
                Exit::Usage,
                "an mlflow:// source needs its tracking server: pass --mlflow-tracking-uri URL or set MLFLOW_TRACKING_URI (e.g. http://mlflow:5000)"
            ),
        },
    };
    let mut url = target::server_url(option, &raw, "http://mlflow:5000")?;
    let http = connection(&mut url, &ConnectionArgs::default(), None, net)?;
    let labels = args
        .mlflow_labels
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    Ok(Some(MlflowOptions {
        url,
        http,
        labels,
        history,
    }))
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
        let ca = super::credentials::ca_bundle("MLFLOW_TRACKING_SERVER_CERT_PATH", path.as_ref())?;
        http.tls.ca.extend(ca);
    }
    Ok(())
}
