//! `simplepipe completions SHELL`: a completion script on stdout, generated
//! by clap_complete from the same command tree that parses the arguments,
//! so it never falls behind the options.

use anyhow::Result;

use super::print;

pub fn run(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = crate::cli::parse::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "simplepipe", &mut out);
    print(&out)
}
