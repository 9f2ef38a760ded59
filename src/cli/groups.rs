//! The arguments of `groups` and `prune` (kept apart from the other
//! commands' so that cli.rs stays readable): the gateway as `push` reaches
//! it, the `--match` selection, and each command's own options.

use clap::{Args, ValueEnum};

use super::{GatewayArgs, NetArgs};

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// table: aligned, for people; json: an array with the gateway's own
    /// numbers, for scripts.
    #[arg(long, value_enum, default_value_t = ListOutput::Table, env = "SIMPLEPIPE_OUTPUT", value_name = "FORMAT")]
    pub output: ListOutput,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Delete the groups whose last successful push is older than this: a
    /// duration with units w, d, h, m, s, largest first (90s, 36h, 7d,
    /// 1d12h, 1.5h). A group that never held metrics counts from its failed
    /// push. With --expired, a group goes if either holds.
    #[arg(long, env = "SIMPLEPIPE_OLDER_THAN", value_name = "AGE")]
    pub older_than: Option<String>,

    /// Delete the groups whose deadline (pushed with --expires-in) has
    /// passed on the gateway's clock. Groups without one are never touched
    /// by this.
    #[arg(long, env = "SIMPLEPIPE_EXPIRED")]
    pub expired: bool,

    /// Refuse to run, deleting nothing, when more groups than this would go.
    #[arg(
        long,
        default_value_t = 1000,
        env = "SIMPLEPIPE_MAX_DELETIONS",
        value_name = "N"
    )]
    pub max_deletions: usize,

    /// Print what would be deleted (stdout) and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Which groups `groups` and `prune` work on.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only groups whose grouping labels match: NAME=VALUE, NAME!=VALUE,
    /// NAME=~REGEX or NAME!~REGEX, as in PromQL (a regex matches the whole
    /// value; a missing label is ""). Repeatable, all must match; the env
    /// variable takes one per line.
    #[arg(
        long = "match",
        value_name = "MATCHER",
        env = "SIMPLEPIPE_MATCH",
        value_delimiter = '\n'
    )]
    pub matchers: Vec<String>,

    /// The most of the gateway's listing (GET /api/v1/metrics, every group
    /// with its metrics) that is read; past it the command fails, saying so.
    #[arg(
        long,
        default_value_t = 64 * 1024 * 1024,
        env = "SIMPLEPIPE_MAX_LISTING_BYTES",
        value_name = "BYTES"
    )]
    pub max_listing_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListOutput {
    /// An aligned table (also `text`, so one SIMPLEPIPE_OUTPUT serves every command).
    #[value(alias = "text")]
    Table,
    Json,
}
