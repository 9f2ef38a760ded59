//! Delimited protobuf (`io.prometheus.client.MetricFamily`), what goes on the
//! wire to the Pushgateway by default: it parses it about 3.5 times faster
//! than text (BENCHMARKS.md).
//!
//! Written straight from the model into the output, field by field, rather
//! than through the `prometheus` crate's generated message types: those
//! cost a `String` per label name and value and a message per series,
//! bucket and quantile, built and dropped again (callgrind on 100,000
//! series: 787 M instructions there, 111 M here). The varints are
//! `prost`'s (already a dependency, for remote write); only the field
//! layout of `metrics.proto` is written here. The bytes are the same,
//! field for field, as the `prometheus` crate's encoder writes: a property
//! test (`tests/suite/properties.rs`) compares the two on generated artifacts,
//! and the snapshot tests decode every example with the `protobuf` crate.
//!
//! A message's length prefix must be known before its fields are written,
//! so every nested message's size is computed first (`metric_len`): one
//! cheap pass over a family's series, then one writing pass.

use crate::model::{Family, Kind, Sample, Series};

/// The `Content-Type` of [`protobuf`]'s output.
pub const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

// Field keys: (field number << 3) | wire type (0 varint, 1 64-bit, 2 bytes).
const MF_NAME: u8 = 1 << 3 | 2;
const MF_HELP: u8 = 2 << 3 | 2;
const MF_TYPE: u8 = 3 << 3;
const MF_METRIC: u8 = 4 << 3 | 2;
const M_LABEL: u8 = 1 << 3 | 2;
const M_GAUGE: u8 = 2 << 3 | 2;
const M_COUNTER: u8 = 3 << 3 | 2;
const M_SUMMARY: u8 = 4 << 3 | 2;
const M_UNTYPED: u8 = 5 << 3 | 2;
const M_HISTOGRAM: u8 = 7 << 3 | 2;
const LP_NAME: u8 = 1 << 3 | 2;
const LP_VALUE: u8 = 2 << 3 | 2;
/// `value` of Gauge, Counter and Untyped; `quantile` of Quantile.
const DOUBLE_1: u8 = 1 << 3 | 1;
/// `value` of Quantile; `sample_sum` of Summary and Histogram; `upper_bound` of Bucket.
const DOUBLE_2: u8 = 2 << 3 | 1;
/// `sample_count` of Summary and Histogram; `cumulative_count` of Bucket.
const VARINT_1: u8 = 1 << 3;
/// `quantile` of Summary; `bucket` of Histogram.
const REPEATED_3: u8 = 3 << 3 | 2;

/// Encode families as length-delimited `io.prometheus.client.MetricFamily`
/// messages.
pub fn protobuf(families: &[Family]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protobuf_len(families));
    for f in families {
        write_head(&mut out, f);
        for s in &f.series {
            write_metric_field(&mut out, f.kind, s);
        }
    }
    out
}

/// The length of [`protobuf`]'s output, without writing it.
pub fn protobuf_len(families: &[Family]) -> usize {
    families
        .iter()
        .map(|f| {
            let len = family_len(f);
            varint_len(len as u64) + len
        })
        .sum()
}

/// [`protobuf`]'s pieces, for a body written while it is sent
/// ([`super::stream::Reader`]).
pub struct Protobuf;

impl super::stream::Pieces for Protobuf {
    type Buf = Vec<u8>;

    fn clear(buf: &mut Vec<u8>) {
        buf.clear();
    }

    fn head(buf: &mut Vec<u8>, f: &Family) {
        write_head(buf, f);
    }

    fn series(buf: &mut Vec<u8>, f: &Family, s: &Series) {
        write_metric_field(buf, f.kind, s);
    }
}

/// A family's length prefix, name, help and type: all but its series.
fn write_head(out: &mut Vec<u8>, f: &Family) {
    varint(out, family_len(f) as u64);
    bytes_field(out, MF_NAME, f.name.as_bytes());
    if !f.help.is_empty() {
        bytes_field(out, MF_HELP, f.help.as_bytes());
    }
    out.push(MF_TYPE);
    varint(out, kind_number(f.kind));
}

/// One series of a family, as its `metric` field.
fn write_metric_field(out: &mut Vec<u8>, kind: Kind, s: &Series) {
    out.push(MF_METRIC);
    varint(out, metric_len(kind, s) as u64);
    write_metric(out, kind, s);
}

/// The `MetricType` enum's numbers.
fn kind_number(kind: Kind) -> u64 {
    match kind {
        Kind::Counter => 0,
        Kind::Gauge => 1,
        Kind::Summary => 2,
        Kind::Untyped => 3,
        Kind::Histogram => 4,
    }
}

/// A family's encoded size, without its own length prefix.
fn family_len(f: &Family) -> usize {
    let help = if f.help.is_empty() {
        0
    } else {
        bytes_field_len(f.help.len())
    };
    let metrics: usize = f
        .series
        .iter()
        .map(|s| bytes_field_len(metric_len(f.kind, s)))
        .sum();
    bytes_field_len(f.name.len()) + help + 1 + varint_len(kind_number(f.kind)) + metrics
}

fn label_len(k: &str, v: &str) -> usize {
    bytes_field_len(k.len()) + bytes_field_len(v.len())
}

/// The sample's message (Gauge, Counter, Untyped, Summary or Histogram)
/// size, without key and length prefix.
fn sample_len(s: &Sample) -> usize {
    match s {
        Sample::Scalar(_) => 9,
        Sample::Summary {
            quantiles, count, ..
        } => 1 + varint_len(*count) + 9 + quantiles.len() * bytes_field_len(18),
        Sample::Histogram { buckets, count, .. } => {
            let bucket = |c: u64| bytes_field_len(1 + varint_len(c) + 9);
            let finite: usize = buckets.iter().map(|&(_, c)| bucket(c)).sum();
            1 + varint_len(*count) + 9 + finite + bucket(*count)
        }
    }
}

/// A series' `Metric` message size, without key and length prefix.
fn metric_len(_kind: Kind, s: &Series) -> usize {
    let labels: usize = s
        .labels
        .iter()
        .map(|(k, v)| bytes_field_len(label_len(k, v)))
        .sum();
    labels + bytes_field_len(sample_len(&s.sample))
}

fn write_metric(out: &mut Vec<u8>, kind: Kind, s: &Series) {
    for (k, v) in &s.labels {
        out.push(M_LABEL);
        varint(out, label_len(k, v) as u64);
        bytes_field(out, LP_NAME, k.as_bytes());
        bytes_field(out, LP_VALUE, v.as_bytes());
    }
    let key = match (&s.sample, kind) {
        (Sample::Scalar(_), Kind::Gauge) => M_GAUGE,
        (Sample::Scalar(_), Kind::Counter) => M_COUNTER,
        (Sample::Scalar(_), _) => M_UNTYPED,
        (Sample::Summary { .. }, _) => M_SUMMARY,
        (Sample::Histogram { .. }, _) => M_HISTOGRAM,
    };
    out.push(key);
    varint(out, sample_len(&s.sample) as u64);
    match &s.sample {
        Sample::Scalar(v) => double(out, DOUBLE_1, *v),
        Sample::Summary {
            quantiles,
            sum,
            count,
        } => {
            count_and_sum(out, *count, *sum);
            for &(q, v) in quantiles {
                out.push(REPEATED_3);
                out.push(18);
                double(out, DOUBLE_1, q);
                double(out, DOUBLE_2, v);
            }
        }
        Sample::Histogram {
            buckets,
            sum,
            count,
        } => {
            count_and_sum(out, *count, *sum);
            // The +Inf bucket may be implicit in protobuf, but the
            // Pushgateway's API then omits it: send it, so both wire
            // formats land the same.
            for (le, c) in buckets.iter().copied().chain([(f64::INFINITY, *count)]) {
                out.push(REPEATED_3);
                varint(out, (1 + varint_len(c) + 9) as u64);
                out.push(VARINT_1);
                varint(out, c);
                double(out, DOUBLE_2, le);
            }
        }
    }
}

/// `sample_count` and `sample_sum`, the first fields of both Summary and
/// Histogram.
fn count_and_sum(out: &mut Vec<u8>, count: u64, sum: f64) {
    out.push(VARINT_1);
    varint(out, count);
    double(out, DOUBLE_2, sum);
}

fn bytes_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn bytes_field(out: &mut Vec<u8>, key: u8, bytes: &[u8]) {
    out.push(key);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn double(out: &mut Vec<u8>, key: u8, v: f64) {
    out.push(key);
    out.extend_from_slice(&v.to_le_bytes());
}

// Lengths and counts are base-128 varints: prost's length-delimiter
// functions write exactly that. simplepipe builds for 64-bit targets only
// (x86_64, aarch64), where a u64 count fits a usize.
const _: () = assert!(usize::BITS == 64, "counts are written as usize varints");

fn varint_len(v: u64) -> usize {
    prost::length_delimiter_len(v as usize)
}

fn varint(out: &mut Vec<u8>, v: u64) {
    prost::encode_length_delimiter(v as usize, out).expect("a Vec grows as needed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
