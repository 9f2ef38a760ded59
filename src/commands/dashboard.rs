//! `simplepipe dashboard STANDARD`: load the standard, print its Grafana
//! dashboard as JSON, or wrapped in a ConfigMap for the Grafana sidecar.

use anyhow::Result;

use super::print;
use crate::config::standard::DashboardConfig;
use crate::standard::{self, dashboard};

pub fn run(cfg: &DashboardConfig) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    let text = if cfg.configmap {
        dashboard::configmap_yaml(&std, cfg.storage)
    } else {
        let json = dashboard::dashboard(&std, cfg.storage);
        serde_json::to_string_pretty(&json).expect("JSON serializes") + "\n"
    };
    print(text.as_bytes())
}
