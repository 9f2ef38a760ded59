//! `simplepipe alertmanager STANDARD`: load the standard, then write its
//! `spec.notify` as an `alertmanager.yml` (secret values read from
//! `--secrets-dir` and written in; the file created with mode 0600) or as
//! an `AlertmanagerConfig` (references only).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Result;

use super::print;
use crate::config::alertmanager::{read_secrets, AlertmanagerOptions, Form};
use crate::error::{Exit, ExitContext};
use crate::report;
use crate::standard::{self, alertmanager};

pub fn run(cfg: &AlertmanagerOptions) -> Result<()> {
    let std = standard::load(&cfg.standard)?;
    let origin = cfg.standard.display().to_string();
    let usage = |problems: Vec<_>| standard::usage(&origin, &problems);
    match &cfg.form {
        Form::Operator { labels } => {
            let text = alertmanager::alertmanager_config_yaml(&std, labels).map_err(usage)?;
            match &cfg.output {
                Some(out) => std::fs::write(out, text).or_fail(Exit::Usage, |e| {
                    format!("cannot write {}: {e}", out.display())
                }),
                None => print(text.as_bytes()),
            }
        }
        Form::File { secrets_dir } => {
            let notify = alertmanager::notify_of(&std).map_err(usage)?;
            let secrets = read_secrets(secrets_dir, &origin, &notify.secrets())?;
            let text = alertmanager::alertmanager_yaml(&std, &secrets).map_err(usage)?;
            let held = format!(
                "the secret values named by {origin} (from {})",
                secrets_dir.display()
            );
            match &cfg.output {
                Some(out) => {
                    write_private(out, &text)?;
                    report::info(format!(
                        "{} holds {held}: mode 0600; keep it out of git and logs",
                        out.display()
                    ));
                    Ok(())
                }
                None => {
                    print(text.as_bytes())?;
                    report::info(format!(
                        "the alertmanager.yml on stdout holds {held}: keep it out of git and logs"
                    ));
                    Ok(())
                }
            }
        }
    }
}

/// Write `text` to `path` readable by its owner only. Why a new file and a
/// rename: `open(path, 0600)` keeps the mode of a file that already exists
/// (a world-readable one stays so) and follows a symlink planted at
/// `path`; a file created exclusively beside it, then renamed over it, has
/// the mode from the first byte and replaces whatever was there.
fn write_private(path: &Path, text: &str) -> Result<()> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let name = path.file_name().ok_or_else(|| {
        crate::error::fail(
            Exit::Usage,
            anyhow::anyhow!("-o {}: not a file name", path.display()),
        )
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.or_fail(Exit::Usage, cannot)
}
