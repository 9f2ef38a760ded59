//! `simplepipe install DIR`: copy this binary into DIR (as DIR/simplepipe).
//!
//! For Kubernetes and Argo: the simplepipe image is `scratch`, so it has
//! no `cp`, and `run` must execute inside the user's own training image.
//! An init container from the simplepipe image runs `install /simplepipe`
//! into a shared `emptyDir`; the training container then starts
//! `/simplepipe/simplepipe run -- …` (see argo/workflows/live-training.yaml).
//! The binary is static, so it runs in any Linux image.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::error::{Exit, ExitContext};
use crate::report;

pub fn run(dir: &Path, quiet: bool) -> Result<()> {
    let me = std::env::current_exe()
        .context("cannot find the running simplepipe binary")
        .exit_with(Exit::Internal)?;
    let dest = dir.join("simplepipe");
    // Copied beside the destination, then renamed: a reader never sees
    // half a binary.
    let tmp = dir.join(".simplepipe.partial");
    let copied = fs::copy(&me, &tmp)
        .and_then(|_| fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)))
        .and_then(|()| fs::rename(&tmp, &dest));
    if copied.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    copied
        .with_context(|| format!("cannot install simplepipe into {}", dir.display()))
        .exit_with(Exit::Usage)?;
    if !quiet {
        report::info(format!("installed {}", dest.display()));
    }
    Ok(())
}
