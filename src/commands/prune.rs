//! `simplepipe prune`: list the gateway, plan, refuse if more than
//! `--max-deletions` would go, then delete group by group, each re-checked
//! against a listing at most a second old (see [`crate::pushgateway::prune`]
//! for the race that remains). One line per group on stdout, the summary
//! on stderr.

use std::time::Instant;

use anyhow::Result;

use super::{forgive_as, print};
use crate::config::PruneConfig;
use crate::pushgateway;
use crate::pushgateway::prune::{self as plan, Fate};
use crate::report;

pub fn run(cfg: &PruneConfig) -> Result<()> {
    forgive_as(cfg.best_effort, prune(cfg), "the prune did not finish")
}

fn prune(cfg: &PruneConfig) -> Result<()> {
    let client = cfg.gateway.client()?;
    let listed_at = Instant::now();
    let (all, now) = pushgateway::list(&cfg.gateway, &client, cfg.max_listing)?;
    warn_idle(&cfg.selection, &all);
    let p = plan::plan(all.clone(), &cfg.selection, now);
    for g in &p.unaddressable {
        report::warn(format!(
            "cannot delete {}: it has no job label, and the Pushgateway's API addresses groups by job",
            g.selector()
        ));
    }
    if cfg.dry_run {
        let lines: String = p
            .delete
            .iter()
            .map(|g| plan::line(Fate::WouldDelete, g, now) + "\n")
            .collect();
        print(lines.as_bytes())?;
        if let Err(refused) = plan::check_max(&p, cfg.max_deletions) {
            report::warn(format!("a real run would refuse: {refused:#}"));
        }
        let fates = vec![Fate::WouldDelete; p.delete.len()];
        report::info(plan::summary(&p, &fates, &cfg.criterion, true));
        return Ok(());
    }
    plan::check_max(&p, cfg.max_deletions)?;
    let mut done = Vec::new();
    let result = plan::execute(
        &p.delete,
        &cfg.selection,
        ((all, now), listed_at),
        plan::RELIST_AFTER,
        || pushgateway::list(&cfg.gateway, &client, cfg.max_listing),
        |g| {
            let key = g.key().expect("planned groups have a job");
            pushgateway::delete_with(&client, &cfg.gateway.group(key))
        },
        |fate, g, now| {
            done.push(fate);
            // A closed stdout must not stop the deletes half-way.
            let _ = print(format!("{}\n", plan::line(fate, g, now)).as_bytes());
        },
    );
    // The summary also when a DELETE failed: what was done stays done.
    report::info(plan::summary(&p, &done, &cfg.criterion, false));
    result.map(drop)
}

/// One warning per `--match` that no listed group satisfies: a typo there
/// would otherwise look like "nothing to do".
pub(super) fn warn_idle(
    selection: &pushgateway::select::Selection,
    listed: &[pushgateway::listing::Group],
) {
    for m in selection.idle_matchers(listed) {
        report::warn(format!(
            "--match {m} selects none of the {} listed groups",
            listed.len()
        ));
    }
}
