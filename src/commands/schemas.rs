//! `simplepipe schemas [NAME]`: list the built-in schemas, or print one;
//! `simplepipe schemas --from STANDARD`: the schema a standard compiles to.

use anyhow::Result;

use std::path::Path;

use super::{print, print_with};
use crate::artifact::schema::{self, Format};
use crate::error::{bail_with, Exit};
use crate::standard;

pub fn run(name: Option<&str>) -> Result<()> {
    let Some(name) = name else {
        let list: String = schema::ALL
            .iter()
            .map(|f| format!("{:<15} {}\n", f.name(), f.summary()))
            .collect();
        return print(list.as_bytes());
    };
    match Format::from_name(name) {
        Some(f) => print(f.schema_text().as_bytes()),
        None => bail_with!(
            Exit::Usage,
            "no built-in schema {name:?}; the built-in schemas are {}",
            schema::ALL.map(Format::name).join(", ")
        ),
    }
}

/// Written as it is made: the schema of a standard of many metrics is 16
/// times the standard's size.
pub fn from_standard(path: &Path) -> Result<()> {
    let std = standard::load(path)?;
    print_with(|out| standard::schema::write_pretty(&std, out))
}
