//! Unpack: Argo archives output artifacts as tar+gzip unless a
//! template says `archive: {none: {}}`, and an input artifact may arrive
//! the same way. Detect gzip and tar by their magic bytes (never by file
//! name) and hand the metric file inside to the parser.
//!
//! Decompression is bounded by `--max-bytes` too, so a small gzip bomb
//! cannot exhaust memory. Failures are "the source can't be read" (exit 3).

use std::io::Read;

use anyhow::Result;

use crate::error::{bail_with, Exit};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Unwrap gzip and tar layers, returning the artifact's own bytes.
pub fn unpack(
    bytes: Vec<u8>,
    member: Option<&str>,
    max_bytes: u64,
    origin: &str,
) -> Result<Vec<u8>> {
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        let out = gunzip(&bytes, max_bytes, origin)?;
        crate::report::debug(|| {
            format!("{origin}: gunzip: {} -> {} bytes", bytes.len(), out.len())
        });
        out
    } else {
        bytes
    };
    if is_tar(&bytes) {
        return tar_member(&bytes, member, max_bytes, origin);
    }
    if let Some(m) = member {
        bail_with!(
            Exit::Source,
            "--member {m}: {origin} is not a tar archive; drop --member"
        );
    }
    Ok(bytes)
}

/// Whether bytes starting with `head` (its first 512 bytes, or all of
/// them) are gzip or tar, which [`unpack`] unwraps.
pub fn is_archive(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC) || is_tar(head)
}

/// POSIX/GNU tar headers carry "ustar" at offset 257 (Go's archive/tar,
/// which Argo uses, always writes it).
fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

fn gunzip(bytes: &[u8], max_bytes: u64, origin: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(bytes)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out);
    if let Err(e) = read {
        bail_with!(
            Exit::Source,
            "{origin}: starts like gzip but cannot be decompressed: {e}"
        );
    }
    if out.len() as u64 > max_bytes {
        return Err(super::too_large(
            &format!("{origin}: decompresses to more than"),
            max_bytes,
            "",
        ));
    }
    Ok(out)
}

fn tar_member(bytes: &[u8], member: Option<&str>, max_bytes: u64, origin: &str) -> Result<Vec<u8>> {
    let want = member.map(normalize);
    let mut files: Vec<String> = Vec::new();
    let mut chosen: Option<Vec<u8>> = None;
    let mut archive = tar::Archive::new(bytes);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => bail_with!(Exit::Source, "{origin}: not a readable tar archive: {e}"),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => bail_with!(Exit::Source, "{origin}: broken tar archive: {e}"),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map(|p| normalize(&p.to_string_lossy()))
            .unwrap_or_default();
        // As shown in messages: a name can hold a newline or an escape.
        let shown = crate::report::printable(&path).into_owned();
        let take = match &want {
            Some(w) => *w == path,
            None => files.is_empty(),
        };
        if take && chosen.is_none() {
            if entry.size() > max_bytes {
                return Err(super::too_large(
                    &format!("{origin}: member {shown} is larger than"),
                    max_bytes,
                    "",
                ));
            }
            let mut buf = Vec::with_capacity(entry.size() as usize);
            if let Err(e) = entry.read_to_end(&mut buf) {
                bail_with!(Exit::Source, "{origin}: cannot read member {shown}: {e}");
            }
            crate::report::debug(|| format!("{origin}: tar member {shown}: {} bytes", buf.len()));
            chosen = Some(buf);
        }
        files.push(shown);
    }
    match (member, chosen) {
        (Some(m), None) => bail_with!(
            Exit::Source,
            "{origin}: no member {m:?} in the tar archive; it holds {}",
            listing(&files)
        ),
        (Some(_), Some(bytes)) => Ok(bytes),
        (None, _) if files.is_empty() => bail_with!(
            Exit::Source,
            "{origin}: the tar archive holds no regular file"
        ),
        (None, Some(bytes)) if files.len() == 1 => Ok(bytes),
        (None, _) => bail_with!(
            Exit::Source,
            "{origin}: the tar archive holds {} files ({}); choose one with --member PATH",
            files.len(),
            listing(&files)
        ),
    }
}

fn normalize(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

fn listing(files: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut s = files
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        s.push_str(&format!(", … {} more", files.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    }

    fn err(r: Result<Vec<u8>>) -> String {
        let e = r.unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Source);
        format!("{e:#}")
    }

    #[test]
    fn plain_passes_through() {
        assert_eq!(unpack(b"{}".to_vec(), None, 100, "x").unwrap(), b"{}");
    }

    #[test]
    fn tgz_with_one_file() {
        let t = gz(&tar(&[("metric.json", b"{\"a\": 1}")]));
        assert_eq!(unpack(t, None, 1 << 20, "x").unwrap(), b"{\"a\": 1}");
    }

    #[test]
    fn several_files_need_member() {
        let t = tar(&[("a.json", b"1"), ("dir/b.json", b"2")]);
        assert_eq!(
            err(unpack(t.clone(), None, 1 << 20, "x.tar")),
            "x.tar: the tar archive holds 2 files (a.json, dir/b.json); choose one with --member PATH"
        );
        assert_eq!(
            unpack(t.clone(), Some("./dir/b.json"), 1 << 20, "x").unwrap(),
            b"2"
        );
        assert!(err(unpack(t, Some("c.json"), 1 << 20, "x")).contains("no member \"c.json\""));
    }

    #[test]
    fn gzip_bombs_stop_at_the_limit() {
        let big = gz(&vec![b' '; 100_000]);
        assert!(big.len() < 1000);
        assert!(
            err(unpack(big, None, 50_000, "x")).contains("decompresses to more than --max-bytes")
        );
    }

    #[test]
    fn member_on_a_plain_file_is_an_error() {
        assert!(err(unpack(b"{}".to_vec(), Some("a"), 100, "x")).contains("is not a tar archive"));
    }
}
