//! `simplepipe validate SOURCE…`: source -> parse -> validate -> families,
//! for each source, and one report per source (a line, or a JSON object
//! with `--output json`); nothing touches the network but an S3 source.
//! Every source is checked even after one fails; the exit code is the
//! first failure's.

use anyhow::Result;
use serde_json::json;

use super::{counts, load, print};
use crate::config::ValidateConfig;
use crate::error::{exit_code, fail, invalid};
use crate::report;

pub fn run(cfg: &ValidateConfig) -> Result<()> {
    let mut failed = Vec::new();
    for source in &cfg.sources {
        let name = source.name();
        let outcome = load(Some(source), &cfg.artifact);
        let line = match (&outcome, cfg.json) {
            (Ok((model, described)), false) => {
                format!("{name}: valid ({described}): {}\n", counts(model))
            }
            (Ok((model, described)), true) => json_line(json!({
                "source": name,
                "valid": true,
                "schema": described,
                "families": model.families.len(),
                "series": model.series_count(),
                "problems": [],
            })),
            (Err(e), true) => json_line(json!({
                "source": name,
                "valid": false,
                "exit": exit_code(e) as u8,
                "problems": problems_json(e),
                "problem_count": invalid(e).map_or(1, |inv| inv.total()),
                "more": invalid(e).map_or_else(|| json!({}), |inv| json!(inv.more)),
            })),
            (Err(_), false) => String::new(),
        };
        print(line.as_bytes())?;
        if let Err(e) = outcome {
            if cfg.sources.len() == 1 && !cfg.json {
                return Err(e);
            }
            if !cfg.json {
                report::error(&e);
            }
            failed.push((name, exit_code(&e)));
        }
    }
    let Some((_, exit)) = failed.first() else {
        return Ok(());
    };
    let names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    Err(fail(
        *exit,
        anyhow::anyhow!(
            "{} of {} sources failed validation: {}",
            failed.len(),
            cfg.sources.len(),
            names.join(", ")
        ),
    ))
}

fn json_line(v: serde_json::Value) -> String {
    format!("{v}\n")
}

/// Every problem of an invalid artifact; any other failure (unreadable,
/// not JSON) as one problem at the root.
pub fn problems_json(e: &anyhow::Error) -> serde_json::Value {
    match invalid(e) {
        Some(inv) => inv
            .problems
            .iter()
            .map(|p| json!({"pointer": p.at(), "message": p.message, "kind": p.kind}))
            .collect(),
        None => json!([{
            "pointer": "/",
            "message": format!("{e:#}"),
            "kind": match exit_code(e) {
                crate::error::Exit::Source => "unreadable",
                crate::error::Exit::Usage => "usage",
                _ => "invalid",
            },
        }]),
    }
}
