//! `simplepipe validate`: source -> parse -> validate -> families, and a
//! one-line summary; nothing touches the network but an S3 source.

use anyhow::Result;

use super::{counts, load, print};
use crate::config::ValidateConfig;

pub fn run(cfg: &ValidateConfig) -> Result<()> {
    let (model, described) = load(Some(&cfg.source), &cfg.artifact)?;
    print(
        format!(
            "{}: valid ({described}): {}\n",
            cfg.source.name(),
            counts(&model)
        )
        .as_bytes(),
    )
}
