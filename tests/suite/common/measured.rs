//! Peak memory of a run of the binary, from its own rusage: what the
//! memory tests (issues 23 and 31) assert on.

use std::process::Stdio;

use std::process::Command;

use super::{repo, Run};

/// [`run_measured_with`] with no standard input.
pub fn run_measured(args: &[&str]) -> (Run, u64) {
    run_measured_with(args, Stdio::null())
}

/// Run the binary with its address space capped at 2 GiB (so that a
/// regression fails instead of eating the machine), and its peak RSS in
/// MiB; `stdin` is its standard input.
///
/// The peak comes from GNU time, which forks the binary from its own tiny
/// process: a child forked from this test process counts, until its exec,
/// every page this process holds (other tests' artifacts and gateway
/// listings: a 32 MiB push once measured 106 MiB).
pub fn run_measured_with(args: &[&str], stdin: Stdio) -> (Run, u64) {
    use std::os::unix::process::CommandExt;
    let peak = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("/usr/bin/time");
    cmd.env_clear()
        .current_dir(repo())
        .args(["-f", "%M", "-o"])
        .arg(peak.path())
        .arg(env!("CARGO_BIN_EXE_simplepipe"))
        .args(args)
        .stdin(stdin);
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
    let run = Run::from(cmd.output().unwrap());
    let kib: u64 = std::fs::read_to_string(peak.path())
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak from GNU time: {run:?}"));
    (run, kib / 1024)
}
