//! simplepipe: validate metric JSON artifacts and push them to a Prometheus
//! Pushgateway.
//!
//! # Layout
//!
//! The library holds the stages; the binary (`main.rs`) only parses the
//! command line, calls [`run`] and maps errors to exit codes.
//!
//! - [`cli`]: the command line as parsed (clap derive; doc comments are the help).
//! - [`config`]: raw arguments → typed, checked configuration, before any I/O.
//! - [`source`]: stage 1, read the artifact's bytes (file, stdin or S3), bounded.
//! - [`s3`]: the S3/MinIO download behind `s3://` sources, streamed and bounded.
//! - [`archive`]: unwrap Argo's tar/gzip archives, detected by magic bytes.
//! - [`parse`]: stage 2, bytes → JSON document (UTF-8, depth, syntax).
//! - [`validate`]: stage 3, JSON Schema: built-in format schema plus any custom one.
//! - [`model`]: stage 4, document → metric families, with the checks a schema can't express.
//! - [`encode`]: stage 5, families → protobuf or text exposition (pure, snapshot-tested).
//! - [`gateway`]: stage 6, group URLs and the HTTP exchange with the Pushgateway (retries, auth, TLS).
//! - [`remote_write`]: stage 6 for `--remote-write`: requests in order, over the gateway's retries, auth and TLS.
//! - [`net`]: network failures in words, shared by the gateway and S3.
//! - [`schema`]: the built-in formats and their embedded JSON Schemas.
//! - [`error`]: exit-code kinds and the "every problem, with its pointer" report.
//! - [`redact`]: keeps credentials out of anything shown.

pub mod archive;
pub mod cli;
pub mod config;
pub mod encode;
pub mod error;
pub mod gateway;
pub mod model;
pub mod net;
pub mod parse;
pub mod redact;
pub mod remote_write;
pub mod s3;
pub mod schema;
pub mod source;
pub mod validate;

use std::io::Write;

use anyhow::Result;
use reqwest::Method;

use crate::cli::{BestEffort, Cli, Command, Compress, WireFormat};
use crate::config::{ArtifactConfig, PushConfig, RemoteWrite, Source};
use crate::error::{Exit, ExitContext};
use crate::gateway::Body;
use crate::model::{Extra, Model};

/// Run one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Push(args) => {
            let cfg = config::push(args, cli.verbose)?;
            forgive(cfg.target.best_effort, push(&cfg))
        }
        Command::Validate(args) => {
            let cfg = config::validate(args)?;
            let extra = Extra {
                grouping: vec!["job".to_string()],
                now: now(),
                ..Extra::default()
            };
            let (model, described) = load(Some(&cfg.source), &cfg.artifact, &extra)?;
            print(
                format!(
                    "{}: valid ({described}): {}\n",
                    cfg.source.name(),
                    counts(&model)
                )
                .as_bytes(),
            )
        }
        Command::Delete(args) => {
            let target = config::delete(&args, cli.verbose)?;
            if args.dry_run {
                eprintln!(
                    "DELETE {} (dry run: nothing sent)",
                    gateway::shown_url(&target)
                );
                return Ok(());
            }
            let deleted = gateway::send(&target, Method::DELETE, None);
            if deleted.is_ok() && !args.quiet {
                eprintln!("simplepipe: deleted group {}", gateway::shown_url(&target));
            }
            forgive(target.best_effort, deleted)
        }
        Command::Schemas(args) => schemas(args.name.as_deref()),
    }
}

/// The push data flow: source → parse → validate → model → encode → push.
fn push(cfg: &PushConfig) -> Result<()> {
    let extra = Extra {
        labels: cfg.labels.clone(),
        grouping: cfg.target.grouping_names().map(String::from).collect(),
        inline: cfg.inline.clone(),
        now: now(),
    };
    let model = load(cfg.source.as_ref(), &cfg.artifact, &extra)?.0;
    if let Some(dest) = &cfg.remote_write {
        return push_remote_write(cfg, dest, &model);
    }
    let (bytes, content_type) = match cfg.format {
        WireFormat::Protobuf => (
            encode::protobuf(&model.families),
            encode::PROTOBUF_CONTENT_TYPE,
        ),
        WireFormat::Text => (
            encode::text(&model.families).into_bytes(),
            encode::TEXT_CONTENT_TYPE,
        ),
    };
    let method = match cfg.method {
        cli::Method::Put => Method::PUT,
        cli::Method::Post => Method::POST,
    };
    if cfg.dry_run {
        eprintln!(
            "{method} {} (dry run: nothing sent)",
            gateway::shown_url(&cfg.target)
        );
        return print(&bytes);
    }
    let (bytes, content_encoding) = match cfg.compress {
        Compress::None => (bytes, None),
        Compress::Gzip => (encode::gzip(&bytes), Some("gzip")),
    };
    let body = Body {
        bytes,
        content_type,
        content_encoding,
        headers: &[],
    };
    gateway::send(&cfg.target, method.clone(), Some(body))?;
    if !cfg.quiet {
        eprintln!(
            "simplepipe: pushed {} to {} ({method})",
            counts(&model),
            gateway::shown_url(&cfg.target)
        );
    }
    Ok(())
}

/// encode → push by remote write: every series labelled with the grouping
/// labels, every sample stamped with the push time.
fn push_remote_write(cfg: &PushConfig, dest: &RemoteWrite, model: &Model) -> Result<()> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let labels = &cfg.target.grouping;
    let shown = remote_write::shown(dest, &cfg.target.http);
    if cfg.dry_run {
        let text = encode::remote_write::text(&model.families, labels, now_ms, dest.max_samples);
        eprintln!("POST {shown} (dry run: nothing sent; remote write)");
        return print(text.as_bytes());
    }
    let sent = remote_write::send(&model.families, labels, now_ms, dest, &cfg.target.http)?;
    if !cfg.quiet {
        eprintln!(
            "simplepipe: pushed {} as {sent} to {shown} (remote write)",
            counts(model)
        );
    }
    Ok(())
}

/// `--best-effort`: turn the forgivable failures into a warning and exit 0.
fn forgive(level: Option<BestEffort>, result: Result<()>) -> Result<()> {
    let Err(err) = result else { return Ok(()) };
    let exit = error::exit_code(&err);
    let forgiven = match level {
        Some(BestEffort::Unreachable) => exit == Exit::Unreachable,
        Some(BestEffort::All) => matches!(
            exit,
            Exit::Source | Exit::Invalid | Exit::Rejected | Exit::Unreachable
        ),
        None => false,
    };
    if !forgiven {
        return Err(err);
    }
    for line in format!("{err:#}").lines() {
        eprintln!("simplepipe: warning: {line}");
    }
    eprintln!("simplepipe: warning: --best-effort: nothing was pushed, exiting 0 (would have been exit {})", exit as u8);
    Ok(())
}

fn schemas(name: Option<&str>) -> Result<()> {
    match name {
        None => {
            let list: String = schema::ALL
                .iter()
                .map(|f| format!("{:<15} {}\n", f.name(), f.summary()))
                .collect();
            print(list.as_bytes())
        }
        Some(name) => match schema::Format::from_name(name) {
            Some(f) => print(f.schema_text().as_bytes()),
            None => crate::bail_with!(
                Exit::Usage,
                "no built-in schema {name:?}; the built-in schemas are {}",
                schema::ALL.map(schema::Format::name).join(", ")
            ),
        },
    }
}

/// parse → validate → model, on bytes already read: the whole of what an
/// artifact goes through before encoding. Public for the fuzzers and
/// property tests.
pub fn check(
    bytes: &[u8],
    source: &Source,
    schema: Option<&schema::SchemaChoice>,
    extra: &Extra,
) -> Result<(Model, validate::Validated)> {
    let doc = parse::parse(bytes, source)?;
    let validated = validate::validate(&doc, schema)?;
    let model = model::build(Some(doc), Some(&validated), extra)?;
    Ok((model, validated))
}

/// source → unpack → parse → validate → model. Returns the model and a
/// description of the schemas the artifact satisfied.
fn load(
    source: Option<&Source>,
    artifact: &ArtifactConfig,
    extra: &Extra,
) -> Result<(Model, String)> {
    let Some(source) = source else {
        return Ok((
            model::build(None, None, extra)?,
            "inline metrics".to_string(),
        ));
    };
    let bytes = source::read(source, artifact)?;
    let bytes = archive::unpack(
        bytes,
        artifact.member.as_deref(),
        artifact.max_bytes,
        &source.name(),
    )?;
    let (model, validated) = check(&bytes, source, artifact.schema.as_ref(), extra)?;
    let origin = source.name();
    let series = model.series_count();
    if series > artifact.max_series {
        crate::bail_with!(
            Exit::Invalid,
            "{origin}: {series} series is more than --max-series ({}); raise --max-series or split the artifact",
            artifact.max_series
        );
    }
    for w in &model.warnings {
        eprintln!("simplepipe: warning: {origin}: {w}");
    }
    Ok((model, validated.describe()))
}

fn counts(model: &Model) -> String {
    let (f, s) = (model.families.len(), model.series_count());
    format!("{f} famil{} ({s} series)", if f == 1 { "y" } else { "ies" })
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.exit_with(Exit::Internal),
    }
}
