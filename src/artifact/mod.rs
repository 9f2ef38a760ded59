//! Stages 2 to 4, artifact: bytes -> parsed document -> validated against
//! its schema -> families, with every problem reported with its pointer.
//!
//! - [`parse`]: bytes -> JSON (UTF-8, depth, syntax), native entries kept raw.
//! - [`schema`]: the built-in formats and their embedded JSON Schemas.
//! - [`validate`]: JSON Schema, the format's plus any custom one.
//! - [`native`], [`flat`]: the format readers, entry by entry.
//! - [`number`]: values as artifacts write them.
//! - [`families`]: the family set, and the checks a schema can't express.

pub mod families;
pub mod flat;
pub mod native;
pub mod number;
pub mod parse;
pub mod schema;
pub mod validate;

use std::path::PathBuf;

use anyhow::Result;

pub use families::{BuildOptions, Model};
pub use schema::{Format, SchemaChoice};
pub use validate::Validated;

use crate::error::{bail_with, Exit};
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
pub fn check(
    bytes: &[u8],
    origin: &Origin,
    schema: Option<&SchemaChoice>,
    opts: &BuildOptions,
) -> Result<(Model, Validated)> {
    let doc = parse::parse(bytes, origin)?;
    let validated = validate::validate(&doc, schema)?;
    let model = build(Some((doc, validated.format)), opts)?;
    Ok((model, validated))
}

/// [`check`], then the `--max-series` limit.
pub fn load(
    bytes: &[u8],
    origin: &Origin,
    check_opts: &CheckOptions,
    opts: &BuildOptions,
) -> Result<(Model, Validated)> {
    let (model, validated) = check(bytes, origin, check_opts.schema.as_ref(), opts)?;
    let series = model.series_count();
    if series > check_opts.max_series {
        bail_with!(
            Exit::Invalid,
            "{}: {series} series is more than --max-series ({}); raise --max-series or split the artifact",
            origin.name,
            check_opts.max_series
        );
    }
    Ok((model, validated))
}

/// The families of a validated document (if any) plus the inline
/// `--metric` gauges.
pub fn build(doc: Option<(parse::Document, Format)>, opts: &BuildOptions) -> Result<Model> {
    let origin = doc
        .as_ref()
        .map_or_else(|| "--metric".to_string(), |(d, _)| d.origin.clone());
    let mut set = FamilySet::new(opts);
    if let Some((doc, format)) = doc {
        match format {
            Format::Metrics => native::read(&mut set, doc),
            Format::Simple => flat::simple(&mut set, doc.value),
            Format::V0 => flat::v0(&mut set, doc.value),
        }
    }
    for (name, value) in &opts.inline {
        let entry = Entry::scalar(name, crate::model::Kind::Gauge, *value);
        set.add(format!("--metric {name}"), entry);
    }
    set.finish(&origin)
}
