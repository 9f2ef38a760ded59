//! One module per subcommand, each reading as its data flow; and what they
//! share: loading an artifact, `--best-effort`, summaries and stdout.

pub mod alertmanager;
pub mod completions;
pub mod dashboard;
pub mod delete;
pub mod groups;
pub mod install;
pub mod man;
pub mod prune;
pub mod push;
pub mod rules;
pub mod run;
pub mod schemas;
pub mod validate;
pub mod watch;

use std::io::Write;

use anyhow::Result;

use crate::artifact::{self, Model, Origin, Validated};
use crate::cli::BestEffort;
use crate::config::ArtifactConfig;
use crate::error::{exit_code, Exit, ExitContext};
use crate::report;
use crate::sink::fanout::SomeFailed;
use crate::sink::remote_write::Partly;
use crate::source::mlflow::MlflowRef;
use crate::source::{self, Source};

/// source -> unpack -> parse -> validate -> families, or the inline
/// `--metric` gauges alone. Returns the model and a description of the
/// schemas the artifact satisfied; warnings are reported here.
pub fn load(source: Option<&Source>, cfg: &ArtifactConfig) -> Result<(Model, String)> {
    let Some(source) = source else {
        let model = artifact::build(None, &cfg.build)?;
        report::debug(|| format!("--metric: {}", counts(&model)));
        return Ok((model, "inline metrics".to_string()));
    };
    let (model, validated) = load_source(source, cfg)?;
    Ok((model, described(validated.as_ref())))
}

/// What a source satisfied, in words: its schemas, or "MLflow runs".
pub fn described(validated: Option<&Validated>) -> String {
    validated.map_or_else(|| "MLflow runs".to_string(), Validated::describe)
}

/// [`load`] of a source, returning which schemas it satisfied as they are
/// (`validate --output json` gives each its own field); `None` for MLflow
/// runs, which are read through MLflow's API, not as a document.
pub fn load_source(source: &Source, cfg: &ArtifactConfig) -> Result<(Model, Option<Validated>)> {
    if let Source::Mlflow(what) = source {
        return load_mlflow(what, cfg).map(|model| (model, None));
    }
    let origin = Origin {
        name: source.name(),
        base_dir: source.base_dir(),
    };
    let mut input = source::stream(source, &cfg.read);
    let file = match (source, input.as_ref().and_then(|s| s.file())) {
        (Source::Path(path), Some(metadata)) if cfg.read.two_threads => {
            artifact::split::plan(path, metadata, cfg.read.max_bytes)
        }
        _ => None,
    };
    let streamed = input.as_mut().and_then(|input| {
        let done = artifact::load_streamed(&mut *input, file, &origin, &cfg.check, &cfg.build)?;
        // On two threads, each read its part of the file.
        report::debug(|| match file {
            Some(plan) => format!(
                "read {}: a file of {} bytes, in one pass",
                origin.name,
                plan.bytes()
            ),
            None => format!(
                "read {}: {} bytes, in one pass",
                origin.name,
                input.bytes_read()
            ),
        });
        Some(done)
    });
    let (model, validated) = match streamed {
        Some(done) => done?,
        None => {
            let bytes = source::read_again(source, input, &cfg.read)?;
            artifact::load_after_one_pass(&bytes, &origin, &cfg.check, &cfg.build)?
        }
    };
    report::debug(|| format!("{}: {}", origin.name, counts(&model)));
    for w in &model.warnings {
        report::warn(format!("{}: {w}", origin.name));
    }
    Ok((model, Some(validated)))
}

/// An `mlflow://` source: the runs read from the tracking server, then
/// families (`artifact::mlflow`); the history only when a destination
/// keeps timestamps.
fn load_mlflow(what: &MlflowRef, cfg: &ArtifactConfig) -> Result<Model> {
    let opts = cfg
        .read
        .mlflow
        .as_ref()
        .expect("config builds the MLflow options for an mlflow:// source");
    let fetched = source::mlflow::fetch(what, opts)?;
    let name = what.name();
    let model = artifact::mlflow::build(
        &fetched,
        &opts.labels,
        &name,
        &cfg.build,
        cfg.check.max_series,
    )?;
    report::debug(|| format!("{name}: {} run(s), {}", fetched.runs.len(), counts(&model)));
    Ok(model)
}

/// `--best-effort`: turn the forgivable failures into a warning and exit 0.
pub fn forgive(level: Option<BestEffort>, result: Result<()>) -> Result<()> {
    forgive_as(level, result, "nothing was pushed")
}

/// [`forgive`], saying what was not done (`nothing was deleted`).
pub fn forgive_as(level: Option<BestEffort>, result: Result<()>, not_done: &str) -> Result<()> {
    let Err(err) = result else { return Ok(()) };
    let exit = exit_code(&err);
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
    report::warn(format!("{err:#}"));
    let not_done = match (
        err.downcast_ref::<Partly>(),
        err.downcast_ref::<SomeFailed>(),
    ) {
        (_, Some(s)) => format!("{} of {} destinations took the push", s.of - s.failed, s.of),
        (Some(p), None) => format!(
            "{} of {} samples were pushed",
            p.landed.samples, p.of.samples
        ),
        (None, None) => not_done.to_string(),
    };
    report::warn(format!(
        "--best-effort: {not_done}, exiting 0 (would have been exit {})",
        exit as u8
    ));
    Ok(())
}

/// "2 families (3 series)".
pub fn counts(model: &Model) -> String {
    let (f, s) = (model.families.len(), model.series_count());
    format!("{f} famil{} ({s} series)", if f == 1 { "y" } else { "ies" })
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
pub fn print(bytes: &[u8]) -> Result<()> {
    print_with(|out| out.write_all(bytes))
}

/// Write to stdout through a buffer, for output written as it is made
/// (too big to hold); a closed pipe (`| head`) is not an error.
pub fn print_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.exit_with(Exit::Internal),
    }
}
