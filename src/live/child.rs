//! `simplepipe run -- CMD`: run the command as a child, invisibly.
//!
//! - **Output.** Only the streams metrics are read from are piped; the
//!   others are inherited, so they are exactly the child's. A piped stream
//!   is read as it comes (`read` returns whatever the pipe holds) and
//!   written to our own stdout/stderr and flushed before it is parsed: a
//!   stdout line never waits for its newline to show. Stderr, which our own
//!   warnings share, is passed on in whole lines (`Relay`), so a warning
//!   never lands inside a child's line; a progress bar drawn with `\r`
//!   keeps working on both. Lines (split at `\n`, and at `\r` for progress
//!   bars) go to a callback on the reader's thread; the callback must not
//!   block (it updates shared state; pushing happens elsewhere).
//!   `PYTHONUNBUFFERED=1` is set for the child unless already set: Python
//!   would otherwise hold a piped stdout back in 8 KiB blocks.
//! - **Signals.** SIGTERM (how Argo and Kubernetes stop a step), SIGINT,
//!   SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the child. A ^C
//!   typed at a terminal already reached the child (it is in our process
//!   group, the terminal's foreground group), so SIGINT and SIGQUIT are not
//!   sent twice then: a second SIGINT would interrupt a Python program's
//!   KeyboardInterrupt handler. simplepipe itself does not die of these
//!   signals: it waits for the child and makes its final push.
//! - **No signal to a recycled pid.** The child is waited for without
//!   being reaped (`waitid(WNOWAIT)`), the forwarder is stopped, and only
//!   then is it reaped with `wait4`, which also gives its rusage (CPU time
//!   and peak RSS, which std does not expose).
//!
//! Signal handlers come from `signal-hook` (its self-pipe iterator), not
//! hand-written ones; the remaining `unsafe` is three plain libc calls.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::Stdio;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

pub use super::lines::MetricsFrom;
use super::lines::Splitter;

/// A stream of the child's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub duration: Duration,
    /// User plus system CPU time, from rusage.
    pub cpu_seconds: f64,
    /// Peak resident set size, from rusage (`ru_maxrss` is in KiB on Linux).
    pub peak_rss_bytes: f64,
}

impl Outcome {
    /// The exit code simplepipe passes on: the child's, or 128 + the
    /// signal, as a shell reports it.
    pub fn exit_code(&self) -> i32 {
        match (self.code, self.signal) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            (None, None) => 1,
        }
    }
}

/// The signals forwarded to the child.
pub const FORWARDED: [i32; 6] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2];

/// How long to wait, after the child exited, for its pipes to reach EOF:
/// a background process it started may hold them open for ever.
const DRAIN: Duration = Duration::from_secs(2);

/// Run `program args…`; `on_line(stream, line_number, line)` gets each
/// line of the streams `from` names. Returns when the child has exited and
/// its output is drained. `Err` only when it cannot be started.
pub fn run<F>(
    program: &OsString,
    args: &[OsString],
    from: MetricsFrom,
    on_line: F,
) -> io::Result<Outcome>
where
    F: Fn(Stream, u64, &str) + Send + Sync + 'static,
{
    // Registered before the spawn, so a SIGTERM that arrives while the child
    // starts is queued and forwarded, not lost.
    let signals = Signals::new(FORWARDED)?;
    let handle = signals.handle();
    let started = Instant::now();
    let mut child = spawn(program, args, from)?;
    let pid = child.id() as libc::pid_t;
    let alive = Arc::new(Mutex::new(true));
    let forwarder = forward(signals, pid, alive.clone());

    let on_line = Arc::new(on_line);
    let (done_tx, done_rx) = mpsc::channel();
    let mut readers = 0;
    if let Some(out) = child.stdout.take() {
        readers += 1;
        spawn_reader(out, Stream::Stdout, on_line.clone(), done_tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        readers += 1;
        spawn_reader(err, Stream::Stderr, on_line, done_tx.clone());
    }
    drop(done_tx);

    let waited = wait(pid, &alive);
    handle.close();
    let _ = forwarder.join();
    let (status, usage) = waited?;
    let duration = started.elapsed();
    let deadline = Instant::now() + DRAIN;
    for _ in 0..readers {
        let left = deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Outcome {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        duration,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak_rss_bytes: usage.ru_maxrss as f64 * 1024.0,
    })
}

/// Start the child with the streams `from` names piped (the others
/// inherited), and Python unbuffered.
fn spawn(
    program: &OsString,
    args: &[OsString],
    from: MetricsFrom,
) -> io::Result<std::process::Child> {
    let (out_piped, err_piped) = match from {
        MetricsFrom::Stdout => (true, false),
        MetricsFrom::Stderr => (false, true),
        MetricsFrom::Both => (true, true),
    };
    let pipe = |p: bool| if p { Stdio::piped() } else { Stdio::inherit() };
    let mut command = super::child_env::command(program);
    if std::env::var_os("PYTHONUNBUFFERED").is_none() {
        // Python block-buffers a piped stdout (8 KiB at a time), which
        // would hold metric lines back for minutes; unbuffered, it behaves
        // as it does on a terminal. Harmless for anything else.
        command.env("PYTHONUNBUFFERED", "1");
    }
    command
        .args(args)
        .stdout(pipe(out_piped))
        .stderr(pipe(err_piped))
        .spawn()
}

/// Forward the signals simplepipe receives to the child while it is
/// `alive` (a terminal's SIGINT and SIGQUIT reach it by themselves).
fn forward(
    mut signals: Signals,
    pid: libc::pid_t,
    alive: Arc<Mutex<bool>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for sig in signals.forever() {
            let alive = alive.lock().unwrap_or_else(|e| e.into_inner());
            if *alive && !((sig == SIGINT || sig == SIGQUIT) && terminal_sent_it()) {
                // SAFETY: kill(2) with a pid we have not reaped yet (the
                // lock keeps `wait` from reaping it meanwhile).
                unsafe { libc::kill(pid, sig) };
            }
        }
    })
}

/// Wait for the child to exit, stop forwarding signals to it, reap it.
fn wait(pid: libc::pid_t, alive: &Mutex<bool>) -> io::Result<(i32, libc::rusage)> {
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child; WNOWAIT leaves it unreaped.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    *alive.lock().unwrap_or_else(|e| e.into_inner()) = false;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: the child has exited (waitid above); this reaps it.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// True when a terminal's ^C or ^\ already went to our process group.
fn terminal_sent_it() -> bool {
    [0, 1, 2].into_iter().any(|fd| {
        // SAFETY: isatty, tcgetpgrp and getpgrp only read process state.
        unsafe { libc::isatty(fd) == 1 && libc::tcgetpgrp(fd) == libc::getpgrp() }
    })
}

fn spawn_reader<R, F>(mut from: R, stream: Stream, on_line: Arc<F>, done: mpsc::Sender<()>)
where
    R: Read + Send + 'static,
    F: Fn(Stream, u64, &str) + Send + Sync + 'static,
{
    thread::spawn(move || {
        let mut lines = Splitter::new(|n: u64, l: &str| on_line(stream, n, l));
        let mut relay = Relay::new(stream);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            relay.feed(&buf[..n]);
            lines.feed(&buf[..n]);
        }
        relay.finish();
        lines.finish();
        let _ = done.send(());
    });
}

/// The longest part of a line held back on stderr: past it, the part is
/// written anyway (a "line" that long is not one a person reads).
const HELD_MAX: usize = 64 * 1024;

/// Passes a piped stream on to ours. Stdout goes through as it comes. On
/// stderr, which simplepipe's own warnings share, only whole lines are
/// written (up to the last `\n` or `\r`, the rest held until its end
/// comes): a warning written between two chunks of a child's line would
/// otherwise be spliced into it (`loss=simplepipe: warning: …`). Each write
/// is one `write_all` under the lock, as `report`'s lines are.
struct Relay {
    stream: Stream,
    held: Vec<u8>,
    /// Cleared when our own output is gone (a closed pipe): the child's is
    /// still drained, so that it never blocks, and still parsed.
    passing: bool,
}

impl Relay {
    fn new(stream: Stream) -> Relay {
        Relay {
            stream,
            held: Vec::new(),
            passing: true,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if self.stream == Stream::Stdout {
            return self.write(bytes);
        }
        let whole = bytes.iter().rposition(|&b| b == b'\n' || b == b'\r');
        match whole {
            Some(end) => {
                self.held.extend_from_slice(&bytes[..=end]);
                let lines = std::mem::take(&mut self.held);
                self.write(&lines);
                self.held.extend_from_slice(&bytes[end + 1..]);
            }
            None => self.held.extend_from_slice(bytes),
        }
        if self.held.len() > HELD_MAX {
            self.finish();
        }
    }

    /// Write what is held (at the end of the stream).
    fn finish(&mut self) {
        let rest = std::mem::take(&mut self.held);
        self.write(&rest);
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.passing && !bytes.is_empty() {
            self.passing = pass_through(self.stream, bytes).is_ok();
        }
    }
}

fn pass_through(stream: Stream, bytes: &[u8]) -> io::Result<()> {
    match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Stream::Stderr => {
            let mut err = io::stderr().lock();
            err.write_all(bytes)?;
            err.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn exit_codes_as_a_shell_reports_them() {
        let o = |code, signal| Outcome {
            code,
            signal,
            duration: Duration::ZERO,
            cpu_seconds: 0.0,
            peak_rss_bytes: 0.0,
        };
        assert_eq!(o(Some(3), None).exit_code(), 3);
        assert_eq!(o(None, Some(9)).exit_code(), 137);
    }

    #[test]
    fn runs_a_child_and_reports_its_status_and_usage() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let out = run(
            &"sh".into(),
            &["-c".into(), "echo loss=1; echo x=2 >&2; exit 3".into()],
            MetricsFrom::Both,
            move |s, n, l| g.lock().unwrap().push((s, n, l.to_string())),
        )
        .unwrap();
        assert_eq!(out.exit_code(), 3);
        assert!(out.peak_rss_bytes > 0.0);
        let mut got = got.lock().unwrap().clone();
        got.sort_by_key(|(s, _, _)| s.name());
        assert_eq!(
            got,
            vec![
                (Stream::Stderr, 1, "x=2".to_string()),
                (Stream::Stdout, 1, "loss=1".to_string())
            ]
        );
        let killed = run(
            &"sh".into(),
            &["-c".into(), "kill -9 $$".into()],
            MetricsFrom::Stdout,
            |_, _, _| {},
        )
        .unwrap();
        assert_eq!(
            (killed.code, killed.signal, killed.exit_code()),
            (None, Some(9), 137)
        );
        let missing = run(
            &"/nonexistent/cmd".into(),
            &[],
            MetricsFrom::Stdout,
            |_, _, _| {},
        );
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
