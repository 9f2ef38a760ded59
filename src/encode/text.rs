//! The text exposition format 0.0.4: what `--dry-run` shows and
//! `--format text` sends.
//!
//! Written here rather than with `prometheus::TextEncoder`, because that
//! encoder panics on untyped families (`unimplemented!()`) and prints
//! infinities as `inf`. This one follows the format's spelling (`+Inf`,
//! `-Inf`, `NaN`) and its escaping rules: `\\` and `\n` in help text, and
//! additionally `\"` in label values. Everything else, unicode included,
//! passes through as UTF-8.

use std::fmt::Write;

use crate::model::{Family, Kind, Label, Sample, Series};

/// The `Content-Type` of [`text`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encode families as text. Families and series keep the model's order.
pub fn text(families: &[Family]) -> String {
    let mut out = String::with_capacity(families.iter().map(|f| 64 + 48 * f.series.len()).sum());
    for f in families {
        write_family(&mut out, f);
    }
    out
}

/// [`text`]'s pieces, for a body written while it is sent
/// ([`super::stream::Reader`]).
pub struct Text;

impl super::stream::Pieces for Text {
    type Buf = String;

    fn clear(buf: &mut String) {
        buf.clear();
    }

    fn head(buf: &mut String, f: &Family) {
        write_head(buf, f);
    }

    fn series(buf: &mut String, f: &Family, s: &Series) {
        write_series(buf, f, s);
    }
}

fn write_family(out: &mut String, f: &Family) {
    write_head(out, f);
    for s in &f.series {
        write_series(out, f, s);
    }
    debug_assert!(
        f.kind != Kind::Untyped
            || f.series
                .iter()
                .all(|s| matches!(s.sample, Sample::Scalar(_)))
    );
}

/// A family's `# HELP` and `# TYPE` lines.
fn write_head(out: &mut String, f: &Family) {
    let name = &f.name;
    if !f.help.is_empty() {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_into(out, &f.help, false);
        out.push('\n');
    }
    let _ = writeln!(out, "# TYPE {name} {}", f.kind.name());
}

/// One series' lines (a histogram's or summary's several).
fn write_series(out: &mut String, f: &Family, s: &Series) {
    let name = &f.name;
    match (&s.sample, f.kind) {
        (Sample::Scalar(v), _) => sample(out, name, "", &s.labels, None, *v),
        (
            Sample::Histogram {
                buckets,
                sum,
                count,
            },
            _,
        ) => {
            for (le, c) in buckets {
                sample(
                    out,
                    name,
                    "_bucket",
                    &s.labels,
                    Some(("le", *le)),
                    *c as f64,
                );
            }
            sample(
                out,
                name,
                "_bucket",
                &s.labels,
                Some(("le", f64::INFINITY)),
                *count as f64,
            );
            sample(out, name, "_sum", &s.labels, None, *sum);
            sample(out, name, "_count", &s.labels, None, *count as f64);
        }
        (
            Sample::Summary {
                quantiles,
                sum,
                count,
            },
            _,
        ) => {
            for (q, v) in quantiles {
                sample(out, name, "", &s.labels, Some(("quantile", *q)), *v);
            }
            sample(out, name, "_sum", &s.labels, None, *sum);
            sample(out, name, "_count", &s.labels, None, *count as f64);
        }
    }
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(Label, Label)],
    extra: Option<(&str, f64)>,
    v: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || extra.is_some() {
        let mut sep = '{';
        for (k, val) in labels {
            out.push(sep);
            out.push_str(k);
            out.push_str("=\"");
            escape_into(out, val, true);
            out.push('"');
            sep = ',';
        }
        if let Some((k, bound)) = extra {
            out.push(sep);
            let _ = write!(out, "{k}=\"{}\"", float(bound));
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(&float(v));
    out.push('\n');
}

pub(super) fn escape_into(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// A float as the exposition format spells it: shortest round-trip digits,
/// `NaN`, `+Inf`, `-Inf`, and exponent notation for very large or small
/// magnitudes (instead of hundreds of digits).
pub fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v != 0.0 && !(1e-5..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(float(12000.0), "12000");
        assert_eq!(float(0.93), "0.93");
        assert_eq!(float(-0.5), "-0.5");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(1e300), "1e300");
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(float(0.0), "0");
        assert_eq!("1e300".parse::<f64>().unwrap(), 1e300);
    }

    #[test]
    fn escaping() {
        let f = Family {
            name: "m".into(),
            help: "a \\ b\nc \"q\" é".into(),
            kind: Kind::Untyped,
            series: vec![Series {
                labels: smallvec::smallvec![("l".into(), "x\\y\n\"z\" ü".into())],
                sample: Sample::Scalar(1.0),
            }],
        };
        insta::assert_snapshot!(text(&[f]), @r#"
        # HELP m a \\ b\nc "q" é
        # TYPE m untyped
        m{l="x\\y\n\"z\" ü"} 1
        "#);
    }
}
