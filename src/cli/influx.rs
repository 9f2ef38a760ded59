//! The `--influx` options of `push`, `run` and `watch`, as typed. Their own file because the
//! command line is long enough already; `crate::config::influx` checks them.

// The doc comments are the --help text, where a bare URL reads better.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;

use clap::Args;

/// Write to InfluxDB (alone or next to the other destinations).
#[derive(Debug, Args)]
#[command(next_help_heading = "InfluxDB")]
pub struct InfluxArgs {
    /// InfluxDB base URL, e.g. http://influxdb:8086: write line protocol
    /// there. Needs --influx-db (1.x) or
    /// --influx-org and --influx-bucket (2.x). Job, user, --group and --label
    /// become tags; every line carries the push time.
    #[arg(
        long,
        env = "SIMPLEPIPE_INFLUX",
        value_name = "URL",
        hide_env_values = true
    )]
    pub influx: Option<String>,

    /// InfluxDB 1.x database: POST /write?db=DB&precision=ms, with basic auth
    /// from --influx-username and --influx-password-file if given.
    #[arg(long, env = "SIMPLEPIPE_INFLUX_DB", value_name = "DB")]
    pub influx_db: Option<String>,

    /// InfluxDB 2.x organization (with --influx-bucket): POST
    /// /api/v2/write?org=ORG&bucket=BUCKET&precision=ms.
    #[arg(long, env = "SIMPLEPIPE_INFLUX_ORG", value_name = "ORG")]
    pub influx_org: Option<String>,

    /// InfluxDB 2.x bucket (with --influx-org).
    #[arg(long, env = "SIMPLEPIPE_INFLUX_BUCKET", value_name = "BUCKET")]
    pub influx_bucket: Option<String>,

    /// File holding the InfluxDB 2.x token, sent as `Authorization: Token …`
    /// (or set SIMPLEPIPE_INFLUX_TOKEN; never a flag, which would show in
    /// process lists).
    #[arg(
        long,
        env = "SIMPLEPIPE_INFLUX_TOKEN_FILE",
        value_name = "PATH",
        hide_env_values = true
    )]
    pub influx_token_file: Option<PathBuf>,

    /// InfluxDB 1.x basic-auth user (the password from
    /// --influx-password-file or SIMPLEPIPE_INFLUX_PASSWORD).
    #[arg(
        long,
        env = "SIMPLEPIPE_INFLUX_USERNAME",
        hide_env_values = true,
        value_name = "USER"
    )]
    pub influx_username: Option<String>,

    /// File holding the InfluxDB 1.x basic-auth password.
    #[arg(
        long,
        env = "SIMPLEPIPE_INFLUX_PASSWORD_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub influx_password_file: Option<PathBuf>,

    /// Lines of line protocol per request (default 5000); bigger artifacts
    /// go as several requests, in order.
    #[arg(
        long,
        env = "SIMPLEPIPE_INFLUX_BATCH",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub influx_batch: Option<u64>,
}

impl InfluxArgs {
    /// Whether any option names the InfluxDB API (a dry run needs no URL).
    pub fn api_given(&self) -> bool {
        self.influx_db.is_some() || self.influx_org.is_some() || self.influx_bucket.is_some()
    }
}
