//! Stage 1, source: read the artifact's bytes from a file, stdin or S3.
//!
//! Reading is bounded by `--max-bytes` so that no artifact can exhaust
//! memory: we read at most one byte past the limit and stop there (S3
//! downloads are streamed and stopped the same way, in [`crate::s3`]).
//! Failures here are "the source can't be read" (exit 3) and name the
//! source.

use std::io::Read;

use anyhow::Result;

use crate::bail_with;
use crate::config::{ArtifactConfig, Source};
use crate::error::{Exit, ExitContext};

/// Read the whole source into memory, refusing more than `--max-bytes`.
pub fn read(source: &Source, cfg: &ArtifactConfig) -> Result<Vec<u8>> {
    match source {
        Source::S3 { bucket, key } => crate::s3::fetch(bucket, key, &cfg.s3, cfg.max_bytes),
        _ => read_local(source, cfg.max_bytes),
    }
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
        bail_with!(
            Exit::Source,
            "{name} is larger than --max-bytes ({max_bytes} bytes); raise --max-bytes if the artifact really is that big"
        );
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
