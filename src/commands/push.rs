//! `simplepipe push`: source -> parse -> validate -> families -> encode ->
//! sink. Nothing is sent unless the whole artifact is valid.

use anyhow::Result;

use super::{counts, forgive, load, print};
use crate::config::PushConfig;
use crate::report;

pub fn run(cfg: &PushConfig) -> Result<()> {
    forgive(cfg.best_effort, push(cfg))
}

fn push(cfg: &PushConfig) -> Result<()> {
    let (model, _) = load(cfg.source.as_ref(), &cfg.artifact)?;
    if cfg.dry_run {
        report::info_plain(format!("{} (dry run: nothing sent)", cfg.sink.describe()));
        return print(&cfg.sink.dry_run_body(&model.families));
    }
    cfg.sink.push(&model.families)?;
    if !cfg.quiet {
        report::info(format!(
            "pushed {} to {}",
            counts(&model),
            cfg.sink.describe_destination()
        ));
    }
    Ok(())
}
