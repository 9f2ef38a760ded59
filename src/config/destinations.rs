//! The destinations of `push`, `run` and `watch`, resolved once for all
//! three: which are chosen (any of the Pushgateway, remote write,
//! InfluxDB and MLflow, together), each one's checked target, and the grouping labels
//! they all carry. Options that no chosen destination uses are usage
//! errors (exit 2), so nothing is silently ignored.
//!
//! Credentials: `--username`, `--password-file`, `--bearer-token-file`
//! and their variables are the Pushgateway's, or the only destination's
//! when there is one (as they have always been). Next to a gateway, remote
//! write and InfluxDB take their own (`--remote-write-…`, `--influx-…`),
//! so a password is never sent to a server it was not meant for.

use anyhow::Result;

use std::time::Duration;

use super::{credentials, duration, env_nonempty, influx, mlflow, remote_write, target};
use crate::cli::{DestinationArgs, GroupingArgs, NetArgs};
use crate::duration::Grammar;
use crate::error::{bail_with, Exit};
use crate::pushgateway::PushOptions;
use crate::sink::influx::InfluxSink;
use crate::sink::mlflow::MlflowSink;
use crate::sink::pushgateway::GatewaySink;
use crate::sink::remote_write::RemoteWriteSink;
use crate::sink::{Destinations, Sink};

/// What the command adds to the destinations' own options.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// A dry run needs no server URL.
    pub dry_run: bool,
    /// How the Pushgateway is sent to.
    pub gateway: PushOptions,
    /// Whether InfluxDB's bodies are gzipped.
    pub influx_gzip: bool,
}

/// Which destinations the options name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub gateway: bool,
    pub remote_write: bool,
    pub influx: bool,
    pub mlflow: bool,
}

impl Chosen {
    /// From the options: each destination whose URL is given (in a dry run,
    /// InfluxDB's API options suffice); none at all means the Pushgateway,
    /// which then asks for its URL.
    pub fn from(args: &DestinationArgs, dry_run: bool) -> Chosen {
        let mut chosen = Chosen {
            gateway: args.gateway.gateway.is_some()
                || env_nonempty("PUSH_GATEWAY_HOSTNAME").is_some(),
            remote_write: args.remote_write.remote_write.is_some(),
            influx: influx::wanted(&args.influx, dry_run),
            mlflow: args.mlflow.mlflow.is_some(),
        };
        if chosen.count() == 0 {
            chosen.gateway = true;
        }
        chosen
    }

    pub fn count(&self) -> usize {
        [self.gateway, self.remote_write, self.influx, self.mlflow]
            .iter()
            .filter(|on| **on)
            .count()
    }
}

/// Every chosen destination, checked, in a fixed order (the Pushgateway,
/// remote write, InfluxDB, MLflow). `job` is the job as resolved from the
/// positional JOB or `--job`; it is required.
pub fn resolve(
    args: &DestinationArgs,
    grouping_args: &GroupingArgs,
    net: &NetArgs,
    job: Option<String>,
    mode: Mode,
) -> Result<Destinations> {
    // What is missing from the push itself (its job) is named before where
    // it goes.
    let grouping = target::grouping(grouping_args, target::required_job(job)?)?;
    let chosen = Chosen::from(args, mode.dry_run);
    unused(args, chosen)?;
    let expires_in = expires_in(args, chosen)?;
    // The unprefixed credentials go to the gateway, or to the only
    // destination there is.
    let shared_auth = chosen.count() == 1;
    if !chosen.gateway && !shared_auth && credentials::shared_given(&args.gateway.connection) {
        bail_with!(
            Exit::Usage,
            "--username, --password-file and --bearer-token-file (and SIMPLEPIPE_PASSWORD, SIMPLEPIPE_BEARER_TOKEN) are the Pushgateway's, or the only destination's; with remote write and InfluxDB together, give each its own: --remote-write-username, --remote-write-password-file, --remote-write-bearer-token-file, --influx-username, --influx-password-file"
        );
    }
    let conn = &args.gateway.connection;
    let mut sinks: Vec<std::sync::Arc<dyn Sink>> = Vec::new();
    if chosen.gateway {
        let t = target::target(&args.gateway, net, grouping.clone(), mode.dry_run)?;
        sinks.push(std::sync::Arc::new(GatewaySink::new(
            t,
            mode.gateway,
            expires_in,
        )));
    }
    if chosen.remote_write {
        let rw = &args.remote_write;
        let t = remote_write::target(rw, conn, shared_auth, net, grouping.clone())?;
        sinks.push(std::sync::Arc::new(RemoteWriteSink::new(t)));
    }
    if chosen.influx {
        let (ia, gzip) = (&args.influx, mode.influx_gzip);
        let t = influx::target(ia, conn, shared_auth, net, grouping.clone(), gzip)?;
        sinks.push(std::sync::Arc::new(InfluxSink::new(t)));
    }
    if chosen.mlflow {
        let t = mlflow::target(&args.mlflow, conn, shared_auth, net, grouping.clone())?;
        sinks.push(std::sync::Arc::new(MlflowSink::new(t)));
    }
    Ok(Destinations {
        sinks,
        grouping,
        best_effort: args.gateway.best_effort,
    })
}

/// `--expires-in`: a duration with a unit, more than zero, and only with
/// the Pushgateway among the destinations. Next to others it is the
/// gateway's alone (the gauge goes into its group and nowhere else): a
/// deadline is about a group, which only the gateway keeps, and refusing
/// would make expiry and fanning out exclusive.
fn expires_in(args: &DestinationArgs, chosen: Chosen) -> Result<Option<Duration>> {
    let Some(raw) = &args.expires_in else {
        return Ok(None);
    };
    // No bare seconds, as for --older-than: it decides what prune deletes.
    let d = duration("--expires-in", raw, Grammar::default())?;
    if !chosen.gateway {
        bail_with!(
            Exit::Usage,
            "--expires-in is for the Pushgateway, which is not among the destinations (only the gateway keeps groups; remote write and InfluxDB keep samples for their own retention)"
        );
    }
    Ok(Some(d))
}

/// A destination's own options without the destination: each would be
/// silently meaningless, so each is refused.
fn unused(args: &DestinationArgs, chosen: Chosen) -> Result<()> {
    if !chosen.influx {
        influx::unused(&args.influx)?;
    }
    if !chosen.remote_write {
        remote_write::unused(&args.remote_write)?;
    }
    if !chosen.mlflow {
        mlflow::unused(&args.mlflow)?;
    }
    Ok(())
}
