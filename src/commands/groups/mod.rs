//! `simplepipe groups`: list what the Pushgateway holds, oldest first, as
//! a table or as JSON ([`view`] renders).

pub mod view;

use anyhow::Result;

use super::{forgive_as, print};
use crate::cli::ListOutput;
use crate::config::GroupsConfig;
use crate::pushgateway::{self, listing::sort_oldest_first};
use crate::report;

pub fn run(cfg: &GroupsConfig) -> Result<()> {
    forgive_as(cfg.best_effort, list(cfg), "nothing was listed")
}

fn list(cfg: &GroupsConfig) -> Result<()> {
    let client = cfg.gateway.client()?;
    let (all, now) = pushgateway::list(&cfg.gateway, &client, cfg.max_listing)?;
    let listed = all.len();
    super::prune::warn_idle(&cfg.selection, &all);
    let mut chosen: Vec<_> = all
        .into_iter()
        .filter(|g| cfg.selection.selects(g, now))
        .collect();
    sort_oldest_first(&mut chosen);
    match cfg.output {
        ListOutput::Json => {
            let mut text = serde_json::to_string_pretty(&view::json(&chosen, now))?;
            text.push('\n');
            print(text.as_bytes())
        }
        ListOutput::Table if chosen.is_empty() => {
            report::info(format!("no groups to show ({listed} listed)"));
            Ok(())
        }
        ListOutput::Table => print(view::table(&chosen, now).as_bytes()),
    }
}
