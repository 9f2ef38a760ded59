//! `simplepipe schemas [NAME]`: list the built-in schemas, or print one.

use anyhow::Result;

use super::print;
use crate::artifact::schema::{self, Format};
use crate::error::{bail_with, Exit};

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
