//! `simplepipe delete`: one DELETE of a whole group.

use anyhow::Result;

use super::forgive;
use crate::config::DeleteConfig;
use crate::pushgateway;
use crate::report;

pub fn run(cfg: &DeleteConfig) -> Result<()> {
    let shown = pushgateway::shown_url(&cfg.target);
    if cfg.dry_run {
        report::info_plain(format!("DELETE {shown} (dry run: nothing sent)"));
        return Ok(());
    }
    let deleted = pushgateway::delete(&cfg.target);
    if deleted.is_ok() && !cfg.quiet {
        report::info(format!("deleted group {shown}"));
    }
    forgive(cfg.best_effort, deleted)
}
