//! `groups` and `prune`: the whole gateway (as a push reaches it), the
//! `--match` selection and `--older-than`, checked before any request.

use anyhow::Result;

use super::{duration, target};
use crate::cli::{BestEffort, GroupsArgs, ListOutput, PruneArgs, SelectArgs};
use crate::duration::Grammar;
use crate::pushgateway::select::{Matcher, Selection};
use crate::pushgateway::Gateway;

#[derive(Debug, Clone)]
pub struct GroupsConfig {
    pub gateway: Gateway,
    pub selection: Selection,
    pub output: ListOutput,
    pub best_effort: Option<BestEffort>,
    /// `--max-listing-bytes`.
    pub max_listing: u64,
}

#[derive(Debug, Clone)]
pub struct PruneConfig {
    pub gateway: Gateway,
    /// Always has `older_than`.
    pub selection: Selection,
    /// `--older-than` as the user wrote it, for the summary.
    pub older_than: String,
    pub max_deletions: usize,
    pub dry_run: bool,
    pub best_effort: Option<BestEffort>,
    /// `--max-listing-bytes`.
    pub max_listing: u64,
}

pub fn groups(args: &GroupsArgs) -> Result<GroupsConfig> {
    Ok(GroupsConfig {
        selection: selection(&args.select, None)?,
        gateway: target::gateway(&args.gateway, &args.net)?,
        output: args.output,
        best_effort: args.gateway.best_effort,
        max_listing: args.select.max_listing_bytes,
    })
}

pub fn prune(args: &PruneArgs) -> Result<PruneConfig> {
    Ok(PruneConfig {
        selection: selection(&args.select, Some(&args.older_than))?,
        gateway: target::gateway(&args.gateway, &args.net)?,
        older_than: args.older_than.trim().to_string(),
        max_deletions: args.max_deletions,
        dry_run: args.dry_run,
        best_effort: args.gateway.best_effort,
        max_listing: args.select.max_listing_bytes,
    })
}

/// The matchers (blank lines of SIMPLEPIPE_MATCH skipped) and the age.
fn selection(args: &SelectArgs, older_than: Option<&str>) -> Result<Selection> {
    Ok(Selection {
        matchers: args
            .matchers
            .iter()
            .map(|m| m.trim_end_matches('\r'))
            .filter(|m| !m.trim().is_empty())
            .map(Matcher::parse)
            .collect::<Result<_>>()?,
        // No bare seconds: `--older-than 7` decides what is deleted, and
        // could mean days as easily as seconds.
        older_than: older_than
            .map(|raw| duration("--older-than", raw, Grammar::default()))
            .transpose()?,
    })
}
