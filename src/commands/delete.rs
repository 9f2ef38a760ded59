//! `simplepipe delete`: one DELETE of a whole group; with `--metric`, the
//! group read back and PUT again without those families
//! ([`crate::pushgateway::group`], where the race with a concurrent push
//! is described).

use std::sync::Arc;

use anyhow::{anyhow, Result};

use super::{forgive, print};
use crate::config::DeleteConfig;
use crate::error::{fail, Exit};
use crate::pushgateway::{self, expiry, group, Gateway, PushOptions, Target, WireFormat};
use crate::report;

pub fn run(cfg: &DeleteConfig) -> Result<()> {
    if !cfg.metrics.is_empty() {
        return forgive(cfg.best_effort, delete_metrics(cfg));
    }
    let shown = pushgateway::shown_url(&cfg.target);
    if cfg.dry_run {
        report::info_plain(format!("DELETE {shown} (dry run: nothing sent)"));
        return Ok(());
    }
    // The listing says whether there was a group to delete; the DELETE
    // goes out either way (the gateway's answer is the same), so a group
    // the listing spells differently is never left behind.
    let held = held(&cfg.target);
    let deleted = pushgateway::delete(&cfg.target);
    if deleted.is_ok() && !cfg.quiet {
        report::info(match held {
            Some(false) => format!("the gateway held no group at {shown}; nothing was deleted"),
            _ => format!("deleted group {shown}"),
        });
    }
    forgive(cfg.best_effort, deleted)
}

/// Whether the gateway's listing (`GET /api/v1/metrics`, one attempt)
/// holds the group; `None` when it can't be read, and the DELETE that
/// follows reports the trouble with its own retries.
fn held(t: &Target) -> Option<bool> {
    let gw = Gateway {
        base: t.gateway.clone()?,
        http: t.http.limited(Some(0), None),
    };
    let listed = gw
        .client()
        .and_then(|c| pushgateway::list_json(&gw, &c, pushgateway::DEFAULT_LISTING_BYTES));
    match listed {
        Ok(data) => Some(group::find(&data, &t.grouping).is_some()),
        Err(e) => {
            report::debug(|| format!("no listing, so whether the group existed is unknown: {e:#}"));
            None
        }
    }
}

/// Read the group, drop the named families, PUT the rest back (or DELETE
/// the group when nothing but a deadline would stay).
fn delete_metrics(cfg: &DeleteConfig) -> Result<()> {
    let t = &cfg.target;
    let base = t.gateway.clone().expect("--metric resolves a gateway URL");
    let gw = Gateway {
        base,
        http: t.http.clone(),
    };
    let shown = pushgateway::shown_url(t);
    let client = gw.client()?;
    let data = pushgateway::list_json(&gw, &client, pushgateway::DEFAULT_LISTING_BYTES)?;
    let found = group::find(&data, &t.grouping).ok_or_else(|| {
        fail(
            Exit::Invalid,
            anyhow!("the gateway holds no group at {shown}; nothing was changed"),
        )
    })?;
    let families = group::families(found, &t.grouping)?;
    let kept = group::without(families, &cfg.metrics, &format!("the group at {shown}"))?;
    let names = cfg.metrics.join(", ");
    if kept.iter().all(|f| f.name == expiry::EXPIRES_AT) {
        if cfg.dry_run {
            report::info_plain(format!(
                "DELETE {shown} (dry run: nothing sent; {names} were the last)"
            ));
            return Ok(());
        }
        pushgateway::delete_with(&client, t)?;
        if !cfg.quiet {
            report::info(format!(
                "deleted group {shown}: {names} were its last metrics"
            ));
        }
        return Ok(());
    }
    let how = PushOptions {
        replace: true,
        format: WireFormat::Protobuf,
        gzip: false,
    };
    if cfg.dry_run {
        report::info_plain(format!("PUT {shown} (dry run: nothing sent)"));
        let text = PushOptions {
            format: WireFormat::Text,
            ..how
        };
        return print(&text.bytes(&kept));
    }
    let n = kept.len();
    pushgateway::push_with(&client, t, &how, &Arc::from(kept))?;
    if !cfg.quiet {
        report::info(format!("deleted {names} from {shown}; {n} families kept"));
    }
    Ok(())
}
