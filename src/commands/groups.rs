//! `simplepipe groups`: list what the Pushgateway holds, oldest first, as
//! a table or as JSON.

use anyhow::Result;

use super::{forgive_as, print};
use crate::cli::Output;
use crate::config::GroupsConfig;
use crate::report;
use crate::sink::groups::{sort_oldest_first, view};
use crate::sink::pushgateway;

pub fn run(cfg: &GroupsConfig) -> Result<()> {
    forgive_as(cfg.best_effort, list(cfg), "nothing was listed")
}

fn list(cfg: &GroupsConfig) -> Result<()> {
    let client = cfg.gateway.client()?;
    let (all, now) = pushgateway::list(&cfg.gateway, &client)?;
    let listed = all.len();
    let mut chosen: Vec<_> = all
        .into_iter()
        .filter(|g| cfg.selection.selects(g, now))
        .collect();
    sort_oldest_first(&mut chosen);
    match cfg.output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(&view::json(&chosen, now))?;
            text.push('\n');
            print(text.as_bytes())
        }
        Output::Table if chosen.is_empty() => {
            report::info(format!("no groups to show ({listed} listed)"));
            Ok(())
        }
        Output::Table => print(view::table(&chosen, now).as_bytes()),
    }
}
