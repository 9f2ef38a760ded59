//! `simplepipe push`: source -> parse -> validate -> families -> encode ->
//! each destination. Nothing is sent anywhere unless the whole artifact is
//! valid; then every destination is tried, each on its own, and each gets
//! a summary line.

use std::sync::Arc;

use anyhow::Result;
use serde_json::{json, Value};

use super::{counts, forgive, load, print};
use crate::config::{target, PushConfig};
use crate::error::{exit_code, invalid_mut, Exit};
use crate::model::Family;
use crate::report;
use crate::sink::{fanout, push_all, split, Effort, Outcome};
use crate::source::mlflow::MlflowRef;
use crate::source::Source;

pub fn run(cfg: &PushConfig) -> Result<()> {
    forgive(cfg.dest.best_effort, push(cfg))
}

fn push(cfg: &PushConfig) -> Result<()> {
    let loaded = match load(cfg.source.as_ref(), &cfg.artifact) {
        Err(e) if cfg.metrics_if_unreadable && exit_code(&e) == Exit::Source => {
            report::warn(format!("{e:#}"));
            report::warn("--metrics-if-unreadable: pushing the --metric values alone");
            load(None, &cfg.artifact)
        }
        loaded => loaded,
    };
    let (model, described) = loaded.map_err(|mut e| {
        if let Some(inv) = invalid_mut(&mut e) {
            inv.pushing = true;
        }
        match target::unsettled(&cfg.dest.grouping, cfg.source.as_ref()) {
            Some(no_job) => {
                report::error(&e);
                no_job
            }
            None => e,
        }
    })?;
    // The grouping an Argo Workflow proposes, where the command line named none.
    let settled = target::settle(
        &cfg.dest.grouping,
        &model.proposed,
        &cfg.artifact.build.labels,
    )?;
    let dest = settled.map(|g| cfg.dest.regroup(g));
    let dest = dest.as_ref().unwrap_or(&cfg.dest);
    if cfg.dry_run {
        // Every body is written before any is printed: a destination that
        // would refuse the push before sending fails the dry run whole.
        let mut bodies = Vec::new();
        for sink in &dest.sinks {
            bodies.push((sink.request_line(), sink.dry_run_body(&model.families)?));
        }
        for (line, body) in bodies {
            report::info_plain(format!("{line} (dry run: nothing sent)"));
            print(&body)?;
        }
        return Ok(());
    }
    let (pushed, series) = (counts(&model), model.series_count());
    let families: Arc<[Family]> = model.families.into();
    let (outcomes, said) = match &cfg.source {
        // MLflow runs: the history where it is kept, a group per user; each
        // part says what it held.
        Some(Source::Mlflow(what)) => {
            let parts = split::push(
                &dest.sinks,
                &dest.grouping,
                &families,
                &model.history,
                matches!(what, MlflowRef::Experiment(_)),
                Effort::default(),
            );
            (parts, None)
        }
        _ => (
            push_all(&dest.sinks, &families, Effort::default()),
            Some(pushed),
        ),
    };
    if cfg.json {
        let summary = summary(cfg, &outcomes, &described, families.len(), series);
        print(format!("{summary}\n").as_bytes())?;
    } else if !cfg.quiet {
        for o in &outcomes {
            match (&o.result, &said) {
                (Ok(went), Some(pushed)) => report::info(format!("pushed {pushed} to {went}")),
                (Ok(part), None) => report::info(format!("pushed {part}")),
                (Err(_), _) => {}
            }
        }
    }
    // The process ends next: the model is left to it rather than freed
    // series by series (42 M instructions, ~10 ms, on 100,000 series).
    std::mem::forget(families);
    fanout::verdict(outcomes)
}

/// `--output json`: the push and each destination's outcome.
fn summary(
    cfg: &PushConfig,
    outcomes: &[Outcome],
    described: &str,
    families: usize,
    series: usize,
) -> Value {
    let each: Vec<Value> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(_) => json!({"destination": o.sink.destination(), "pushed": true}),
            Err(e) => json!({
                "destination": o.sink.destination(),
                "pushed": false,
                "exit": exit_code(e) as u8,
                "error": format!("{e:#}"),
            }),
        })
        .collect();
    json!({
        "source": cfg.source.as_ref().map(|s| s.name()),
        "pushed": outcomes.iter().all(|o| o.result.is_ok()),
        "schema": described,
        "families": families,
        "series": series,
        "destination": outcomes.first().map(|o| o.sink.destination()),
        "destinations": each,
    })
}
