//! `simplepipe dashboard STANDARD`: load the standard, print its Grafana
//! dashboard as JSON, or wrapped in a ConfigMap for the Grafana sidecar;
//! either written panel by panel, so a standard of many metrics doesn't
//! hold its whole dashboard.

use anyhow::Result;

use super::print_with;
use crate::config::standard::DashboardConfig;
use crate::standard::{self, dashboard_text};

pub fn run(cfg: &DashboardConfig) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    print_with(|out| {
        if cfg.configmap {
            dashboard_text::write_configmap(&std, cfg.storage, out)
        } else {
            dashboard_text::write_pretty(&std, cfg.storage, out)
        }
    })
}
