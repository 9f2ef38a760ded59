//! `simplepipe alertmanager`'s options, and the secret values its
//! `alertmanager.yml` needs, read from `--secrets-dir` (config reads the
//! files options name, so a missing secret is a usage error before anything
//! is written).
//!
//! The values are wrapped in [`Secret`] as soon as they are read, and no
//! message here repeats one: a bad value is described, never shown.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};

use super::standard::k8s_labels;
use crate::cli::AlertmanagerArgs;
use crate::error::{bail_with, fail, io_reason, Exit};
use crate::redact::Secret;
use crate::standard::alertmanager::Secrets;
use crate::standard::notify::{SecretUse, Use};

/// Which form `simplepipe alertmanager` writes.
#[derive(Debug, Clone)]
pub enum Form {
    /// `alertmanager.yml`, with the secret values read from this directory.
    File { secrets_dir: PathBuf },
    /// An `AlertmanagerConfig` with these labels.
    Operator { labels: Vec<(String, String)> },
}

#[derive(Debug, Clone)]
pub struct AlertmanagerOptions {
    pub standard: PathBuf,
    pub form: Form,
    pub output: Option<PathBuf>,
}

/// The largest secret file read: a URL or a password is far smaller.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

pub fn alertmanager(args: AlertmanagerArgs) -> Result<AlertmanagerOptions> {
    let form = match args.secrets_dir {
        Some(dir) if !dir.is_dir() => bail_with!(
            Exit::Usage,
            "--secrets-dir {}: not a directory (give the directory holding one directory per Secret)",
            dir.display()
        ),
        Some(secrets_dir) => Form::File { secrets_dir },
        // clap requires one of the two.
        None => Form::Operator {
            labels: k8s_labels(&args.rule_labels)?,
        },
    };
    Ok(AlertmanagerOptions {
        standard: args.standard,
        form,
        output: args.output,
    })
}

/// The value of every secret the standard `origin` uses, from
/// `dir/NAME/KEY`. Every problem is reported at once (exit 2), each with
/// the pointer of the reference and the file, never the value.
pub fn read_secrets(dir: &Path, origin: &str, uses: &[Use<'_>]) -> Result<Secrets> {
    let mut secrets = Secrets::new();
    let mut text = String::new();
    for u in uses {
        if secrets.contains_key(u.secret) {
            continue;
        }
        let path = dir.join(&u.secret.secret).join(&u.secret.key);
        match read_one(&path, u.used_as) {
            Ok(value) => {
                secrets.insert(u.secret.clone(), value);
            }
            Err(why) => {
                let _ = writeln!(
                    text,
                    "standard {origin}: {}: {}: {} {why}",
                    u.pointer,
                    u.secret,
                    path.display()
                );
            }
        }
    }
    if text.is_empty() {
        return Ok(secrets);
    }
    let _ = write!(
        text,
        "--secrets-dir {}: give one directory per Secret and one file per key in it, as Kubernetes mounts a Secret",
        dir.display()
    );
    Err(fail(Exit::Usage, anyhow!(text)))
}

/// One secret file's value, without the newline `echo` leaves at its end.
fn read_one(path: &Path, used_as: SecretUse) -> Result<Secret, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot be read: {}", io_reason(&e)))?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {}", io_reason(&e)))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(format!("is larger than {} KiB", MAX_SECRET_BYTES / 1024));
    }
    let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    let value = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    if value.is_empty() {
        return Err("is empty".into());
    }
    if used_as == SecretUse::Url && !is_http_url(value) {
        return Err("does not hold an http(s) URL (its value is not shown)".into());
    }
    Ok(Secret::new(value))
}

fn is_http_url(value: &str) -> bool {
    !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && reqwest::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;
    use crate::standard::notify::SecretRef;

    fn refs() -> Vec<SecretRef> {
        ["discord", "smtp", "missing", "bad", "empty"]
            .iter()
            .map(|k| SecretRef {
                secret: "hooks".into(),
                key: k.to_string(),
            })
            .collect()
    }

    #[test]
    fn values_are_read_trimmed_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        std::fs::write(
            hooks.join("discord"),
            "https://d.example/api/webhooks/1/tok\n",
        )
        .unwrap();
        std::fs::write(hooks.join("smtp"), "pw word\r\n").unwrap();
        std::fs::write(hooks.join("bad"), "not a url tok-SHOWN\n").unwrap();
        std::fs::write(hooks.join("empty"), "\n").unwrap();
        let r = refs();
        let use_of = |i: usize, used_as| Use {
            pointer: format!("/p/{i}"),
            secret: &r[i],
            used_as,
        };
        let ok = [use_of(0, SecretUse::Url), use_of(1, SecretUse::Password)];
        let got = read_secrets(dir.path(), "s.yaml", &ok).unwrap();
        assert_eq!(got[&r[0]].expose(), "https://d.example/api/webhooks/1/tok");
        assert_eq!(got[&r[1]].expose(), "pw word");

        let bad = [
            use_of(2, SecretUse::Url),
            use_of(3, SecretUse::Url),
            use_of(4, SecretUse::Password),
        ];
        let e = read_secrets(dir.path(), "s.yaml", &bad).unwrap_err();
        assert_eq!(exit_code(&e), Exit::Usage);
        let text = format!("{e:#}");
        let d = dir.path().display();
        for want in [
            format!("standard s.yaml: /p/2: secret hooks key missing: {d}/hooks/missing cannot be read: no such file"),
            format!("standard s.yaml: /p/3: secret hooks key bad: {d}/hooks/bad does not hold an http(s) URL (its value is not shown)"),
            format!("standard s.yaml: /p/4: secret hooks key empty: {d}/hooks/empty is empty"),
            format!("--secrets-dir {d}: give one directory per Secret"),
        ] {
            assert!(text.contains(&want), "{want}\n{text}");
        }
        assert!(!text.contains("SHOWN"), "{text}");
    }
}
