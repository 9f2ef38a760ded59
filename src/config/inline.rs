//! `--metric`: inline metrics, in a small documented grammar.
//!
//! ```text
//! [TYPE:]NAME[{LABEL="VALUE",…}]=VALUE
//! TYPE   gauge (default) | counter | untyped
//! VALUE  a number, NaN, +Inf or -Inf
//! ```
//! Label values are double-quoted as in the Prometheus text format (`\"`,
//! `\\` and `\n` escapes). Examples: `duration_seconds=12.5`,
//! `counter:retries_total=3`, `loss{split="eval",model="a"}=0.25`.

use anyhow::Result;

use crate::artifact::InlineMetric;
use crate::error::{bail_with, Exit};
use crate::model::{self, is_metric_name, parse_number, Kind};

const EXAMPLE: &str = "e.g. --metric 'loss{split=\"eval\"}=0.25' or --metric counter:runs_total=3";

/// Every `--metric`, checked; the same series given twice is an error.
pub fn metrics(raw: &[String]) -> Result<Vec<InlineMetric>> {
    let mut out: Vec<InlineMetric> = Vec::with_capacity(raw.len());
    for r in raw {
        let m = metric(r)?;
        if let Some(prev) = out
            .iter()
            .find(|p| p.name == m.name && p.labels == m.labels)
        {
            bail_with!(
                Exit::Usage,
                "--metric {:?} and --metric {:?} name the same series; give it once",
                prev.raw,
                m.raw
            );
        }
        out.push(m);
    }
    Ok(out)
}

pub fn metric(raw: &str) -> Result<InlineMetric> {
    let (kind, rest) = match raw.split_once(':') {
        Some((t, rest)) if !t.contains(['{', '=']) && Kind::from_name(t).is_some() => {
            (Kind::from_name(t).expect("checked"), rest)
        }
        _ => (Kind::Gauge, raw),
    };
    if !matches!(kind, Kind::Gauge | Kind::Counter | Kind::Untyped) {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: a {} has buckets or quantiles, which one value can't give; use gauge, counter or untyped",
            kind.name()
        );
    }
    let name_end = rest.find(['{', '=']).unwrap_or(rest.len());
    let name = &rest[..name_end];
    if !is_metric_name(name) {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: {name:?} is not a legal Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); {EXAMPLE}"
        );
    }
    let mut rest = &rest[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, tail) = label_set(raw, after)?;
        labels = parsed;
        rest = tail;
    }
    let Some(value) = rest.strip_prefix('=') else {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: expected [TYPE:]NAME[{{LABEL=\"VALUE\",…}}]=VALUE; {EXAMPLE}"
        );
    };
    let Some(v) = parse_number(value.trim()) else {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: {value:?} is not a number, NaN, +Inf or -Inf"
        );
    };
    if kind == Kind::Counter && v < 0.0 {
        bail_with!(
            Exit::Usage,
            "--metric {raw:?}: a counter never goes below 0 (use a gauge)"
        );
    }
    labels.sort();
    Ok(InlineMetric {
        raw: raw.to_string(),
        name: name.to_string(),
        kind,
        labels,
        value: v,
    })
}

/// `k="v",k2="v2"}` -> the pairs and what follows the `}` (the grammar is
/// [`model::label_set`], which metric lines share).
fn label_set<'a>(raw: &str, s: &'a str) -> Result<(model::LabelPairs, &'a str)> {
    model::label_set(s).map_err(|why| {
        crate::error::fail(
            Exit::Usage,
            anyhow::anyhow!("--metric {raw:?}: {why}; {EXAMPLE}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        let m = metric(r#"loss{split="eval", model="a\"b,c}"}=0.25"#).unwrap();
        assert_eq!(m.name, "loss");
        assert_eq!(m.kind, Kind::Gauge);
        assert_eq!(
            m.labels,
            [
                ("model".to_string(), "a\"b,c}".to_string()),
                ("split".to_string(), "eval".to_string())
            ]
        );
        assert_eq!(m.value, 0.25);
        let c = metric("counter:runs_total=3").unwrap();
        assert_eq!(
            (c.kind, c.name.as_str(), c.value),
            (Kind::Counter, "runs_total", 3.0)
        );
        // A colon in a name that is not a type stays in the name.
        assert_eq!(metric("job:rate5m=1").unwrap().name, "job:rate5m");
        assert_eq!(metric("d=+Inf").unwrap().value, f64::INFINITY);
        for bad in [
            "histogram:h=1",
            "counter:c=-1",
            "x{a=b}=1",
            "x{a=\"b\"=1",
            "x{1a=\"b\"}=1",
            "x=abc",
            "x",
            "1x=2",
        ] {
            assert!(metric(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_same_series_twice_is_one_error() {
        let e = metrics(&["foo=1".into(), "foo=2".into()]).unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "--metric \"foo=1\" and --metric \"foo=2\" name the same series; give it once"
        );
        assert!(metrics(&["foo{a=\"1\"}=1".into(), "foo{a=\"2\"}=2".into()]).is_ok());
    }
}
