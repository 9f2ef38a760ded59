//! Encode for Prometheus remote write 1.0: families → snappy-compressed
//! `WriteRequest` bodies, and the text `--dry-run` shows instead.
//!
//! Remote write has no metric types: every histogram and summary is
//! flattened into the series a scrape would have stored (`_bucket{le=…}`
//! with the `+Inf` bucket equal to the count, `_sum`, `_count`, and
//! `{quantile=…}`), each carrying one sample stamped with the push time.
//! The label set of a series is the command line's labels (`job`, `user`,
//! grouping, `--label`) plus the series' own, sorted by name as the spec
//! requires; `__name__` sorts first for every label name that starts with
//! a lowercase letter or `_`. Bucket and quantile bounds are spelled as in
//! the text format (`0.5`, `+Inf`), so a series pushed here has exactly the
//! labels it would have had through a Pushgateway and a scrape.
//!
//! Big artifacts are cut into requests of at most `max_samples` samples
//! (Prometheus' own queue sends 2,000 by default), built one at a time so
//! the uncompressed protobuf of the whole artifact never exists at once.
//!
//! The messages are declared here with `prost`'s derive, with the field
//! numbers of the spec's `remote.proto` and `types.proto`: four small
//! structs instead of a build step that runs `protoc`.

use crate::model::{Family, Label as ModelLabel, Sample as ModelSample};

use super::text::{escape_into, float};

/// `Content-Type` of a request body.
pub const CONTENT_TYPE: &str = "application/x-protobuf";
/// `Content-Encoding` of a request body: the snappy *block* format.
pub const CONTENT_ENCODING: &str = "snappy";
/// `X-Prometheus-Remote-Write-Version` for remote write 1.0.
pub const VERSION: &str = "0.1.0";
/// Samples per request unless `--max-samples-per-request` says otherwise,
/// as Prometheus' own `queue_config.max_samples_per_send`.
pub const DEFAULT_MAX_SAMPLES: usize = 2_000;

/// `prometheus.WriteRequest` (remote write 1.0 uses only field 1).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`: a full label set and its samples.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`: a value and its Unix time in milliseconds.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// One request body, ready to send, and how many samples it carries (so a
/// failure part-way can say how many landed).
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub body: Vec<u8>,
    pub samples: usize,
}

/// The labels every series gets from the command line (`job`, `user`,
/// grouping labels, `--label`), in any order. Labels with an empty value
/// are dropped: the spec forbids them, and Prometheus treats an empty
/// value as an absent label anyway.
pub type CommonLabels<'a> = &'a [(String, String)];

/// Encode `families` as request bodies of at most `max_samples` samples
/// each (at least one per request), every sample at `timestamp_ms`.
pub fn requests(
    families: &[Family],
    common: CommonLabels,
    timestamp_ms: i64,
    max_samples: usize,
) -> Vec<Chunk> {
    let max = max_samples.max(1);
    let mut chunks = Vec::new();
    let mut req = WriteRequest::default();
    let mut encoder = snap::raw::Encoder::new();
    let mut flush = |req: &mut WriteRequest| {
        let samples = req.timeseries.len();
        let body = encoder
            .compress_vec(&prost::Message::encode_to_vec(&*req))
            .expect("a request of bounded size compresses");
        chunks.push(Chunk { body, samples });
        req.timeseries.clear();
    };
    for_each_series(families, common, |labels, value| {
        req.timeseries.push(TimeSeries {
            labels,
            samples: vec![Sample {
                value,
                timestamp: timestamp_ms,
            }],
        });
        if req.timeseries.len() == max {
            flush(&mut req);
        }
    });
    if !req.timeseries.is_empty() {
        flush(&mut req);
    }
    chunks
}

/// How many samples [`requests`] sends for `families`.
pub fn sample_count(families: &[Family]) -> usize {
    families
        .iter()
        .flat_map(|f| &f.series)
        .map(|s| match &s.sample {
            ModelSample::Scalar(_) => 1,
            ModelSample::Histogram { buckets, .. } => buckets.len() + 3,
            ModelSample::Summary { quantiles, .. } => quantiles.len() + 2,
        })
        .sum()
}

/// What `--dry-run` prints: one line per series, in the order and with the
/// labels they are sent (`__name__` as the line's name), then the value and
/// the timestamp in milliseconds, as in the text format. A comment line
/// opens each request.
pub fn text(families: &[Family], common: CommonLabels, timestamp_ms: i64, max: usize) -> String {
    let max = max.max(1);
    let total = sample_count(families);
    let requests = total.div_ceil(max);
    let mut out = String::with_capacity(96 * total);
    let mut n = 0;
    for_each_series(families, common, |labels, value| {
        if n % max == 0 {
            let this = max.min(total - n);
            let request = n / max + 1;
            out.push_str(&format!("# request {request}/{requests}: {this} samples\n"));
        }
        n += 1;
        write_series(&mut out, &labels, value, timestamp_ms);
    });
    out
}

/// Decode a request body (snappy block, then protobuf): what a receiver
/// does; used by the tests and handy for debugging.
pub fn decode(body: &[u8]) -> anyhow::Result<WriteRequest> {
    let raw = snap::raw::Decoder::new().decompress_vec(body)?;
    Ok(prost::Message::decode(raw.as_slice())?)
}

fn write_series(out: &mut String, labels: &[Label], value: f64, timestamp_ms: i64) {
    let name = labels
        .iter()
        .find(|l| l.name == "__name__")
        .map_or("", |l| l.value.as_str());
    out.push_str(name);
    let mut sep = '{';
    for l in labels.iter().filter(|l| l.name != "__name__") {
        out.push(sep);
        out.push_str(&l.name);
        out.push_str("=\"");
        escape_into(out, &l.value, true);
        out.push('"');
        sep = ',';
    }
    if sep == ',' {
        out.push('}');
    }
    out.push(' ');
    out.push_str(&float(value));
    out.push(' ');
    out.push_str(&timestamp_ms.to_string());
    out.push('\n');
}

/// Call `emit` with the sorted label set and value of every flattened
/// series, in the model's order (a histogram's buckets by `le`, then
/// `_sum`, `_count`; a summary's quantiles, then `_sum`, `_count`).
fn for_each_series(
    families: &[Family],
    common: CommonLabels,
    mut emit: impl FnMut(Vec<Label>, f64),
) {
    for f in families {
        for s in &f.series {
            let base = |suffix: &str, extra: Option<(&str, f64)>| {
                labels(&f.name, suffix, common, &s.labels, extra)
            };
            super::flat::flatten(&s.sample, |suffix, extra, v| emit(base(suffix, extra), v));
        }
    }
}

/// The full label set of one flattened series, sorted by name (bytewise,
/// as Prometheus compares label names), without empty values.
fn labels(
    name: &str,
    suffix: &str,
    common: CommonLabels,
    own: &[(ModelLabel, ModelLabel)],
    extra: Option<(&str, f64)>,
) -> Vec<Label> {
    let mut out = Vec::with_capacity(2 + common.len() + own.len());
    out.push(Label {
        name: "__name__".into(),
        value: format!("{name}{suffix}"),
    });
    let pairs = common
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(own.iter().map(|(k, v)| (&**k, &**v)));
    for (k, v) in pairs.filter(|(_, v)| !v.is_empty()) {
        out.push(Label {
            name: k.into(),
            value: v.into(),
        });
    }
    if let Some((k, bound)) = extra {
        out.push(Label {
            name: k.into(),
            value: float(bound),
        });
    }
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Series};

    fn fam(name: &str, kind: Kind, labels: &[(&str, &str)], sample: ModelSample) -> Family {
        Family {
            name: name.into(),
            help: String::new(),
            kind,
            series: vec![Series {
                labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
                sample,
            }],
        }
    }

    fn common() -> Vec<(String, String)> {
        [("user", "alice"), ("job", "training"), ("team", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn histogram() -> Family {
        let sample = ModelSample::Histogram {
            buckets: vec![(0.5, 3), (1.0, 7)],
            sum: 6.5,
            count: 10,
        };
        fam(
            "latency_seconds",
            Kind::Histogram,
            &[("stage", "train")],
            sample,
        )
    }

    #[test]
    fn labels_sorted_name_first_empty_dropped() {
        let l = labels(
            "m",
            "_bucket",
            &common(),
            &[("a".into(), "x".into())],
            Some(("le", 0.5)),
        );
        let got: Vec<_> = l
            .iter()
            .map(|l| format!("{}={}", l.name, l.value))
            .collect();
        assert_eq!(
            got,
            [
                "__name__=m_bucket",
                "a=x",
                "job=training",
                "le=0.5",
                "user=alice"
            ]
        );
        // Bytewise: an uppercase name sorts before `__name__`, as Prometheus
        // itself orders label sets.
        let l = labels("m", "", &[], &[("Zone".into(), "eu".into())], None);
        assert_eq!(l[0].name, "Zone");
    }

    #[test]
    fn histogram_flattens_with_inf_bucket() {
        let text = text(&[histogram()], &common(), 1_700_000_000_123, 2_000);
        insta::assert_snapshot!(text, @r#"
        # request 1/1: 5 samples
        latency_seconds_bucket{job="training",le="0.5",stage="train",user="alice"} 3 1700000000123
        latency_seconds_bucket{job="training",le="1",stage="train",user="alice"} 7 1700000000123
        latency_seconds_bucket{job="training",le="+Inf",stage="train",user="alice"} 10 1700000000123
        latency_seconds_sum{job="training",stage="train",user="alice"} 6.5 1700000000123
        latency_seconds_count{job="training",stage="train",user="alice"} 10 1700000000123
        "#);
    }

    #[test]
    fn summary_and_escaping() {
        let s = ModelSample::Summary {
            quantiles: vec![(0.5, 0.2), (0.99, f64::NAN)],
            sum: 4.0,
            count: 2,
        };
        let f = fam("batch", Kind::Summary, &[("path", "a\"b\\c\nd")], s);
        insta::assert_snapshot!(text(&[f], &[], 5, 3), @r#"
        # request 1/2: 3 samples
        batch{path="a\"b\\c\nd",quantile="0.5"} 0.2 5
        batch{path="a\"b\\c\nd",quantile="0.99"} NaN 5
        batch_sum{path="a\"b\\c\nd"} 4 5
        # request 2/2: 1 samples
        batch_count{path="a\"b\\c\nd"} 2 5
        "#);
    }

    #[test]
    fn chunks_hold_at_most_max_samples_and_decode() {
        let fams = [
            histogram(),
            fam("up", Kind::Gauge, &[], ModelSample::Scalar(1.0)),
        ];
        assert_eq!(sample_count(&fams), 6);
        let chunks = requests(&fams, &common(), 42, 4);
        assert_eq!(chunks.iter().map(|c| c.samples).collect::<Vec<_>>(), [4, 2]);
        let all: Vec<TimeSeries> = chunks
            .iter()
            .flat_map(|c| decode(&c.body).unwrap().timeseries)
            .collect();
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(|t| t.samples
            == [Sample {
                value: t.samples[0].value,
                timestamp: 42
            }]));
        let last = &all[5];
        let names: Vec<_> = last.labels.iter().map(|l| (&*l.name, &*l.value)).collect();
        assert_eq!(
            names,
            [("__name__", "up"), ("job", "training"), ("user", "alice")]
        );
        assert_eq!(last.samples[0].value, 1.0);
        // Zero means "one per request", never an endless loop or a panic.
        assert_eq!(requests(&fams, &[], 0, 0).len(), 6);
        assert!(requests(&[], &[], 0, 10).is_empty());
    }

    #[test]
    fn body_is_snappy_block_not_framed() {
        let chunks = requests(&[histogram()], &[], 1, 100);
        // The framed format starts with its stream identifier chunk (0xff);
        // a block starts with the uncompressed length as a varint.
        assert_ne!(chunks[0].body[0], 0xff);
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&chunks[0].body)
            .unwrap();
        assert_eq!(
            snap::raw::decompress_len(&chunks[0].body).unwrap(),
            raw.len()
        );
    }
}
