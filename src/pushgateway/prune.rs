//! How `simplepipe prune` decides and proceeds, apart from the network:
//! which listed groups go ([`plan`]), the `--max-deletions` guard, and the
//! delete loop ([`execute`]), which is given the listing and the DELETE as
//! closures so that every path is unit-tested.
//!
//! The race. The Pushgateway has no conditional delete: a group pushed
//! again between the listing and its DELETE would lose a fresh push. The
//! loop narrows that window: before each DELETE it looks the group up in a
//! listing at most [`RELIST_AFTER`] old (re-listing when the last one is
//! older) and keeps the group if its push times changed, or if it is gone.
//! What remains is a push that lands between that last look and the
//! DELETE: one listing interval plus one round trip at most, typically
//! milliseconds. The pusher's next push recreates the group.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use super::listing::{self, Group};
use super::select::Selection;
use crate::duration::approx as format_age;
use crate::error::{fail, Exit};

/// The longest a listing is trusted before a DELETE. One listing of a
/// gateway with 1,000 groups takes tens of milliseconds; re-listing at
/// most once a second keeps the cost bounded however many groups go.
pub const RELIST_AFTER: Duration = Duration::from_secs(1);

/// What one listing says must happen.
#[derive(Debug, Default)]
pub struct Plan {
    /// Selected and addressable, oldest first.
    pub delete: Vec<Group>,
    /// Selected, but without a `job`: the API can't address them.
    pub unaddressable: Vec<Group>,
    /// How many groups the listing held.
    pub listed: usize,
}

/// Sort the listing into what goes and what can't.
pub fn plan(mut groups: Vec<Group>, selection: &Selection, now: f64) -> Plan {
    listing::sort_oldest_first(&mut groups);
    let listed = groups.len();
    let (delete, unaddressable) = groups
        .into_iter()
        .filter(|g| selection.selects(g, now))
        .partition(|g| g.key().is_some());
    Plan {
        delete,
        unaddressable,
        listed,
    }
}

/// `--max-deletions`: refuse the whole run, deleting nothing, when more
/// groups would go. A typo in `--older-than` must never wipe a gateway.
pub fn check_max(plan: &Plan, max: usize) -> Result<()> {
    let n = plan.delete.len();
    if n > max {
        return Err(fail(
            Exit::Usage,
            anyhow!(
                "{n} groups would be deleted, more than --max-deletions {max}; nothing was deleted. See them with --dry-run, narrow --older-than or --match, or raise --max-deletions"
            ),
        ));
    }
    Ok(())
}

/// What happened to one planned group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Deleted,
    /// `--dry-run`.
    WouldDelete,
    /// Pushed again (successfully or not) since the listing: kept.
    Refreshed,
    /// Deleted by someone else since the listing.
    Gone,
}

/// One line of output for a group.
pub fn line(fate: Fate, g: &Group, now: f64) -> String {
    let expired = match g.expires_at {
        Some(t) if t <= now => format!("expired {} ago; ", format_age(now - t)),
        _ => String::new(),
    };
    let last = match g.push_time {
        Some(t) => format!("last success {} ago", format_age((now - t).max(0.0))),
        None => match g.failure_time {
            Some(t) => format!(
                "never pushed successfully; failed {} ago",
                format_age((now - t).max(0.0))
            ),
            None => "never pushed".to_string(),
        },
    };
    let when = expired + &last;
    match fate {
        Fate::Deleted => format!("deleted {} ({when})", g.selector()),
        Fate::WouldDelete => format!("would delete {} ({when})", g.selector()),
        Fate::Refreshed => format!("kept {}: pushed again since the listing", g.selector()),
        Fate::Gone => format!("skipped {}: already gone", g.selector()),
    }
}

/// Whether a planned group still goes, given a fresh listing.
pub fn recheck(planned: &Group, fresh: &[Group], selection: &Selection, now: f64) -> Fate {
    match fresh.iter().find(|f| f.labels == planned.labels) {
        None => Fate::Gone,
        Some(f)
            if f.push_time != planned.push_time
                || f.failure_time != planned.failure_time
                || !selection.selects(f, now) =>
        {
            Fate::Refreshed
        }
        Some(_) => Fate::Deleted,
    }
}

/// A listing and the time it was taken at (the gateway's clock).
pub type Listing = (Vec<Group>, f64);

/// Delete the planned groups one by one, re-checking each against a
/// listing at most `relist_after` old. `first` is the listing the plan came
/// from. `report` sees every group's fate as it happens. Stops at the first
/// failed DELETE: the gateway is then most likely down, and the rest would
/// fail the same way.
pub fn execute(
    planned: &[Group],
    selection: &Selection,
    first: (Listing, Instant),
    relist_after: Duration,
    mut list: impl FnMut() -> Result<Listing>,
    mut delete: impl FnMut(&Group) -> Result<()>,
    mut report: impl FnMut(Fate, &Group, f64),
) -> Result<Vec<Fate>> {
    let ((mut fresh, mut now), mut listed_at) = first;
    let mut fates = Vec::with_capacity(planned.len());
    for g in planned {
        if listed_at.elapsed() >= relist_after {
            (fresh, now) = list()?;
            listed_at = Instant::now();
        }
        let fate = recheck(g, &fresh, selection, now);
        if fate == Fate::Deleted {
            delete(g)?;
        }
        report(fate, g, now);
        fates.push(fate);
    }
    Ok(fates)
}

/// What a prune deletes, for its summary: `older than 7d`, `expired`, or
/// both joined by `or`.
pub fn criterion(older_than: Option<&str>, expired: bool) -> String {
    let old = older_than.map(|o| format!("older than {o}"));
    let exp = expired.then(|| "expired".to_string());
    [old, exp]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The closing summary; `criterion` as [`criterion`] writes it.
pub fn summary(plan: &Plan, fates: &[Fate], criterion: &str, dry_run: bool) -> String {
    let count = |f: Fate| fates.iter().filter(|x| **x == f).count();
    let groups = |n: usize| format!("{n} group{}", if n == 1 { "" } else { "s" });
    let mut out = if dry_run {
        format!(
            "dry run: would delete {} of {} listed, {criterion}; nothing was deleted",
            groups(plan.delete.len()),
            plan.listed
        )
    } else {
        format!(
            "deleted {} of {} listed, {criterion}",
            groups(count(Fate::Deleted)),
            plan.listed
        )
    };
    for (n, why) in [
        (
            count(Fate::Refreshed),
            "kept: pushed again since the listing",
        ),
        (count(Fate::Gone), "already gone"),
        (plan.unaddressable.len(), "without a job label, left alone"),
    ] {
        if n > 0 {
            out += &format!("; {n} {why}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::pushgateway::listing::tests::synthetic;
    use crate::pushgateway::select::Matcher;

    fn parse_age(raw: &str) -> anyhow::Result<Duration> {
        crate::duration::parse(raw, crate::duration::Grammar::default()).map_err(|e| anyhow!(e))
    }

    const NOW: f64 = 1_000_000.0;

    fn sel(older_than: &str, matchers: &[&str]) -> Selection {
        Selection {
            matchers: matchers
                .iter()
                .map(|m| Matcher::parse(m).unwrap())
                .collect(),
            older_than: Some(parse_age(older_than).unwrap()),
            expired: false,
        }
    }

    fn listing() -> Vec<Group> {
        vec![
            synthetic(&[("job", "train"), ("user", "a")], Some(NOW - 100.0), None),
            synthetic(&[("job", "train"), ("user", "b")], Some(NOW - 10.0), None),
            synthetic(&[("job", "etl")], Some(NOW - 200.0), Some(NOW - 150.0)),
            synthetic(&[("user", "orphan")], Some(NOW - 500.0), None),
            synthetic(&[("job", "train"), ("user", "c")], Some(NOW - 300.0), None),
        ]
    }

    fn users(groups: &[Group]) -> Vec<String> {
        groups.iter().map(Group::selector).collect()
    }

    #[test]
    fn the_plan_is_oldest_first_and_sets_aside_groups_without_job() {
        let p = plan(listing(), &sel("60s", &[]), NOW);
        assert_eq!(
            users(&p.delete),
            [
                r#"{job="train", user="c"}"#,
                r#"{job="etl"}"#,
                r#"{job="train", user="a"}"#
            ]
        );
        assert_eq!(users(&p.unaddressable), [r#"{user="orphan"}"#]);
        assert_eq!(p.listed, 5);
        let p = plan(listing(), &sel("60s", &["job=train", "user=~a|b"]), NOW);
        assert_eq!(users(&p.delete), [r#"{job="train", user="a"}"#]);
        assert!(p.unaddressable.is_empty());
    }

    #[test]
    fn too_many_deletions_refuse_the_whole_run() {
        let p = plan(listing(), &sel("60s", &[]), NOW);
        assert!(check_max(&p, 3).is_ok());
        let e = check_max(&p, 1).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Usage);
        assert_eq!(
            format!("{e:#}"),
            "3 groups would be deleted, more than --max-deletions 1; nothing was deleted. See them with --dry-run, narrow --older-than or --match, or raise --max-deletions"
        );
    }

    #[test]
    fn a_group_pushed_again_or_gone_is_not_deleted() {
        let s = sel("60s", &[]);
        let planned = plan(listing(), &s, NOW).delete;
        // The fresh listing: c pushed again (successfully), etl failed
        // again (its failure time moved), a deleted by someone else.
        let mut fresh = listing();
        fresh[4].push_time = Some(NOW + 1.0);
        fresh[2].failure_time = Some(NOW + 1.0);
        fresh.remove(0);
        assert_eq!(recheck(&planned[0], &fresh, &s, NOW + 2.0), Fate::Refreshed);
        assert_eq!(recheck(&planned[1], &fresh, &s, NOW + 2.0), Fate::Refreshed);
        assert_eq!(recheck(&planned[2], &fresh, &s, NOW + 2.0), Fate::Gone);
        assert_eq!(
            recheck(&planned[2], &listing(), &s, NOW + 2.0),
            Fate::Deleted
        );
    }

    #[test]
    fn execute_relists_and_deletes_only_what_is_still_stale() {
        let s = sel("60s", &[]);
        let p = plan(listing(), &s, NOW);
        let lists = RefCell::new(0);
        let deleted = RefCell::new(Vec::new());
        let reported = RefCell::new(Vec::new());
        let fates = execute(
            &p.delete,
            &s,
            ((listing(), NOW), Instant::now()),
            Duration::ZERO, // re-list before every DELETE
            || {
                *lists.borrow_mut() += 1;
                // Between the first and second DELETE, etl is pushed again.
                let mut l = listing();
                if *lists.borrow() >= 2 {
                    l[2].push_time = Some(NOW + 1.0);
                }
                Ok((l, NOW + 1.5))
            },
            |g| {
                deleted.borrow_mut().push(g.selector());
                Ok(())
            },
            |fate, g, now| reported.borrow_mut().push(line(fate, g, now)),
        )
        .unwrap();
        assert_eq!(*lists.borrow(), 3);
        assert_eq!(fates, [Fate::Deleted, Fate::Refreshed, Fate::Deleted]);
        assert_eq!(
            *deleted.borrow(),
            [r#"{job="train", user="c"}"#, r#"{job="train", user="a"}"#]
        );
        insta::assert_snapshot!(reported.borrow().join("\n"), @r#"
        deleted {job="train", user="c"} (last success 5m 1s ago)
        kept {job="etl"}: pushed again since the listing
        deleted {job="train", user="a"} (last success 1m 41s ago)
        "#);
        insta::assert_snapshot!(summary(&p, &fates, "older than 60s", false), @r#"
        deleted 2 groups of 5 listed, older than 60s; 1 kept: pushed again since the listing; 1 without a job label, left alone
        "#);
    }

    #[test]
    fn a_recent_listing_is_reused_and_a_failed_delete_stops_the_run() {
        let s = sel("60s", &[]);
        let p = plan(listing(), &s, NOW);
        let mut attempts = 0;
        let e = execute(
            &p.delete,
            &s,
            ((listing(), NOW), Instant::now()),
            Duration::from_secs(3600),
            || panic!("the first listing is recent enough"),
            |_| {
                attempts += 1;
                Err(fail(Exit::Unreachable, anyhow!("gateway down")))
            },
            |_, _, _| {},
        )
        .unwrap_err();
        assert_eq!(attempts, 1);
        assert_eq!(crate::error::exit_code(&e), Exit::Unreachable);
    }

    #[test]
    fn dry_run_lines_and_summary() {
        let p = plan(listing(), &sel("60s", &[]), NOW);
        let lines: Vec<String> = p
            .delete
            .iter()
            .map(|g| line(Fate::WouldDelete, g, NOW))
            .collect();
        insta::assert_snapshot!(lines.join("\n"), @r#"
        would delete {job="train", user="c"} (last success 5m ago)
        would delete {job="etl"} (last success 3m 20s ago)
        would delete {job="train", user="a"} (last success 1m 40s ago)
        "#);
        let fates = vec![Fate::WouldDelete; p.delete.len()];
        insta::assert_snapshot!(summary(&p, &fates, "older than 60s", true), @r#"
        dry run: would delete 3 groups of 5 listed, older than 60s; nothing was deleted; 1 without a job label, left alone
        "#);
        let never = synthetic(&[("job", "x"), ("instance", "")], None, Some(NOW - 90.0));
        insta::assert_snapshot!(line(Fate::Deleted, &never, NOW), @r#"
        deleted {job="x", instance=""} (never pushed successfully; failed 1m 30s ago)
        "#);
        let one = Plan {
            delete: vec![never],
            ..Plan::default()
        };
        insta::assert_snapshot!(summary(&one, &[Fate::Deleted], "older than 1m", false), @r#"
        deleted 1 group of 0 listed, older than 1m
        "#);
    }

    #[test]
    fn expired_groups_say_so() {
        let gone = Group {
            expires_at: Some(NOW - 61.0),
            ..synthetic(&[("job", "nightly")], Some(NOW - 90.0), None)
        };
        insta::assert_snapshot!(line(Fate::WouldDelete, &gone, NOW), @r#"
        would delete {job="nightly"} (expired 1m 1s ago; last success 1m 30s ago)
        "#);
        let later = Group {
            expires_at: Some(NOW + 60.0),
            ..gone
        };
        insta::assert_snapshot!(line(Fate::Deleted, &later, NOW), @r#"
        deleted {job="nightly"} (last success 1m 30s ago)
        "#);
        assert_eq!(criterion(Some("7d"), true), "older than 7d or expired");
        assert_eq!(criterion(None, true), "expired");
        assert_eq!(criterion(Some("7d"), false), "older than 7d");
    }
}
