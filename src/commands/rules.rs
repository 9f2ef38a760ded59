//! `simplepipe rules STANDARD`: load the standard, print its alert rules
//! (or the PrometheusRule), and with `--tests` write the promtool tests
//! that prove them.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::print;
use crate::config::standard::RulesConfig;
use crate::error::{Exit, ExitContext};
use crate::standard::{self, promtool, rules};

pub fn run(cfg: &RulesConfig) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    let text = match &cfg.prometheus_rule {
        Some(labels) => rules::prometheus_rule_yaml(&std, labels),
        None => rules::rules_yaml(&std),
    };
    if let Some(tests) = &cfg.tests {
        // config refuses --tests without -o.
        if let Some(out) = &cfg.output {
            write(tests, &promtool::tests_yaml(&std, &relative_to(tests, out)))?;
        }
    }
    match &cfg.output {
        Some(out) => write(out, &text),
        None => print(text.as_bytes()),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).or_fail(Exit::Usage, |e| {
        format!("cannot write {}: {e}", path.display())
    })
}

/// How the tests file at `tests` names the rule file `rules`: promtool
/// resolves `rule_files` against the test file's directory.
fn relative_to(tests: &Path, rules: &Path) -> String {
    let dir = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir(tests) == dir(rules) {
        if let Some(name) = rules.file_name() {
            return name.to_string_lossy().into_owned();
        }
    }
    std::path::absolute(rules)
        .unwrap_or_else(|_| PathBuf::from(rules))
        .display()
        .to_string()
}
