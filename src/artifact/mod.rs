//! Stages 2 to 4, artifact: bytes -> parsed document -> validated against
//! its schema -> families, with every problem reported with its pointer.
//!
//! - [`parse`]: bytes -> JSON (UTF-8, depth, syntax, duplicate keys), native entries kept raw.
//! - [`partial`]: what parse keeps of a v0 array or a flat object, not one big `Value`.
//! - [`dupkeys`]: the duplicate-key pass serde_json does not do.
//! - [`schema`]: the built-in formats and their embedded JSON Schemas.
//! - [`validate`]: JSON Schema, the format's plus any custom one.
//! - [`violation`]: a schema violation in plain language, for [`validate`].
//! - [`native`], [`flat`]: the format readers, entry by entry, strict enough
//!   to stand in for the built-in schemas ([`fast`]).
//! - [`workflow`]: an Argo Workflow object's status read as metrics.
//! - [`mlflow`]: MLflow runs (an `mlflow://` source) read as metrics.
//! - [`onepass`]: the native format read straight into the family set,
//!   through a bounded [`window`] over the input.
//! - [`split`]: the one pass on two cores, for a big file.
//! - [`number`]: values as artifacts write them.
//! - [`strict`]: serde readers that refuse what the schemas refuse.
//! - [`families`]: the family set, and the checks a schema can't express.
//! - [`found`]: the problems found, bounded: past what is shown, counted.
//! - [`series_index`]: the family set's duplicate-series index.
//! - [`place`]: where an entry was given, a pointer only for messages.
//! - [`hashing`]: the hashers of the family set's maps, in one place.
//! - [`limit`]: `--max-series`, counted as the family set stores series.

pub mod built;
pub mod dupkeys;
pub mod families;
pub mod flat;
pub mod found;
pub mod hashing;
pub mod limit;
pub mod mlflow;
pub mod native;
pub mod number;
pub mod onepass;
pub mod parse;
pub mod partial;
pub mod place;
pub mod schema;
pub mod series_index;
pub mod split;
pub mod stop;
pub mod strict;
pub mod validate;
pub mod violation;
pub mod window;
pub mod workflow;

use std::borrow::Cow;
use std::path::PathBuf;

use anyhow::Result;

pub use families::{BuildOptions, InlineMetric, Model, Proposed};
pub use schema::{Format, SchemaChoice};
pub use validate::Validated;

use families::{Entry, FamilySet};

/// Where an artifact came from: its name in messages, and the directory a
/// relative `"$schema"` inside it is resolved against.
#[derive(Debug, Clone)]
pub struct Origin {
    pub name: String,
    pub base_dir: PathBuf,
}

impl Origin {
    /// An origin named `name`, resolving relative paths from the working
    /// directory.
    pub fn named(name: &str) -> Origin {
        Origin {
            name: name.to_string(),
            base_dir: PathBuf::new(),
        }
    }
}

/// How to check an artifact: the stage's own options, built by config.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub schema: Option<SchemaChoice>,
    pub max_series: usize,
}

/// parse -> validate -> families, on bytes already read.
///
/// With only a built-in format to satisfy, the typed reader goes first:
/// it refuses exactly what the format's schema refuses, so when it reads
/// everything the schema has nothing to add, and each entry is parsed once
/// instead of three times (schema `Value`, schema check, typed entry). When
/// it meets anything the schema would refuse, or a custom schema or a
/// standard applies, the schema path runs as before and its messages are
/// the ones shown.
pub fn check(
    bytes: &[u8],
    origin: &Origin,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
) -> Result<(Model, Validated)> {
    match one_pass(bytes, origin, schema, opts) {
        Some(done) => done,
        None => two_passes(bytes, origin, schema, opts, usize::MAX),
    }
}

/// [`check`] without trying [`one_pass`] first (when it was tried already),
/// refusing past `max_series` series.
fn two_passes(
    bytes: &[u8],
    origin: &Origin,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
    max_series: usize,
) -> Result<(Model, Validated)> {
    let doc = parse::parse(bytes, origin)?;
    let plan = validate::plan(&doc, schema)?;
    if plan.custom.is_none() {
        if let Some(model) = fast_within(&doc, plan.format, opts, max_series) {
            return Ok((model?, plan));
        }
    }
    validate::against_schemas(&doc, &plan, schema.is_some())?;
    let model = build_within(Some((&doc, plan.format)), opts, max_series)?;
    Ok((model, plan))
}

/// A native artifact read in one pass ([`onepass`]), when that applies and
/// the typed reader refuses nothing; `None` sends [`check`] the long way,
/// which re-reads the input and says what is wrong. Only a window of the
/// input is held at a time. Public for the property test that keeps it
/// equal to the two-pass reader.
pub fn one_pass(
    input: impl std::io::Read,
    origin: &Origin,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
) -> Option<Result<(Model, Validated)>> {
    one_pass_within(input, None, origin, schema, opts, usize::MAX)
}

/// [`one_pass`], refusing as soon as `max_series` series have been read.
fn one_pass_within(
    input: impl std::io::Read,
    file: Option<split::Plan>,
    origin: &Origin,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
    max_series: usize,
) -> Option<Result<(Model, Validated)>> {
    if schema.is_some_and(|s| *s != SchemaChoice::Builtin(Format::Metrics)) {
        return None;
    }
    let mut set = FamilySet::new(opts, max_series);
    let skeleton = match file {
        Some(plan) => split::read(input, plan, &mut set)?,
        None => onepass::read(input, &mut set)?,
    };
    let doc = parse::Document {
        origin: origin.name.clone(),
        base_dir: origin.base_dir.clone(),
        value: skeleton,
        entries: None,
        held: partial::Held::Nothing,
        text: "",
    };
    let plan = validate::plan(&doc, schema).ok()?;
    if plan.custom.is_some() || plan.format != Format::Metrics {
        return None;
    }
    add_inline(&mut set, opts);
    Some(set.finish(&origin.name).map(|model| (model, plan)))
}

/// The families of a document read by its format's typed reader alone;
/// `None` when the reader met something the schema would refuse (the
/// schema path then says what). The fast path of [`check`]; public for
/// the property test that keeps it equal to the schema path.
pub fn fast(doc: &parse::Document, format: Format, opts: &BuildOptions) -> Option<Result<Model>> {
    fast_within(doc, format, opts, usize::MAX)
}

/// [`fast`], refusing past `max_series` series.
fn fast_within(
    doc: &parse::Document,
    format: Format,
    opts: &BuildOptions,
    max_series: usize,
) -> Option<Result<Model>> {
    // A Workflow is read only after its schema accepted it: its reader
    // relies on the schema's types rather than repeating them, and the
    // object is small (the API server keeps objects under 1.5 MB).
    if format == Format::Workflow {
        return None;
    }
    let mut set = FamilySet::new(opts, max_series);
    read(&mut set, doc, format);
    if set.mismatched() {
        return None;
    }
    add_inline(&mut set, opts);
    Some(set.finish(&doc.origin))
}

fn read(set: &mut FamilySet, doc: &parse::Document, format: Format) {
    match format {
        Format::Metrics => native::read(set, doc),
        Format::Simple => flat::simple(set, &doc.value),
        Format::V0 => flat::v0(set, doc),
        Format::Workflow => workflow::read(set, &doc.full_value()),
    }
}

/// The `--metric` gauges, counters and untyped values.
fn add_inline(set: &mut FamilySet, opts: &BuildOptions) {
    for m in &opts.inline {
        for (k, _) in &m.labels {
            set.check_label_name(|| format!("--metric {}", m.raw), k);
        }
        let entry = Entry {
            labels: m
                .labels
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
                .collect(),
            ..Entry::scalar(&m.name, m.kind, m.value)
        };
        set.add(format!("--metric {}", m.raw), entry);
    }
}

/// [`check`] from a reader, refusing as soon as more than `--max-series`
/// series were read, when [`one_pass`] can answer alone: the input is never
/// held whole. `file`: the input is that file's, and is read on two
/// threads ([`split`]). `None`: read it all and call [`load_after_one_pass`].
pub fn load_streamed(
    input: impl std::io::Read,
    file: Option<split::Plan>,
    origin: &Origin,
    check_opts: &CheckOptions,
    opts: &BuildOptions,
) -> Option<Result<(Model, Validated)>> {
    let schema = check_opts.schema.as_ref();
    one_pass_within(input, file, origin, schema, opts, check_opts.max_series)
}

/// [`check`] with the `--max-series` limit after [`load_streamed`] gave
/// way: the long way only.
pub fn load_after_one_pass(
    bytes: &[u8],
    origin: &Origin,
    check_opts: &CheckOptions,
    opts: &BuildOptions,
) -> Result<(Model, Validated)> {
    let schema = check_opts.schema.as_ref();
    two_passes(bytes, origin, schema, opts, check_opts.max_series)
}

/// The families of a schema-valid document (if any) plus the inline
/// `--metric` values.
pub fn build(doc: Option<(&parse::Document, Format)>, opts: &BuildOptions) -> Result<Model> {
    build_within(doc, opts, usize::MAX)
}

/// [`build`], refusing past `max_series` series.
fn build_within(
    doc: Option<(&parse::Document, Format)>,
    opts: &BuildOptions,
    max_series: usize,
) -> Result<Model> {
    let origin = doc.map_or_else(|| "--metric".to_string(), |(d, _)| d.origin.clone());
    let mut set = FamilySet::new(opts, max_series);
    if let Some((doc, format)) = doc {
        read(&mut set, doc, format);
        set.mismatches_are_bugs();
    }
    add_inline(&mut set, opts);
    set.finish(&origin)
}
