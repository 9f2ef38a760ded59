//! The `--influx` options of `push`, `run` and `watch`, as typed. Their own file because the
//! command line is long enough already; `crate::config::influx` checks them.

// The doc comments are the --help text, where a bare URL reads better.
#![allow(rustdoc::bare_urls)]

use std::path::PathBuf;

use clap::Args;

/// Push to InfluxDB instead of a Pushgateway.
#[derive(Debug, Args)]
#[command(next_help_heading = "InfluxDB (instead of a Pushgateway)")]
pub struct InfluxArgs {
    /// InfluxDB base URL, e.g. http://influxdb:8086: write line protocol
    /// there instead of pushing to a Pushgateway. Needs --influx-db (1.x) or
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
    /// from --username and --password-file if given.
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

    /// Lines of line protocol per request; bigger artifacts go as several
    /// requests, in order.
    #[arg(
        long,
        default_value_t = 5000,
        env = "SIMPLEPIPE_INFLUX_BATCH",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub influx_batch: u64,
}

impl InfluxArgs {
    /// Whether any option names the InfluxDB API (a dry run needs no URL).
    pub fn api_given(&self) -> bool {
        self.influx_db.is_some() || self.influx_org.is_some() || self.influx_bucket.is_some()
    }
}
