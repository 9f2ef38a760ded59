//! `simplepipe dashboard STANDARD`: load the standard, print its Grafana
//! dashboard as JSON (written panel by panel, so a standard of many
//! metrics doesn't hold its whole dashboard), or wrapped in a ConfigMap
//! for the Grafana sidecar.

use std::io::Write;

use anyhow::Result;

use super::print;
use crate::config::standard::DashboardConfig;
use crate::error::{Exit, ExitContext};
use crate::standard::{self, dashboard, dashboard_text};

pub fn run(cfg: &DashboardConfig) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    if cfg.configmap {
        return print(dashboard::configmap_yaml(&std, cfg.storage).as_bytes());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match dashboard_text::write_pretty(&std, cfg.storage, &mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.exit_with(Exit::Internal),
    }
}
