//! `--influx`: the InfluxDB target from the command line and environment,
//! checked: one destination, one API (1.x database, or 2.x organization
//! and bucket), credentials that fit that API, and tags line protocol can
//! carry. Every mistake is a usage error that names the option.

use anyhow::Result;
use reqwest::header::HeaderValue;

use super::credentials::{self, AuthFrom};
use super::target;
use crate::cli::{ConnectionArgs, InfluxArgs, NetArgs};
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
/// options, the connection options every destination shares, the grouping
/// (job first) as tags, and whether bodies are gzipped. `shared_auth`: the
/// unprefixed credentials are InfluxDB's too (it is the only destination).
pub fn target(
    ia: &InfluxArgs,
    conn: &ConnectionArgs,
    shared_auth: bool,
    net: &NetArgs,
    tags: Vec<(String, String)>,
    gzip: bool,
) -> Result<Target> {
    let mut url = match &ia.influx {
        Some(raw) => Some(target::server_url("--influx", raw, "http://influxdb:8086")?),
        None => None,
    };
    let api = api(ia)?;
    for (k, v) in &tags {
        let option = match k.as_str() {
            "job" => "--job".to_string(),
            "user" => "--user".to_string(),
            _ => format!("--group {k}"),
        };
        tag_ok(&option, k, v)?;
    }
    let own = AuthFrom {
        username: ia.influx_username.as_deref(),
        username_option: "--influx-username",
        password_file: ia.influx_password_file.as_deref(),
        password_option: "--influx-password-file",
        password_var: "SIMPLEPIPE_INFLUX_PASSWORD",
        bearer: None,
    };
    let mut from = vec![own];
    if shared_auth {
        from.push(AuthFrom::shared(conn));
    }
    let mut http = credentials::http(conn, net, url.as_mut(), &from)?;
    let token = credentials::secret(
        "--influx-token-file",
        ia.influx_token_file.as_deref(),
        TOKEN_VAR,
    )?;
    match (&api, token, &http.auth) {
        (Api::V1 { .. }, Some((_, from)), _) => bail_with!(
            Exit::Usage,
            "an InfluxDB token is set ({from}) but the 1.x API is chosen (--influx-db); the token is for 2.x (--influx-org and --influx-bucket), 1.x takes --influx-username and --influx-password-file"
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
        batch_lines: ia
            .influx_batch
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_BATCH_LINES),
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
        ("--influx-username", args.influx_username.is_some()),
        (
            "--influx-password-file",
            args.influx_password_file.is_some(),
        ),
        ("--influx-batch", args.influx_batch.is_some()),
    ];
    if let Some((option, _)) = given.iter().find(|(_, on)| *on) {
        bail_with!(
            Exit::Usage,
            "{option} is given without --influx URL (or SIMPLEPIPE_INFLUX); add it to push to InfluxDB"
        );
    }
    Ok(())
}
