//! Stage 1, source: read the artifact's bytes from a file, stdin or S3, and
//! unwrap any tar/gzip layers ([`archive`]).
//!
//! Reading is bounded by `--max-bytes` so that no artifact can exhaust
//! memory: we read at most one byte past the limit and stop there (S3
//! downloads are streamed and stopped the same way, in [`s3`]).
//! Failures here are "the source can't be read" (exit 3) and name the
//! source.

pub mod archive;
pub mod s3;

use std::io::Read;
use std::path::PathBuf;

use anyhow::Result;

use crate::error::{bail_with, Exit, ExitContext};

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
}

impl Source {
    pub fn parse(raw: &str) -> Result<Source> {
        if raw == "-" {
            return Ok(Source::Stdin);
        }
        let Some(rest) = raw.strip_prefix("s3://") else {
            return Ok(Source::Path(PathBuf::from(raw)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Source::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            _ => bail_with!(Exit::Usage, "{raw:?}: expected s3://BUCKET/KEY"),
        }
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(p) => p.display().to_string(),
            Source::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    /// The directory relative paths named inside the artifact (`"$schema"`)
    /// are resolved against: the file's own, else the working directory.
    pub fn base_dir(&self) -> PathBuf {
        match self {
            Source::Path(p) => p.parent().map(PathBuf::from).unwrap_or_default(),
            Source::Stdin | Source::S3 { .. } => PathBuf::new(),
        }
    }
}

/// How to read a source: the stage's own options, built by config.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub max_bytes: u64,
    /// `--member`: the file to take from a tar archive.
    pub member: Option<String>,
    pub s3: s3::S3Options,
}

/// Read the source and unwrap any archive layers: the artifact's own bytes.
pub fn read(source: &Source, opts: &ReadOptions) -> Result<Vec<u8>> {
    let bytes = match source {
        Source::S3 { bucket, key } => s3::fetch(bucket, key, &opts.s3, opts.max_bytes)?,
        _ => read_local(source, opts.max_bytes)?,
    };
    archive::unpack(
        bytes,
        opts.member.as_deref(),
        opts.max_bytes,
        &source.name(),
    )
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

fn read_local(source: &Source, max_bytes: u64) -> Result<Vec<u8>> {
    let name = source.name();
    let mut buf = Vec::new();
    let read = match source {
        Source::S3 { .. } => unreachable!("S3 is read by crate::s3"),
        Source::Stdin => std::io::stdin()
            .lock()
            .take(max_bytes + 1)
            .read_to_end(&mut buf),
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
                buf.reserve(meta.len().min(max_bytes + 1) as usize);
            }
            file.take(max_bytes + 1).read_to_end(&mut buf)
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

/// A short, user-facing reason for an I/O error (no "os error 2" noise).
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file".to_string(),
        PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
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
        assert_eq!(read_local(&src, 10).unwrap().len(), 10);
        let e = read_local(&src, 9).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Source);
        assert!(format!("{e:#}").contains("--max-bytes"));
    }

    #[test]
    fn missing_file_is_exit_3() {
        let e = read_local(&Source::Path("/nonexistent/x.json".into()), 10).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Source);
        assert_eq!(
            format!("{e:#}"),
            "cannot open /nonexistent/x.json: no such file"
        );
    }
}
