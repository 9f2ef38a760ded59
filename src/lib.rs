//! simplepipe: validate metric JSON artifacts and push them to a Prometheus
//! Pushgateway.
//!
//! # Layout
//!
//! The library holds the commands and stages; the binary (`main.rs`) only
//! parses the command line, calls [`run`] and reports errors. Imports go one
//! way: commands -> config -> stages -> model/net/error.
//!
//! - [`cli`]: the command line as parsed (clap derive; doc comments are the help); [`cli::parse`]: argv -> [`cli::Cli`], env-tolerant booleans, one-line usage errors, the original `simplepipe FILE JOB` form.
//! - [`commands`]: one module per subcommand, each reading as its data flow.
//! - [`config`]: raw arguments and environment -> each stage's typed options; the only reader of the environment.
//! - [`source`]: stage 1, the artifact's bytes from a file, stdin, S3 ([`source::s3`]) or the Kubernetes API ([`source::argo`]), unwrapped from tar/gzip ([`source::archive`]), bounded.
//! - [`artifact`]: stages 2-4, parse, JSON Schema validation, the format readers (an Argo Workflow's status among them: [`artifact::workflow`]) and the family set with the checks a schema can't express.
//! - [`encode`]: stage 5, families -> protobuf, text, remote-write requests or InfluxDB line protocol (pure, snapshot-tested).
//! - [`sink`]: stage 6, where families go, behind one small interface: the Pushgateway ([`sink::pushgateway`]), a remote-write receiver ([`sink::remote_write`]), InfluxDB ([`sink::influx`]), any of them together ([`sink::fanout`]).
//! - [`pushgateway`]: the Pushgateway's own side: group URLs, push and delete, what it holds group by group, the selection and prune's plan.
//! - [`net`]: the HTTP exchange every sink shares: auth, TLS, retries with backoff and Retry-After, failures in words.
//! - [`live`]: live metrics for `run` and `watch`: metric lines and ModelOp streams -> a state pushed to each destination every interval; the session, the child runner and the `tail -F` follower.
//! - [`standard`]: the admin's standard -> a JSON Schema for validation, alert rules (+ promtool tests), a Grafana dashboard, the Alertmanager routing (pure generators).
//! - [`model`]: the metric types and the name and number rules (a leaf).
//! - [`duration`]: the one duration grammar (`90s`, `1m30s`, `1.5h`, `1d12h`), a leaf.
//! - [`error`]: exit-code kinds, tagged where errors happen; the "every problem, with its pointer" report.
//! - [`serde_words`]: serde's messages ("expected f64", "a sequence") in a user's words, a leaf.
//! - [`report`]: the only writer of stderr lines (warnings, notices, `-v`).
//! - [`redact`]: keeps credentials out of anything shown.

pub mod artifact;
pub mod cli;
pub mod commands;
pub mod config;
pub mod duration;
pub mod encode;
pub mod error;
pub mod live;
pub mod model;
pub mod net;
pub mod pushgateway;
pub mod redact;
pub mod report;
pub mod serde_words;
pub mod sink;
pub mod source;
pub mod standard;

use anyhow::{anyhow, Result};

use crate::artifact::{BuildOptions, Model, Origin, SchemaChoice, Validated};
use crate::cli::{Cli, Command};
use crate::source::Source;

/// Run one command.
pub fn run(cli: Cli) -> Result<()> {
    report::set_verbose(cli.verbose);
    require_randomness()?;
    error::show_all_problems(match &cli.command {
        Command::Push(args) => args.artifact.all_errors,
        Command::Validate(args) => args.artifact.all_errors,
        _ => false,
    });
    match cli.command {
        Command::Push(args) => commands::push::run(&config::push(args)?),
        Command::Validate(args) => commands::validate::run(&config::validate(args)?),
        Command::Delete(args) => commands::delete::run(&config::delete(&args)?),
        Command::Schemas(args) => match &args.from {
            Some(standard) => commands::schemas::from_standard(standard),
            None => commands::schemas::run(args.name.as_deref()),
        },
        Command::Groups(args) => commands::groups::run(&config::groups(&args)?),
        Command::Prune(args) => commands::prune::run(&config::prune(&args)?),
        Command::Rules(args) => commands::rules::run(&config::standard::rules(args)?),
        Command::Dashboard(args) => commands::dashboard::run(&config::standard::dashboard(args)),
        Command::Alertmanager(args) => {
            commands::alertmanager::run(&config::alertmanager::alertmanager(args)?)
        }
        Command::Run(args) => {
            let code = commands::run::run(&config::live::run(args)?)?;
            // The command's own exit code, passed on as it is (main's
            // mapping is for simplepipe's own failures).
            let _ = std::io::Write::flush(&mut std::io::stdout());
            std::process::exit(code)
        }
        Command::Watch(args) => commands::watch::run(config::live::watch(args)?),
        Command::Install(args) => commands::install::run(&args.dir, args.quiet),
        Command::Completions(args) => commands::completions::run(args.shell),
        Command::Man => commands::man::run(),
    }
}

/// Fail with one line if the OS gives no random numbers. jsonschema's hasher
/// (ahash) seeds itself through getrandom and panics when that fails;
/// asking the same crate first turns the panic into an error. In the static
/// image this is getrandom(2) itself (docs/design.md, "Randomness").
fn require_randomness() -> Result<()> {
    getrandom::fill(&mut [0u8; 1]).map_err(|e| {
        let why = e.raw_os_error().map_or_else(
            || e.to_string(),
            |code| std::io::Error::from_raw_os_error(code).to_string(),
        );
        let hint = "allow the getrandom system call, or provide /dev/urandom";
        error::fail(
            error::Exit::Internal,
            anyhow!("the operating system gives no random numbers ({why}): {hint}"),
        )
    })
}

/// parse -> validate -> families, on bytes already read: the whole of what
/// an artifact goes through before encoding. Public for the fuzzers,
/// property tests and benchmarks.
pub fn check(
    bytes: &[u8],
    source: &Source,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
) -> Result<(Model, Validated)> {
    let origin = Origin {
        name: source.name(),
        base_dir: source.base_dir(),
    };
    artifact::check(bytes, &origin, schema, opts)
}
