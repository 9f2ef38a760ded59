//! The `simplepipe` binary: parse the command line, run, report.
//!
//! Errors are reported here and only here ([`simplepipe::report::error`]),
//! and mapped to the documented exit codes (see `simplepipe::error::Exit`
//! and the README). Usage errors from clap come back as one line
//! ([`simplepipe::cli::parse`]).

use std::process::ExitCode;

use simplepipe::cli::parse::{self as cli_parse, Parsed};

fn main() -> ExitCode {
    // Argo substitutes empty parameters as empty variables: an empty
    // SIMPLEPIPE_* variable means "not set", not "set to nothing". Done
    // before clap reads the environment, while the process has one thread.
    for (key, value) in std::env::vars_os() {
        if value.is_empty() && key.to_string_lossy().starts_with("SIMPLEPIPE_") {
            std::env::remove_var(key);
        }
    }
    let cli = match cli_parse::parse(std::env::args_os()) {
        Parsed::Run(cli) => cli,
        Parsed::Display(e) => e.exit(),
        Parsed::Usage(line) => {
            simplepipe::report::error(&anyhow::anyhow!(line));
            return ExitCode::from(simplepipe::error::Exit::Usage as u8);
        }
    };
    match simplepipe::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            simplepipe::report::error(&err);
            ExitCode::from(simplepipe::error::exit_code(&err) as u8)
        }
    }
}
