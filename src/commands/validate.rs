//! `simplepipe validate SOURCE…`: source -> parse -> validate -> families,
//! for each source, and one report per source (a line, or a JSON object
//! with `--output json`); nothing touches the network but an S3 source.
//! Every source is checked even after one fails; the exit code is the
//! first failure's.
//!
//! The JSON object is a contract for CI scripts (docs/validation.md): every
//! line has the same keys, each holding one thing (an identifier, a count,
//! a path), `null` where it doesn't apply.

use anyhow::Result;
use serde_json::{json, Value};

use super::{counts, described, load_source, print};
use crate::artifact::parse::unparsable_in;
use crate::artifact::{Model, Validated};
use crate::config::ValidateConfig;
use crate::error::{exit_code, fail, invalid, Exit};
use crate::report;

pub fn run(cfg: &ValidateConfig) -> Result<()> {
    let mut failed = Vec::new();
    for (n, source) in cfg.sources.iter().enumerate() {
        let name = source.name();
        let outcome = load_source(source, &cfg.artifact);
        let line = match (&outcome, cfg.json) {
            (Ok((model, validated)), false) => format!(
                "{name}: valid ({}): {}\n",
                described(validated.as_ref()),
                counts(model)
            ),
            (outcome, true) => format!("{}\n", summary(&name, outcome)),
            (Err(_), false) => String::new(),
        };
        print(line.as_bytes())?;
        match outcome {
            Err(e) => {
                if cfg.sources.len() == 1 && !cfg.json {
                    return Err(e);
                }
                if !cfg.json {
                    report::error(&e);
                }
                failed.push((name, exit_code(&e)));
            }
            // The process ends next: the last model is left to it rather
            // than freed series by series (about 10 ms of 100,000 series),
            // as `push` leaves its own. The others are freed as they go.
            Ok(last) if n + 1 == cfg.sources.len() => std::mem::forget(last),
            Ok(_) => {}
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

/// One source's line of `--output json`: always the same keys.
fn summary(name: &str, outcome: &Result<(Model, Option<Validated>)>) -> Value {
    match outcome {
        Ok((model, validated)) => json!({
            "source": name,
            "valid": true,
            "exit": 0,
            // MLflow runs are no document: no schema.
            "schema": validated.as_ref().map(|v| v.format.name()),
            "custom_schema": validated
                .as_ref()
                .and_then(|v| v.custom.as_ref())
                .map(|p| p.display().to_string()),
            "families": model.families.len(),
            "series": model.series_count(),
            "problems": [],
            "problem_count": 0,
            "more": {},
        }),
        Err(e) => json!({
            "source": name,
            "valid": false,
            "exit": exit_code(e) as u8,
            "schema": null,
            "custom_schema": null,
            "families": null,
            "series": null,
            "problems": problems_json(name, e),
            "problem_count": invalid(e).map_or(1, |inv| inv.total()),
            "more": invalid(e).map_or_else(|| json!({}), |inv| json!(inv.more)),
        }),
    }
}

/// Every problem of an invalid artifact; any other failure (unreadable,
/// not JSON) as one problem at the root, its message without the source's
/// name (which has its own key).
fn problems_json(name: &str, e: &anyhow::Error) -> Value {
    if let Some(inv) = invalid(e) {
        return inv
            .problems
            .iter()
            .map(|p| json!({"pointer": p.at(), "message": p.message, "kind": p.kind}))
            .collect();
    }
    let (kind, message) = match unparsable_in(e) {
        Some(u) => (u.kind, u.reason.clone()),
        None => {
            let kind = match exit_code(e) {
                Exit::Source => "unreadable",
                Exit::Usage => "usage",
                Exit::Rejected => "rejected",
                Exit::Unreachable => "unreachable",
                Exit::Internal | Exit::Ok => "internal",
                Exit::Invalid => "invalid",
            };
            (kind, without_name(&format!("{e:#}"), name))
        }
    };
    json!([{"pointer": "/", "message": message, "kind": kind}])
}

/// A message without the source's name, which has its own key: `NAME:
/// why` is `why`, `cannot open NAME: why` is `cannot open: why`, `NAME is
/// larger than …` is `is larger than …`.
fn without_name(text: &str, name: &str) -> String {
    if let Some(rest) = text.strip_prefix(&format!("{name}: ")) {
        return rest.to_string();
    }
    if let Some(rest) = text.strip_prefix(&format!("{name} ")) {
        return rest.to_string();
    }
    text.replacen(&format!(" {name}: "), ": ", 1)
}
