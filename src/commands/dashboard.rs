//! `simplepipe dashboard STANDARD`: load the standard, print its Grafana
//! dashboard as JSON, or wrapped in a ConfigMap for the Grafana sidecar;
//! either written panel by panel, so a standard of many metrics doesn't
//! hold its whole dashboard.

use std::io::Write;

use anyhow::Result;

use crate::config::standard::DashboardConfig;
use crate::error::{Exit, ExitContext};
use crate::standard::{self, dashboard_text};

pub fn run(cfg: &DashboardConfig) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if cfg.configmap {
        dashboard_text::write_configmap(&std, cfg.storage, &mut out)
    } else {
        dashboard_text::write_pretty(&std, cfg.storage, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.exit_with(Exit::Internal),
    }
}
