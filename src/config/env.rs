//! Environment values as ConfigMaps and CI write them: booleans spelled
//! `1/0`, `true/false` or `yes/no` in any case, and list variables
//! (`SIMPLEPIPE_LABELS`, `SIMPLEPIPE_GROUPING`) whose values may hold commas.
//!
//! Why here: config is the only reader of the environment besides clap
//! itself; booleans are parsed where clap reads them ([`crate::cli::parse`]).

use anyhow::Result;
use serde_json::Value;

use crate::error::{fail, Exit};

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
