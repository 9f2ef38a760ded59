//! Peak memory of a run of the binary, from its own rusage: what the
//! memory tests (issues 23 and 31) assert on.

use std::process::Stdio;

use super::{simplepipe, Run};

/// [`run_measured_with`] with no standard input.
pub fn run_measured(args: &[&str]) -> (Run, u64) {
    run_measured_with(args, Stdio::null())
}

/// Run the binary with its address space capped at 2 GiB (so that a
/// regression fails instead of eating the machine), and its peak RSS in
/// MiB from its own rusage (wait4); `stdin` is its standard input.
pub fn run_measured_with(args: &[&str], stdin: Stdio) -> (Run, u64) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut cmd = simplepipe();
    cmd.args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the hook.
    unsafe {
        cmd.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &cap);
            Ok(())
        });
    }
    // Reaped below with wait4, which std's wait can't do (it drops rusage).
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let mut stderr = String::new();
    let _ = err.read_to_string(&mut stderr);
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain wait4 on our own unreaped child.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let run = Run {
        code,
        stdout: out.join().unwrap(),
        stderr,
    };
    (run, usage.ru_maxrss as u64 / 1024)
}
