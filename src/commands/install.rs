//! `simplepipe install DIR`: copy this binary into DIR (as DIR/simplepipe).
//!
//! For Kubernetes and Argo: the simplepipe image is `scratch`, so it has
//! no `cp`, and `run` must execute inside the user's own training image.
//! An init container from the simplepipe image runs `install /simplepipe`
//! into a shared `emptyDir`; the training container then starts
//! `/simplepipe/simplepipe run -- …` (see argo/workflows/live-training.yaml).
//! The binary is static, so it runs in any Linux image.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{Exit, ExitContext};
use crate::report;

pub fn run(dir: &Path, quiet: bool) -> Result<()> {
    let me = std::env::current_exe()
        .context("cannot find the running simplepipe binary")
        .exit_with(Exit::Internal)?;
    let dest = dir.join("simplepipe");
    let installed = copy_into(&me, dir, &dest);
    installed
        .with_context(|| format!("cannot install simplepipe into {}", dir.display()))
        .exit_with(Exit::Usage)?;
    if !quiet {
        report::info(format!("installed {}", dest.display()));
    }
    Ok(())
}

/// Copy `me` to `dest` by way of a new file beside it, then rename: a
/// reader never sees half a binary. The temporary file has a random name
/// and is created `O_CREAT|O_EXCL|O_NOFOLLOW`, so a file or symlink planted
/// in DIR can't redirect the copy (a root install once overwrote and
/// chmodded another file through one); its mode is set on the open file.
/// Concurrent installs each write their own file, and the last rename wins.
fn copy_into(me: &Path, dir: &Path, dest: &Path) -> io::Result<()> {
    let (tmp, mut out) = create_new(dir)?;
    let copied = File::open(me)
        .and_then(|mut src| io::copy(&mut src, &mut out))
        .and_then(|_| out.set_permissions(fs::Permissions::from_mode(0o755)))
        .and_then(|()| out.sync_all())
        .and_then(|()| fs::rename(&tmp, dest));
    if copied.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    copied
}

/// A new file under a random name in `dir`, never following a symlink.
fn create_new(dir: &Path) -> io::Result<(PathBuf, File)> {
    let random = getrandom::u64().map_err(|e| io::Error::other(e.to_string()))?;
    let tmp = dir.join(format!(".simplepipe.{random:016x}.partial"));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&tmp)?;
    Ok((tmp, file))
}
