//! `--influx`: the InfluxDB target from the command line and environment,
//! checked: one destination, one API (1.x database, or 2.x organization
//! and bucket), credentials that fit that API, and tags line protocol can
//! carry. Every mistake is a usage error that names the option.

use anyhow::Result;
use reqwest::header::HeaderValue;

use super::{credentials, target};
use crate::cli::{GatewayArgs, GroupingArgs, InfluxArgs, Method, NetArgs, PushArgs};
use crate::encode::line_protocol::{self, DEFAULT_BATCH_LINES};
use crate::error::{bail_with, Exit};
use crate::net::Auth;
use crate::sink::influx::{Api, Target};

/// The token's variable (`--influx-token-file` names a file instead).
const TOKEN_VAR: &str = "SIMPLEPIPE_INFLUX_TOKEN";

/// Whether this push goes to InfluxDB: `--influx`, or, in a dry run, an
/// InfluxDB API option alone (a dry run needs no server).
pub fn wanted(args: &InfluxArgs, dry_run: bool) -> bool {
    args.influx.is_some() || (dry_run && args.api_given())
}

/// The checked target, for `push`, `run` and `watch` alike: the InfluxDB
/// options, the connection and grouping options every command shares, the
/// job (from the positional or `--job`), and whether bodies are gzipped
/// (`push --compress gzip`; the live commands send them plain).
pub fn target(
    ia: &InfluxArgs,
    connection: &GatewayArgs,
    grouping: &GroupingArgs,
    net: &NetArgs,
    job: Option<String>,
    gzip: bool,
) -> Result<Target> {
    one_destination(connection)?;
    let mut url = match &ia.influx {
        Some(raw) => Some(target::server_url("--influx", raw, "http://influxdb:8086")?),
        None => None,
    };
    let api = api(ia)?;
    let tags = target::grouping(grouping, target::required_job(job)?)?;
    for (k, v) in &tags {
        let option = match k.as_str() {
            "job" => "--job".to_string(),
            "user" => "--user".to_string(),
            _ => format!("--group {k}"),
        };
        tag_ok(&option, k, v)?;
    }
    let mut http = credentials::http(connection, net, url.as_mut())?;
    let token = credentials::secret(
        "--influx-token-file",
        ia.influx_token_file.as_deref(),
        TOKEN_VAR,
    )?;
    match (&api, token, &http.auth) {
        (Api::V1 { .. }, Some((_, from)), _) => bail_with!(
            Exit::Usage,
            "an InfluxDB token is set ({from}) but the 1.x API is chosen (--influx-db); the token is for 2.x (--influx-org and --influx-bucket), 1.x takes --username and --password-file"
        ),
        (Api::V2 { .. }, Some((_, from)), auth) if !matches!(auth, Auth::None) => bail_with!(
            Exit::Usage,
            "more than one set of InfluxDB credentials: token from {from}, {}; keep one",
            auth.describe()
        ),
        (Api::V2 { .. }, Some((token, from)), _) => {
            if HeaderValue::from_str(&format!("Token {}", token.expose())).is_err() {
                bail_with!(
                    Exit::Usage,
                    "the InfluxDB token from {from} holds characters an HTTP header cannot carry"
                );
            }
            http.auth = Auth::Token { token, from };
        }
        (Api::V2 { .. }, None, auth @ Auth::Basic { .. }) => bail_with!(
            Exit::Usage,
            "{} is given, but InfluxDB 2.x's write API takes a token: use --influx-token-file or set {TOKEN_VAR}",
            auth.describe()
        ),
        _ => {}
    }
    Ok(Target {
        url,
        api,
        tags,
        http,
        batch_lines: usize::try_from(ia.influx_batch).unwrap_or(DEFAULT_BATCH_LINES),
        gzip,
    })
}

/// A tag value from the command line that line protocol cannot carry.
pub fn tag_ok(option: &str, key: &str, value: &str) -> Result<()> {
    match line_protocol::tag_problem(key, value) {
        Some(why) => bail_with!(Exit::Usage, "{option}: {why}"),
        None => Ok(()),
    }
}

/// `--influx` with `--gateway` (or the original's variable) is a mistake
/// worth saying.
fn one_destination(connection: &GatewayArgs) -> Result<()> {
    let gateway = if connection.gateway.is_some() {
        Some("--gateway (or SIMPLEPIPE_GATEWAY)")
    } else if super::env_nonempty("PUSH_GATEWAY_HOSTNAME").is_some() {
        Some("PUSH_GATEWAY_HOSTNAME")
    } else {
        None
    };
    if let Some(g) = gateway {
        bail_with!(
            Exit::Usage,
            "--influx and {g} are both given; give exactly one destination"
        );
    }
    Ok(())
}

/// `push`'s options only the Pushgateway understands, next to `--influx`:
/// each would be silently meaningless, so each is refused.
pub fn push_options_unused(args: &PushArgs) -> Result<()> {
    if args.method == Method::Post {
        bail_with!(
            Exit::Usage,
            "--method post applies to the Pushgateway; InfluxDB adds points and has no groups to replace"
        );
    }
    if args.format.is_some() {
        bail_with!(
            Exit::Usage,
            "--format applies to the Pushgateway; InfluxDB is sent line protocol"
        );
    }
    Ok(())
}

fn api(ia: &InfluxArgs) -> Result<Api> {
    match (&ia.influx_db, &ia.influx_org, &ia.influx_bucket) {
        (Some(db), None, None) => Ok(Api::V1 { db: db.clone() }),
        (None, Some(org), Some(bucket)) => Ok(Api::V2 {
            org: org.clone(),
            bucket: bucket.clone(),
        }),
        (Some(_), _, _) => bail_with!(
            Exit::Usage,
            "--influx-db (InfluxDB 1.x) and --influx-org/--influx-bucket (2.x) are both given; give one API"
        ),
        (None, Some(_), None) => bail_with!(
            Exit::Usage,
            "--influx-org needs --influx-bucket (InfluxDB 2.x writes to a bucket of an organization)"
        ),
        (None, None, Some(_)) => bail_with!(
            Exit::Usage,
            "--influx-bucket needs --influx-org (InfluxDB 2.x writes to a bucket of an organization)"
        ),
        (None, None, None) => bail_with!(
            Exit::Usage,
            "--influx needs --influx-db DB (InfluxDB 1.x) or --influx-org ORG and --influx-bucket BUCKET (2.x)"
        ),
    }
}

/// InfluxDB options without `--influx` (outside a dry run) would be
/// silently ignored by a Pushgateway push: refuse them instead.
pub fn unused(args: &InfluxArgs) -> Result<()> {
    let given = [
        ("--influx-db", args.influx_db.is_some()),
        ("--influx-org", args.influx_org.is_some()),
        ("--influx-bucket", args.influx_bucket.is_some()),
        ("--influx-token-file", args.influx_token_file.is_some()),
    ];
    if let Some((option, _)) = given.iter().find(|(_, on)| *on) {
        bail_with!(
            Exit::Usage,
            "{option} is given without --influx URL (or SIMPLEPIPE_INFLUX); add it to push to InfluxDB"
        );
    }
    Ok(())
}
