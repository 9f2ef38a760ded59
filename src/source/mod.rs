//! Stage 1, source: read the artifact's bytes from a file, stdin, S3 or the
//! Kubernetes API ([`argo`]), and unwrap any tar/gzip layers ([`archive`]);
//! or read MLflow runs from a tracking server ([`mlflow`]).
//!
//! Reading is bounded by `--max-bytes` so that no artifact can exhaust
//! memory: we read at most one byte past the limit and stop there (S3
//! downloads are streamed and stopped the same way, in [`s3`]).
//! Failures here are "the source can't be read" (exit 3) and name the
//! source.

pub mod archive;
pub mod argo;
pub mod mlflow;
pub mod s3;
pub mod stream;

pub use stream::{read_again, stream, Stream};

use std::io::Read;
use std::path::PathBuf;

use anyhow::Result;

use crate::error::{bail_with, io_reason, Exit, ExitContext};

/// Where the artifact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
    /// `s3://BUCKET/KEY`; the key is taken verbatim (it may hold `/`,
    /// spaces, `+` and unicode).
    S3 {
        bucket: String,
        key: String,
    },
    /// `argo://[NAMESPACE/]NAME`: an Argo Workflow from the Kubernetes API;
    /// the namespace defaults to the pod's.
    Argo {
        namespace: Option<String>,
        name: String,
    },
    /// `mlflow://runs/RUN_ID` or `mlflow://experiments/NAME`: runs read
    /// from MLflow's REST API (not bytes: see `commands::load`).
    Mlflow(mlflow::MlflowRef),
}

impl Source {
    pub fn parse(raw: &str) -> Result<Source> {
        if raw == "-" {
            return Ok(Source::Stdin);
        }
        if let Some(rest) = raw.strip_prefix("argo://") {
            return argo_source(raw, rest);
        }
        if let Some(rest) = raw.strip_prefix("mlflow://") {
            return mlflow::MlflowRef::parse(raw, rest).map(Source::Mlflow);
        }
        let Some(rest) = raw.strip_prefix("s3://") else {
            return Ok(Source::Path(PathBuf::from(raw)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                contained(raw, bucket, key)?;
                Ok(Source::S3 {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                })
            }
            _ => bail_with!(Exit::Usage, "{raw:?}: expected s3://BUCKET/KEY"),
        }
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(p) => p.display().to_string(),
            Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
            Source::Argo {
                namespace: Some(ns),
                name,
            } => format!("argo://{ns}/{name}"),
            Source::Argo { name, .. } => format!("argo://{name}"),
            Source::Mlflow(what) => what.name(),
        }
    }

    /// The directory relative paths named inside the artifact (`"$schema"`)
    /// are resolved against: the file's own, else the working directory.
    pub fn base_dir(&self) -> PathBuf {
        match self {
            Source::Path(p) => p.parent().map(PathBuf::from).unwrap_or_default(),
            Source::Stdin | Source::S3 { .. } | Source::Argo { .. } | Source::Mlflow(_) => {
                PathBuf::new()
            }
        }
    }
}

/// Refuse what would leave the bucket: the S3 client builds an `http` URL
/// from bucket and key, and URL parsing resolves `.` and `..` segments (and
/// a bucket's `%2e`), so `s3://bkt/../other/k` would be signed and sent as
/// a read of bucket `other`. rust-s3 can't send such a key verbatim, so it
/// is refused, as is a bucket name outside S3's characters.
fn contained(raw: &str, bucket: &str, key: &str) -> Result<()> {
    let bucket_ok = bucket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && bucket.chars().any(|c| c != '.');
    if !bucket_ok {
        bail_with!(
            Exit::Usage,
            "{raw:?}: {bucket:?} is not a bucket name (letters, digits, dots, hyphens and underscores, not only dots)"
        );
    }
    if key.split('/').any(|seg| seg == "." || seg == "..") {
        bail_with!(
            Exit::Usage,
            "{raw:?}: the key has a \".\" or \"..\" segment, which the S3 request path would resolve away (reading another key or bucket); name the object without them"
        );
    }
    Ok(())
}

/// How to read a source: the stage's own options, built by config.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub max_bytes: u64,
    /// `--member`: the file to take from a tar archive.
    pub member: Option<String>,
    pub s3: s3::S3Options,
    pub argo: argo::ArgoOptions,
    /// The tracking server, when a source is `mlflow://`.
    pub mlflow: Option<mlflow::MlflowOptions>,
    /// A big file's entries may be read on two threads
    /// (`artifact::split`): the default; `SIMPLEPIPE_THREADS=1` says no.
    pub two_threads: bool,
}

/// Read the source and unwrap any archive layers: the artifact's own bytes.
pub fn read(source: &Source, opts: &ReadOptions) -> Result<Vec<u8>> {
    read_from(source, opts, Vec::new())
}

/// [`read`], the first bytes of stdin (`spilled`) read already.
fn read_from(source: &Source, opts: &ReadOptions, spilled: Vec<u8>) -> Result<Vec<u8>> {
    let bytes = match source {
        Source::S3 { bucket, key } => s3::fetch(bucket, key, &opts.s3, opts.max_bytes)?,
        Source::Argo { namespace, name } => argo::fetch(
            &source.name(),
            namespace.as_deref(),
            name,
            &opts.argo,
            opts.max_bytes,
        )?,
        Source::Mlflow(_) => bail_with!(
            Exit::Internal,
            "{}: MLflow runs are read by source::mlflow::fetch, not as bytes",
            source.name()
        ),
        _ => read_local(source, opts.max_bytes, spilled)?,
    };
    crate::report::debug(|| format!("read {}: {} bytes", source.name(), bytes.len()));
    archive::unpack(
        bytes,
        opts.member.as_deref(),
        opts.max_bytes,
        &source.name(),
    )
}

/// `argo://NAME` or `argo://NAMESPACE/NAME`, the names checked as
/// Kubernetes checks them (so that they can go into the API's URL as they
/// are).
fn argo_source(raw: &str, rest: &str) -> Result<Source> {
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, rest),
    };
    let usage = "expected argo://NAME or argo://NAMESPACE/NAME (a Workflow's name, e.g. argo://{{workflow.name}})";
    if let Some(ns) = namespace.filter(|ns| !is_dns_label(ns)) {
        bail_with!(
            Exit::Usage,
            "{raw:?}: {ns:?} is not a namespace name (lowercase letters, digits and -); {usage}"
        );
    }
    if !is_dns_subdomain(name) {
        bail_with!(
            Exit::Usage,
            "{raw:?}: {name:?} is not a Workflow name (lowercase letters, digits, - and .); {usage}"
        );
    }
    Ok(Source::Argo {
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
    })
}

/// A Kubernetes DNS-1123 label (a namespace): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`,
/// at most 63 characters.
fn is_dns_label(s: &str) -> bool {
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    (1..=63).contains(&b.len())
        && ok(b[0])
        && ok(b[b.len() - 1])
        && b.iter().all(|&c| ok(c) || c == b'-')
}

/// A Kubernetes DNS-1123 subdomain (most object names): labels joined by
/// dots, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// The one message for "bigger than --max-bytes", wherever it was found:
/// `{subject} --max-bytes (N bytes){aside}; raise --max-bytes …`.
fn too_large(subject: &str, max_bytes: u64, aside: &str) -> anyhow::Error {
    crate::error::fail(
        Exit::Source,
        anyhow::anyhow!(
            "{subject} --max-bytes ({max_bytes} bytes){aside}; raise --max-bytes if the artifact really is that big"
        ),
    )
}

fn read_local(source: &Source, max_bytes: u64, mut buf: Vec<u8>) -> Result<Vec<u8>> {
    let name = source.name();
    let read = match source {
        Source::S3 { .. } | Source::Argo { .. } | Source::Mlflow(_) => {
            unreachable!("read over the network")
        }
        Source::Stdin => {
            if stdin_is_closed() {
                bail_with!(
                    Exit::Source,
                    "cannot read <stdin>: it is closed (or /dev/null); pipe the artifact in, e.g. `simplepipe push - JOB < metrics.json`"
                );
            }
            let left = max_bytes.saturating_add(1);
            std::io::stdin()
                .lock()
                .take(left.saturating_sub(buf.len() as u64))
                .read_to_end(&mut buf)
        }
        Source::Path(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("cannot open {name}: {}", io_reason(&e)));
            let file = file.exit_with(Exit::Source)?;
            if let Ok(meta) = file.metadata() {
                if meta.is_dir() {
                    bail_with!(
                        Exit::Source,
                        "cannot read {name}: it is a directory, not a metric artifact"
                    );
                }
                buf.reserve(meta.len().min(max_bytes.saturating_add(1)) as usize);
            }
            file.take(max_bytes.saturating_add(1)).read_to_end(&mut buf)
        }
    };
    if let Err(e) = read {
        bail_with!(Exit::Source, "cannot read {name}: {}", io_reason(&e));
    }
    if buf.len() as u64 > max_bytes {
        return Err(too_large(&format!("{name} is larger than"), max_bytes, ""));
    }
    Ok(buf)
}

/// Whether stdin was closed (`<&-`). The Rust runtime reopens a closed
/// standard descriptor on /dev/null before `main`, so a closed stdin reads
/// as empty; an empty artifact from /dev/null is no artifact either way,
/// so both are "unreadable" (exit 3), not "invalid".
fn stdin_is_closed() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let fd0 = std::fs::metadata("/dev/stdin");
        let null = std::fs::metadata("/dev/null");
        match (fd0, null) {
            (Ok(a), Ok(b)) => a.rdev() == b.rdev() && a.dev() == b.dev() && a.ino() == b.ino(),
            (Err(_), _) => true,
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, b"0123456789").unwrap();
        let src = Source::Path(p);
        assert_eq!(read_local(&src, 10, Vec::new()).unwrap().len(), 10);
        let e = read_local(&src, 9, Vec::new()).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Source);
        assert!(format!("{e:#}").contains("--max-bytes"));
    }

    #[test]
    fn argo_sources() {
        let argo = |ns: Option<&str>, name: &str| Source::Argo {
            namespace: ns.map(String::from),
            name: name.to_string(),
        };
        assert_eq!(
            Source::parse("argo://train-x7k2p").unwrap(),
            argo(None, "train-x7k2p")
        );
        let both = Source::parse("argo://alice/train.v2").unwrap();
        assert_eq!(both, argo(Some("alice"), "train.v2"));
        assert_eq!(both.name(), "argo://alice/train.v2");
        for bad in [
            "argo://",
            "argo://a/b/c",
            "argo://Train",
            "argo://../x",
            "argo:///x",
            "argo://a/",
            "argo://-a",
        ] {
            let e = Source::parse(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), Exit::Usage, "{bad}");
            assert!(format!("{e:#}").contains("expected argo://NAME"), "{e:#}");
        }
        assert!(is_dns_label(&"a".repeat(63)) && !is_dns_label(&"a".repeat(64)));
    }

    #[test]
    fn missing_file_is_exit_3() {
        let e =
            read_local(&Source::Path("/nonexistent/x.json".into()), 10, Vec::new()).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Source);
        assert_eq!(
            format!("{e:#}"),
            "cannot open /nonexistent/x.json: no such file"
        );
    }
}
