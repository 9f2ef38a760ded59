//! `simplepipe push`: source -> parse -> validate -> families -> encode ->
//! sink. Nothing is sent unless the whole artifact is valid.

use anyhow::Result;
use serde_json::json;

use super::{counts, forgive, load, print};
use crate::config::PushConfig;
use crate::error::invalid_mut;
use crate::report;

pub fn run(cfg: &PushConfig) -> Result<()> {
    forgive(cfg.best_effort, push(cfg))
}

fn push(cfg: &PushConfig) -> Result<()> {
    let (model, described) = load(cfg.source.as_ref(), &cfg.artifact).map_err(|mut e| {
        if let Some(inv) = invalid_mut(&mut e) {
            inv.pushing = true;
        }
        e
    })?;
    if cfg.dry_run {
        report::info_plain(format!("{} (dry run: nothing sent)", cfg.sink.describe()));
        return print(&cfg.sink.dry_run_body(&model.families)?);
    }
    cfg.sink.push(&model.families)?;
    if cfg.json {
        let summary = json!({
            "source": cfg.source.as_ref().map(|s| s.name()),
            "pushed": true,
            "schema": described,
            "families": model.families.len(),
            "series": model.series_count(),
            "destination": cfg.sink.describe_destination(),
        });
        return print(format!("{summary}\n").as_bytes());
    }
    if !cfg.quiet {
        report::info(format!(
            "pushed {} to {}",
            counts(&model),
            cfg.sink.describe_push(&model.families)
        ));
    }
    Ok(())
}
