//! `groups` and `prune`: the whole gateway (as a push reaches it), the
//! `--match` selection, `--older-than` and `--expired`, checked before any
//! request.

use anyhow::Result;

use super::{duration, target};
use crate::cli::{BestEffort, GroupsArgs, ListOutput, PruneArgs, SelectArgs};
use crate::duration::Grammar;
use crate::error::{bail_with, Exit};
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
    /// Always has `older_than` or `expired`.
    pub selection: Selection,
    /// What goes, as the user wrote it, for the summary ("older than 7d
    /// or expired").
    pub criterion: String,
    pub max_deletions: usize,
    pub dry_run: bool,
    pub best_effort: Option<BestEffort>,
    /// `--max-listing-bytes`.
    pub max_listing: u64,
}

pub fn groups(args: &GroupsArgs) -> Result<GroupsConfig> {
    Ok(GroupsConfig {
        selection: selection(&args.select, None, false)?,
        gateway: target::gateway(&args.gateway, &args.net)?,
        output: args.output,
        best_effort: args.gateway.best_effort,
        max_listing: args.select.max_listing_bytes,
    })
}

pub fn prune(args: &PruneArgs) -> Result<PruneConfig> {
    let older_than = args.older_than.as_deref();
    if older_than.is_none() && !args.expired {
        bail_with!(
            Exit::Usage,
            "prune needs what to delete: --older-than AGE, --expired, or both (either condition)"
        );
    }
    Ok(PruneConfig {
        selection: selection(&args.select, older_than, args.expired)?,
        gateway: target::gateway(&args.gateway, &args.net)?,
        criterion: crate::pushgateway::prune::criterion(older_than.map(str::trim), args.expired),
        max_deletions: args.max_deletions,
        dry_run: args.dry_run,
        best_effort: args.gateway.best_effort,
        max_listing: args.select.max_listing_bytes,
    })
}

/// The matchers (blank lines of SIMPLEPIPE_MATCH skipped) and the age.
fn selection(args: &SelectArgs, older_than: Option<&str>, expired: bool) -> Result<Selection> {
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
        expired,
    })
}
