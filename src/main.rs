//! The `simplepipe` binary: parse the command line, run, report.
//!
//! Errors are printed here and only here, one `simplepipe: error:` line per
//! line of the message, and mapped to the documented exit codes
//! (see `simplepipe::error::Exit` and the README).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = simplepipe::cli::Cli::parse();
    match simplepipe::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            for line in format!("{err:#}").lines() {
                eprintln!("simplepipe: error: {line}");
            }
            ExitCode::from(simplepipe::error::exit_code(&err) as u8)
        }
    }
}
