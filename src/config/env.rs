//! Environment values as ConfigMaps and CI write them: booleans spelled
//! `1/0`, `true/false` or `yes/no` in any case, and list variables
//! (`SIMPLEPIPE_LABELS`, `SIMPLEPIPE_GROUPING`) whose values may hold commas.
//!
//! Why here: config is the only reader of the environment; the command-line
//! layer ([`crate::cli_errors`]) asks this module when it needs to know
//! where a bad value came from.

use std::ffi::OsString;

use anyhow::Result;
use serde_json::Value;

use crate::error::{fail, Exit};

/// A variable's raw value, if set (for naming the variable a bad value
/// came from).
pub fn var_os(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// What a boolean variable accepts, for messages.
pub const BOOL_SPELLINGS: &str = "true/false (also 1/0 or yes/no, any case)";

/// Parse a boolean as written in an environment variable. `on`/`off`,
/// `y`/`n` and `t`/`f` are accepted too (clap's "boolish" set).
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "t" | "on" => Some(true),
        "0" | "false" | "no" | "n" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// One `--label`/`--group` item (or the whole variable) -> `NAME=VALUE`
/// items: a JSON object `{"k": "v"}`, or `k=v,k=v` where `\,` is a comma
/// inside a value and `\\` a backslash.
pub fn split_list(option: &str, raw: &str) -> Result<Vec<String>> {
    if raw.trim_start().starts_with('{') {
        let map: serde_json::Map<String, Value> = serde_json::from_str(raw).map_err(|e| {
            fail(
                Exit::Usage,
                anyhow::anyhow!("{option} {raw:?}: not a JSON object of NAME: \"VALUE\" ({e})"),
            )
        })?;
        return map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok(format!("{k}={s}")),
                Value::Number(n) => Ok(format!("{k}={n}")),
                Value::Bool(b) => Ok(format!("{k}={b}")),
                other => Err(fail(
                    Exit::Usage,
                    anyhow::anyhow!("{option} {k}: {other} is not a string, number or boolean"),
                )),
            })
            .collect();
    }
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ (',' | '\\')) => cur.push(n),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            },
            ',' => items.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    items.push(cur);
    Ok(items.into_iter().filter(|i| !i.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_configmaps_write_them() {
        for t in ["1", "true", "TRUE", "Yes", "yes", "on"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "false", "False", "NO", "off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn lists_with_escaped_commas_and_json() {
        assert_eq!(split_list("--label", "a=1,b=2").unwrap(), ["a=1", "b=2"]);
        assert_eq!(
            split_list("--label", r"a=x\,y,b=c:\\d").unwrap(),
            ["a=x,y", r"b=c:\d"]
        );
        assert_eq!(split_list("--label", r"p=C:\tmp").unwrap(), [r"p=C:\tmp"]);
        assert_eq!(
            split_list("--label", r#"{"a": "x,y", "b": 2}"#).unwrap(),
            ["a=x,y", "b=2"]
        );
        assert!(split_list("--label", "{nope").is_err());
    }
}
