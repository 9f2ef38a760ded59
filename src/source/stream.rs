//! A source read as it is parsed (see `artifact::load_streamed`), so that a
//! big artifact is never held whole: a local file, or stdin.
//!
//! When the one pass gives way, the long way reads the input again to say
//! what is wrong. A file is simply opened again; stdin can't be read twice,
//! so what the one pass reads of it is copied, as it is read, to a
//! temporary file in `$TMPDIR` (`/tmp` when unset), removed from the
//! directory as soon as it is made, so it is gone when the process ends
//! whatever happens; [`read_again`] reads that copy, then the rest of
//! stdin. When no such file can be made, stdin is read whole as before.
//! S3 and Argo sources, archives and `--member` are read whole by
//! [`super::read`].

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};

use anyhow::Result;

use super::{archive, read, read_from, ReadOptions, Source};
use crate::error::{bail_with, io_reason, Exit};

/// A source read through `--max-bytes`: reading past it is an error, which
/// stops the one pass, and the long way then says what [`super::read`]
/// says.
pub struct Stream {
    input: Input,
    left: u64,
    read: u64,
    /// A file's metadata, taken from the file this stream reads.
    file: Option<std::fs::Metadata>,
}

enum Input {
    File(io::Chain<Cursor<Vec<u8>>, File>),
    /// Stdin's first bytes, then the rest, each byte also written to
    /// `spill`; `broken` when a write failed (the copy is then no copy).
    Stdin {
        head: Cursor<Vec<u8>>,
        spill: File,
        broken: bool,
        /// An archive: not for the one pass, unpacked the long way.
        archive: bool,
    },
}

/// A stream of `source` for the one pass; `None` when the long way must
/// read it whole (S3, Argo, `--member`, an archive file, a closed stdin, or
/// what can't be opened: the long way says why).
pub fn stream(source: &Source, opts: &ReadOptions) -> Option<Stream> {
    let (input, file) = match source {
        Source::Path(path) => {
            let mut file = File::open(path).ok()?;
            let metadata = file.metadata().ok()?;
            if opts.member.is_some() || !metadata.is_file() {
                return None;
            }
            let head = head_of(&mut file).ok()?;
            if archive::is_archive(&head) {
                return None;
            }
            (Input::File(Cursor::new(head).chain(file)), Some(metadata))
        }
        Source::Stdin if opts.member.is_none() && !super::stdin_is_closed() => {
            // Made before anything is read: without it, stdin is left
            // whole for the long way.
            let mut spill = spill_file()?;
            let head = head_of(&mut io::stdin().lock()).unwrap_or_default();
            let broken = spill.write_all(&head).is_err();
            let stdin = Input::Stdin {
                archive: archive::is_archive(&head),
                head: Cursor::new(head),
                spill,
                broken,
            };
            (stdin, None)
        }
        _ => return None,
    };
    Some(Stream {
        input,
        left: opts.max_bytes,
        read: 0,
        file,
    })
}

/// The source's bytes for the long way, after the one pass gave way on
/// `stream`: stdin's copy, then the rest of stdin; anything else read
/// anew ([`super::read`]).
pub fn read_again(source: &Source, stream: Option<Stream>, opts: &ReadOptions) -> Result<Vec<u8>> {
    let Some(Stream {
        input: Input::Stdin { spill, broken, .. },
        ..
    }) = stream
    else {
        return read(source, opts);
    };
    let mut spilled = Vec::new();
    let copy = if broken {
        Err(io::Error::other("it could not be copied whole"))
    } else {
        read_spill(spill, &mut spilled, opts.max_bytes)
    };
    if let Err(e) = copy {
        bail_with!(
            Exit::Source,
            "cannot read <stdin> again from its copy in $TMPDIR ({}): {}; set TMPDIR to a writable directory with room for the artifact",
            std::env::temp_dir().display(),
            io_reason(&e)
        );
    }
    read_from(source, opts, spilled)
}

fn read_spill(mut spill: File, into: &mut Vec<u8>, max_bytes: u64) -> io::Result<()> {
    spill.rewind()?;
    spill.take(max_bytes.saturating_add(1)).read_to_end(into)?;
    Ok(())
}

/// Up to the first 512 bytes: enough to tell an archive.
fn head_of(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    input.take(512).read_to_end(&mut head)?;
    Ok(head)
}

/// A new file in `$TMPDIR`, readable and writable by this user alone,
/// already removed from the directory.
fn spill_file() -> Option<File> {
    let dir = std::env::temp_dir();
    for _ in 0..4 {
        let path = dir.join(format!("simplepipe-stdin-{:016x}", getrandom::u64().ok()?));
        let mut open = std::fs::OpenOptions::new();
        open.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        match open.open(&path) {
            Ok(file) => {
                let _ = std::fs::remove_file(&path);
                return Some(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

impl Stream {
    /// How many bytes of the source were read.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The metadata of the file this stream reads, if it reads a file.
    pub fn file(&self) -> Option<&std::fs::Metadata> {
        self.file.as_ref()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.input {
            Input::File(input) => input.read(buf)?,
            Input::Stdin { archive: true, .. } => {
                return Err(io::Error::other("an archive: unpacked the long way"))
            }
            Input::Stdin {
                head,
                spill,
                broken,
                ..
            } => match head.read(buf)? {
                0 => {
                    let n = io::stdin().lock().read(buf)?;
                    *broken |= spill.write_all(&buf[..n]).is_err();
                    n
                }
                n => n,
            },
        };
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::other("larger than --max-bytes"))?;
        self.read += n as u64;
        Ok(n)
    }
}
