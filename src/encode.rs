//! Stage 5, encode: families → a Pushgateway body, as delimited protobuf
//! (the default on the wire) or the text exposition format 0.0.4 (what
//! `--dry-run` shows).
//!
//! Both are pure functions of the model, snapshot-tested. Protobuf uses the
//! `prometheus` crate's data model and `ProtobufEncoder`; the Pushgateway
//! parses it about 3.5 times faster than text (see the README's
//! Performance section). The text encoder is written here rather than with
//! `prometheus::TextEncoder` because that encoder panics on untyped families
//! (`unimplemented!()`) and prints infinities as `inf`; this one follows the
//! format's spelling (`+Inf`, `-Inf`, `NaN`) and its escaping rules: `\\`
//! and `\n` in help text, and additionally `\"` in label values. Everything
//! else, unicode included, passes through as UTF-8.

pub mod line_protocol;

use std::fmt::Write;

use prometheus::proto;
use prometheus::Encoder as _;

use crate::model::{Family, Kind, Label, Sample};

/// The `Content-Type` of [`protobuf`]'s output.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// Encode families as length-delimited `io.prometheus.client.MetricFamily`
/// messages. One family is converted at a time, so the proto copy of the
/// model never exists whole.
pub fn protobuf(families: &[Family]) -> Vec<u8> {
    let encoder = prometheus::ProtobufEncoder::new();
    let mut out = Vec::with_capacity(families.iter().map(|f| 32 + 40 * f.series.len()).sum());
    for f in families {
        let mf = to_proto(f);
        encoder
            .encode(std::slice::from_ref(&mf), &mut out)
            .expect("families are never empty and writing to a Vec cannot fail");
    }
    out
}

fn to_proto(f: &Family) -> proto::MetricFamily {
    let mut mf = proto::MetricFamily::default();
    mf.set_name(f.name.clone());
    if !f.help.is_empty() {
        mf.set_help(f.help.clone());
    }
    mf.set_field_type(match f.kind {
        Kind::Gauge => proto::MetricType::GAUGE,
        Kind::Counter => proto::MetricType::COUNTER,
        Kind::Histogram => proto::MetricType::HISTOGRAM,
        Kind::Summary => proto::MetricType::SUMMARY,
        Kind::Untyped => proto::MetricType::UNTYPED,
    });
    let metrics = f
        .series
        .iter()
        .map(|s| {
            let mut m = proto::Metric::default();
            m.set_label(
                s.labels
                    .iter()
                    .map(|(k, v)| {
                        let mut lp = proto::LabelPair::default();
                        lp.set_name(k.to_string());
                        lp.set_value(v.to_string());
                        lp
                    })
                    .collect(),
            );
            match (&s.sample, f.kind) {
                (Sample::Scalar(v), Kind::Gauge) => {
                    let mut g = proto::Gauge::default();
                    g.set_value(*v);
                    m.set_gauge(g);
                }
                (Sample::Scalar(v), Kind::Counter) => {
                    let mut c = proto::Counter::default();
                    c.set_value(*v);
                    m.set_counter(c);
                }
                (Sample::Scalar(v), _) => m.untyped.mut_or_insert_default().set_value(*v),
                (
                    Sample::Histogram {
                        buckets,
                        sum,
                        count,
                    },
                    _,
                ) => {
                    let mut h = proto::Histogram::default();
                    h.set_sample_count(*count);
                    h.set_sample_sum(*sum);
                    // The +Inf bucket may be implicit in protobuf, but the
                    // Pushgateway's API then omits it: send it, so both wire
                    // formats land the same.
                    h.set_bucket(
                        buckets
                            .iter()
                            .copied()
                            .chain([(f64::INFINITY, *count)])
                            .map(|(le, c)| {
                                let mut b = proto::Bucket::default();
                                b.set_upper_bound(le);
                                b.set_cumulative_count(c);
                                b
                            })
                            .collect(),
                    );
                    m.set_histogram(h);
                }
                (
                    Sample::Summary {
                        quantiles,
                        sum,
                        count,
                    },
                    _,
                ) => {
                    let mut sm = proto::Summary::default();
                    sm.set_sample_count(*count);
                    sm.set_sample_sum(*sum);
                    sm.set_quantile(
                        quantiles
                            .iter()
                            .map(|(q, v)| {
                                let mut pq = proto::Quantile::default();
                                pq.set_quantile(*q);
                                pq.set_value(*v);
                                pq
                            })
                            .collect(),
                    );
                    m.set_summary(sm);
                }
            }
            m
        })
        .collect();
    mf.set_metric(metrics);
    mf
}

/// The `Content-Type` of [`text`]'s output.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encode families as text. Families and series keep the model's order.
pub fn text(families: &[Family]) -> String {
    let mut out = String::with_capacity(families.iter().map(|f| 64 + 48 * f.series.len()).sum());
    for f in families {
        write_family(&mut out, f);
    }
    out
}

/// Gzip a body (`--compress gzip`).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

fn write_family(out: &mut String, f: &Family) {
    let name = &f.name;
    if !f.help.is_empty() {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_into(out, &f.help, false);
        out.push('\n');
    }
    let _ = writeln!(out, "# TYPE {name} {}", f.kind.name());
    for s in &f.series {
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
    debug_assert!(
        f.kind != Kind::Untyped
            || f.series
                .iter()
                .all(|s| matches!(s.sample, Sample::Scalar(_)))
    );
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

fn escape_into(out: &mut String, s: &str, quote: bool) {
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
    use crate::model::Series;

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
                labels: vec![("l".into(), "x\\y\n\"z\" ü".into())],
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
