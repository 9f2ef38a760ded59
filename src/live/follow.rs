//! `watch --follow`: read a file as it grows, like `tail -F`.
//!
//! The file is read to its end, then polled (every [`POLL`]). Between
//! polls the path is checked with `stat`:
//!
//! - **Rotation** (the path now names another file: rename + create, as
//!   logrotate does by default): the old file is read to its end first,
//!   since the writer may have added lines before it let go of it, then the
//!   new file is opened and read from its start.
//! - **Truncation** (the file is shorter than what was read:
//!   logrotate's `copytruncate`, or `: > file`): reading starts again at 0.
//! - **A rewrite in place** (`echo … > file` between two polls, ending up
//!   longer than what was read): its size says nothing, so the first bytes
//!   read are kept (`PREFIX`, 64) and compared before reading on; when they
//!   changed, reading starts again at 0 (else the start would be lost and
//!   a fragment such as `oss=0.5` read as a metric line).
//! - **The path is missing** (between the rename and the create, or before
//!   the writer first creates it): the open file is kept and the path is
//!   polled until it appears.
//!
//! - **A FIFO** is opened non-blocking and kept open: when a writer closes
//!   it, reading just finds nothing until the next writer (no seek, no
//!   size, no rewrite check: a pipe has none).
//!
//! Polling, not inotify: it works the same on every filesystem (inotify
//! misses changes on NFS and in some container overlays), needs no
//! dependency, and a quarter second is immaterial next to a push interval.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

/// How often the file is polled at its end.
pub const POLL: Duration = Duration::from_millis(250);

/// How many of the file's first bytes are kept to notice a rewrite.
const PREFIX: usize = 64;

/// What the reader sees.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// New bytes.
    Data(&'a [u8]),
    /// The path names a new file (rotation), read from its start.
    Rotated,
    /// The file was truncated; reading starts again at 0.
    Truncated,
    /// The path does not exist (yet); polling for it.
    Waiting,
}

/// A file followed across growth, truncation and rotation.
pub struct Follow {
    path: PathBuf,
    file: Option<(File, (u64, u64))>,
    pos: u64,
    buf: Vec<u8>,
    /// The file's first bytes, as read (up to [`PREFIX`]).
    prefix: Vec<u8>,
    /// A regular file (not a FIFO): it has a size and can be read again.
    regular: bool,
}

impl Follow {
    pub fn new(path: &Path) -> Follow {
        Follow {
            path: path.to_path_buf(),
            file: None,
            pos: 0,
            buf: vec![0u8; 64 * 1024],
            prefix: Vec::with_capacity(PREFIX),
            regular: true,
        }
    }

    /// Read until `stop()` is true, handing each event to `on`. `stop` is
    /// checked between polls, so it is seen within [`POLL`].
    pub fn run(&mut self, stop: &dyn Fn() -> bool, on: &mut dyn FnMut(Event)) -> io::Result<()> {
        let mut waiting_said = false;
        while !stop() {
            if self.file.is_none() {
                match open(&self.path)? {
                    Some(f) => {
                        self.regular = f.0.metadata()?.is_file();
                        self.file = Some(f);
                        self.pos = 0;
                        self.prefix.clear();
                    }
                    None => {
                        if !waiting_said {
                            on(Event::Waiting);
                            waiting_said = true;
                        }
                        thread::sleep(POLL);
                        continue;
                    }
                }
            }
            if self.drain(on)? > 0 {
                continue;
            }
            // At the end: has the path moved on to another file, or shrunk?
            let id = self.file.as_ref().map(|(_, id)| *id);
            match std::fs::metadata(&self.path) {
                Ok(m) if Some((m.dev(), m.ino())) != id => {
                    // Whatever the writer added before letting go of the old file.
                    self.drain(on)?;
                    self.file = None;
                    on(Event::Rotated);
                    continue;
                }
                Ok(m) if self.regular && m.len() < self.pos => {
                    self.restart(on, Event::Truncated)?;
                    continue;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            thread::sleep(POLL);
        }
        Ok(())
    }

    /// Read the open file again from its start.
    fn restart(&mut self, on: &mut dyn FnMut(Event), why: Event) -> io::Result<()> {
        if let Some((f, _)) = self.file.as_mut() {
            f.seek(SeekFrom::Start(0))?;
        }
        self.pos = 0;
        self.prefix.clear();
        on(why);
        Ok(())
    }

    /// Whether the first bytes read are no longer the file's first bytes.
    fn rewritten(&self) -> io::Result<bool> {
        use std::os::unix::fs::FileExt;
        let Some((f, _)) = self.file.as_ref() else {
            return Ok(false);
        };
        if self.prefix.is_empty() || !self.regular {
            return Ok(false);
        }
        let mut now = vec![0u8; self.prefix.len()];
        let mut got = 0;
        while got < now.len() {
            match f.read_at(&mut now[got..], got as u64)? {
                0 => break,
                n => got += n,
            }
        }
        Ok(now[..got] != self.prefix[..])
    }

    /// Read the open file to its current end; 0 when there was nothing new
    /// (else the bytes handed on, or 1 for a restart). Read bytes past the first are handed on only once the first bytes
    /// are seen unchanged, so a rewrite that lands between the check and
    /// the read can't pass a fragment on: reading starts again instead.
    fn drain(&mut self, on: &mut dyn FnMut(Event)) -> io::Result<u64> {
        let mut total = 0;
        loop {
            let Some((f, _)) = self.file.as_mut() else {
                return Ok(total);
            };
            let n = match f.read(&mut self.buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A FIFO with a writer and nothing written yet.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(total),
                Err(e) => return Err(e),
            };
            if self.rewritten()? {
                self.restart(on, Event::Truncated)?;
                return Ok(total + 1);
            }
            if self.prefix.len() < PREFIX {
                let room = PREFIX - self.prefix.len();
                self.prefix.extend_from_slice(&self.buf[..n.min(room)]);
            }
            total += n as u64;
            self.pos += n as u64;
            on(Event::Data(&self.buf[..n]));
        }
    }
}

/// Open the file and note its identity, or `None` when it does not exist.
/// Non-blocking, so that opening a FIFO doesn't wait for a writer (and
/// reading one without a writer finds nothing); no effect on a file.
fn open(path: &Path) -> io::Result<Option<(File, (u64, u64))>> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    match opened {
        Ok(f) => {
            let m = f.metadata()?;
            Ok(Some((f, (m.dev(), m.ino()))))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};

    /// Follow `path` on a thread; events come back as text.
    fn follow(
        path: &Path,
    ) -> (
        mpsc::Receiver<String>,
        Arc<AtomicBool>,
        thread::JoinHandle<()>,
    ) {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (path.to_path_buf(), stop.clone());
        let t = thread::spawn(move || {
            Follow::new(&p)
                .run(&|| s.load(Ordering::SeqCst), &mut |e| {
                    let _ = tx.send(match e {
                        Event::Data(d) => String::from_utf8_lossy(d).into_owned(),
                        other => format!("<{other:?}>"),
                    });
                })
                .unwrap();
        });
        (rx, stop, t)
    }

    /// Receive events until `want` has been seen in full.
    fn expect(rx: &mpsc::Receiver<String>, want: &str) {
        let mut got = String::new();
        while got.len() < want.len() {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(e) => got.push_str(&e),
                Err(_) => panic!("waited 10s for {want:?}, got {got:?}"),
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn growth_rotation_truncation_and_a_late_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let (rx, stop, t) = follow(&path);
        expect(&rx, "<Waiting>");
        std::fs::write(&path, "a=1\n").unwrap();
        expect(&rx, "a=1\n");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"a=2\n").unwrap();
        expect(&rx, "a=2\n");
        // Rotation: the writer adds a last line to the old file after the
        // rename, then a new file appears.
        std::fs::rename(&path, dir.path().join("log.1")).unwrap();
        f.write_all(b"a=3\n").unwrap();
        std::fs::write(&path, "b=1\n").unwrap();
        expect(&rx, "a=3\n<Rotated>b=1\n");
        // Truncation (copytruncate), then shorter content.
        std::fs::write(&path, "").unwrap();
        expect(&rx, "<Truncated>");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"c=1\n")
            .unwrap();
        expect(&rx, "c=1\n");
        // A rewrite in place that ends up longer than what was read: read
        // again from the start, not from the old offset ("ning_loss=0.5").
        std::fs::write(&path, "training_loss=0.5\n").unwrap();
        expect(&rx, "<Truncated>training_loss=0.5\n");
        stop.store(true, Ordering::SeqCst);
        t.join().unwrap();
    }

    /// A FIFO used to fail with "Illegal seek" when its first writer
    /// closed; now each writer's lines are read in turn.
    #[test]
    fn a_fifo_is_followed_across_writers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (rx, stop, t) = follow(&path);
        for line in ["a=1\n", "a=2\n", "a=3\n"] {
            let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            w.write_all(line.as_bytes()).unwrap();
            drop(w);
            expect(&rx, line);
        }
        stop.store(true, Ordering::SeqCst);
        t.join().unwrap();
    }
}
